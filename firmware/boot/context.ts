// What the loader tells the image it started: which slot, whether on trial,
// the trial's confirm timer, and the boot record itself. The loader and the
// application are separate bundles, so this is handed over in one global,
// written only by the loader.
//
// The image changes the record through the loader's BootRecord, never one of
// its own: one reader of the record pages per start, so no stale copy of the
// log's position ever appends (the loader's confirm timer writes too), and
// the record format is the one the loader, installed by `fota flash`, speaks.
import type { BootRecord } from "./record";
import { RECORD_FORMAT } from "./entry";

export interface BootContext {
  slot: number;
  trial: boolean;
  version: string;
  md5: string;
  /** The trial's confirm-window timer; confirm() clears it. */
  confirmTimer: number | undefined;
  record: BootRecord;
  /** The loader's RECORD_FORMAT. */
  recordFormat: number;
}

declare const global: { __fotaBoot?: BootContext };

export function setBootContext(context: BootContext): void {
  global.__fotaBoot = context;
}

/** Undefined when the image was not started by the loader (e.g. sent over the console). */
export function bootContext(): BootContext | undefined {
  return global.__fotaBoot;
}

/**
 * The boot record, as the loader that started this image reads it. Throws,
 * saying why, when there is none or when its format is not this image's.
 */
export function bootRecord(): BootRecord {
  const ctx = bootContext();
  if (!ctx) throw new Error("boot record: this image was not started by the loader");
  if (ctx.recordFormat !== RECORD_FORMAT) {
    throw new Error("boot record: the loader speaks record format " + ctx.recordFormat + ", this image format " + RECORD_FORMAT + ": reprovision the board (fota flash)");
  }
  return ctx.record;
}
