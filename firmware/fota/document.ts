// The FOTA job document (mission: "operation": "fota" with bc_idx, bc_size,
// bc_crc, bc_url) and its validator. Everything from the network is checked
// here, once, field by field, so the downloader and the boot record only ever
// see a document that names a real slot, a size that fits it, an MD5 and an
// https URL. Each problem names its field, for the FAILED job's statusDetails.
import type { Region } from "../board/layout";

/** A FOTA job document as validated: numbers are numbers, the MD5 is lower case. */
export interface FotaDocument {
  operation: "fota";
  /** Index of the code slot (in the board layout) to write the image into. */
  bc_idx: number;
  /** Image length in bytes. */
  bc_size: number;
  /** MD5 of the image: 32 lower-case hex digits (the earlier library's name, kept). */
  bc_crc: string;
  /** https URL of the image, usually an S3 presigned URL. */
  bc_url: string;
}

/** The value the earlier library's users may write for bc_idx: "the slot not running". */
export const AUTO_SLOT = "auto";

export interface FieldProblem {
  field: "document" | "operation" | "bc_idx" | "bc_size" | "bc_crc" | "bc_url";
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
  if (problems.length > 0) {
    const reasons: string[] = [];
    for (let i = 0; i < problems.length; i++) reasons.push(problems[i].reason);
    return { ok: false, problems, reason: reasons.join("; ") };
  }
  return { ok: true, document: { operation: "fota", bc_idx: index, bc_size: size, bc_crc: md5, bc_url: url } };
}
