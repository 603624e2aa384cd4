// Copies an image held in RAM or Storage (a byte string) into a code slot,
// page by page, and returns what the boot record keeps of it, computed from
// the bytes read back from flash, so it describes what was stored.
import type { Region } from "../board/layout";
import type { FlashPages } from "./log";
import { Md5 } from "../crypto/md5";
import { crc32 } from "../crypto/crc32";

export interface StoredImage {
  size: number;
  md5: string;
  crc32: number;
}

export function copyToSlot(image: string, slot: Region, pageSize: number, flash: FlashPages): StoredImage {
  if (image.length > slot.size) throw new Error("the image is " + image.length + " bytes, the slot holds " + slot.size);
  const md5 = new Md5();
  for (let offset = 0; offset < image.length; offset += pageSize) {
    const chunk = image.substr(offset, pageSize);
    flash.erasePage(slot.start + offset);
    flash.write(E.toUint8Array(chunk), slot.start + offset);
    md5.update(flash.read(chunk.length, slot.start + offset));
  }
  const written = flash.read(image.length, slot.start);
  if (E.toString(written) !== image) throw new Error("the slot does not read back as written");
  return { size: image.length, md5: md5.digest(), crc32: crc32(written) };
}
