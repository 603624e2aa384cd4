// Storage: files, JSON, pre-sized files written in parts, listing, erasing.
export {};
const Storage = require("Storage");
Storage.erase("cf-a"); Storage.erase("cf-big"); Storage.erase("cf-j");
print(Storage.write("cf-a", "hello"), Storage.read("cf-a"), Storage.read("cf-a", 1, 3));
Storage.write("cf-big", "AB", 0, 6);
Storage.write("cf-big", "CD", 2);
Storage.write("cf-big", "EF", 4);
print(Storage.read("cf-big"));
Storage.writeJSON("cf-j", { a: [1, 2], s: "x" });
print(JSON.stringify(Storage.readJSON("cf-j")), typeof Storage.read("cf-nope"), Storage.readJSON("cf-nope", true));
print(Storage.list(/^cf-/).sort().join(","));
Storage.erase("cf-a");
print(Storage.list(/^cf-/).sort().join(","), Storage.getFree() > 0);
// expect: true hello ell
// expect: ABCDEF
// expect: {"a":[1,2],"s":"x"} undefined undefined
// expect: cf-a,cf-big,cf-j
// expect: cf-big,cf-j true
