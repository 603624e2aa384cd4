// The interpreter's native number crunching as the simulator offers it:
// require("crypto").SHA256 and E.convolve, with the semantics of 2v29's Linux
// build (libs/crypto/jswrap_crypto.c, src/jswrap_espruino.c; measured, see
// test/conformance/cases/sha256.ts and convolve.ts). Where the interpreter's
// answer depends on how it happens to store a value, the simulator refuses
// with an error rather than guess.
import { createHash } from "node:crypto";

/** What the simulator's realm supplies: its own ArrayBuffer and Error, and its byte conversion (E.toString's). */
export interface RealmNatives {
  ArrayBuffer: ArrayBufferConstructor;
  error(message: string): Error;
  toBytes(values: unknown[]): number[];
}

const BYTE_VIEWS = new Set(["Uint8Array", "Int8Array", "Uint8ClampedArray"]);

function tag(v: unknown): string {
  return Object.prototype.toString.call(v).slice(8, -1);
}

/** The interpreter's type names in its messages (%t). */
function typeName(v: unknown): string {
  if (v === undefined || v === null) return String(v);
  if (Array.isArray(v)) return "Array";
  const t = tag(v);
  return t === "Object" || ArrayBuffer.isView(v) || t === "ArrayBuffer" ? t : t.charAt(0).toUpperCase() + t.slice(1);
}

/** Values whose bytes the simulator knows as the interpreter takes them (jsvIterateCallback); others it refuses. */
function knownBytes(v: unknown): boolean {
  if (typeof v === "string" || typeof v === "number" || tag(v) === "ArrayBuffer") return true;
  if (ArrayBuffer.isView(v)) return BYTE_VIEWS.has(tag(v)); // a wider array: `length` bytes of its buffer when stored flat, else each element & 255
  return Array.isArray(v) && v.every(knownBytes);
}

/** require("crypto") of the simulated board: the members the firmware uses. */
export function cryptoModule(realm: RealmNatives) {
  return {
    /** A 32-byte ArrayBuffer; undefined for no argument, as the interpreter. */
    SHA256(message?: unknown): ArrayBuffer | undefined {
      if (message === undefined) return undefined;
      if (message === null) throw realm.error("Expecting Number or iterable, got null");
      if (!knownBytes(message)) throw realm.error(`sim: SHA256 of ${typeName(message)} is not modelled: pass a string, a Uint8Array or an array of bytes`);
      const digest = createHash("sha256").update(Buffer.from(realm.toBytes([message]))).digest();
      const out = new realm.ArrayBuffer(32);
      new Uint8Array(out).set(digest);
      return out;
    },
  };
}

/** The values E.convolve iterates over, as it reads them (undefined: not iterable). */
function elementsOf(v: unknown, error: RealmNatives["error"]): number[] | undefined {
  if (typeof v === "string") {
    // The Linux build reads string characters as C chars, which are signed there.
    const out: number[] = [];
    for (let i = 0; i < v.length; i++) out.push(((v.charCodeAt(i) & 255) << 24) >> 24);
    return out;
  }
  if (Array.isArray(v)) {
    const out: number[] = [];
    for (let i = 0; i < v.length; i++) out.push(Number(v[i])); // a hole reads as undefined: NaN
    return out;
  }
  const t = tag(v);
  if (t === "ArrayBuffer") return [...new Uint8Array(v as ArrayBuffer)];
  if (ArrayBuffer.isView(v)) {
    if (t === "DataView") throw error("sim: E.convolve over a DataView is not modelled");
    // Uint32 elements come out as signed 32-bit integers.
    return Array.from(v as unknown as ArrayLike<number>, (x) => (t === "Uint32Array" ? x | 0 : x));
  }
  if (typeof v === "function") return [];
  if (typeof v === "object" && v !== null) return Object.values(v).map(Number);
  return undefined;
}

/** The int32 argument conversion (jsvGetInteger): doubles truncate through a 64-bit integer, numeric strings read as integers. */
function int32Of(v: unknown): number {
  if (typeof v === "number") return Number.isFinite(v) && Math.abs(v) < 2 ** 63 ? Math.trunc(v) | 0 : 0;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string") return /^\s*[+-]?(0x[0-9a-f]+|[0-9]+(\.[0-9]*)?)\s*$/i.test(v) ? int32Of(parseInt(v)) : 0;
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return (v as ArrayLike<unknown>).length === 1 ? int32Of((v as ArrayLike<unknown>)[0]) : 0;
  return 0;
}

/**
 * E.convolve(arr1, arr2, offset): sum over i of arr1[i] * arr2[(i + offset) mod arr2.length],
 * in doubles, in that order. `error` makes the realm's errors (plain Error in Node).
 */
export function convolve(arr1: unknown, arr2: unknown, offset?: unknown, error: RealmNatives["error"] = (m) => new Error(m)): number {
  const a = elementsOf(arr1, error);
  const b = typeof arr2 === "function" ? undefined : elementsOf(arr2, error);
  if (!a || !b) {
    if (typeof arr2 === "function" && a) throw error("sim: E.convolve with a function as its second array is not modelled");
    throw error(`Expecting first 2 arguments to be iterable, not ${typeName(arr1)} and ${typeName(arr2)}`);
  }
  if (b.length === 0) throw error("sim: E.convolve with an empty second array crashes the interpreter (integer division by zero)");
  let j = int32Of(offset) % b.length;
  if (j < 0) j += b.length;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    sum += a[i] * b[j];
    if (++j === b.length) j = 0;
  }
  return sum;
}
