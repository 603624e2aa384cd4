// The firmware's crypto modules run on the host too (the signer computes the
// digest and the key id with the board's own code), with node:crypto's
// SHA-256 and node:zlib's CRC-32 in place of the interpreter's native ones.
// Imported for this effect.
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { provideSha256 } from "../../firmware/crypto/sha256.ts";
import { provideCrc32 } from "../../firmware/crypto/crc32.ts";

provideSha256((data) => new Uint8Array(createHash("sha256").update(data).digest()));
provideCrc32((data) => crc32(data));
