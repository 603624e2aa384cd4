// The boot record's state machine (docs/boot-record.md, section 3): each
// transition edits a copy of the state (BootRecord.change makes it durable)
// or throws, naming what forbids it.
import { BootState, DETAIL_BYTES, FailureReason } from "./entry";
import { emptySlot, SlotMeta, SlotState } from "./slot-meta";

/** What update() knows once an image is written and verified. */
export interface ImageInfo {
  size: number;
  crc32: number;
  md5: string;
  /** Security counter of a signed image; 0 when unsigned. */
  counter: number;
  version: string;
  jobId: string;
}

/** What a job announces before its image is downloaded: enough to resume it after a restart. */
export interface WriteTarget {
  size: number;
  md5: string;
  version: string;
  jobId: string;
}

/** First boot of a board: the image installed in `slot` is the confirmed one. */
export function provision(s: BootState, slot: number, image: ImageInfo): void {
  checkSlot(s, slot);
  if (s.trial === slot) {
    s.trial = null;
    s.trialStarts = 0;
  }
  setImage(s.slots[slot], "valid", image);
  s.confirmed = slot;
  raiseFloor(s, image.counter);
}

/** Before the first erase of a slot for a new image. Refuses the confirmed and the trial slot. */
export function beginWrite(s: BootState, slot: number, target: WriteTarget): void {
  checkSlot(s, slot);
  if (slot === s.confirmed) throw new Error("boot record: slot " + slot + " holds the confirmed image");
  if (slot === s.trial) throw new Error("boot record: slot " + slot + " is on trial");
  const m = (s.slots[slot] = emptySlot());
  m.state = "writing";
  m.size = target.size;
  m.md5 = target.md5;
  m.version = target.version;
  m.jobId = target.jobId;
}

/** A download into `slot` has stored and checked its first `stored` bytes: where it resumes after a restart. */
export function progress(s: BootState, slot: number, stored: number): void {
  expectState(s, slot, "writing");
  s.slots[slot].stored = stored;
}

/** The image in `slot` is completely written and verified (size and MD5 match). */
export function imageWritten(s: BootState, slot: number, image: ImageInfo): void {
  expectState(s, slot, "writing");
  setImage(s.slots[slot], "new", image);
}

/** test(): the next start runs `slot` once, on trial, for the job `jobId`. */
export function startTrial(s: BootState, slot: number, jobId: string): void {
  expectState(s, slot, "new");
  if (s.trial !== null) throw new Error("boot record: slot " + s.trial + " is already on trial");
  s.trial = slot;
  s.trialStarts = 0;
  s.slots[slot].jobId = jobId;
}

/** The loader, just before it runs the trial slot. */
export function countTrialStart(s: BootState): void {
  if (s.trial === null) throw new Error("boot record: no slot is on trial");
  if (s.trialStarts >= 255) throw new Error("boot record: trial start count overflow");
  s.trialStarts++;
  s.slots[s.trial].state = "pending-verify";
}

/** confirm(): the trial slot becomes the confirmed one; the old one stays valid; its counter becomes the floor. */
export function confirm(s: BootState): void {
  if (s.trial === null) throw new Error("boot record: no slot is on trial");
  if (s.trialStarts === 0) throw new Error("boot record: the trial slot has not been started");
  const m = s.slots[s.trial];
  m.state = "valid";
  raiseFloor(s, m.counter);
  s.confirmed = s.trial;
  s.trial = null;
  s.trialStarts = 0;
}

/** The trial failed: back to the confirmed slot, keeping why for the old image to report. */
export function rollBack(s: BootState, reason: FailureReason, detail: string): void {
  if (s.trial === null) throw new Error("boot record: no slot is on trial");
  s.slots[s.trial].state = "aborted";
  s.failure = { reason, slot: s.trial, detail: detail.substring(0, DETAIL_BYTES) };
  s.trial = null;
  s.trialStarts = 0;
}

/**
 * A slot's image is unusable (a failed update, or an image that fails its
 * CRC-32). If it was confirmed, another valid slot takes over (none: null);
 * if it was on trial, the trial ends.
 */
export function markInvalid(s: BootState, slot: number, reason: FailureReason, detail: string): void {
  checkSlot(s, slot);
  const m = s.slots[slot];
  m.state = "invalid";
  m.stored = m.size;
  s.failure = { reason, slot, detail: detail.substring(0, DETAIL_BYTES) };
  if (s.trial === slot) {
    s.trial = null;
    s.trialStarts = 0;
  }
  if (s.confirmed === slot) {
    s.confirmed = null;
    for (let i = 0; i < s.slots.length && s.confirmed === null; i++) if (s.slots[i].state === "valid") s.confirmed = i;
  }
}

function raiseFloor(s: BootState, counter: number): void {
  if (counter > s.counterFloor) s.counterFloor = counter;
}

function checkSlot(s: BootState, slot: number): void {
  if (!(slot >= 0 && slot < s.slots.length && slot % 1 === 0)) throw new Error("boot record: no slot " + slot);
}

function expectState(s: BootState, slot: number, state: SlotState): void {
  checkSlot(s, slot);
  if (s.slots[slot].state !== state) throw new Error("boot record: slot " + slot + " is " + s.slots[slot].state + ", not " + state);
}

function setImage(m: SlotMeta, state: SlotState, image: ImageInfo): void {
  m.state = state;
  m.size = image.size;
  m.crc32 = image.crc32;
  m.md5 = image.md5;
  m.stored = image.size;
  m.counter = image.counter;
  m.version = image.version;
  m.jobId = image.jobId;
}
