// The FOTA calls an application makes, as the earlier library named them:
// test() marks a freshly updated slot for one trial start, confirm() makes
// the running trial image permanent, reset() restarts, status() says what
// runs and what last failed. update() (download and verify) is in update.ts.
// All of them go through the loader's boot record (boot/context.ts).
import { confirm as confirmTrial, startTrial } from "../boot/transitions";
import { bootContext, bootRecord } from "../boot/context";
import type { FailureReason } from "../boot/entry";

export interface FotaStatus {
  /** The slot running now (null when the image was not started by the loader). */
  slot: number | null;
  version: string;
  md5: string;
  /** True while this image runs on trial: confirm() is still due. */
  trial: boolean;
  /** The last failed trial or update, with the job that caused it. */
  lastFailure: { reason: FailureReason; slot: number; detail: string; jobId: string } | null;
}

export function status(): FotaStatus {
  const ctx = bootContext();
  if (!ctx) return { slot: null, version: "", md5: "", trial: false, lastFailure: null };
  const s = bootRecord().state();
  const meta = s.slots[ctx.slot];
  const f = s.failure;
  return {
    slot: ctx.slot,
    version: meta.version,
    md5: meta.md5,
    trial: ctx.trial && s.trial === ctx.slot,
    lastFailure: f && f.reason !== "none" ? { reason: f.reason, slot: f.slot, detail: f.detail, jobId: s.slots[f.slot].jobId } : null,
  };
}

/**
 * After update() succeeded: the next start runs `slot` once, on trial, for
 * the job `jobId`; a reset must follow. Throws if the slot does not hold a
 * freshly verified image.
 */
export function test(slot: number, jobId: string): void {
  bootRecord().change((s) => startTrial(s, slot, jobId));
}

/** Called by a trial image once it works: it stays. Returns false when nothing was on trial. */
export function confirm(): boolean {
  const ctx = bootContext();
  if (!ctx || !ctx.trial) return false;
  const record = bootRecord();
  if (record.state().trial !== ctx.slot) return false;
  record.change(confirmTrial);
  clearTimeout(ctx.confirmTimer);
  ctx.trial = false;
  return true;
}

export function reset(): void {
  E.reboot();
}
