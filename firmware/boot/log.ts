// The boot record's storage: an append-only log of fixed-size entries over the
// pages of the record region. It finds the newest valid entry and appends
// after it, filling a page before moving to the next one, which it erases
// first. It erases a page only when another page holds the newest valid entry,
// so an interrupted erase or write never loses the last durable state.
import type { Region } from "../board/layout";
import { crc32 } from "../crypto/crc32";

/**
 * The flash operations the log uses: a subset of the interpreter's
 * require("Flash") (FlashModule), declared here so host tests can hand in the
 * simulator's flash chip.
 */
export interface FlashPages {
  read(length: number, addr: number): Uint8Array;
  write(data: Uint8Array, addr: number): void;
  erasePage(addr: number): void;
}

/** Where the newest valid entry is, and where the next one goes. */
interface Position {
  page: number;
  index: number;
}

export class EntryLog<T> {
  private readonly pages: number;
  private readonly perPage: number;
  /** CRC-32 of an erased entry slot: a fast first test for "blank". */
  private readonly blankCrc: number;
  private newest: { at: Position; value: T } | undefined;
  /** The next entry slot to write: blank, after everything written in its page. */
  private next: Position = { page: 0, index: 0 };

  constructor(
    private readonly flash: FlashPages,
    private readonly region: Region,
    private readonly pageSize: number,
    private readonly entrySize: number,
    /** Decodes an entry; undefined if it is not valid. */
    private readonly decode: (buf: Uint8Array, at: number) => T | undefined,
    /** The sequence number of a decoded entry. */
    private readonly seqOf: (value: T) => number,
  ) {
    // |0, not Math.floor: the interpreter's Math.floor returns a float, and
    // Flash.erasePage refuses a float address ("Address should be an integer").
    this.pages = (region.size / pageSize) | 0;
    this.perPage = (pageSize / entrySize) | 0;
    if (this.pages < 2 || this.perPage < 1) throw new Error("boot record: region " + region.name + " needs two pages of at least " + entrySize + " bytes");
    this.blankCrc = crc32(new Uint8Array(entrySize).fill(0xff));
    this.scan();
  }

  /** The newest valid entry, or undefined if none was ever written (or survived). */
  latest(): T | undefined {
    return this.newest ? this.newest.value : undefined;
  }

  /** Writes an entry after the newest one. Its sequence number must be higher. */
  append(value: T, bytes: Uint8Array): void {
    if (bytes.length !== this.entrySize) throw new Error("boot record: entry is " + bytes.length + " bytes, expected " + this.entrySize);
    if (this.newest && this.seqOf(value) <= this.seqOf(this.newest.value)) throw new Error("boot record: sequence number must grow");
    let at = this.next;
    if (at.index >= this.perPage) {
      // This page is full: move to the next page in the ring. It holds only
      // entries older than the newest (which is in this page), so erasing it is safe.
      at = { page: (at.page + 1) % this.pages, index: 0 };
      this.flash.erasePage(this.pageAddr(at.page));
    }
    this.next = { page: at.page, index: at.index + 1 };
    this.flash.write(bytes, this.pageAddr(at.page) + at.index * this.entrySize);
    this.newest = { at, value };
  }

  private pageAddr(page: number): number {
    return this.region.start + page * this.pageSize;
  }

  /**
   * Reads every page: the newest valid entry wins. The next write goes after
   * the last non-blank slot of the newest entry's page, so a torn, unreadable
   * entry there is never written over (writes only clear bits).
   */
  private scan(): void {
    const lastUsed: number[] = [];
    for (let p = 0; p < this.pages; p++) {
      const buf = this.flash.read(this.perPage * this.entrySize, this.pageAddr(p));
      lastUsed.push(-1);
      for (let i = 0; i < this.perPage; i++) {
        const at = i * this.entrySize;
        if (this.isBlank(buf, at)) continue;
        lastUsed[p] = i;
        const value = this.decode(buf, at);
        if (value !== undefined && (!this.newest || this.seqOf(value) > this.seqOf(this.newest.value))) {
          this.newest = { at: { page: p, index: i }, value };
        }
      }
    }
    const page = this.newest ? this.newest.at.page : 0;
    // With no valid entry anywhere, a page full of garbage is simply erased and reused.
    this.next = { page: this.newest ? page : this.pages - 1, index: this.newest ? lastUsed[page] + 1 : this.perPage };
  }

  private isBlank(buf: Uint8Array, at: number): boolean {
    const slot = buf.subarray(at, at + this.entrySize);
    if (crc32(slot) !== this.blankCrc) return false;
    for (let i = 0; i < slot.length; i++) if (slot[i] !== 0xff) return false;
    return true;
  }
}
