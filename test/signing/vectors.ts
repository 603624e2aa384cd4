// Test data for the signing tests: images, and RSA signatures made with
// node:crypto, valid and deliberately broken.
import { constants, createHash, generateKeyPairSync, privateEncrypt, sign, type KeyObject } from "node:crypto";
import { xorshiftBytes } from "../../benchmarks/xorshift.ts";
export { specDigest } from "../../benchmarks/hash-list-reference.ts";

/** Image sizes around the block size, and 64 KB (16 blocks). */
export const SIZES = [1, 4095, 4096, 4097, 65536];
/** Chunk lengths, cycled: whole blocks, one or several, as the hash list takes them (only the last chunk ends inside a block). */
export const CHUNKS = [4096, 12288, 8192];

/** An image of deterministic bytes; the device tests make the same ones with the same seed. */
export function testImage(size: number, seed = 2463534242): Uint8Array {
  return xorshiftBytes(size, seed);
}

export interface TestKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  bits: number;
  /** Modulus bytes, big-endian, no leading zero. */
  modulus: Buffer;
}

export function testKey(bits: 2048 | 3072): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  return { privateKey, publicKey, bits, modulus: Buffer.from(publicKey.export({ format: "jwk" }).n!, "base64url") };
}

const SHA256_DIGEST_INFO = [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];

/** An encoded block as RFC 8017 9.2 builds it, with parts that can be spoilt. */
function encoded(k: number, hash: Buffer, spoil: { type?: number; fill?: number; separator?: number; digestInfo?: number[] } = {}): Buffer {
  const digestInfo = spoil.digestInfo ?? SHA256_DIGEST_INFO;
  const padding = k - 3 - digestInfo.length - hash.length;
  return Buffer.concat([Buffer.from([0, spoil.type ?? 1]), Buffer.alloc(padding, spoil.fill ?? 0xff), Buffer.from([spoil.separator ?? 0]), Buffer.from(digestInfo), hash]);
}

/** The private-key operation on any block: how a forger's or a buggy signer's signatures are made. */
function rawSignature(key: TestKey, block: Buffer): Buffer {
  return privateEncrypt({ key: key.privateKey, padding: constants.RSA_NO_PADDING }, block);
}

export interface SignatureCase {
  name: string;
  signature: Buffer;
  /** What firmware/crypto/rsa.ts must answer. */
  expected: string;
}

/** A valid signature of `message` by `key`, and every malformed kind, each with the verdict it must get. */
export function signatureCases(key: TestKey, other: TestKey, message: Buffer): SignatureCase[] {
  const k = key.modulus.length;
  const hash = createHash("sha256").update(message).digest();
  const valid = sign("sha256", message, key.privateKey);
  const sha512_256 = [...SHA256_DIGEST_INFO];
  sha512_256[14] = 0x06; // the OID of SHA-512/256 instead of SHA-256 (2.16.840.1.101.3.4.2.6)
  const ones = Buffer.alloc(k);
  ones[k - 1] = 1;
  return [
    { name: "valid", signature: valid, expected: "valid" },
    { name: "one byte short", signature: valid.subarray(1), expected: "length" },
    { name: "one byte long", signature: Buffer.concat([Buffer.from([0]), valid]), expected: "length" },
    { name: "empty", signature: Buffer.alloc(0), expected: "length" },
    { name: "equal to the modulus", signature: key.modulus, expected: "range" },
    { name: "all ones bits", signature: Buffer.alloc(k, 0xff), expected: "range" },
    { name: "zero", signature: Buffer.alloc(k), expected: "padding" },
    { name: "one", signature: ones, expected: "padding" },
    { name: "block type 2", signature: rawSignature(key, encoded(k, hash, { type: 2 })), expected: "padding" },
    { name: "padding byte FE", signature: rawSignature(key, encoded(k, hash, { fill: 0xfe })), expected: "padding" },
    { name: "no zero separator", signature: rawSignature(key, encoded(k, hash, { separator: 0xff })), expected: "padding" },
    { name: "DigestInfo without NULL", signature: rawSignature(key, encoded(k, hash, { digestInfo: [0x30, 0x2f, 0x30, 0x0b, ...SHA256_DIGEST_INFO.slice(4, 15), 0x04, 0x20] })), expected: "padding" },
    { name: "DigestInfo of SHA-512/256", signature: rawSignature(key, encoded(k, hash, { digestInfo: sha512_256 })), expected: "digest-info" },
    { name: "another message", signature: sign("sha256", Buffer.concat([message, Buffer.from("!")]), key.privateKey), expected: "digest" },
    { name: "flipped bit", ...randomLooking(Buffer.from(valid.map((b, i) => (i === k >> 1 ? b ^ 1 : b))), key) },
    { name: "another key", ...randomLooking(sign("sha256", message, other.privateKey), key) },
  ];
}

/** A signature that decodes to noise: "range" if it happens to be at least the modulus, else "padding". */
function randomLooking(signature: Buffer, key: TestKey): { signature: Buffer; expected: string } {
  const big = (b: Buffer) => BigInt("0x" + b.toString("hex"));
  return { signature, expected: big(signature) >= big(key.modulus) ? "range" : "padding" };
}
