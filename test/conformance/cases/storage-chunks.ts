// Storage: an image written in chunks into a pre-sized file, and the refusals the firmware relies on.
export {};
const S = require("Storage");
const chunk = "0123456789abcdef";
print(S.write("cf-img", chunk, 0, 64), S.read("cf-img")!.length, S.read("cf-img", 16, 2)!.charCodeAt(0));
print(S.write("cf-img", chunk, 16), S.write("cf-img", chunk, 48), S.read("cf-img", 16, 4));
const refused = (offset: number, data: string, name = "cf-img") => {
  try {
    S.write(name, data, offset);
    print("written at", offset);
  } catch (e) {
    print("refused at", offset, (e as Error).message);
  }
};
refused(16, "XXXX");
refused(56, chunk);
refused(16, chunk, "cf-none");
print(S.write("cf-img", chunk, 32), S.read("cf-img") === chunk + chunk + chunk + chunk);
print(S.write("cf-img", chunk + chunk + chunk + chunk), "the same bytes again");
print(S.write("cf-img", "new", 0, 64), S.read("cf-img", 0, 4) === "new\xff", S.read("cf-img", 60) === "\xff\xff\xff\xff");
print(S.write("cf-img", "x", -1), S.write("cf-img", "x", 0, -1), S.read("cf-img", 0, 3));
try {
  S.write("cf-empty", "");
} catch (e) {
  print((e as Error).message);
}
S.erase("cf-img");
print(S.read("cf-img"), S.list(/^cf-/).length);
// expect: true 64 255
// expect: true true 0123
// expect: refused at 16 File already written with different data
// expect: refused at 56 Too much data for file size
// expect: refused at 16 Unable to find or create file
// expect: true true
// expect: true the same bytes again
// expect: true true true
// expect: false false new
// expect: Can't create zero length file
// expect: undefined 0
