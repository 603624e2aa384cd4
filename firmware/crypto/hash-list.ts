// The image digest of docs/signing.md: SHA-256 over the concatenated SHA-256
// of each 4096-byte block. Fed whole blocks (as flash is read back, a unit at
// a time) and a last partial one, each hashed in place by the native one-shot
// SHA-256: it copies no block and holds only 32 bytes per block.
import { sha256 } from "./sha256";

/** The block size of the hash list, whatever the flash page size. */
export const HASH_LIST_BLOCK = 4096;

/**
 * How much of an image in flash to read and hash at once so the hash list is
 * fed whole blocks: a block, or a page where pages are larger (both are powers
 * of two, as the layout validator requires, so one divides the other).
 */
export function hashUnit(pageSize: number): number {
  return pageSize > HASH_LIST_BLOCK ? pageSize : HASH_LIST_BLOCK;
}

export interface HashList {
  /**
   * Adds data: bytes (as Flash.read returns them) or a byte string (as Storage
   * delivers it). Only the last update may end inside a block (an error
   * otherwise); that part is kept by reference until digest: do not change it.
   */
  update(data: string | Uint8Array): HashList;
  /** Finishes: the digest as 64 lower-case hex digits. The hash list then starts over, empty. */
  digest(): string;
}

/** Part of bytes or of a byte string, without copying bytes. */
function part(data: string | Uint8Array, from: number, to: number): string | Uint8Array {
  return typeof data === "string" ? data.substring(from, to) : data.subarray(from, to);
}

/** An empty hash list. (A closure, not a class: about 250 bytes less in the image.) */
export function hashList(): HashList {
  /** The end of the data after its last whole block, hashed by digest. */
  let last: string | Uint8Array | undefined;
  /** The block hashes so far, 32 bytes each; grows by doubling. */
  let hashes = new Uint8Array(32 * 8);
  let count = 0;

  function add(data: string | Uint8Array): void {
    if (count * 32 === hashes.length) {
      const grown = new Uint8Array(hashes.length * 2);
      grown.set(hashes);
      hashes = grown;
    }
    hashes.set(sha256(data), count++ * 32);
  }

  return {
    update: function (data) {
      if (last !== undefined) throw new Error("hash list: data after a partial block");
      let pos = 0;
      for (; data.length - pos >= HASH_LIST_BLOCK; pos += HASH_LIST_BLOCK) add(part(data, pos, pos + HASH_LIST_BLOCK));
      if (pos < data.length) last = part(data, pos, data.length);
      return this;
    },
    digest: function () {
      if (last !== undefined) add(last);
      last = undefined;
      const hex = hexOf(sha256(hashes.subarray(0, count * 32)));
      count = 0;
      return hex;
    },
  };
}

/** Bytes as lower-case hex digits. */
export function hexOf(bytes: Uint8Array): string {
  let hex = "";
  for (let i = 0; i < bytes.length; i++) hex += (256 + bytes[i]).toString(16).substring(1);
  return hex;
}
