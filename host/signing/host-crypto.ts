// The firmware's crypto modules run on the host too (the signer computes the
// digest and the key id with the board's own code), with node:crypto's
// SHA-256 in place of the interpreter's native one. Imported for this effect.
import { createHash } from "node:crypto";
import { provideSha256 } from "../../firmware/crypto/sha256.ts";

provideSha256((data) => new Uint8Array(createHash("sha256").update(data).digest()));
