// Signing keys (docs/signing.md): RSA-2048 or RSA-3072 with e = 65537. The
// private key is written readable by its owner only and never overwritten;
// the public key is what boards get (as fota.pub) and what identifies the key.
import { generateKeyPairSync, createPublicKey, createPrivateKey, type KeyObject } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, writeSync } from "node:fs";
import "./host-crypto.ts";
import { keyIdOf, trustAnchorText } from "../../firmware/fota/manifest.ts";

export const KEY_SIZES = [2048, 3072] as const;
export type KeySize = (typeof KEY_SIZES)[number];

/** What stops signing, said in one sentence: a key the board cannot use, a key file that cannot be read or written, something no board accepts signed. */
export class SigningError extends Error {}

export interface PublicKeyInfo {
  bits: KeySize;
  /** The modulus, big-endian, no leading zero byte. */
  modulus: Uint8Array;
  keyId: string;
}

/** The public half of a key object (public or private), checked against docs/signing.md. */
export function publicKeyInfo(key: KeyObject, source: string): PublicKeyInfo {
  if (key.asymmetricKeyType !== "rsa") throw new SigningError(`${source} is not an RSA key (it is ${key.asymmetricKeyType ?? "not asymmetric"})`);
  const jwk = (key.type === "public" ? key : createPublicKey(key)).export({ format: "jwk" });
  const modulus = new Uint8Array(Buffer.from(jwk.n!, "base64url"));
  const bits = modulus.length * 8;
  if (jwk.e !== "AQAB") throw new SigningError(`${source}: the public exponent must be 65537`);
  if (!(KEY_SIZES as readonly number[]).includes(bits) || modulus[0] < 0x80) throw new SigningError(`${source}: the key must be RSA-2048 or RSA-3072, not ${key.asymmetricKeyDetails?.modulusLength ?? bits} bits`);
  return { bits: bits as KeySize, modulus, keyId: keyIdOf(modulus) };
}

function readKeyFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new SigningError(`cannot read the key ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function readKey(path: string, kind: "private" | "public"): KeyObject {
  const pem = readKeyFile(path);
  try {
    return kind === "private" ? createPrivateKey(pem) : createPublicKey(pem);
  } catch {
    throw new SigningError(`${path} is not a PEM ${kind} key (fota keys create writes NAME.${kind === "private" ? "key" : "pub"}.pem)`);
  }
}

export function readPrivateKey(path: string): { key: KeyObject; info: PublicKeyInfo } {
  const key = readKey(path, "private");
  return { key, info: publicKeyInfo(key, path) };
}

/** A public key file (NAME.pub.pem); a private key file also holds the public key. */
export function readPublicKey(path: string): PublicKeyInfo {
  return publicKeyInfo(readKey(path, "public"), path);
}

function existsMessage(path: string): string {
  return `${path} exists: a key is never overwritten (choose another --out)`;
}

/** Writes a file that must not exist yet, with the given mode from its creation on. */
function writeNew(path: string, text: string, mode: number): void {
  let fd: number;
  try {
    fd = openSync(path, "wx", mode);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SigningError(code === "EEXIST" ? existsMessage(path) : `cannot write ${path}: ${code ?? (e as Error).message}`);
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

export interface CreatedKeyPair extends PublicKeyInfo {
  privatePath: string;
  publicPath: string;
}

/** Creates NAME.key.pem (PKCS#8, mode 0600) and NAME.pub.pem (SPKI); refuses if either exists. */
export function createKeyPair(name: string, bits: KeySize = 2048): CreatedKeyPair {
  const privatePath = `${name}.key.pem`;
  const publicPath = `${name}.pub.pem`;
  // Both checked before the slow key generation; writeNew checks again, atomically.
  for (const path of [privatePath, publicPath]) if (existsSync(path)) throw new SigningError(existsMessage(path));
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: bits, publicExponent: 65537 });
  writeNew(privatePath, privateKey.export({ format: "pem", type: "pkcs8" }) as string, 0o600);
  writeNew(publicPath, publicKey.export({ format: "pem", type: "spki" }) as string, 0o644);
  return { ...publicKeyInfo(publicKey, publicPath), privatePath, publicPath };
}

/** The contents of a board's fota.pub (docs/signing.md) for a public key file. */
export function trustAnchorFor(publicKeyPath: string): string {
  return trustAnchorText(readPublicKey(publicKeyPath).modulus);
}
