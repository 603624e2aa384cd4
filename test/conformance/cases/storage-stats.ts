// Storage.getStats(): its fields, what a file, an erase and compact() do to them.
export {};
const S = require("Storage");
const stats = () => S.getStats();
const bytes = (ch: string, n: number) => {
  let s = "";
  while (s.length < n) s += ch;
  return s;
};
const before = stats();
print(Object.keys(before).join(), before.totalBytes, S.getFree() === before.freeBytes);
S.write("cf-a", bytes("x", 100)); // 32-byte header + 100 bytes
S.write("cf-b", bytes("y", 101)); // padded to 104
const written = stats();
print(written.fileCount - before.fileCount, written.fileBytes - before.fileBytes, before.freeBytes - written.freeBytes);
S.erase("cf-a");
const erased = stats();
print(erased.fileCount - before.fileCount, erased.trashCount, erased.trashBytes, erased.freeBytes === written.freeBytes);
S.compact();
const compacted = stats();
print(compacted.trashCount, compacted.trashBytes, compacted.freeBytes - erased.freeBytes, compacted.fileBytes - before.fileBytes);
print(S.read("cf-b") === bytes("y", 101), S.read("cf-a"));
S.compact();
print("nothing to compact");
// expect: totalBytes,freeBytes,fileBytes,fileCount,trashBytes,trashCount 262144 true
// expect: 2 268 268
// expect: 1 1 132 true
// expect: Compacting... 
// expect: 0 0 132 136
// expect: true undefined
// expect: nothing to compact
