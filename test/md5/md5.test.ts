// The firmware's incremental MD5 against RFC 1321's vectors and Node's crypto.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { Md5 } from "../../firmware/crypto/md5.ts";
import { md5Reference } from "../../benchmarks/md5-reference.ts";
import { md5BlockSource } from "./md5-unroll.ts";

const nodeMd5 = (data: Uint8Array) => createHash("md5").update(data).digest("hex");

/** A deterministic generator, so a failing chunking can be replayed. */
function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return s / 0x100000000;
  };
}

const RFC1321: [string, string][] = [
  ["", "d41d8cd98f00b204e9800998ecf8427e"],
  ["a", "0cc175b9c0f1b6a831c399e269772661"],
  ["abc", "900150983cd24fb0d6963f7d28e17f72"],
  ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
  ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
  ["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"],
  ["12345678901234567890123456789012345678901234567890123456789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a"],
];

test("RFC 1321 test vectors, as byte strings and as bytes", () => {
  for (const [text, digest] of RFC1321) {
    assert.equal(new Md5().update(text).digest(), digest, JSON.stringify(text));
    assert.equal(new Md5().update(Buffer.from(text, "latin1")).digest(), digest, JSON.stringify(text));
    assert.equal(md5Reference(Buffer.from(text, "latin1")), digest, `reference: ${JSON.stringify(text)}`);
  }
});

test("every length 0..300 of random data, in one piece and byte by byte", () => {
  const data = randomBytes(300);
  for (let n = 0; n <= 300; n++) {
    const message = data.subarray(0, n);
    const expected = nodeMd5(message);
    assert.equal(new Md5().update(message).digest(), expected, `length ${n}`);
    const byByte = new Md5();
    for (let i = 0; i < n; i++) byByte.update(message.subarray(i, i + 1));
    assert.equal(byByte.digest(), expected, `length ${n}, byte by byte`);
    assert.equal(md5Reference(message), expected, `reference, length ${n}`);
  }
});

test("bytes with the high bit set in byte strings (as sockets deliver them)", () => {
  const data = randomBytes(1000);
  assert.equal(new Md5().update(data.toString("latin1")).digest(), nodeMd5(data));
});

test("random chunkings of images up to 200 KB, mixing strings, unaligned views and aligned views", () => {
  const random = prng(42);
  for (const size of [1, 63, 64, 65, 4095, 4096, 65536, 100_003, 200 * 1024]) {
    const image = randomBytes(size);
    const expected = nodeMd5(image);
    for (let run = 0; run < 4; run++) {
      const md5 = new Md5();
      const maxChunk = [7, 100, 1500, 70_000][run];
      for (let at = 0; at < size; ) {
        const length = Math.min(size - at, 1 + Math.floor(random() * maxChunk));
        const chunk = image.subarray(at, at + length); // a view at an arbitrary byte offset
        const form = random();
        if (form < 0.3) md5.update(chunk.toString("latin1"));
        else if (form < 0.6) md5.update(new Uint8Array(chunk)); // a fresh, aligned copy
        else md5.update(chunk);
        at += length;
      }
      assert.equal(md5.digest(), expected, `size ${size}, run ${run}`);
    }
  }
});

test("digest starts the object over", () => {
  const md5 = new Md5();
  md5.update("something else");
  md5.digest();
  assert.equal(md5.update("abc").digest(), "900150983cd24fb0d6963f7d28e17f72");
});

test("the committed unrolled block function is the generator's output", () => {
  const committed = readFileSync(new URL("../../firmware/crypto/md5-block.ts", import.meta.url), "utf8");
  assert.equal(committed, md5BlockSource(), "regenerate: npx tsx test/md5/md5-unroll.ts > firmware/crypto/md5-block.ts");
});
