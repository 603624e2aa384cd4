// The interpreter's Storage (require("Storage")), kept in the board's Storage
// region of the simulated flash, so raw flash writes there really corrupt it,
// as on the board. Layout: a list of files from the region's start, each a
// 32-byte header (u32 size, 28-byte name) then its data padded to 4 bytes;
// an erased file keeps its size and has its name zeroed; 0xFFFFFFFF ends the list.
import type { Region } from "../../firmware/board/layout.ts";

/** The flash operations Storage needs (the simulator's flash chip). */
export interface FlashChip {
  read(length: number, addr: number): Uint8Array;
  write(data: Uint8Array, addr: number): void;
  erasePage(addr: number): void;
}

const HEADER = 32;
const NAME_MAX = 28;
const END = 0xffffffff;

interface FileEntry {
  name: string;
  /** Address of the header. */
  at: number;
  size: number;
}

export class SimStorage {
  constructor(private readonly flash: FlashChip, private readonly region: Region, private readonly pageSize: number) {}

  read(name: string, offset = 0, length?: number): string | undefined {
    const file = this.find(name);
    if (!file) return undefined;
    const start = Math.min(offset, file.size);
    const end = length === undefined ? file.size : Math.min(file.size, start + length);
    return Buffer.from(this.flash.read(end - start, file.at + HEADER + start)).toString("latin1");
  }

  /** Whole-file write, or with `size`: create a file of that size (0xFF-filled) and write into it at `offset`. */
  write(name: string, data: string | Uint8Array, offset?: number, size?: number): boolean {
    checkName(name);
    const bytes = typeof data === "string" ? Buffer.from(data, "latin1") : Buffer.from(data);
    const existing = this.find(name);
    if (offset !== undefined && offset > 0) {
      if (!existing) throw new Error(`Storage: no file "${name}" to write at offset ${offset}`);
      if (offset + bytes.length > existing.size) throw new Error(`Storage: write past the end of "${name}" (${existing.size} bytes)`);
      this.flash.write(bytes, existing.at + HEADER + offset);
      return true;
    }
    const fileSize = size ?? bytes.length;
    if (existing) this.eraseEntry(existing);
    const at = this.allocate(fileSize);
    const header = Buffer.alloc(HEADER, 0);
    header.writeUInt32LE(fileSize, 0);
    header.write(name, 4, "latin1");
    this.flash.write(header, at);
    if (bytes.length > 0) this.flash.write(bytes, at + HEADER);
    return true;
  }

  erase(name: string): void {
    const file = this.find(name);
    if (file) this.eraseEntry(file);
  }

  list(pattern?: RegExp | string): string[] {
    return this.entries()
      .map((e) => e.name)
      .filter((n) => pattern === undefined || (typeof pattern === "string" ? n.includes(pattern) : pattern.test(n)));
  }

  getFree(): number {
    return this.region.start + this.region.size - this.endOfList();
  }

  /** require("Storage").getStats(): sizes in bytes, headers included. */
  getStats(): { totalBytes: number; freeBytes: number; fileBytes: number; fileCount: number; trashBytes: number; trashCount: number } {
    const stats = { totalBytes: this.region.size, freeBytes: this.getFree(), fileBytes: 0, fileCount: 0, trashBytes: 0, trashCount: 0 };
    this.walk((entry, erased) => {
      const bytes = HEADER + pad4(entry.size);
      if (erased) {
        stats.trashBytes += bytes;
        stats.trashCount++;
      } else {
        stats.fileBytes += bytes;
        stats.fileCount++;
      }
    });
    return stats;
  }

  /** Rewrites the live files from the region's start, reclaiming erased ones. */
  compact(): void {
    const live = this.entries().map((e) => ({ name: e.name, data: this.flash.read(e.size, e.at + HEADER) }));
    for (let page = this.region.start; page < this.region.start + this.region.size; page += this.pageSize) {
      this.flash.erasePage(page);
    }
    for (const f of live) this.write(f.name, f.data);
  }

  /** Erases every file (the interpreter's `require("Storage").eraseAll()`). */
  eraseAll(): void {
    for (let page = this.region.start; page < this.region.start + this.region.size; page += this.pageSize) {
      this.flash.erasePage(page);
    }
  }

  private find(name: string): FileEntry | undefined {
    return this.entries().find((e) => e.name === name);
  }

  /** Live files in order. Stops at the end marker or at anything that cannot be a header. */
  private entries(): FileEntry[] {
    const out: FileEntry[] = [];
    this.walk((entry, erased) => {
      if (!erased) out.push(entry);
    });
    return out;
  }

  private endOfList(): number {
    let end = this.region.start;
    this.walk((entry) => {
      end = entry.at + HEADER + pad4(entry.size);
    });
    return end;
  }

  private walk(visit: (entry: FileEntry, erased: boolean) => void): void {
    const limit = this.region.start + this.region.size;
    let at = this.region.start;
    while (at + HEADER <= limit) {
      const header = Buffer.from(this.flash.read(HEADER, at));
      const size = header.readUInt32LE(0);
      if (size === END || at + HEADER + size > limit) return;
      const nameBytes = header.subarray(4, 4 + NAME_MAX);
      const nul = nameBytes.indexOf(0);
      const name = nameBytes.subarray(0, nul < 0 ? NAME_MAX : nul).toString("latin1");
      visit({ name, at, size }, name.length === 0);
      at += HEADER + pad4(size);
    }
  }

  private eraseEntry(file: FileEntry): void {
    this.flash.write(new Uint8Array(NAME_MAX), file.at + 4);
  }

  private allocate(size: number): number {
    const needed = HEADER + pad4(size);
    if (this.getFree() < needed) this.compact();
    if (this.getFree() < needed) throw new Error(`Storage full: ${needed} bytes needed, ${this.getFree()} free`);
    return this.endOfList();
  }
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function checkName(name: string): void {
  if (typeof name !== "string" || name.length === 0 || name.length > NAME_MAX) {
    throw new Error(`Storage: file name must be 1..${NAME_MAX} characters, got ${JSON.stringify(name)}`);
  }
}
