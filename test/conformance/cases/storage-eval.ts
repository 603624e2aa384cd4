// An image in a Storage file: written in chunks, checked with E.CRC32 in place, evaluated from the Storage string.
// (Erasing the file afterwards is build-specific: see docs/interpreter.md.)
export {};
const S = require("Storage");
const code = "(function(){ var n = 0; return function (k) { n += k; return n; }; })()";
const half = code.length >> 1;
S.write("cf-code", code.substr(0, half), 0, code.length);
S.write("cf-code", code.substr(half), half);
const stored = S.read("cf-code")!;
print(stored.length === code.length, E.CRC32(stored) === E.CRC32(code), E.CRC32(stored));
print(E.CRC32(S.read("cf-code", 0, half)!) === E.CRC32(code.substr(0, half)), E.toString(stored) === code);
// Indirect, as rollup allows a direct eval only in the loader; the interpreter evaluates it the same way.
const count = (0, eval)(stored) as (k: number) => number;
print(typeof count, count(2), count(3));
// expect: true true 876449703
// expect: true true
// expect: function 2 5
