// SHA-256 through the interpreter's native require("crypto").SHA256: one-shot
// (no incremental update), and fast on blocks of a few KB (docs/interpreter.md).
// Hosts without it (Node tests, the signer) hand in their own implementation
// once, e.g. node:crypto's, which computes the same value.
import { bytesOf } from "./bytes";

/** The interpreter's crypto module; other hosts provide SHA-256 instead. */
declare function require(name: "crypto"): { SHA256(data: string | Uint8Array): ArrayBuffer };

let hostSha256: ((data: Uint8Array) => Uint8Array) | undefined;

/** For hosts that are not the interpreter: the SHA-256 function to use instead of the native one. */
export function provideSha256(implementation: (data: Uint8Array) => Uint8Array): void {
  hostSha256 = implementation;
}

/**
 * SHA-256 of bytes or of a byte string, as 32 bytes. Pass a Uint8Array, not a
 * wider typed array: the native one hashes `length` bytes of a wide array's
 * buffer or its elements, depending on how the array is stored.
 */
export function sha256(data: string | Uint8Array): Uint8Array {
  if (hostSha256) return hostSha256(typeof data === "string" ? bytesOf(data) : data);
  return new Uint8Array(require("crypto").SHA256(data));
}
