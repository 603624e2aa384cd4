// The flash layout of one board, as the build compiles it into every image.
// Validated on the host (host/toolchain/board.ts), so device code trusts it.

/** A range of flash addresses, [start, start + size). */
export interface Region {
  name: string;
  start: number;
  size: number;
}

export interface BoardLayout {
  /** Short board name, also the dist/ folder name. */
  name: string;
  /** All addresses `require("Flash")` accepts on this board. */
  flash: Region;
  /** Erase unit in bytes; every region starts and ends on a page boundary. */
  pageSize: number;
  /** Code slots, each holding one application image. */
  slots: Region[];
  /** Pages given to the power-safe boot record. */
  bootRecord: Region;
  /** The part of the interpreter's Storage area the firmware lets Storage fill. */
  storage: Region;
  /**
   * Inside storage: the data pages of the Storage file fota.run, which fota
   * flash creates over exactly this region; the one part of Storage the
   * loader writes raw (docs/boot-record.md, section 1).
   */
  runCopy: Region;
  /**
   * One page per slot, page i holding slot i's signed manifest (a checksummed
   * record, firmware/image/signature-page.ts), written raw by the update flow
   * before the slot is marked valid, read by the boot verifier
   * (docs/boot-record.md, section 1; docs/signing.md, "Verify at boot").
   */
  signatures: Region;
  /** Other regions raw writes must never touch (the running interpreter, its data). */
  reserved: Region[];
}

export function regionEnd(r: Region): number {
  return r.start + r.size;
}

export function overlaps(a: Region, b: Region): boolean {
  return a.start < regionEnd(b) && b.start < regionEnd(a);
}
