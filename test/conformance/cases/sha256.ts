// The interpreter's native SHA-256: one-shot, a 32-byte ArrayBuffer, over a
// string's bytes, a Uint8Array view's own bytes (subarray offsets honoured) or an array of bytes.
export {};
const crypto = require("crypto");
function hex(b: ArrayBuffer): string {
  const u = new Uint8Array(b);
  let h = "";
  for (let i = 0; i < u.length; i++) h += (256 + u[i]).toString(16).substring(1);
  return h;
}
const abc = crypto.SHA256("abc");
print("type", typeof abc, abc instanceof ArrayBuffer, abc.byteLength);
print("abc", hex(abc));
print("u8", hex(crypto.SHA256(new Uint8Array([97, 98, 99]))) === hex(abc), "array", hex(crypto.SHA256([97, 98, 99])) === hex(abc));
print("view", hex(crypto.SHA256(new Uint8Array([1, 97, 98, 99, 2]).subarray(1, 4))) === hex(abc));
print("empty", hex(crypto.SHA256("")));
print("high", hex(crypto.SHA256("\xff\x00\x80")));
const block = new Uint8Array(4096);
for (let i = 0; i < block.length; i++) block[i] = (i * 7) & 255;
print("block", hex(crypto.SHA256(block)));
print("block as string", hex(crypto.SHA256(E.toString(block))) === hex(crypto.SHA256(block)));
print("no argument", (crypto.SHA256 as (m?: string) => ArrayBuffer | undefined)());
// expect: type object true 32
// expect: abc ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
// expect: u8 true array true
// expect: view true
// expect: empty e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
// expect: high ef192b7af54e943f206ab27075ec1805384c972c9959fc5820f1fa7d5268fcef
// expect: block d010f6d76d0eb4dce5d5b5b34014a8a157ec4380a66c24d7d455a9bf652db14a
// expect: block as string true
// expect: no argument undefined
