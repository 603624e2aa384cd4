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
  private readonly _pages: number;
  private readonly _perPage: number;
  /** CRC-32 of an erased entry slot: a fast first test for "blank". */
  private readonly _blankCrc: number;
  private _newest: { at: Position; value: T } | undefined;
  /** The next entry slot to write: blank, after everything written in its page. */
  private _next: Position = { page: 0, index: 0 };

  constructor(
    private readonly _flash: FlashPages,
    private readonly _region: Region,
    private readonly _pageSize: number,
    private readonly _entrySize: number,
    /** Decodes an entry; undefined if it is not valid. */
    private readonly _decode: (buf: Uint8Array, at: number) => T | undefined,
    /** The sequence number of a decoded entry. */
    private readonly _seqOf: (value: T) => number,
  ) {
    // |0, not Math.floor: the interpreter's Math.floor returns a float, and
    // Flash.erasePage refuses a float address ("Address should be an integer").
    this._pages = (this._region.size / this._pageSize) | 0;
    this._perPage = (this._pageSize / this._entrySize) | 0;
    if (this._pages < 2 || this._perPage < 1) throw new Error("boot record: region " + this._region.name + " needs two pages of at least " + this._entrySize + " bytes");
    this._blankCrc = crc32(new Uint8Array(this._entrySize).fill(0xff));
    this._scan();
  }

  /** The newest valid entry, or undefined if none was ever written (or survived). */
  latest(): T | undefined {
    return this._newest ? this._newest.value : undefined;
  }

  /** Writes an entry after the newest one. Its sequence number must be higher. */
  append(value: T, bytes: Uint8Array): void {
    if (bytes.length !== this._entrySize) throw new Error("boot record: entry is " + bytes.length + " bytes, expected " + this._entrySize);
    if (this._newest && this._seqOf(value) <= this._seqOf(this._newest.value)) throw new Error("boot record: sequence number must grow");
    let at = this._next;
    if (at.index >= this._perPage) {
      // This page is full: move to the next page in the ring. It holds only
      // entries older than the newest (which is in this page), so erasing it is safe.
      at = { page: (at.page + 1) % this._pages, index: 0 };
      this._flash.erasePage(this._pageAddr(at.page));
    }
    this._next = { page: at.page, index: at.index + 1 };
    this._flash.write(bytes, this._pageAddr(at.page) + at.index * this._entrySize);
    this._newest = { at, value };
  }

  private _pageAddr(page: number): number {
    return this._region.start + page * this._pageSize;
  }

  /**
   * Reads every page: the newest valid entry wins. The next write goes after
   * the last non-blank slot of the newest entry's page, so a torn, unreadable
   * entry there is never written over (writes only clear bits).
   */
  private _scan(): void {
    const lastUsed: number[] = [];
    for (let p = 0; p < this._pages; p++) {
      const buf = this._flash.read(this._perPage * this._entrySize, this._pageAddr(p));
      lastUsed.push(-1);
      for (let i = 0; i < this._perPage; i++) {
        const at = i * this._entrySize;
        if (this._isBlank(buf, at)) continue;
        lastUsed[p] = i;
        const value = this._decode(buf, at);
        if (value !== undefined && (!this._newest || this._seqOf(value) > this._seqOf(this._newest.value))) {
          this._newest = { at: { page: p, index: i }, value };
        }
      }
    }
    const page = this._newest ? this._newest.at.page : 0;
    // With no valid entry anywhere, a page full of garbage is simply erased and reused.
    this._next = { page: this._newest ? page : this._pages - 1, index: this._newest ? lastUsed[page] + 1 : this._perPage };
  }

  private _isBlank(buf: Uint8Array, at: number): boolean {
    const slot = buf.subarray(at, at + this._entrySize);
    if (crc32(slot) !== this._blankCrc) return false;
    for (let i = 0; i < slot.length; i++) if (slot[i] !== 0xff) return false;
    return true;
  }
}
