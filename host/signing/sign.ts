// Signs an image for one board (docs/signing.md): the hash list digest and the
// manifest come from the firmware's own modules, so the signer and the board
// cannot disagree on them; the signature is node:crypto's RSASSA-PKCS1-v1_5
// with SHA-256.
import { sign } from "node:crypto";
import "./host-crypto.ts";
import { hashList } from "../../firmware/crypto/hash-list.ts";
import { manifestText, isSecurityCounter, COUNTER_MAX, type SignatureFields, type SignedDocument } from "../../firmware/fota/manifest.ts";
import { versionProblem } from "../../firmware/fota/document.ts";
import { SigningError, readPrivateKey } from "./keys.ts";

export interface SignRequest {
  /** The board file's name (boards/<name>.json), e.g. "esp32". */
  board: string;
  /** Image version text ("" if none): at most 20 printable ASCII characters. */
  version: string;
  /** Security counter, 0..4294967295; a board refuses one below the highest it accepted. */
  counter: number;
  /** Private key file (NAME.key.pem). */
  keyPath: string;
}

/** The job document's signature fields, and the manifest they sign (for the record). */
export interface ImageSignature extends SignatureFields {
  manifest: string;
}

export function signImage(image: Uint8Array, request: SignRequest): ImageSignature {
  if (image.length === 0) throw new SigningError("the image is empty: there is nothing to sign");
  const version = versionProblem(request.version);
  if (version) throw new SigningError(`cannot sign: ${version}`);
  if (!isSecurityCounter(request.counter)) throw new SigningError(`security counter ${request.counter} is not an integer 0..${COUNTER_MAX}`);
  const { key, info } = readPrivateKey(request.keyPath);
  const digest = hashList().update(image).digest();
  const manifest = manifestText(request.board, image.length, digest, request.version, request.counter);
  const signature = sign("sha256", Buffer.from(manifest, "latin1"), key);
  return { bc_digest: digest, bc_counter: request.counter, bc_key: info.keyId, "sig-sha256-rsa": signature.toString("base64"), manifest };
}

/** What a job document carries for `image`: its signature fields, without the manifest they sign. */
export function signatureFields(image: Uint8Array, request: SignRequest): SignatureFields {
  const { manifest: _manifest, ...fields } = signImage(image, request);
  return fields;
}

/** The signed fields of `image` as a document holds them (size, version and signature): what a slot's signature page keeps. */
export function signedDocument(image: Uint8Array, request: SignRequest): SignedDocument {
  return { bc_size: image.length, bc_version: request.version, ...signatureFields(image, request) };
}
