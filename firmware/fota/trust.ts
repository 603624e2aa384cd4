// What this board trusts (docs/signing.md): the public key in its Storage
// file TRUST_ANCHOR_FILE, if it has one. With a key, only a document signed
// by it, with a counter no lower than the record's floor, and whose image has
// the signed digest is installed; without one, updates are unsigned, as
// before signing existed, and reported so.
import { layout } from "virtual:build";
import type { FotaDocument } from "./document";
import { documentVerdict, readTrustAnchor, verifySignature, TRUST_ANCHOR_FILE, type Refusal, type SignedDocument, type TrustAnchor, type Verdict } from "./manifest";

export type BoardTrust = { ok: true; anchor: TrustAnchor | null } | Refusal;

/** The board's trust anchor; null when it has none. An unusable one refuses every update. */
export function boardTrust(): BoardTrust {
  const Storage = require("Storage");
  if (Storage.read(TRUST_ANCHOR_FILE) === undefined) return { ok: true, anchor: null };
  const read = readTrustAnchor(Storage.readJSON(TRUST_ANCHOR_FILE, true));
  return read.ok ? { ok: true, anchor: read.anchor } : read;
}

/**
 * The verdict on `doc` for a board that trusts `anchor`: the checks that need
 * no cryptography (before any flash is erased) when `digest` is undefined,
 * else the whole verification against the stored image's hash list digest.
 */
export function signatureVerdict(doc: FotaDocument, anchor: TrustAnchor, counterFloor: number, digest: string | undefined): Verdict {
  const fields = signedFieldsOf(doc);
  return digest === undefined ? documentVerdict(fields, anchor, counterFloor) : verifySignature(fields, layout.name, digest, anchor, counterFloor);
}

/** What the signature covers of a checked document: what the slot's signature page keeps (firmware/image/signature-page.ts). */
export function signedFieldsOf(doc: FotaDocument): SignedDocument {
  const signed = doc.signature || ({} as NonNullable<FotaDocument["signature"]>);
  return { bc_size: doc.bc_size, bc_version: doc.bc_version, bc_digest: signed.bc_digest, bc_counter: signed.bc_counter, bc_key: signed.bc_key, "sig-sha256-rsa": signed["sig-sha256-rsa"] };
}

/** How an installed image was vouched for, for the job's statusDetails. */
export function signatureNote(anchor: TrustAnchor | null): string {
  return anchor ? "verified with key " + anchor.kid : "unsigned: this board has no trust anchor";
}
