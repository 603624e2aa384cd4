// CRC-32 of a stream from the CRC-32s of its pieces. The interpreter's native
// E.CRC32 is one-shot, and an image cannot be held in RAM to hash at once, so
// each flash page is hashed natively and the page CRCs are joined:
// crc(A ‖ B) = crc(A) · x^(8·|B|) mod P  ⊕  crc(B) (zlib's crc32_combine).
// Joining costs at most 32 steps per page; the operator for a length is built
// once (about 20 squarings) and kept, since every page but the last has the same length.

/** The CRC-32 polynomial, bit-reflected (zlib, PNG, E.CRC32). */
const POLY = 0xedb88320;
/** x^0 and x^1 in the reflected representation. */
const X0 = 0x80000000;
const X1 = 0x40000000;

/** a · b modulo P, both reflected polynomials. */
function multiplyModP(a: number, b: number): number {
  let product = 0;
  for (let bit = X0; a !== 0 && bit !== 0; bit >>>= 1) {
    if (a & bit) {
      product ^= b;
      a &= ~bit;
    }
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return product >>> 0;
}

/** x^(8·length) mod P: shifts a CRC past `length` bytes. */
function shiftOperator(length: number): number {
  let result = X0;
  let square = X1;
  for (let bits = length * 8; bits > 0; bits = (bits - (bits & 1)) / 2) {
    if (bits & 1) result = multiplyModP(square, result);
    square = multiplyModP(square, square);
  }
  return result;
}

/** Joins page CRCs into the CRC of everything so far. Start empty: CRC 0 over 0 bytes. */
export class Crc32Joiner {
  private _crc = 0;
  private _operatorLength = -1;
  private _operator = X0;

  /** Appends a piece of `length` bytes whose own CRC-32 is `pieceCrc`. */
  append(pieceCrc: number, length: number): void {
    if (length !== this._operatorLength) {
      this._operator = shiftOperator(length);
      this._operatorLength = length;
    }
    this._crc = (multiplyModP(this._operator, this._crc) ^ pieceCrc) >>> 0;
  }

  /** CRC-32 of all pieces appended, as an unsigned 32-bit number. */
  value(): number {
    return this._crc;
  }

  reset(): void {
    this._crc = 0;
  }
}
