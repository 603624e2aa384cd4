// The image digest as docs/signing.md states it, written out with node:crypto
// and independent of the firmware's code: what tests and benchmarks check
// firmware/crypto/hash-list.ts against.
import { createHash } from "node:crypto";

export function specDigest(image: Uint8Array): string {
  const hashes: Buffer[] = [];
  for (let at = 0; at < image.length; at += 4096) hashes.push(createHash("sha256").update(image.subarray(at, at + 4096)).digest());
  return createHash("sha256").update(Buffer.concat(hashes)).digest("hex");
}
