// The boot policy, run by the loader image (.bootcde) at every start: settle a
// trial that did not confirm, pick the slot the record names, get its image
// ready to run from Storage (checked against the record's CRC-32), then run it
// with the trial's guards (crash at start, confirm window, watchdog).
// docs/boot-record.md, section 5, is the table this follows (rows A1 to D2),
// with the signature check of verify at boot (row C5) when the board has it on.
import type { BoardLayout } from "../board/layout";
import type { BootRecord } from "./record";
import type { SlotMeta } from "./slot-meta";
import { countTrialStart, markInvalid, rollBack } from "./transitions";
import { RECORD_FORMAT } from "./entry";
import { setBootContext, type BootContext } from "./context";
import { runnableImage, type Runnable } from "../image/run-copy";

export interface LoaderSettings {
  /** Seconds a trial image has to call confirm() before it is rolled back. */
  confirmWindowS: number;
  /** Watchdog timeout while a trial runs (auto-kicked when idle, so only a hang trips it); 0: off. */
  watchdogS: number;
  /** Check each slot's signature before running it (the boot verifier, docs/signing.md, "Verify at boot"). */
  verifyAtBoot: boolean;
}

export const DEFAULT_SETTINGS: LoaderSettings = { confirmWindowS: 180, watchdogS: 30, verifyAtBoot: false };

/**
 * Verify at boot: does the image about to run from `slot` (its raw bytes and
 * `code`, what will be evaluated) carry its owner's signature? ok: `text` says
 * what it cost; not ok: `text` is the refusal, starting with its name.
 */
export type BootCheck = (slot: number, meta: SlotMeta, code: string) => { ok: boolean; text: string };

/** What the loader decided, for its console line and for tests. */
export interface BootDecision {
  /** The slot to run and its image; null when no slot holds a valid image (row A1). */
  slot: number | null;
  trial: boolean;
  image?: Runnable;
  /** Human-readable notes: rollbacks, corrupt images. */
  notes: string[];
}

/**
 * Reads the record, settles what the last start left behind, and picks the
 * slot to run. Every change it makes is written to the record before the
 * image runs, so a reset at any point repeats the same decision or a safer one.
 */
export function decideBoot(record: BootRecord, flash: FlashModule, layout: BoardLayout, check?: BootCheck): BootDecision {
  const notes: string[] = [];
  let s = record.state();
  if (s.trial !== null && s.trialStarts > 0) {
    // Row A2: the trial ran and the board started again without confirm(),
    // and without the sharper reason the confirm timer or crash guard records.
    notes.push("slot " + s.trial + " restarted before confirm(): rolled back");
    s = record.change((st) => rollBack(st, "restarted", "restarted before confirm() (watchdog reset or power loss)"));
  }
  // Row C3: a corrupt image is marked invalid, which ends its trial or hands
  // confirmation to another valid slot; at most one pass per slot.
  for (let attempt = 0; attempt <= layout.slots.length; attempt++) {
    const trial = s.trial !== null;
    const slot = trial ? s.trial : s.confirmed;
    if (slot === null) break;
    const meta = s.slots[slot];
    const image = runnableImage(flash, layout.slots[slot], meta.size, meta.crc32, layout.pageSize, layout.runCopy);
    if (!image) {
      notes.push("slot " + slot + " fails its CRC-32: not run");
      s = record.change((st) => markInvalid(st, slot, "image-corrupt", "CRC-32 mismatch at boot"));
      continue;
    }
    // Row C5: the bytes that run (the run copy, accepted on a CRC-32 alone) are checked, not only the raw slot.
    const verdict = check ? check(slot, meta, image.code) : { ok: true, text: "" };
    if (!verdict.ok) {
      notes.push("slot " + slot + " refused at boot: " + verdict.text);
      s = record.change((st) => markInvalid(st, slot, "signature-invalid", verdict.text));
      continue;
    }
    if (verdict.text) notes.push("slot " + slot + " " + verdict.text);
    if (trial) record.change(countTrialStart);
    return { slot, trial, image, notes };
  }
  return { slot: null, trial: false, notes };
}

/** The chosen image, ready to run: its code, and what to do if evaluating it throws. */
export interface ReadyImage {
  code: string;
  crashed: (e: unknown) => void;
}

/**
 * Makes the chosen image ready to run, and hands it to the root statement
 * after the loader's bundle (firmware/loader/root-run.ts), which evaluates it.
 * A trial image is guarded: an exception while it starts, or no confirm()
 * within the window, rolls it back and reboots.
 */
export function readySlot(decision: BootDecision, record: BootRecord, settings: LoaderSettings): ReadyImage | undefined {
  const slot = decision.slot;
  if (slot === null || !decision.image) return undefined;
  const meta = record.state().slots[slot];
  const context: BootContext = { slot, trial: decision.trial, version: meta.version, md5: meta.md5, confirmTimer: undefined, record, recordFormat: RECORD_FORMAT };
  if (decision.trial) {
    if (settings.watchdogS > 0) E.enableWatchdog(settings.watchdogS, true);
    context.confirmTimer = setTimeout(() => {
      record.change((st) => rollBack(st, "not-confirmed", "not confirmed within " + settings.confirmWindowS + " s"));
      E.reboot();
    }, settings.confirmWindowS * 1000);
  }
  setBootContext(context);
  return {
    code: decision.image.code,
    crashed: (e) => {
      if (!decision.trial) throw e;
      clearTimeout(context.confirmTimer);
      const detail = "crashed at start: " + describe(e);
      record.change((st) => rollBack(st, "crashed", detail));
      E.reboot();
    },
  };
}

function describe(e: unknown): string {
  return e && typeof e === "object" && "message" in e ? String((e as { message: unknown }).message) : String(e);
}
