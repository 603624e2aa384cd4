// The provisioning image, run once on a board by `fota flash` after it has
// erased Storage and written the loader, the configuration, this image and
// the application (as STAGED_IMAGE): copies the application into slot 0,
// records slot 0 as the confirmed image (with the version in global
// FOTA_VERSION, if set), then leaves Storage as the loader's run copy needs it
// (docs/boot-record.md, section 5): the staged files erased, Storage compacted,
// and a padding file so that the next file, the run copy, starts on a page
// boundary. It runs from a RAM copy of itself, so it may erase its own file.
import { layout } from "virtual:build";
import { BootRecord } from "../boot/record";
import { provision } from "../boot/transitions";
import { copyToSlot } from "../image/slot-writer";
import { PAD, PROVISION_SCRIPT, STAGED_IMAGE } from "./files";

declare const global: { FOTA_VERSION?: string };

/** A Storage file's header (the interpreter's src/jsflash.c): data follows, 4-byte aligned. */
const STORAGE_HEADER_BYTES = 32;

function provisionSlot0(): string {
  const Storage = require("Storage");
  const Flash = require("Flash");
  const image = Storage.read(STAGED_IMAGE);
  if (image === undefined) throw new Error("no " + STAGED_IMAGE + " in Storage to provision");
  const stored = copyToSlot(image, layout.slots[0], layout.pageSize, Flash);
  const info = { size: stored.size, crc32: stored.crc32, md5: stored.md5, counter: 0, version: global.FOTA_VERSION || "", jobId: "" };
  new BootRecord(Flash, layout).change((s) => provision(s, 0, info));
  Storage.erase(STAGED_IMAGE);
  Storage.erase(PROVISION_SCRIPT);
  Storage.compact();
  padToPage(Storage);
  return "provisioned slot 0: " + info.size + " bytes, md5 " + info.md5 + ", crc32 " + info.crc32;
}

/** Writes PAD so that the next file's header starts on a page boundary. */
function padToPage(Storage: StorageModule): void {
  const stats = Storage.getStats();
  const end = stats.totalBytes - stats.freeBytes;
  let gap = (layout.pageSize - (end % layout.pageSize)) % layout.pageSize;
  if (gap === 0) return;
  // The pad's own header takes 32 bytes, and a file holds at least one byte.
  if (gap < STORAGE_HEADER_BYTES + 4) gap += layout.pageSize;
  Storage.write(PAD, new Uint8Array(gap - STORAGE_HEADER_BYTES));
}

// Whatever ran before (an older image, its timers) must not write the record meanwhile.
clearTimeout();
try {
  print(provisionSlot0());
} catch (e) {
  print("provisioning failed: " + (e as Error).message);
}
