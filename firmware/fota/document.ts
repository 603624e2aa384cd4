// The FOTA job document (mission: "operation": "fota" with bc_idx, bc_size,
// bc_crc, bc_url; bc_version optional) and its one validator. Everything from
// the network is checked here, once, at the edge, field by field, so the
// downloader and the boot record only ever see a document that names a real
// slot, a size that fits it, an MD5, an https URL and a version the boot record
// can keep. Each problem names its field, for the FAILED job's statusDetails.
// `fota job create` builds its documents with the same type and checks the
// fields it writes with the same rules (host/cli/job-document.ts).
import type { Region } from "../board/layout";
import { VERSION_BYTES } from "../boot/slot-meta";
import { signatureFieldsProblem, SIGNATURE_FIELD, type SignatureField, type SignatureFields } from "./manifest";

/** A FOTA job document as written by `fota job create` or by hand, before any check. */
export interface FotaJobDocument {
  operation: "fota";
  /** The code slot to write; "auto": the board's first slot that is not running. */
  bc_idx: number | "auto";
  /** MD5 of the image, 32 hex digits (the earlier library's name, kept). */
  bc_crc: string;
  /** Image length in bytes. */
  bc_size: number;
  /** https URL of the image, usually an S3 presigned URL or AWS IoT's placeholder for one. */
  bc_url: string;
  /** Version of the image, reported back in the job's statusDetails (optional). */
  bc_version?: string;
}

/** A signed FOTA job document (docs/signing.md). */
export type SignedFotaJobDocument = FotaJobDocument & SignatureFields;

/** A FOTA job document as validated: numbers are numbers, the slot resolved, the MD5 lower case. */
export interface FotaDocument {
  operation: "fota";
  /** Index of the code slot (in the board layout) to write the image into. */
  bc_idx: number;
  bc_size: number;
  bc_crc: string;
  bc_url: string;
  /** "" when the document gives none. */
  bc_version: string;
  /** The signature fields, well formed; null when the document is not signed. */
  signature: SignatureFields | null;
}

/** The value the earlier library's users may write for bc_idx: "the slot not running". */
export const AUTO_SLOT = "auto";

export type DocumentField = "document" | "operation" | "bc_idx" | "bc_size" | "bc_crc" | "bc_url" | "bc_version" | SignatureField;

export interface FieldProblem {
  field: DocumentField;
  reason: string;
}

export type DocumentCheck =
  | { ok: true; document: FotaDocument }
  | { ok: false; problems: FieldProblem[]; /** All problems in one line, for a FAILED job. */ reason: string };

/** What the validator must know about the board. */
export interface SlotContext {
  /** The board's code slots (layout.slots). */
  slots: Region[];
  /** Index of the slot the board runs from now, or -1 if it runs from none. */
  runningSlot: number;
  /** Accept bc_idx "auto" (resolved to the first slot that is not running). Off unless the job flow asks for it. */
  allowAutoSlot?: boolean;
}

/** An integer given as a JSON number or as a string of decimal digits (documents written by hand have both). */
function integerOf(value: unknown): number | undefined {
  if (typeof value === "number") return isFinite(value) && Math.floor(value) === value ? value : undefined;
  if (typeof value === "string" && /^[0-9]+$/.test(value) && value.length <= 10) return parseInt(value, 10);
  return undefined;
}

function slotIndexOf(value: unknown, context: SlotContext, problems: FieldProblem[]): number {
  if (value === AUTO_SLOT && context.allowAutoSlot) {
    for (let i = 0; i < context.slots.length; i++) if (i !== context.runningSlot) return i;
    problems.push({ field: "bc_idx", reason: "bc_idx auto: the board has no slot besides the running one" });
    return -1;
  }
  const index = integerOf(value);
  const count = context.slots.length;
  if (index === undefined) problems.push({ field: "bc_idx", reason: "bc_idx " + JSON.stringify(value) + " is not a slot index (an integer 0.." + (count - 1) + ")" });
  else if (index < 0 || index >= count) problems.push({ field: "bc_idx", reason: "bc_idx " + index + " is not a slot of this board (it has " + count + ": 0.." + (count - 1) + ")" });
  else if (index === context.runningSlot) problems.push({ field: "bc_idx", reason: "bc_idx " + index + " is the running slot" });
  else return index;
  return -1;
}

function sizeOf(value: unknown, slot: Region | undefined, problems: FieldProblem[]): number {
  const size = integerOf(value);
  if (size === undefined || size <= 0) problems.push({ field: "bc_size", reason: "bc_size " + JSON.stringify(value) + " is not a positive integer" });
  else if (slot && size > slot.size) problems.push({ field: "bc_size", reason: "bc_size " + size + " is larger than slot " + slot.name + " (" + slot.size + " bytes)" });
  else return size;
  return 0;
}

function md5Of(value: unknown, problems: FieldProblem[]): string {
  // Length and character class apart: the interpreter's regular expressions lack counted repetition ({32}).
  if (typeof value === "string" && value.length === 32 && /^[0-9a-fA-F]+$/.test(value)) return value.toLowerCase();
  problems.push({ field: "bc_crc", reason: "bc_crc " + JSON.stringify(value) + " is not an MD5 (32 hex digits)" });
  return "";
}

function urlOf(value: unknown, problems: FieldProblem[]): string {
  if (typeof value === "string" && /^https:\/\/[^\/?#\s@]+/i.test(value)) return value;
  const shown = typeof value === "string" ? JSON.stringify(value.length > 60 ? value.substring(0, 60) + "..." : value) : typeof value;
  problems.push({ field: "bc_url", reason: "bc_url " + shown + " is not an https URL" });
  return "";
}

/**
 * Why a version cannot be kept, or "": the boot record keeps VERSION_BYTES
 * bytes of it, and it goes into statusDetails, so printable ASCII only.
 */
export function versionProblem(value: unknown): string {
  if (value === undefined) return "";
  if (typeof value !== "string") return "bc_version " + JSON.stringify(value) + " is not a string";
  if (value.length > VERSION_BYTES) return "bc_version " + JSON.stringify(value) + " is longer than " + VERSION_BYTES + " characters";
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return "bc_version " + JSON.stringify(value) + " has a character that is not printable ASCII at " + i;
  }
  return "";
}

/** Checks a job document received from AWS IoT Jobs; lists every field that is wrong. */
export function checkFotaDocument(raw: unknown, context: SlotContext): DocumentCheck {
  const problems: FieldProblem[] = [];
  if (typeof raw !== "object" || raw === null) {
    problems.push({ field: "document", reason: "the job document is not an object" });
    return { ok: false, problems, reason: problems[0].reason };
  }
  const doc = raw as { [key: string]: unknown };
  if (doc.operation !== "fota") problems.push({ field: "operation", reason: "operation " + JSON.stringify(doc.operation) + " is not \"fota\"" });
  const index = slotIndexOf(doc.bc_idx, context, problems);
  const size = sizeOf(doc.bc_size, index >= 0 ? context.slots[index] : undefined, problems);
  const md5 = md5Of(doc.bc_crc, problems);
  const url = urlOf(doc.bc_url, problems);
  const version = versionProblem(doc.bc_version);
  if (version) problems.push({ field: "bc_version", reason: version });
  const signed = isSigned(doc);
  const signature = signed ? signatureFieldsProblem(doc) : undefined;
  if (signature) problems.push({ field: signature.field!, reason: signature.reason });
  if (problems.length > 0) {
    const reasons: string[] = [];
    for (let i = 0; i < problems.length; i++) reasons.push(problems[i].reason);
    return { ok: false, problems, reason: reasons.join("; ") };
  }
  const fields = signed ? { bc_digest: doc.bc_digest as string, bc_counter: doc.bc_counter as number, bc_key: doc.bc_key as string, [SIGNATURE_FIELD]: doc[SIGNATURE_FIELD] as string } : null;
  return { ok: true, document: { operation: "fota", bc_idx: index, bc_size: size, bc_crc: md5, bc_url: url, bc_version: (doc.bc_version as string | undefined) || "", signature: fields } };
}

/** A document with any signature field is a signed one: all of them must then be well formed. */
function isSigned(doc: { [key: string]: unknown }): boolean {
  return doc[SIGNATURE_FIELD] !== undefined || doc.bc_digest !== undefined || doc.bc_counter !== undefined || doc.bc_key !== undefined;
}
