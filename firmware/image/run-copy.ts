// The run copy: the image that runs now, copied from its raw code slot into
// the Storage file RUN_COPY, because code evaluated from a Storage string
// stays in flash while code evaluated from RAM fills the variable pool.
// It is only a cache of the raw slot, checked against the record's size and
// CRC-32 at every start and made again when it does not match
// (docs/boot-record.md, section 5, rows C1 to C4).
import type { Region } from "../board/layout";

export const RUN_COPY = "fota.run";

/** A Storage file's header, and its data's alignment (the interpreter's src/jsflash.c). */
const STORAGE_HEADER_BYTES = 32;

/** What runs: a string to evaluate, and where it lives. */
export interface Runnable {
  code: string;
  /** "run copy": found in Storage (row C1); "new run copy": made now (row C2); "ram": Storage could not hold it (row C4). */
  from: "run copy" | "new run copy" | "ram";
  /** Why it runs from RAM, for the console. */
  note?: string;
}

/**
 * The image of `slot` (`size` bytes with CRC-32 `crc`) ready to evaluate: the
 * run copy, made first if it does not match; the raw image read into RAM if
 * Storage cannot hold the copy; undefined if the raw slot's bytes do not have
 * that CRC-32 (the image is corrupt).
 */
export function runnableImage(flash: FlashModule, slot: Region, size: number, crc: number, pageSize: number, storage: Region): Runnable | undefined {
  if (!(size > 0 && size <= slot.size)) return undefined;
  const Storage = require("Storage");
  if (matches(Storage.read(RUN_COPY), size, crc)) return { code: Storage.read(RUN_COPY)!, from: "run copy" };
  let problem = "";
  try {
    makeRoom(size, storage, pageSize);
    // The first write creates the file with its full size; the others fill it in place.
    for (let at = 0; at < size; at += pageSize) Storage.write(RUN_COPY, flash.read(size - at < pageSize ? size - at : pageSize, slot.start + at), at, size);
    const copy = Storage.read(RUN_COPY);
    if (matches(copy, size, crc)) return { code: copy!, from: "new run copy" };
    problem = "the copy in Storage reads back wrong";
  } catch (e) {
    problem = (e as Error).message || String(e);
  }
  // The copy failed: either the slot is corrupt, or Storage is (full, damaged).
  const code = E.toString(flash.read(size, slot.start));
  if ((E.CRC32(code) >>> 0) !== crc) return undefined;
  return { code, from: "ram", note: problem };
}

function matches(copy: string | undefined, size: number, crc: number): boolean {
  return copy !== undefined && copy.length === size && (E.CRC32(copy) >>> 0) === crc;
}

/**
 * Keeps Storage inside the board's Storage region, short of its last page:
 * when the copy would end past that, the old copy (the first erased file
 * Storage will ever hold, so a compaction starts at its page and leaves the
 * loader and configuration alone) is erased and Storage compacted. The last
 * page stays blank because the interpreter's power-on check reads the page
 * after the one where Storage ends: on Linux that is slot 0, and raw data
 * there makes it erase the whole flash (docs/interpreter.md, Storage).
 */
function makeRoom(size: number, storage: Region, pageSize: number): void {
  const Storage = require("Storage");
  const needed = STORAGE_HEADER_BYTES + ((size + 3) & ~3);
  const end = () => {
    const stats = Storage.getStats();
    return stats.totalBytes - stats.freeBytes;
  };
  const limit = storage.size - pageSize;
  if (end() + needed < limit) return;
  Storage.erase(RUN_COPY);
  Storage.compact();
  if (end() + needed >= limit) throw new Error("Storage has no room for a " + size + "-byte run copy");
}
