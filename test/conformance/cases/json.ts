// JSON as the job documents and the boot record use it.
export {};
const doc = JSON.parse('{"operation":"fota","bc_idx":1,"bc_size":65536,"bc_crc":"0123456789abcdef0123456789abcdef","bc_url":"https://a/b?X-Amz=1&y=2","nested":{"a":[1,2,{"b":null}]}}');
print(doc.operation, doc.bc_idx, typeof doc.bc_size, doc.nested.a[2].b === null);
print(JSON.stringify({ status: "FAILED", statusDetails: { reason: "md5 mismatch" }, n: 1.5, u: undefined }));
print(JSON.stringify("line\nquote\"tab\t"));
try { JSON.parse("{bad"); print("no error"); } catch (e) { print("parse error caught"); }
print(Object.keys(doc).length, Object.prototype.hasOwnProperty.call(doc, "bc_url"), "missing" in doc);
// expect: fota 1 number true
// expect: {"status":"FAILED","statusDetails":{"reason":"md5 mismatch"},"n":1.5}
// expect: "line\nquote\"tab\t"
// expect: parse error caught
// expect: 6 true false
