// Copies an image held in RAM or Storage (a byte string) into a code slot
// through the same page writer the download uses, so what the boot record
// keeps (size, MD5, CRC-32) is computed from the bytes read back from flash.
import type { Region } from "../board/layout";
import { SlotWriter, type StoredImage } from "../fota/slot-writer";

export function copyToSlot(image: string, slot: Region, pageSize: number, flash: FlashModule): StoredImage {
  if (image.length > slot.size) throw new Error("the image is " + image.length + " bytes, the slot holds " + slot.size);
  const writer = new SlotWriter(flash, slot, image.length, pageSize);
  writer.push(image);
  return writer.result();
}
