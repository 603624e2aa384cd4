// Writes an image into a raw code slot as it arrives, one flash page at a
// time: at most one page is held in RAM; each page is erased just before it is
// written, then read back, and the MD5 and CRC-32 are computed over the bytes
// READ BACK, so they vouch for what flash holds, not for what was sent.
// Hashes advance only when a whole page is stored, so a download that breaks
// can resume from `stored` (a page boundary) with the hashes still right, and
// one cut by a restart resumes from the stored pages, hashed again from flash.
import type { Region } from "../board/layout";
import { Md5 } from "../crypto/md5";
import { bytesOf } from "../crypto/bytes";
import { crc32 } from "../crypto/crc32";
import { Crc32Joiner } from "../crypto/crc32-combine";
import { hashList } from "../crypto/hash-list";

export interface StoredImage {
  size: number;
  /** MD5 of the bytes read back from flash, 32 lower-case hex digits; "" when not computed. */
  md5: string;
  /** CRC-32 of the same bytes, unsigned (what the loader checks with E.CRC32). */
  crc32: number;
  /** Hash list digest of the same bytes (docs/signing.md), 64 hex digits: what a signature vouches for. */
  digest: string;
}

export class SlotWriter {
  /** Bytes stored in flash and hashed: a multiple of the page size, or the image size once complete. */
  stored = 0;
  /** Seconds spent erasing, writing and reading back flash; and hashing what was read. */
  flashSeconds = 0;
  hashSeconds = 0;
  private readonly _page: Uint8Array;
  private _buffered = 0;
  /** null: no MD5 (a board that verifies signatures has the signed hash list instead). */
  private readonly _md5: Md5 | null;
  private readonly _crc = new Crc32Joiner();
  private readonly _hashList = hashList();

  /**
   * `slot` and `pageSize` come from the board layout: the slot starts on a page
   * boundary and `size` fits in it (the caller checks both), so no page
   * written ever reaches outside the slot.
   */
  constructor(private readonly _flash: FlashModule, private readonly _slot: Region, readonly size: number, readonly pageSize: number, md5 = true) {
    this._page = new Uint8Array(pageSize);
    this._md5 = md5 ? new Md5() : null;
  }

  /** Bytes taken so far: stored plus those waiting in the page buffer. */
  position(): number {
    return this.stored + this._buffered;
  }

  complete(): boolean {
    return this.stored === this.size;
  }

  /** Drops the partly filled page: the next bytes are those at offset `stored`. */
  resumeAtPage(): void {
    this._buffered = 0;
  }

  /**
   * Takes the first `stored` bytes as already in the slot (written before a
   * restart): hashes them again from flash. `stored` is a page boundary.
   */
  resumeAfter(stored: number): void {
    this.restart();
    for (let at = 0; at < stored; at += this.pageSize) {
      const length = stored - at < this.pageSize ? stored - at : this.pageSize;
      this._hashStored(this._flash.read(length, this._slot.start + at), length);
    }
  }

  /** Starts over from the first byte (the server ignored a Range request). */
  restart(): void {
    this.stored = 0;
    this._buffered = 0;
    if (this._md5) this._md5.digest(); // digest() also empties it
    this._hashList.digest();
    this._crc.reset();
  }

  /**
   * Takes the next bytes of the image (a byte string, as http delivers them),
   * storing each page as it fills. Returns how many were taken: fewer than
   * given only when the image is complete. Throws if flash fails.
   */
  push(chunk: string): number {
    const room = this.size - this.position();
    const take = chunk.length < room ? chunk.length : room;
    if (take <= 0) return 0;
    const bytes = bytesOf(take < chunk.length ? chunk.substring(0, take) : chunk);
    let at = 0;
    while (at < take) {
      const space = this.pageSize - this._buffered;
      const n = take - at < space ? take - at : space;
      this._page.set(n === bytes.length ? bytes : bytes.subarray(at, at + n), this._buffered);
      this._buffered += n;
      at += n;
      if (this._buffered === this.pageSize || this.position() === this.size) this._storePage();
    }
    return take;
  }

  /** The stored image's size and hashes; only once complete. */
  result(): StoredImage {
    return { size: this.stored, md5: this._md5 ? this._md5.digest() : "", crc32: this._crc.value(), digest: this._hashList.digest() };
  }

  private _storePage(): void {
    const length = this._buffered;
    // Integer arithmetic only: Flash.erasePage refuses a float address.
    const addr = this._slot.start + this.stored;
    const t0 = getTime();
    this._flash.erasePage(addr);
    // Bytes past the image in its last page stay erased (0xFF), and the write
    // is padded to whole 32-bit words with 0xFF, which programs nothing.
    const padded = (length + 3) & ~3;
    if (padded !== length) this._page.fill(0xff, length, padded);
    this._flash.write(padded === this.pageSize ? this._page : this._page.subarray(0, padded), addr);
    const readBack = this._flash.read(length, addr);
    const t1 = getTime();
    if (crc32(readBack) !== crc32(length === this.pageSize ? this._page : this._page.subarray(0, length))) {
      throw new Error("flash at 0x" + addr.toString(16) + " reads back other bytes than were written");
    }
    this.flashSeconds += t1 - t0;
    this._hashStored(readBack, length);
    this.hashSeconds += getTime() - t1;
    this._buffered = 0;
  }

  /** Adds a page read back from the slot to the hashes; it is stored. */
  private _hashStored(readBack: Uint8Array, length: number): void {
    if (this._md5) this._md5.update(readBack);
    this._hashList.update(readBack);
    this._crc.append(crc32(readBack), length);
    this.stored += length;
  }
}

/**
 * Copies an image held in a byte string (RAM, or a Storage file read in
 * place) into a code slot through a SlotWriter, a page at a time, so what the
 * boot record keeps is computed from the bytes read back from flash.
 */
export function copyToSlot(image: string, slot: Region, pageSize: number, flash: FlashModule): StoredImage {
  if (image.length > slot.size) throw new Error("the image is " + image.length + " bytes, the slot holds " + slot.size);
  const writer = new SlotWriter(flash, slot, image.length, pageSize);
  for (let at = 0; at < image.length; at += pageSize) writer.push(image.substr(at, pageSize));
  return writer.result();
}
