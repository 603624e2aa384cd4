// Signed updates as issue 12 lists them (docs/signing.md), shared by the
// simulator's end-to-end test and the real interpreter's: a board with a
// trust anchor takes a correctly signed update, then refuses, each with its
// named reason, every document an attacker or a mistake could hand it, and
// still runs its image. The cases run in order: the first update raises the
// board's security counter floor, which the replayed older image then meets.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKeyPair, trustAnchorFor } from "../../host/signing/keys.ts";
import { signatureFields } from "../../host/signing/sign.ts";
import { TRUST_ANCHOR_FILE } from "../../firmware/fota/manifest.ts";
import type { DocumentOf } from "./support.ts";

export interface SignedCase {
  name: string;
  /** The bytes uploaded for the job. */
  image: string;
  document: DocumentOf;
  status: "SUCCEEDED" | "FAILED";
  /** The FAILED job's reason, or what a SUCCEEDED job's details say. */
  reason: RegExp;
  /** "version@slot" the board runs afterwards (the refusals leave it as it was). */
  runs: string;
}

export interface SignedSetup {
  /** Storage files that make a board trust the owner's key. */
  anchorFiles: Record<string, string>;
  cases: SignedCase[];
}

/**
 * `images` holds the built images by version; the board runs "1.0.0" from
 * slot 0 when the cases start (provisioned, unsigned: counter 0).
 */
export function signedCases(board: string, images: Record<string, string>): SignedSetup {
  const dir = mkdtempSync(join(tmpdir(), "signed-e2e-"));
  const owner = createKeyPair(join(dir, "owner"));
  const stranger = createKeyPair(join(dir, "stranger"));
  const bytes = (image: string) => Buffer.from(image, "latin1");
  const sign = (image: string, version: string, counter: number, keyPath = owner.privatePath) => signatureFields(bytes(image), { board, version, counter, keyPath });
  const base = (url: string, md5: string, size: number, version: string) => ({ operation: "fota", bc_idx: "auto", bc_crc: md5, bc_size: size, bc_url: url, bc_version: version });
  const v2 = images["2.0.0"];
  const v3 = images["3.0.0"];
  const flipped = v3.slice(0, 4321) + String.fromCharCode(v3.charCodeAt(4321) ^ 1) + v3.slice(4322);
  const signedV3 = sign(v3, "3.0.0", 9);
  const refused = (name: string, image: string, document: DocumentOf, reason: RegExp): SignedCase => ({ name, image, document, status: "FAILED", reason, runs: "2.0.0@1" });
  return {
    anchorFiles: { [TRUST_ANCHOR_FILE]: trustAnchorFor(owner.publicPath) },
    cases: [
      {
        name: "correctly signed (counter 7)",
        image: v2,
        document: (u, m, s) => ({ ...base(u, m, s, "2.0.0"), ...sign(v2, "2.0.0", 7) }),
        status: "SUCCEEDED",
        reason: new RegExp(`^verified with key ${owner.keyId}$`),
        runs: "2.0.0@1",
      },
      refused("one flipped byte in the image", flipped, (u, m, s) => ({ ...base(u, m, s, "3.0.0"), ...signedV3 }), /^digest-mismatch: image [0-9a-f]{64}, signed [0-9a-f]{64}$/),
      refused("size changed in the document (and the file)", v3 + " ", (u, m, s) => ({ ...base(u, m, s, "3.0.0"), ...signedV3 }), /^signature-invalid: /),
      refused("version changed in the document", v3, (u, m, s) => ({ ...base(u, m, s, "3.0.1"), ...signedV3 }), /^signature-invalid: /),
      refused("counter changed in the document", v3, (u, m, s) => ({ ...base(u, m, s, "3.0.0"), ...signedV3, bc_counter: 10 }), /^signature-invalid: /),
      refused("signed by another key", v3, (u, m, s) => ({ ...base(u, m, s, "3.0.0"), ...sign(v3, "3.0.0", 9, stranger.privatePath) }), new RegExp(`^unknown-key: key ${stranger.keyId}, this board trusts ${owner.keyId}$`)),
      refused("the signature of another image", v3, (u, m, s) => ({ ...base(u, m, s, "3.0.0"), ...signedV3, "sig-sha256-rsa": sign(v2, "3.0.0", 9)["sig-sha256-rsa"] }), /^signature-invalid: /),
      refused("an older signed image replayed (downgrade)", v3, (u, m, s) => ({ ...base(u, m, s, "3.0.0"), ...sign(v3, "3.0.0", 5) }), /^counter-too-low: security counter 5 below 7$/),
      refused("an unsigned document", v3, (u, m, s) => base(u, m, s, "3.0.0"), /^signature-missing: no sig-sha256-rsa$/),
      refused("a malformed key id", v3, (u, m, s) => ({ ...base(u, m, s, "3.0.0"), ...signedV3, bc_key: "not-a-key-id" }), /^malformed-field: bc_key is not 16 hex digits$/),
      refused("a malformed counter", v3, (u, m, s) => ({ ...base(u, m, s, "3.0.0"), ...signedV3, bc_counter: -1 }), /^malformed-field: bc_counter is not an integer/),
      {
        name: "correctly signed again (counter 9)",
        image: v3,
        document: (u, m, s) => ({ ...base(u, m, s, "3.0.0"), ...signedV3 }),
        status: "SUCCEEDED",
        reason: new RegExp(`^verified with key ${owner.keyId}$`),
        runs: "3.0.0@0",
      },
    ],
  };
}
