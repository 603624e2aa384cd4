// The boot policy, run by the loader image (.bootcde) at every start: decide
// from the boot record which slot runs, settle a trial that did not confirm,
// check the image's CRC-32 with the interpreter's native E.CRC32, then run it
// with the trial's guards (crash at start, confirm window, watchdog).
// The record's states and power-failure cases are written down in record.ts.
import type { BoardLayout } from "../board/layout";
import { crc32 } from "../crypto/crc32";
import { BootRecord } from "./record";
import { countTrialStart, markInvalid, rollBack } from "./transitions";
import type { BootState } from "./entry";
import type { FlashPages } from "./log";
import { setBootContext, type BootContext } from "./context";

export interface LoaderSettings {
  /** Seconds a trial image has to call confirm() before it is rolled back. */
  confirmWindowS: number;
  /** Watchdog timeout while a trial runs (auto-kicked when idle, so only a hang trips it); 0: off. */
  watchdogS: number;
}

export const DEFAULT_SETTINGS: LoaderSettings = { confirmWindowS: 180, watchdogS: 30 };

/** What the loader decided, for its console line and for tests. */
export interface BootDecision {
  slot: number | null;
  trial: boolean;
  /** Human-readable notes: rollbacks, CRC failures. */
  notes: string[];
}

/**
 * Reads the record, settles what the last start left behind, and picks the
 * slot to run. Every change it makes is written to the record before the
 * image runs, so a reset at any point repeats the same decision or a safer one.
 */
export function decideBoot(record: BootRecord, flash: FlashPages, layout: BoardLayout): BootDecision {
  const notes: string[] = [];
  let s = record.state();
  if (s.trial !== null && s.trialStarts > 0) {
    // The trial ran and the board started again without confirm(), and
    // without the sharper reason the confirm timer or crash guard records.
    notes.push("slot " + s.trial + " restarted before confirm(): rolled back");
    s = record.change((st) => rollBack(st, "restarted", "restarted before confirm() (watchdog reset or power loss)"));
  }
  // A slot whose CRC fails is marked invalid, which ends its trial or hands
  // confirmation to another valid slot; at most one pass per slot.
  for (let attempt = 0; attempt <= layout.slots.length; attempt++) {
    const trial = s.trial !== null;
    const slot = trial ? s.trial : s.confirmed;
    if (slot === null) return { slot: null, trial: false, notes };
    const found = imageCrc(flash, layout, s, slot);
    const expected = s.slots[slot].crc32;
    if (found === expected) {
      if (trial) record.change(countTrialStart);
      return { slot, trial, notes };
    }
    notes.push("slot " + slot + " fails its CRC-32 (" + hex(found) + ", expected " + hex(expected) + ")");
    const detail = "CRC-32 " + hex(found) + " instead of " + hex(expected) + " at boot";
    s = record.change((st) => markInvalid(st, slot, "image-corrupt", detail));
  }
  return { slot: null, trial: false, notes };
}

/**
 * Runs the chosen slot. A trial image is guarded: an exception while it
 * starts, or no confirm() within the window, rolls it back and reboots.
 */
export function runSlot(decision: BootDecision, record: BootRecord, flash: FlashPages, layout: BoardLayout, settings: LoaderSettings, evaluate: (code: string) => void): void {
  const slot = decision.slot;
  if (slot === null) return;
  const state = record.state();
  const meta = state.slots[slot];
  const context: BootContext = { slot, trial: decision.trial, version: meta.version, md5: meta.md5, confirmTimer: undefined };
  if (decision.trial) {
    if (settings.watchdogS > 0) E.enableWatchdog(settings.watchdogS, true);
    context.confirmTimer = setTimeout(() => {
      record.change((st) => rollBack(st, "not-confirmed", "not confirmed within " + settings.confirmWindowS + " s"));
      E.reboot();
    }, settings.confirmWindowS * 1000);
  }
  setBootContext(context);
  const code = E.toString(flash.read(meta.size, layout.slots[slot].start));
  try {
    evaluate(code);
  } catch (e) {
    if (!decision.trial) throw e;
    clearTimeout(context.confirmTimer);
    const detail = "crashed at start: " + describe(e);
    record.change((st) => rollBack(st, "crashed", detail));
    E.reboot();
  }
}

function imageCrc(flash: FlashPages, layout: BoardLayout, s: BootState, slot: number): number {
  const meta = s.slots[slot];
  if (meta.size <= 0 || meta.size > layout.slots[slot].size) return -1;
  return crc32(flash.read(meta.size, layout.slots[slot].start));
}

function hex(n: number): string {
  return n < 0 ? "none" : ("0000000" + (n >>> 0).toString(16)).slice(-8);
}

function describe(e: unknown): string {
  if (e && typeof e === "object" && "message" in e) return String((e as { message: unknown }).message);
  return String(e);
}
