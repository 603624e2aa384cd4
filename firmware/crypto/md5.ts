// Incremental MD5 (RFC 1321): feed the image in chunks of any size as they
// arrive or as they are read back from flash, then take the digest. Whole
// blocks are hashed straight from the caller's bytes through a 32-bit word
// view; only a block split across two chunks is copied.
import { md5Blocks } from "./md5-block";
import { bytesOf } from "./bytes";

/** The initial state (A, B, C, D of RFC 1321, 3.3) as signed 32-bit words. */
function initialState(): Int32Array {
  return new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476]);
}

export class Md5 {
  private _state = initialState();
  /** Bytes of a block not yet complete, and a word view of the same memory. */
  private readonly _pending = new Uint8Array(64);
  private readonly _pendingWords = new Int32Array(this._pending.buffer);
  private _pendingLength = 0;
  /** Total bytes hashed so far. */
  private _length = 0;

  /** Adds data: a byte string (as sockets deliver it) or bytes (as Flash.read returns them). */
  update(data: string | Uint8Array): this {
    const bytes = typeof data === "string" ? bytesOf(data) : data;
    const n = bytes.length;
    this._length += n;
    let pos = 0;
    if (this._pendingLength > 0) {
      pos = Math.min(64 - this._pendingLength, n);
      this._pending.set(bytes.subarray(0, pos), this._pendingLength);
      this._pendingLength += pos;
      if (this._pendingLength < 64) return this;
      md5Blocks(this._state, this._pendingWords, 0, 16);
      this._pendingLength = 0;
    }
    const whole = (n - pos) & ~63;
    if (whole > 0) {
      const byteOffset = bytes.byteOffset + pos;
      if (byteOffset % 4 === 0) {
        md5Blocks(this._state, new Int32Array(bytes.buffer, byteOffset, whole / 4), 0, whole / 4);
      } else {
        // A word view must start on a 4-byte boundary (in Node; the interpreter allows any).
        for (let at = pos; at < pos + whole; at += 64) {
          this._pending.set(bytes.subarray(at, at + 64), 0);
          md5Blocks(this._state, this._pendingWords, 0, 16);
        }
      }
      pos += whole;
    }
    if (pos < n) {
      this._pending.set(bytes.subarray(pos), 0);
      this._pendingLength = n - pos;
    }
    return this;
  }

  /** Finishes the hash: 32 lower-case hex digits. The object then starts over, empty. */
  digest(): string {
    const bits = this._length * 8;
    const padding = new Uint8Array(this._pendingLength < 56 ? 64 - this._pendingLength : 128 - this._pendingLength);
    padding[0] = 0x80;
    const end = padding.length - 8;
    // The message length in bits, 64-bit little-endian; exact for any image that fits in RAM or flash.
    padding[end] = bits & 0xff;
    padding[end + 1] = (bits >>> 8) & 0xff;
    padding[end + 2] = (bits >>> 16) & 0xff;
    padding[end + 3] = (bits >>> 24) & 0xff;
    padding[end + 4] = Math.floor(bits / 0x100000000) & 0xff;
    this.update(padding);
    let hex = "";
    for (let i = 0; i < 4; i++) {
      const word = this._state[i];
      for (let shift = 0; shift < 32; shift += 8) hex += (256 + ((word >>> shift) & 0xff)).toString(16).substring(1);
    }
    this._state = initialState();
    this._pendingLength = 0;
    this._length = 0;
    return hex;
  }
}
