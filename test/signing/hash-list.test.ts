// The image digest (docs/signing.md) computed by the firmware's hash list, in
// Node, against the spec written out here with node:crypto: sizes around the
// 4096-byte block, fed in chunks of whole blocks, as bytes, as views at odd
// offsets, as byte strings; and the misuse it refuses.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import "../../host/signing/host-crypto.ts";
import { hashList } from "../../firmware/crypto/hash-list.ts";
import { CHUNKS, SIZES, specDigest, testImage } from "./vectors.ts";

for (const size of SIZES) {
  test(`hash list of ${size} bytes fed in chunks of ${CHUNKS.join(", ")} equals the spec's digest`, () => {
    const image = testImage(size);
    const bytes = hashList(), views = hashList(), strings = hashList();
    // The same bytes one byte further into a buffer: views whose byteOffset is odd.
    const shifted = new Uint8Array(size + 1);
    shifted.set(image, 1);
    for (let at = 0, k = 0; at < size; k++) {
      const end = Math.min(size, at + CHUNKS[k % CHUNKS.length]);
      bytes.update(image.subarray(at, end));
      views.update(shifted.subarray(at + 1, end + 1));
      strings.update(Buffer.from(image.subarray(at, end)).toString("latin1"));
      at = end;
    }
    const expected = specDigest(image);
    assert.equal(bytes.digest(), expected);
    assert.equal(views.digest(), expected);
    assert.equal(strings.digest(), expected);
  });
}

test("hash list of one block is SHA-256 of that block's SHA-256", () => {
  const block = testImage(4096);
  const inner = createHash("sha256").update(block).digest();
  assert.equal(hashList().update(block).digest(), createHash("sha256").update(inner).digest("hex"));
});

test("hash list starts over after digest(): the same bytes give the same digest again", () => {
  const h = hashList();
  const image = testImage(9000);
  const first = h.update(image).digest();
  assert.equal(h.update(image).digest(), first);
  assert.notEqual(hashList().update(image.subarray(1)).digest(), first);
});

test("hash list refuses data after a partial block: its blocks would no longer be the spec's", () => {
  const h = hashList().update(testImage(5000));
  assert.throws(() => h.update(testImage(4096)), /hash list: data after a partial block/);
});
