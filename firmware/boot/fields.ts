// Little-endian fields and NUL-padded byte-string fields of the boot record's
// fixed-layout entries. Shared by the entry codec and the slot metadata codec.

export function putU32(buf: Uint8Array, at: number, value: number): void {
  buf[at] = value & 0xff;
  buf[at + 1] = (value >>> 8) & 0xff;
  buf[at + 2] = (value >>> 16) & 0xff;
  buf[at + 3] = (value >>> 24) & 0xff;
}

export function getU32(buf: Uint8Array, at: number): number {
  return (buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24)) >>> 0;
}

/** Writes a byte string into a field of `length` bytes, NUL-padded; longer text is cut. */
export function putText(buf: Uint8Array, at: number, length: number, text: string): void {
  for (let i = 0; i < length; i++) buf[at + i] = i < text.length ? text.charCodeAt(i) & 0xff : 0;
}

/** Reads a NUL-padded byte-string field. */
export function getText(buf: Uint8Array, at: number, length: number): string {
  let text = "";
  for (let i = 0; i < length && buf[at + i] !== 0; i++) text += String.fromCharCode(buf[at + i]);
  return text;
}
