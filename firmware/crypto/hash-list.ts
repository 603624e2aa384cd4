// The image digest of docs/signing.md: SHA-256 over the concatenated SHA-256
// of each 4096-byte block. Fed incrementally, bytes or byte strings of any
// length (as flash is read back); each block is gathered in one buffer and
// hashed by the native one-shot SHA-256. Holds one block and 32 bytes per block.
import { sha256 } from "./sha256";
import { bytesOf } from "./bytes";

/** The block size of the hash list, whatever the flash page size. */
export const HASH_LIST_BLOCK = 4096;

export interface HashList {
  /** Adds data: bytes (as Flash.read returns them) or a byte string (as sockets and Storage deliver it). */
  update(data: string | Uint8Array): HashList;
  /** Finishes: the digest as 64 lower-case hex digits. The hash list then starts over, empty. */
  digest(): string;
}

/** An empty hash list. (A closure, not a class: about 250 bytes less in the image.) */
export function hashList(): HashList {
  const block = new Uint8Array(HASH_LIST_BLOCK);
  let fill = 0;
  /** The block hashes so far, 32 bytes each; grows by doubling. */
  let hashes = new Uint8Array(32 * 8);
  let count = 0;

  /** Hashes a whole (or the last) block and empties the buffer. */
  function add(data: Uint8Array): void {
    if (count * 32 === hashes.length) {
      const grown = new Uint8Array(hashes.length * 2);
      grown.set(hashes);
      hashes = grown;
    }
    hashes.set(sha256(data), count++ * 32);
    fill = 0;
  }

  return {
    update: function (data) {
      for (let pos = 0; pos < data.length; ) {
        const take = Math.min(HASH_LIST_BLOCK - fill, data.length - pos);
        block.set(typeof data === "string" ? bytesOf(data.substr(pos, take)) : data.subarray(pos, pos + take), fill);
        fill += take;
        pos += take;
        if (fill === HASH_LIST_BLOCK) add(block);
      }
      return this;
    },
    digest: function () {
      if (fill > 0) add(block.subarray(0, fill));
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
