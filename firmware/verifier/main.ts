// The boot verifier: the separate small image the loader evaluates from its
// Storage file (VERIFIER_FILE) only when .fota says verifyAtBoot, so that RSA
// and the hash list stay out of the loader image (docs/signing.md, "Verify at
// boot"; docs/boot-record.md, row C5). The build makes it an expression whose
// value is these exports (host/toolchain/config.ts, EXPRESSION_IMAGES). The
// checks are the update flow's own (fota/manifest.ts, crypto/): one source of truth.
import { layout } from "virtual:build";
import { readTrustAnchor, verifySignature, TRUST_ANCHOR_FILE, type Refusal } from "../fota/manifest";
import { hashList, HASH_LIST_BLOCK } from "../crypto/hash-list";
import { readSignaturePage } from "../image/signature-page";
import type { BootCheck } from "../boot/loader";

/**
 * The check for the loader, once the trust anchor is read; a refusal when the
 * board has no usable anchor (then no slot can be vouched for, and none is at fault).
 */
export function bootVerifier(flash: FlashModule): BootCheck | Refusal {
  const trust = readTrustAnchor(require("Storage").readJSON(TRUST_ANCHOR_FILE, true));
  if (!trust.ok) return trust;
  const anchor = trust.anchor;
  return (slot, meta, code) => {
    const started = getTime();
    const signed = readSignaturePage(flash, layout, slot);
    if (typeof signed === "string") return { ok: false, text: "signature-missing: " + signed };
    // The page must be the one written with this image: the record's size, counter and version are those it signs.
    if (signed.bc_size !== meta.size || signed.bc_counter !== meta.counter || (signed.bc_version || "") !== meta.version) {
      return { ok: false, text: "signature-invalid: the signature page is another image's" };
    }
    const raw = hashList();
    const region = layout.slots[slot];
    for (let at = 0; at < meta.size; at += HASH_LIST_BLOCK) raw.update(flash.read(Math.min(HASH_LIST_BLOCK, meta.size - at), region.start + at));
    // The floor guards installs; here the record's own counter for this slot is the signed one (checked above).
    const verdict = verifySignature(signed, layout.name, raw.digest(), anchor, 0);
    if (!verdict.ok) return { ok: false, text: verdict.reason };
    // What runs is the run copy, which the loader accepts on a CRC-32 (forgeable): it must be the signed bytes too.
    if (hashList().update(code).digest() !== signed.bc_digest) return { ok: false, text: "digest-mismatch: the run copy is not the signed image" };
    const ms = Math.round((getTime() - started) * 1000);
    return { ok: true, text: "signature verified at boot in " + ms + " ms (hash list " + Math.round(meta.size / 1024) + " KB, RSA-" + anchor.n.length * 8 + ")" };
  };
}
