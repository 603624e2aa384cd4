// The plain MD5 the fast one is measured against (npm run bench:md5): the
// textbook 64-step loop over tables of constants, message words assembled
// byte by byte. Device-safe code (it is bundled for the interpreter), never
// shipped in an image.

const SHIFT = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
  5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
  6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21];

const SINE: number[] = [];
/** Which message word each step reads. */
const WORD: number[] = [];
for (let i = 0; i < 64; i++) {
  SINE.push(Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) | 0);
  WORD.push([i, 5 * i + 1, 3 * i + 5, 7 * i][i >> 4] % 16);
}

/** MD5 of the whole message at once, as 32 lower-case hex digits. */
export function md5Reference(message: Uint8Array): string {
  const n = message.length;
  const padded = new Uint8Array(((n + 8) >> 6) * 64 + 64);
  padded.set(message, 0);
  padded[n] = 0x80;
  const bits = n * 8;
  for (let i = 0; i < 4; i++) padded[padded.length - 8 + i] = (bits >>> (8 * i)) & 0xff;
  padded[padded.length - 4] = Math.floor(bits / 0x100000000) & 0xff;

  const h = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476];
  const x: number[] = [];
  for (let block = 0; block < padded.length; block += 64) {
    for (let j = 0; j < 16; j++) {
      const p = block + 4 * j;
      x[j] = padded[p] | (padded[p + 1] << 8) | (padded[p + 2] << 16) | (padded[p + 3] << 24);
    }
    let a = h[0], b = h[1], c = h[2], d = h[3];
    for (let i = 0; i < 64; i++) {
      let f: number;
      if (i < 16) f = (b & c) | (~b & d);
      else if (i < 32) f = (d & b) | (~d & c);
      else if (i < 48) f = b ^ c ^ d;
      else f = c ^ (b | ~d);
      const t = (a + f + SINE[i] + x[WORD[i]]) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((t << SHIFT[i]) | (t >>> (32 - SHIFT[i])))) | 0;
    }
    h[0] = (h[0] + a) | 0;
    h[1] = (h[1] + b) | 0;
    h[2] = (h[2] + c) | 0;
    h[3] = (h[3] + d) | 0;
  }
  let hex = "";
  for (let i = 0; i < 4; i++) {
    for (let shift = 0; shift < 32; shift += 8) hex += (256 + ((h[i] >>> shift) & 0xff)).toString(16).substring(1);
  }
  return hex;
}
