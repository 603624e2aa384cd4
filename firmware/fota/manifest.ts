// Signed images (docs/signing.md): the manifest, the one definition of the
// bytes that are signed (the host's signer imports it from here); the rules of
// the job document's signature fields; the board's trust anchor; and the
// verdict on a document and its stored image, refusals named for the FAILED job.
import { sha256 } from "../crypto/sha256";
import { hexOf } from "../crypto/hash-list";
import { bytesOf } from "../crypto/bytes";
import { verifyPkcs1Sha256, type RsaCheck } from "../crypto/rsa";

/** The Storage file holding the board's public key. */
export const TRUST_ANCHOR_FILE = "fota.pub";
/** The job document field of the signature (the name AWS's OTA job document uses). */
export const SIGNATURE_FIELD = "sig-sha256-rsa";
export const COUNTER_MAX = 4294967295;

/**
 * The exact bytes that are signed (docs/signing.md): `board` is the board
 * file's name (e.g. "esp32"), `digest` the image's hash list digest.
 */
export function manifestText(board: string, size: number, digest: string, version: string, counter: number): string {
  return "fota-manifest-1\nboard=" + board + "\nsize=" + size + "\ndigest=" + digest + "\nversion=" + version + "\ncounter=" + counter + "\n";
}

/** The signature fields a signed job document adds. */
export interface SignatureFields {
  bc_digest: string;
  bc_counter: number;
  /** Key id of the signing key. */
  bc_key: string;
  "sig-sha256-rsa": string;
}

/** A signed job document as far as the signature covers it. */
export interface SignedDocument extends SignatureFields {
  bc_size: number;
  /** Absent means empty. */
  bc_version?: string;
}

/** Why a board refuses a signed update: the names the FAILED job's reason starts with. */
export type SignatureRefusal = "signature-missing" | "signature-invalid" | "unknown-key" | "digest-mismatch" | "counter-too-low" | "malformed-field";

export type SignatureField = "bc_digest" | "bc_counter" | "bc_key" | "sig-sha256-rsa";

export interface Refusal {
  ok: false;
  refusal: SignatureRefusal;
  /** A sentence that starts with the refusal's name, e.g. "counter-too-low: security counter 3 below 5". */
  reason: string;
  /** The field a malformed-field refusal is about. */
  field?: SignatureField;
}

export type Verdict = { ok: true } | Refusal;

/** The board's public key: RSA, e = 65537. */
export interface TrustAnchor {
  /** Key id: 16 hex digits of SHA-256 over the modulus. */
  kid: string;
  /** The modulus, big-endian, no leading zero byte. */
  n: Uint8Array;
}

function refuse(refusal: SignatureRefusal, sentence: string): Refusal {
  return { ok: false, refusal: refusal, reason: refusal + ": " + sentence };
}

/** Exactly `length` lower-case hex digits (the interpreter's regular expressions lack {n}). */
function isHex(value: unknown, length: number): boolean {
  return typeof value === "string" && value.length === length && /^[0-9a-f]+$/.test(value);
}

/**
 * Base64 (RFC 4648 section 4) as bytes; undefined if it is not that (atob
 * accepts anything). At most two "=", tested by hand: the interpreter's
 * regular expressions have no "?", and its indexOf matches past the end.
 */
function base64Bytes(value: unknown): Uint8Array | undefined {
  if (typeof value !== "string" || value.length % 4 !== 0 || !/^[A-Za-z0-9+\/]+=*$/.test(value) || value.charAt(value.length - 3) === "=") return undefined;
  return bytesOf(atob(value));
}

export function isSecurityCounter(value: unknown): value is number {
  // Not a number: Math.floor gives a number, never the same value.
  return Math.floor(value as number) === value && (value as number) >= 0 && (value as number) <= COUNTER_MAX;
}

/** Each signature field and its rule, in words for the refusal. */
const FIELD_RULES: [SignatureField, (value: unknown) => boolean, string][] = [
  ["bc_digest", (v) => isHex(v, 64), "64 hex digits"],
  ["bc_counter", isSecurityCounter, "an integer 0.." + COUNTER_MAX],
  ["bc_key", (v) => isHex(v, 16), "16 hex digits"],
  [SIGNATURE_FIELD, (v) => !!base64Bytes(v), "base64"],
];

/**
 * Why the signature fields of a raw document are missing or malformed
 * (a malformed-field refusal names its field); undefined if they are present
 * and well formed. bc_size and bc_version are the document validator's
 * (firmware/fota/document.ts): a value it would refuse cannot match a signed
 * manifest either, as no signer signs one.
 */
export function signatureFieldsProblem(doc: { [field: string]: unknown }): Refusal | undefined {
  if (doc[SIGNATURE_FIELD] === undefined) return refuse("signature-missing", "no " + SIGNATURE_FIELD);
  for (let i = 0; i < FIELD_RULES.length; i++) {
    const field = FIELD_RULES[i][0];
    // The field and its rule, not its value: the value may be anything, and the job document shows it.
    if (!FIELD_RULES[i][1](doc[field])) return { ok: false, refusal: "malformed-field", reason: "malformed-field: " + field + " is not " + FIELD_RULES[i][2], field: field };
  }
  return undefined;
}

/** Key id of a modulus (big-endian, no leading zero byte). */
export function keyIdOf(modulus: Uint8Array): string {
  return hexOf(sha256(modulus)).substring(0, 16);
}

/** The contents of fota.pub for a modulus. */
export function trustAnchorText(modulus: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < modulus.length; i++) binary += String.fromCharCode(modulus[i]);
  return JSON.stringify({ kid: keyIdOf(modulus), n: btoa(binary) });
}

/**
 * The trust anchor from the parsed contents of fota.pub
 * (`require("Storage").readJSON(TRUST_ANCHOR_FILE, true)`). An unusable
 * anchor refuses every update (unknown-key): it never means "unsigned".
 */
export function readTrustAnchor(json: unknown): Refusal | { ok: true; anchor: TrustAnchor } {
  const parsed = (json || {}) as { kid?: unknown; n?: unknown };
  const n = base64Bytes(parsed.n);
  if (!n || (n.length !== 256 && n.length !== 384) || n[0] < 0x80 || parsed.kid !== keyIdOf(n)) {
    return refuse("unknown-key", TRUST_ANCHOR_FILE + " is unusable");
  }
  return { ok: true, anchor: { kid: parsed.kid as string, n: n } };
}

/**
 * The checks of docs/signing.md that cost no cryptography, in their order:
 * the fields well formed, the anchor's key named, a counter of at least
 * `minCounter`. A board runs them before it downloads anything; the counter
 * is not authentic yet, so passing them proves nothing, failing them ends the job.
 */
export function documentVerdict(doc: SignedDocument, anchor: TrustAnchor, minCounter: number): Verdict {
  const problem = signatureFieldsProblem(doc as unknown as { [field: string]: unknown });
  if (problem) return problem;
  if (doc.bc_key !== anchor.kid) return refuse("unknown-key", "key " + doc.bc_key + ", this board trusts " + anchor.kid);
  return counterVerdict(doc, minCounter);
}

function counterVerdict(doc: SignedDocument, minCounter: number): Verdict {
  return doc.bc_counter < minCounter ? refuse("counter-too-low", "security counter " + doc.bc_counter + " below " + minCounter) : { ok: true };
}

/**
 * The verdict of docs/signing.md, "What the board checks", in its order: the
 * document is well formed, signed by the anchor's key over the manifest this
 * board rebuilds, with a counter of at least `minCounter`, and `imageDigest`
 * (the hash list digest of the stored image, read back from flash) is the
 * signed one.
 */
export function verifySignature(doc: SignedDocument, board: string, imageDigest: string, anchor: TrustAnchor, minCounter: number): Verdict {
  const problem = signatureFieldsProblem(doc as unknown as { [field: string]: unknown });
  if (problem) return problem;
  if (doc.bc_key !== anchor.kid) return refuse("unknown-key", "key " + doc.bc_key + ", this board trusts " + anchor.kid);
  const manifest = manifestText(board, doc.bc_size, doc.bc_digest, doc.bc_version || "", doc.bc_counter);
  const check: RsaCheck = verifyPkcs1Sha256(anchor.n, base64Bytes(doc[SIGNATURE_FIELD])!, sha256(manifest));
  if (check !== "valid") return refuse("signature-invalid", check + " check failed");
  const counter = counterVerdict(doc, minCounter);
  if (!counter.ok) return counter;
  if (imageDigest !== doc.bc_digest) return refuse("digest-mismatch", "image " + imageDigest + ", signed " + doc.bc_digest);
  return { ok: true };
}
