// Deterministic test bytes: xorshift32 with 32-bit integer operations only, so
// device code (which writes the same loop) makes the same bytes on the board.
export function xorshiftBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let s = seed | 0;
  for (let i = 0; i < size; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 255;
  }
  return out;
}
