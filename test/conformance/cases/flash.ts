// Raw flash: erase to 0xFF, writes AND into what is there, at any alignment.
import { layout } from "virtual:build";
const Flash = require("Flash");
const addr = layout.slots[1].start;
Flash.erasePage(addr);
print(JSON.stringify(Flash.getPage(addr + 5)).length > 0, Flash.getPage(addr + 5)!.addr === addr);
const fresh = Flash.read(4, addr);
print(fresh instanceof Uint8Array, fresh[0], fresh[3]);
Flash.write("\x0f\xf0", addr + 1);
Flash.write([0xff, 0x3c], addr + 1);
print(Flash.read(4, addr).join(","));
Flash.write(new Uint8Array([0x12, 0x34, 0x56]), addr + 5);
print(E.toString(Flash.read(3, addr + 5)) === "\x12\x34\x56");
// Consecutive writes that share a word (the slot writer stores chunks so): each keeps the other's bytes.
Flash.write(new Uint8Array([1, 2, 3]), addr + 8);
Flash.write(new Uint8Array([4, 5, 6, 7, 8]), addr + 11);
print(Flash.read(8, addr + 8).join(","));
Flash.erasePage(addr);
print(Flash.read(8, addr).join(","));
// expect: true true
// expect: true 255 255
// expect: 255,15,48,255
// expect: true
// expect: 1,2,3,4,5,6,7,8
// expect: 255,255,255,255,255,255,255,255
