// Typed arrays and views the download and MD5 code use.
export {};
const buf = new Uint8Array(16);
buf.fill(7);
buf.set([1, 2, 3], 4);
print(buf[3], buf[4], buf[6], buf[7]);
const sub = buf.subarray(4, 8);
sub[0] = 9;
print(buf[4], sub.length);
const words = new Uint32Array(buf.buffer, 4, 2);
print(words.length, words[0] >>> 0);
const dv = new DataView(new ArrayBuffer(8));
dv.setUint32(0, 0x01020304, true);
dv.setUint16(4, 0xabcd, false);
print(dv.getUint8(0), dv.getUint32(0, true), dv.getUint8(4), dv.getUint16(4, false));
// ArrayBuffer#slice does not exist on the interpreter: copy through a typed array.
const copy = new Uint8Array(buf.subarray(0, 2));
print(copy.length, copy[0]);
// expect: 7 1 3 7
// expect: 9 4
// expect: 2 117637641
// expect: 4 16909060 171 43981
// expect: 2 7
