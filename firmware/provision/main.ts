// The provisioning image, run once on a board by `fota flash` after it has
// erased Storage and written the loader, the configuration, this image and
// the application (as STAGED_IMAGE): copies the application into slot 0,
// records slot 0 as the confirmed image (with the version in global
// FOTA_VERSION, if set), then lays Storage out as the loader needs it
// (docs/boot-record.md, section 5, "Provisioning"): slot 0's signature page
// written from the staged record, if any, the staged files erased,
// Storage compacted, a padding file up to where the run copy's header goes,
// and the run copy, fota.run, created over exactly the board's runCopy region
// and filled with the image. It runs from a RAM copy of itself, so it may
// erase its own file; a person is at the board, so the compaction it makes
// (which a power cut can turn into an erased Storage) is done here, never in
// the field.
import { layout } from "virtual:build";
import { BootRecord } from "../boot/record";
import { provision } from "../boot/transitions";
import { copyToSlot } from "../image/slot-writer";
import { hasRunCopyFile, RUN_COPY } from "../image/run-copy";
import { STORAGE_HEADER_BYTES } from "../image/storage-header";
import { PAD, PROVISION_SCRIPT, STAGED_IMAGE, STAGED_SIGNATURE } from "./files";
import { readSignaturePage, writeSignaturePage } from "../image/signature-page";

declare const global: { FOTA_VERSION?: string };

function provisionSlot0(): string {
  const Storage = require("Storage");
  const Flash = require("Flash");
  const image = Storage.read(STAGED_IMAGE);
  if (image === undefined) throw new Error("no " + STAGED_IMAGE + " in Storage to provision");
  const stored = copyToSlot(image, layout.slots[0], layout.pageSize, Flash);
  const info = { size: stored.size, crc32: stored.crc32, md5: stored.md5, counter: signSlot0(Storage, Flash), version: global.FOTA_VERSION || "", jobId: "" };
  new BootRecord(Flash, layout).change((s) => provision(s, 0, info));
  Storage.erase(STAGED_IMAGE);
  if (Storage.read(STAGED_SIGNATURE) !== undefined) Storage.erase(STAGED_SIGNATURE);
  Storage.erase(PROVISION_SCRIPT);
  Storage.compact();
  createRunCopy(Storage, Flash, info.size);
  return "provisioned slot 0: " + info.size + " bytes, md5 " + info.md5 + ", crc32 " + info.crc32;
}

/**
 * The signature pages: every one blank, then slot 0's record copied raw into
 * its page when fota flash staged one (--verify-at-boot). Returns the signed
 * security counter (0: unsigned), which the record must hold for slot 0.
 */
function signSlot0(Storage: StorageModule, Flash: FlashModule): number {
  for (let i = 0; i < layout.slots.length; i++) writeSignaturePage(Flash, layout, i, null);
  const staged = Storage.read(STAGED_SIGNATURE);
  if (staged === undefined) return 0;
  Flash.write(staged, layout.signatures.start);
  const signed = readSignaturePage(Flash, layout, 0);
  if (typeof signed === "string") throw new Error(STAGED_SIGNATURE + ": " + signed);
  return signed.bc_counter;
}

/** Pads Storage up to runCopy's header, then creates fota.run over the region, filled with slot 0's image. */
function createRunCopy(Storage: StorageModule, Flash: FlashModule, size: number): void {
  const region = layout.runCopy;
  const stats = Storage.getStats();
  const end = layout.storage.start + stats.totalBytes - stats.freeBytes;
  const gap = region.start - STORAGE_HEADER_BYTES - end;
  // A pad is a header and at least one 4-byte word.
  if (gap !== 0 && gap < STORAGE_HEADER_BYTES + 4) {
    throw new Error("the files before the run copy end " + gap + " bytes short of its header: no file fits there (boards/" + layout.name + ".json runCopy)");
  }
  if (gap > 0) Storage.write(PAD, new Uint8Array(gap - STORAGE_HEADER_BYTES));
  for (let at = 0; at < size; at += layout.pageSize) {
    Storage.write(RUN_COPY, Flash.read(size - at < layout.pageSize ? size - at : layout.pageSize, layout.slots[0].start + at), at, region.size);
  }
  if (!hasRunCopyFile(Flash, region)) throw new Error(RUN_COPY + " did not land over the run copy region at 0x" + region.start.toString(16));
}

// Whatever ran before (an older image, its timers) must not write the record meanwhile.
clearTimeout();
try {
  print(provisionSlot0());
} catch (e) {
  print("provisioning failed: " + (e as Error).message);
}
