// UTF-8 between text and byte strings, for a board without TextEncoder:
// MQTT lengths are byte lengths, and the interpreter's sockets carry bytes.

/** Text (UTF-16 code units, surrogate pairs joined) to a UTF-8 byte string. */
export function utf8Encode(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out += text.charAt(i);
      continue;
    }
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    // A lone surrogate cannot be encoded: U+FFFD stands in for it.
    if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
    if (c < 0x800) out += String.fromCharCode(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out += String.fromCharCode(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out += String.fromCharCode(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}

/** A UTF-8 byte string to text; each malformed sequence becomes U+FFFD. */
export function utf8Decode(bytes: string): string {
  let out = "";
  let i = 0;
  while (i < bytes.length) {
    const b = bytes.charCodeAt(i++);
    if (b < 0x80) {
      out += String.fromCharCode(b);
      continue;
    }
    // Sequence length, and the range of its next byte that keeps it minimal and
    // below U+10FFFF and off the surrogates; a broken sequence is one U+FFFD up
    // to the first byte that does not fit (as the WHATWG decoder does).
    const extra = b >= 0xf0 && b < 0xf5 ? 3 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xc2 && b < 0xe0 ? 1 : 0;
    let lower = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
    let upper = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
    let c = b & (0x3f >> extra);
    let n = 0;
    while (n < extra && i < bytes.length) {
      const next = bytes.charCodeAt(i);
      if (next < lower || next > upper) break;
      lower = 0x80;
      upper = 0xbf;
      c = (c << 6) | (next & 63);
      i++;
      n++;
    }
    if (extra === 0 || n < extra) {
      out += "\ufffd";
      continue;
    }
    if (c < 0x10000) out += String.fromCharCode(c);
    else out += String.fromCharCode(0xd800 + ((c - 0x10000) >> 10), 0xdc00 + ((c - 0x10000) & 1023));
  }
  return out;
}
