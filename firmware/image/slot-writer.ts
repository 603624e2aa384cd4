// Writes an image into a raw code slot as it arrives, with no page held in
// RAM: each chunk is written to flash at once (a page is erased when the
// write reaches its first byte) and read back to check it. Each `unit`
// (hashUnit: a hash-list block, or a page where pages are larger) is read back
// once more and hashed: the MD5, CRC-32 and hash list vouch for what flash
// holds, not for what was sent. Hashes advance only by whole units, so a
// download that breaks resumes from `stored` (a unit boundary), and one cut
// by a restart resumes from the stored units, hashed again from flash.
// In RAM at any moment: the chunk, and one unit while it is hashed.
import type { Region } from "../board/layout";
import { Md5 } from "../crypto/md5";
import { bytesOf } from "../crypto/bytes";
import { crc32 } from "../crypto/crc32";
import { Crc32Joiner } from "../crypto/crc32-combine";
import { hashList, hashUnit } from "../crypto/hash-list";

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
  /** Bytes stored in flash and hashed: a multiple of `unit`, or the image size once complete. */
  stored = 0;
  /** Seconds spent erasing, writing and reading back flash; and hashing what was read. */
  flashSeconds = 0;
  hashSeconds = 0;
  readonly unit: number;
  /** Bytes written to flash (checked, not yet hashed past `stored`). */
  private _written = 0;
  /** null: no MD5 (a board that verifies signatures has the signed hash list instead). */
  private readonly _md5: Md5 | null;
  private readonly _crc = new Crc32Joiner();
  private readonly _hashList = hashList();
  /** The hashes, taken when the last byte is stored, so the last partial unit is not kept until result(). */
  private _finished: StoredImage | undefined;

  /**
   * `slot` and `pageSize` come from the board layout: the slot starts on a page
   * boundary and `size` fits in it (the caller checks both), so no write ever
   * reaches outside the slot.
   */
  constructor(private readonly _flash: FlashModule, private readonly _slot: Region, readonly size: number, readonly pageSize: number, md5 = true) {
    this.unit = hashUnit(pageSize);
    this._md5 = md5 ? new Md5() : null;
  }

  complete(): boolean {
    return this.stored === this.size;
  }

  /** Forgets what was written past `stored`: the next bytes are those at offset `stored`. */
  rewind(): void {
    this._written = this.stored;
  }

  /**
   * Takes the bytes of the image already in the slot (written before a
   * restart) up to `stored`, rounded down to a unit: hashes them again from
   * flash. The next bytes are those at the new `stored`.
   */
  resumeAfter(stored: number): void {
    this.restart();
    const end = stored < this.size ? stored - (stored % this.unit) : this.size;
    for (let at = 0; at < end; at += this.unit) this._hashStored(this._flash.read(end - at < this.unit ? end - at : this.unit, this._slot.start + at));
    this.rewind();
  }

  /** Starts over from the first byte (the server ignored a Range request). */
  restart(): void {
    this.stored = 0;
    this._written = 0;
    this._finished = undefined;
    if (this._md5) this._md5.digest(); // digest() also empties it
    this._hashList.digest();
    this._crc.reset();
  }

  /**
   * Takes the next bytes of the image (a byte string, as http delivers them),
   * writing them to flash at once and hashing each unit as it completes.
   * Returns how many were taken: fewer than given only when the image is
   * complete. Throws if flash fails.
   */
  push(chunk: string): number {
    const room = this.size - this._written;
    const take = chunk.length < room ? chunk.length : room;
    if (take <= 0) return 0;
    const bytes = bytesOf(take < chunk.length ? chunk.substring(0, take) : chunk);
    for (let at = 0; at < take; ) {
      // A piece never crosses a page (so each page is erased before its first byte) nor a unit.
      const inPage = this.pageSize - (this._written % this.pageSize);
      const n = take - at < inPage ? take - at : inPage;
      this._writePiece(n === take ? bytes : bytes.subarray(at, at + n));
      at += n;
      if (this._written % this.unit === 0 || this._written === this.size) this._storeUnit();
    }
    return take;
  }

  /** The stored image's size and hashes; only once complete. */
  result(): StoredImage {
    if (!this._finished) throw new Error("the image is not complete");
    return this._finished;
  }

  private _writePiece(piece: Uint8Array): void {
    // Integer arithmetic only: Flash.erasePage refuses a float address.
    const addr = this._slot.start + this._written;
    const t0 = getTime();
    if (this._written % this.pageSize === 0) this._flash.erasePage(addr);
    // Flash.write programs any alignment, and two pieces may share a word (docs/interpreter.md, "Flash"); bytes past the image stay erased.
    this._flash.write(piece, addr);
    const readBack = this._flash.read(piece.length, addr);
    this.flashSeconds += getTime() - t0;
    if (crc32(readBack) !== crc32(piece)) throw new Error("flash at 0x" + addr.toString(16) + " reads back other bytes than were written");
    this._written += piece.length;
  }

  /** Hashes the unit just written, read back from the slot; it is then stored. */
  private _storeUnit(): void {
    const t0 = getTime();
    const readBack = this._flash.read(this._written - this.stored, this._slot.start + this.stored);
    const t1 = getTime();
    this.flashSeconds += t1 - t0;
    this._hashStored(readBack);
    this.hashSeconds += getTime() - t1;
  }

  /** Adds bytes read back from the slot, from offset `stored` on, to the hashes. */
  private _hashStored(readBack: Uint8Array): void {
    if (this._md5) this._md5.update(readBack);
    this._hashList.update(readBack);
    this._crc.append(crc32(readBack), readBack.length);
    this.stored += readBack.length;
    if (this.stored === this.size) this._finished = { size: this.size, md5: this._md5 ? this._md5.digest() : "", crc32: this._crc.value(), digest: this._hashList.digest() };
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
