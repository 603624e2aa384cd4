// Strings are bytes: every value 0..255 survives, and E.toString / E.toUint8Array convert.
export {};
let s = "";
for (let i = 0; i < 256; i++) s += String.fromCharCode(i);
let ok = s.length === 256;
for (let i = 0; i < 256; i++) if (s.charCodeAt(i) !== i) ok = false;
print("roundtrip", ok);
const u = E.toUint8Array(s);
print("u8", u.length, u[0], u[255]);
print("toString", E.toString(new Uint8Array([104, 105])), E.toString([0x41, 0x42]));
print("btoa", btoa("\xff\x00ab"), atob("/wBhYg==").length);
print("sub", "abcdef".substr(1, 3), "abcdef".substring(2, 4), "abcdef".slice(-2));
print("hex", (255).toString(16), parseInt("ff", 16), ("0" + (5).toString(16)).slice(-2));
// expect: roundtrip true
// expect: u8 256 0 255
// expect: toString hi AB
// expect: btoa /wBhYg== 4
// expect: sub bcd cd ef
// expect: hex ff 255 05
