// CRC-32 (the zlib/PNG polynomial) through the interpreter's native E.CRC32,
// about 25 MB/s there. Hosts without it (Node tests) hand in their own
// implementation once, e.g. node:zlib's crc32, which computes the same value.

/** The interpreter's E; absent on other hosts (this module also runs in Node tests). */
declare const E: { CRC32(data: Uint8Array): number };

let hostCrc32: ((data: Uint8Array) => number) | undefined;

/** For hosts that are not the interpreter: the CRC-32 function to use instead of E.CRC32. */
export function provideCrc32(implementation: (data: Uint8Array) => number): void {
  hostCrc32 = implementation;
}

/** CRC-32 of the bytes, as an unsigned 32-bit number. */
export function crc32(data: Uint8Array): number {
  if (hostCrc32) return hostCrc32(data) >>> 0;
  return E.CRC32(data) >>> 0;
}
