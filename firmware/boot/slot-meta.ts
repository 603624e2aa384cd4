// What the boot record knows about the image in each code slot.
//
// Where it lives: inside every boot record entry, not in the slot. A slot's
// metadata changes exactly when its state does (erased for writing, written
// and verified, put on trial, confirmed, rolled back), and one entry written
// in one flash write is one atomic, checksummed truth about both. A metadata
// page in the slot would need its own power-safety and a link back to the
// record, would cost a page of every slot (the Linux board's app budget is the
// whole slot), and could not record that a slot is being overwritten before
// its first page is erased.

import { getText, getU32, putText, putU32 } from "./fields";

/**
 * The life of an image in a slot (ESP-IDF's image states, plus the two a
 * streaming writer needs): empty → writing → new → pending-verify → valid,
 * or → invalid (failed to download, verify or check) / aborted (trial rolled back).
 */
export type SlotState = "empty" | "writing" | "new" | "pending-verify" | "valid" | "invalid" | "aborted";

/** Byte codes on flash; the index is the code. Never reorder: entries on boards use them. */
export const SLOT_STATES: SlotState[] = ["empty", "writing", "new", "pending-verify", "valid", "invalid", "aborted"];

export interface SlotMeta {
  state: SlotState;
  /** Image length in bytes (0 when the slot holds no image); while writing, the size the job announced. */
  size: number;
  /** CRC-32 of the image's bytes, checked by the loader (native E.CRC32) before it runs the slot; 0 while writing. */
  crc32: number;
  /** MD5 of the image, 32 lower-case hex digits (the job's bc_crc; while writing, the one it announced), or "". */
  md5: string;
  /** Bytes stored and checked: the size, except while writing, where a cut download resumes from it. */
  stored: number;
  /** The image's security counter (0: unsigned). */
  counter: number;
  /** Version of the image, if the job gave one. */
  version: string;
  /** The job that wrote the image (and reports its outcome). */
  jobId: string;
}

export const VERSION_BYTES = 20;
/** AWS IoT job ids are at most 64 characters. */
export const JOB_ID_BYTES = 64;
/** Encoded size: state, 3 reserved, size, CRC-32, MD5 (16 bytes), stored, counter, version, job id. */
export const SLOT_META_BYTES = 36 + VERSION_BYTES + JOB_ID_BYTES;

export function emptySlot(): SlotMeta {
  return { state: "empty", size: 0, crc32: 0, md5: "", stored: 0, counter: 0, version: "", jobId: "" };
}

/** Why a SlotMeta cannot be stored, or "" if it can. */
export function slotMetaProblem(m: SlotMeta): string {
  if (SLOT_STATES.indexOf(m.state) < 0) return "unknown slot state " + m.state;
  if (!isU32(m.size)) return "bad image size " + m.size;
  if (!isU32(m.crc32)) return "bad CRC-32 " + m.crc32;
  if (!isU32(m.counter)) return "bad security counter " + m.counter;
  if (!(isU32(m.stored) && m.stored <= m.size)) return "stored " + m.stored + " of " + m.size + " bytes";
  if (m.stored !== m.size && m.state !== "writing") return "only a slot being written may be partly stored";
  if (m.md5 !== "" && !isMd5Hex(m.md5)) return "MD5 must be 32 lower-case hex digits: " + m.md5;
  if (m.version.length > VERSION_BYTES) return "version longer than " + VERSION_BYTES + " bytes";
  if (m.jobId.length > JOB_ID_BYTES) return "job id longer than " + JOB_ID_BYTES + " bytes";
  return "";
}

/** An unsigned 32-bit integer, as the record stores numbers. */
export function isU32(n: number): boolean {
  return n >= 0 && n <= 0xffffffff && n % 1 === 0;
}

export function isMd5Hex(s: string): boolean {
  if (s.length !== 32) return false;
  for (let i = 0; i < 32; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

export function encodeSlotMeta(m: SlotMeta, buf: Uint8Array, at: number): void {
  buf[at] = SLOT_STATES.indexOf(m.state);
  buf[at + 1] = buf[at + 2] = buf[at + 3] = 0;
  putU32(buf, at + 4, m.size);
  putU32(buf, at + 8, m.crc32);
  for (let i = 0; i < 16; i++) buf[at + 12 + i] = m.md5 === "" ? 0 : parseInt(m.md5.substr(2 * i, 2), 16);
  putU32(buf, at + 28, m.stored);
  putU32(buf, at + 32, m.counter);
  putText(buf, at + 36, VERSION_BYTES, m.version);
  putText(buf, at + 36 + VERSION_BYTES, JOB_ID_BYTES, m.jobId);
}

/** Decodes one slot's metadata; undefined if its state code is unknown. */
export function decodeSlotMeta(buf: Uint8Array, at: number): SlotMeta | undefined {
  const state = SLOT_STATES[buf[at]];
  if (state === undefined) return undefined;
  let md5 = "";
  let allZero = true;
  for (let i = 0; i < 16; i++) {
    const b = buf[at + 12 + i];
    if (b !== 0) allZero = false;
    md5 += (256 + b).toString(16).substring(1);
  }
  return {
    state,
    size: getU32(buf, at + 4),
    crc32: getU32(buf, at + 8),
    md5: allZero ? "" : md5,
    stored: getU32(buf, at + 28),
    counter: getU32(buf, at + 32),
    version: getText(buf, at + 36, VERSION_BYTES),
    jobId: getText(buf, at + 36 + VERSION_BYTES, JOB_ID_BYTES),
  };
}
