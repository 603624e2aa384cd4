// The run copy: the image that runs now, copied from its raw code slot into
// the data pages of the Storage file RUN_COPY, because code evaluated from a
// Storage string stays in flash while code evaluated from RAM fills the
// variable pool. `fota flash` creates the file once, over exactly the board's
// runCopy region; the loader rewrites only its data pages, raw, so no power
// cut can leave Storage's chain of headers corrupt (docs/boot-record.md,
// sections 1 and 5, rows C1 to C4).
import type { Region } from "../board/layout";
import { isFileHeader, STORAGE_HEADER_BYTES } from "./storage-header";

export const RUN_COPY = "fota.run";

/** What runs: a string to evaluate, and where it lives. */
export interface Runnable {
  code: string;
  /** "run copy": found in Storage (row C1); "new run copy": made now (row C2); "ram": no run copy could be had (row C4). */
  from: "run copy" | "new run copy" | "ram";
  /** Why it runs from RAM, for the console. */
  note?: string;
}

/** The interlock before any raw write: fota.run's header lies right before the region, with the region's size. */
export function hasRunCopyFile(flash: FlashModule, runCopy: Region): boolean {
  return isFileHeader(flash.read(STORAGE_HEADER_BYTES, runCopy.start - STORAGE_HEADER_BYTES), RUN_COPY, runCopy.size);
}

/**
 * The image of `slot` (`size` bytes with CRC-32 `crc`) ready to evaluate: the
 * run copy, made first if it does not match; the raw image read into RAM if
 * no run copy can be had; undefined if the raw slot's bytes do not have that
 * CRC-32 (the image is corrupt).
 */
export function runnableImage(flash: FlashModule, slot: Region, size: number, crc: number, pageSize: number, runCopy: Region): Runnable | undefined {
  if (!(size > 0 && size <= slot.size && size <= runCopy.size)) return undefined;
  const Storage = require("Storage");
  let note: string;
  if (!hasRunCopyFile(flash, runCopy)) {
    note = "no " + RUN_COPY + " over the run copy region; reprovision the board (fota flash)";
  } else {
    const found = Storage.read(RUN_COPY, 0, size);
    if (matches(found, size, crc)) return { code: found!, from: "run copy" };
    for (let at = 0; at < size; at += pageSize) {
      const page = flash.read(size - at < pageSize ? size - at : pageSize, slot.start + at);
      flash.erasePage(runCopy.start + at);
      flash.write(page, runCopy.start + at);
    }
    const made = Storage.read(RUN_COPY, 0, size);
    if (matches(made, size, crc)) return { code: made!, from: "new run copy" };
    note = "the copy reads back wrong";
  }
  // No run copy: the slot is either corrupt (C3), or the image runs from RAM (C4).
  const code = E.toString(flash.read(size, slot.start));
  if ((E.CRC32(code) >>> 0) !== crc) return undefined;
  return { code, from: "ram", note };
}

function matches(copy: string | undefined, size: number, crc: number): boolean {
  return copy !== undefined && copy.length === size && (E.CRC32(copy) >>> 0) === crc;
}
