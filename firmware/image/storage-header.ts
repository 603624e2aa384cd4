// What the firmware knows of the interpreter's Storage format
// (src/jsflash.c; docs/interpreter.md, Storage): a file's data is preceded by
// a 32-byte header, a little-endian u32 (size in the low 24 bits, flags in the
// top byte) and the name, 28 bytes padded with zeros.
export const STORAGE_HEADER_BYTES = 32;

/** True if `header` (32 bytes) is that of a plain file named `name` of `size` bytes. */
export function isFileHeader(header: Uint8Array, name: string, size: number): boolean {
  if ((header[0] | (header[1] << 8) | (header[2] << 16) | (header[3] << 24)) !== size) return false;
  for (let i = 0; i < STORAGE_HEADER_BYTES - 4; i++) if (header[4 + i] !== (i < name.length ? name.charCodeAt(i) : 0)) return false;
  return true;
}
