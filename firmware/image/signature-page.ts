// The signature page of a slot: page i of the board's `signatures` region
// holds the signed fields of the image in slot i (docs/boot-record.md,
// section 1; docs/signing.md, "Verify at boot"), so the boot verifier can
// check the slot's raw bytes against its owner's signature at every start.
// A checksummed record, little-endian: magic "FSG1", the length of the JSON
// text, the JSON text of the signed fields, CRC-32 of everything before it;
// 0xFF padding to a 4-byte boundary (flash writes are whole words). Written
// raw, page by page, while the slot is still "writing": a cut leaves the slot
// not valid, and the page is written again with it.
import type { BoardLayout } from "../board/layout";
import type { SignedDocument } from "../fota/manifest";
import { getU32, putU32 } from "../boot/fields";
import { crc32 } from "../crypto/crc32";
import type { FlashPages } from "../boot/log";

const MAGIC = 0x31475346; // "FSG1" as bytes on flash
/** Magic and length before the JSON, CRC-32 after it. */
const OVERHEAD = 12;

/** The record of a slot's signed fields, ready to write. */
export function signaturePageBytes(signed: SignedDocument): Uint8Array {
  const json = JSON.stringify({ bc_size: signed.bc_size, bc_version: signed.bc_version || "", bc_digest: signed.bc_digest, bc_counter: signed.bc_counter, bc_key: signed.bc_key, "sig-sha256-rsa": signed["sig-sha256-rsa"] });
  const out = new Uint8Array(((OVERHEAD + json.length + 3) >> 2) << 2).fill(0xff);
  putU32(out, 0, MAGIC);
  putU32(out, 4, json.length);
  for (let i = 0; i < json.length; i++) out[8 + i] = json.charCodeAt(i);
  putU32(out, 8 + json.length, crc32(out.subarray(0, 8 + json.length)));
  return out;
}

/** Slot `slot`'s signed fields from its page; a sentence saying what is wrong when the page does not hold them. */
export function readSignaturePage(flash: FlashPages, layout: BoardLayout, slot: number): SignedDocument | string {
  const at = layout.signatures.start + slot * layout.pageSize;
  const head = flash.read(8, at);
  const length = getU32(head, 4);
  if (getU32(head, 0) !== MAGIC) return "no signature record in its page";
  if (length > layout.pageSize - OVERHEAD) return "its signature record has a bad length";
  const body = flash.read(8 + length + 4, at);
  if (getU32(body, 8 + length) !== crc32(body.subarray(0, 8 + length))) return "its signature record fails its CRC-32";
  let json = "";
  for (let i = 0; i < length; i++) json += String.fromCharCode(body[8 + i]);
  try {
    return JSON.parse(json) as SignedDocument;
  } catch (e) {
    return "its signature record is not JSON";
  }
}

/** Erases slot `slot`'s page and writes `signed` into it; null leaves it blank (an unsigned image). */
export function writeSignaturePage(flash: FlashPages, layout: BoardLayout, slot: number, signed: SignedDocument | null): void {
  const at = layout.signatures.start + slot * layout.pageSize;
  flash.erasePage(at);
  if (signed) flash.write(signaturePageBytes(signed), at);
}
