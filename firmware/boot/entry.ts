// One boot record entry: a whole snapshot of the boot state, fixed size,
// checksummed. The codec only; its layout is section 2 of docs/boot-record.md,
// the rules for changing the state are in transitions.ts, and where entries go
// in flash is log.ts's business.
import { getText, getU32, putText, putU32 } from "./fields";
import { crc32 } from "../crypto/crc32";
import { decodeSlotMeta, encodeSlotMeta, isU32, SLOT_META_BYTES, SlotMeta, slotMetaProblem } from "./slot-meta";

/** Why the last trial or update failed. Codes on flash are the index: never reorder. */
export type FailureReason =
  | "none"
  /** The trial image did not call confirm() within its window. */
  | "not-confirmed"
  /** The trial image threw while starting. */
  | "crashed"
  /** The board restarted (watchdog, power) while the trial image ran, before it confirmed. */
  | "restarted"
  /** A slot failed its CRC-32 check before running. */
  | "image-corrupt"
  /** Download, write or verification of a new image failed. */
  | "update-failed"
  /** Verify at boot: the slot's signature page, signature or bytes did not check (docs/boot-record.md, row C5). */
  | "signature-invalid";

export const FAILURE_REASONS: FailureReason[] = ["none", "not-confirmed", "crashed", "restarted", "image-corrupt", "update-failed", "signature-invalid"];

export interface Failure {
  reason: FailureReason;
  /** The slot whose image failed; its metadata names the job (until the slot is written again). */
  slot: number;
  /** What happened, for people ("crashed at start: Uncaught ..."); cut to DETAIL_BYTES. */
  detail: string;
}

export interface BootState {
  /** Sequence number of the entry this state was read from (0: nothing written yet). */
  seq: number;
  /** The highest security counter of an image ever confirmed: no image with a lower one is installed. */
  counterFloor: number;
  /** The slot that runs when no trial is pending; null only before provisioning. */
  confirmed: number | null;
  /** The slot on trial (marked by test(), not yet confirmed), or null. */
  trial: number | null;
  /** How many times the loader started the trial slot. */
  trialStarts: number;
  /** The last failure, kept until the next one (the old image reports it). */
  failure: Failure | null;
  slots: SlotMeta[];
}

/** The entry layout's version: "FBR2" on flash. The loader owns it; an image checks it (boot/context.ts). */
export const RECORD_FORMAT = 2;
const MAGIC = 0x32524246; // "FBR2" as bytes on flash
const NONE = 0xff;
export const DETAIL_BYTES = 64;
const DETAIL_AT = 20;
const SLOTS_AT = DETAIL_AT + DETAIL_BYTES;

/** Size in bytes of one entry for a board with this many slots. */
export function entrySize(slotCount: number): number {
  // Integer arithmetic: the interpreter's Math.ceil returns a float, and flash addresses must be integers.
  return ((SLOTS_AT + slotCount * SLOT_META_BYTES + 4 + 15) >> 4) << 4;
}

/** Why a state cannot be stored as it is (an invariant it breaks), or "" if it can. */
export function stateProblem(s: BootState): string {
  const n = s.slots.length;
  if (n < 1 || n > 254) return "bad slot count " + n;
  if (!isU32(s.seq)) return "bad sequence number " + s.seq;
  if (!isU32(s.counterFloor)) return "bad security counter floor " + s.counterFloor;
  if (s.confirmed !== null && !(s.confirmed >= 0 && s.confirmed < n && s.confirmed % 1 === 0)) return "confirmed slot " + s.confirmed + " out of range";
  if (s.trial !== null && !(s.trial >= 0 && s.trial < n && s.trial % 1 === 0)) return "trial slot " + s.trial + " out of range";
  if (!(s.trialStarts >= 0 && s.trialStarts <= 255 && s.trialStarts % 1 === 0)) return "bad trial start count " + s.trialStarts;
  if (s.confirmed !== null && s.slots[s.confirmed].state !== "valid") return "the confirmed slot is " + s.slots[s.confirmed].state + ", not valid";
  if (s.trial !== null) {
    if (s.trial === s.confirmed) return "the confirmed slot cannot also be on trial";
    const t = s.slots[s.trial].state;
    if (t !== "new" && t !== "pending-verify") return "the trial slot is " + t + ", not new or pending-verify";
    if ((t === "new") !== (s.trialStarts === 0)) return "trial slot state " + t + " disagrees with " + s.trialStarts + " starts";
  } else if (s.trialStarts !== 0) return "trial starts counted with no trial";
  for (let i = 0; i < n; i++) {
    const p = slotMetaProblem(s.slots[i]);
    if (p) return "slot " + i + ": " + p;
    if (s.slots[i].state === "pending-verify" && s.trial !== i) return "slot " + i + " is pending-verify but not on trial";
  }
  if (s.failure) {
    if (FAILURE_REASONS.indexOf(s.failure.reason) <= 0) return "bad failure reason " + s.failure.reason;
    if (!(s.failure.slot >= 0 && s.failure.slot < n)) return "failure slot " + s.failure.slot + " out of range";
  }
  return "";
}

export function encodeEntry(s: BootState): Uint8Array {
  const problem = stateProblem(s);
  if (problem) throw new Error("boot record: refusing to write an invalid state: " + problem);
  const n = s.slots.length;
  const buf = new Uint8Array(entrySize(n));
  putU32(buf, 0, MAGIC);
  putU32(buf, 4, s.seq);
  buf[8] = s.confirmed === null ? NONE : s.confirmed;
  buf[9] = s.trial === null ? NONE : s.trial;
  buf[10] = s.trialStarts;
  buf[11] = s.failure ? FAILURE_REASONS.indexOf(s.failure.reason) : 0;
  buf[12] = s.failure ? s.failure.slot : NONE;
  buf[13] = n;
  putU32(buf, 16, s.counterFloor);
  putText(buf, DETAIL_AT, DETAIL_BYTES, s.failure ? s.failure.detail : "");
  for (let i = 0; i < n; i++) encodeSlotMeta(s.slots[i], buf, SLOTS_AT + i * SLOT_META_BYTES);
  putU32(buf, buf.length - 4, crc32(buf.subarray(0, buf.length - 4)));
  return buf;
}

/** True if the bytes start like an entry (cheap test before the CRC). */
export function hasMagic(buf: Uint8Array, at: number): boolean {
  return getU32(buf, at) === MAGIC;
}

/**
 * Decodes the entry at buf[at..]: undefined unless its magic, CRC, slot count
 * and every invariant hold. A torn write never passes.
 */
export function decodeEntry(buf: Uint8Array, at: number, slotCount: number): BootState | undefined {
  const size = entrySize(slotCount);
  if (!hasMagic(buf, at) || buf[at + 13] !== slotCount) return undefined;
  if (crc32(buf.subarray(at, at + size - 4)) !== getU32(buf, at + size - 4)) return undefined;
  const slots: SlotMeta[] = [];
  for (let i = 0; i < slotCount; i++) {
    const m = decodeSlotMeta(buf, at + SLOTS_AT + i * SLOT_META_BYTES);
    if (!m) return undefined;
    slots.push(m);
  }
  const reason = FAILURE_REASONS[buf[at + 11]];
  if (reason === undefined) return undefined;
  const state: BootState = {
    seq: getU32(buf, at + 4),
    counterFloor: getU32(buf, at + 16),
    confirmed: buf[at + 8] === NONE ? null : buf[at + 8],
    trial: buf[at + 9] === NONE ? null : buf[at + 9],
    trialStarts: buf[at + 10],
    failure: reason === "none" ? null : { reason, slot: buf[at + 12], detail: getText(buf, at + DETAIL_AT, DETAIL_BYTES) },
    slots,
  };
  return stateProblem(state) ? undefined : state;
}
