// RSA signature check for the interpreter: s^65537 mod n for 2048- and
// 3072-bit moduli, then the PKCS#1 v1.5 SHA-256 encoding (RFC 8017, 8.2.2).
// Numbers are little-endian limbs of 22 bits in Int32Arrays: a product of
// two limbs stays below 2^44 and a column sum of up to 2 x 140 products below
// 2^53, so every sum is an exact double (the interpreter has no Math.imul and
// its floats are doubles). Montgomery multiplication (product scanning), each
// column sum one call of the native E.convolve; a column sum in JavaScript is
// about 20 times slower. Public data only: nothing here needs constant time.

/** E.convolve(a, b, offset): sum of a[i] * b[(i + offset) mod b.length] over i, natively. */
export type Convolve = (a: Int32Array, b: Int32Array, offset: number) => number;

declare const E: { convolve: Convolve };

let hostConvolve: Convolve | undefined;

/** For hosts that are not the interpreter: the E.convolve to use instead of the native one. */
export function provideConvolve(implementation: Convolve): void {
  hostConvolve = implementation;
}

/** Why a signature is not valid: the one verdict that crosses this module. */
export type RsaCheck =
  | "valid"
  /** Not exactly as long as the modulus. */
  | "length"
  /** Not below the modulus. */
  | "range"
  /** The recovered block is not 00 01 FF..FF 00. */
  | "padding"
  /** It does not carry SHA-256's DigestInfo. */
  | "digest-info"
  /** It signs another message. */
  | "digest";

/** 2^22, the limb base (a literal: Math.pow(2, n) is not exact on the interpreter). */
const BASE = 4194304;
/** DER DigestInfo of SHA-256 (RFC 8017, 9.2, note 1), before the 32-byte hash. */
const DIGEST_INFO = [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];

/**
 * Checks an RSASSA-PKCS1-v1_5 SHA-256 signature with e = 65537. `modulus` is
 * big-endian without a leading zero byte, 2048 or 3072 bits and odd (the
 * trust anchor's check); `hash` is the SHA-256 of the signed message.
 */
export function verifyPkcs1Sha256(modulus: Uint8Array, signature: Uint8Array, hash: Uint8Array): RsaCheck {
  const k = modulus.length;
  if (signature.length !== k) return "length";
  // Montgomery multiplication with R = 2^(22 L).
  const L = ((k * 8 + 21) / 22) | 0;
  const n = limbsOf(modulus, L);
  const s = limbsOf(signature, L);
  if (!below(s, n, L)) return "range";
  const conv = hostConvolve || E.convolve;
  const n0inv = negativeInverse(n[0]);
  /** n's limbs reversed, then L zeros: convolving with it at offset L-1-k gives column k. */
  const nRev = new Int32Array(2 * L);
  /** The same for the second factor. */
  const bRev = new Int32Array(2 * L);
  /** The quotient's limbs, and the product before it replaces the first factor. */
  const q = new Int32Array(L);
  const product = new Int32Array(L);
  for (let i = 0; i < L; i++) nRev[i] = n[L - 1 - i];

  /** a = a b R^-1 mod n, for a, b < n (b may be a). */
  function mul(a: Int32Array, b: Int32Array): void {
    // The loop's names as locals: the interpreter searches a function's own
    // scope before the enclosing one (about 10% of the time here).
    const sum = conv, bReversed = bRev, quotient = q, nReversed = nRev, inverse = n0inv, n0 = n[0], base = BASE, limbs = L, out = product;
    for (let i = 0; i < limbs; i++) {
      bReversed[i] = b[limbs - 1 - i];
      quotient[i] = 0;
    }
    // Column k of a b + q n; convolving at offset L-1-k pairs a[i] with b[k-i].
    // The low L columns: q[k] is chosen so that each ends in 22 zero bits.
    let carry = 0, k = 0, offset = limbs - 1, column, limb;
    for (; k < limbs; k++, offset--) {
      column = sum(a, bReversed, offset) + sum(quotient, nReversed, offset) + carry;
      limb = ((column % base) * inverse) % base;
      quotient[k] = limb;
      column += limb * n0;
      carry = (column - (column % base)) / base;
    }
    // The high columns are the result.
    for (; k < 2 * limbs - 1; k++, offset--) {
      column = sum(a, bReversed, offset) + sum(quotient, nReversed, offset) + carry;
      limb = column % base;
      carry = (column - limb) / base;
      out[k - limbs] = limb;
    }
    out[limbs - 1] = carry;
    if (!below(out, n, limbs)) subtractMultiple(out, n, 1, limbs);
    a.set(out);
  }

  /** x = x 2^22 mod n, for x < n (a fifth of a multiplication): a one-limb quotient, estimated from the top limbs, then corrected. */
  function shift(x: Int32Array): void {
    let top = x[L - 1];
    const estimate = Math.floor((((top * BASE + x[L - 2]) * BASE + x[L - 3]) * BASE) / ((n[L - 1] * BASE + n[L - 2]) * BASE + n[L - 3]));
    for (let i = L - 1; i > 0; i--) x[i] = x[i - 1];
    x[0] = 0;
    top += subtractMultiple(x, n, estimate, L);
    while (top < 0) top += subtractMultiple(x, n, -1, L);
    while (top > 0 || !below(x, n, L)) top += subtractMultiple(x, n, 1, L);
  }

  // R^2 mod n, the Montgomery form of R: from 2^(22(L-1)) < n, a shift gives
  // R mod n, the form of 2^0. Shifts up to the form of 2^(22 w), w the top 4
  // bits of L; then for each lower bit of L, a squaring doubles w and a shift adds one.
  const x = new Int32Array(L);
  x[L - 1] = 1;
  shift(x);
  let low = 0;
  while (L >> (low + 4)) low++;
  for (let w = 0; w < L >> low; w++) shift(x);
  while (low-- > 0) {
    mul(x, x);
    if ((L >> low) & 1) shift(x);
  }
  const y = new Int32Array(s);
  mul(y, x); // s R: s in Montgomery form
  for (let i = 0; i < 16; i++) mul(y, y);
  mul(y, s); // s^65537 R R^-1: out of Montgomery form
  return checkEncoding(y, limbsOf(encoding(hash, k), L));
}

/** RFC 8017 9.2's encoding of a SHA-256 hash in k bytes: 00 01 FF..FF 00, the DigestInfo, the hash. */
function encoding(hash: Uint8Array, k: number): Uint8Array {
  const em = new Uint8Array(k);
  const t = k - 51; // where the DigestInfo starts
  for (let i = 1; i < k; i++) em[i] = i < 2 ? 1 : i < t - 1 ? 255 : i < t ? 0 : i < t + 19 ? DIGEST_INFO[i - t] : hash[i - t - 19];
  return em;
}

/** Compares the recovered block with the expected one; the highest differing bit says which part is wrong. */
function checkEncoding(got: Int32Array, expected: Int32Array): RsaCheck {
  for (let i = got.length - 1; i >= 0; i--) {
    const differ = got[i] ^ expected[i];
    if (differ) {
      let bit = 22 * i;
      while (differ >> (bit - 22 * i + 1)) bit++;
      // From the lowest bit: the hash (256 bits), the DigestInfo (152), then the padding.
      return bit < 256 ? "digest" : bit < 408 ? "digest-info" : "padding";
    }
  }
  return "valid";
}

/** x = x - f n over `length` limbs (f may be negative: adds); returns the carry out of the top limb. */
function subtractMultiple(x: Int32Array, n: Int32Array, f: number, length: number): number {
  let carry = 0;
  for (let i = 0; i < length; i++) {
    const v = x[i] - f * n[i] + carry;
    let limb = v % BASE;
    if (limb < 0) limb += BASE;
    carry = (v - limb) / BASE;
    x[i] = limb;
  }
  return carry;
}

function below(x: Int32Array, n: Int32Array, length: number): boolean {
  for (let i = length - 1; i >= 0; i--) if (x[i] !== n[i]) return x[i] < n[i];
  return false;
}

/** -1/n0 mod 2^22 for odd n0, by Newton's iteration: right in 3, 6, 12, then 24 low bits. */
function negativeInverse(n0: number): number {
  let inverse = n0; // n0 n0 = 1 mod 8 for odd n0
  for (let i = 0; i < 3; i++) inverse = (inverse * ((BASE + 2 - ((n0 * inverse) % BASE)) % BASE)) % BASE;
  return BASE - inverse;
}

/** Big-endian bytes as L limbs (the bytes fit: 8 x length <= 22 L). */
function limbsOf(bytes: Uint8Array, L: number): Int32Array {
  const out = new Int32Array(L);
  let acc = 0, bits = 0, k = 0;
  for (let i = bytes.length - 1; i >= 0; i--) {
    acc |= bytes[i] << bits;
    bits += 8;
    if (bits >= 22) {
      out[k++] = acc & (BASE - 1);
      acc >>>= 22;
      bits -= 22;
    }
  }
  if (bits > 0) out[k] = acc;
  return out;
}
