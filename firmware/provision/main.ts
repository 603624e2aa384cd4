// The provisioning image, run once on a board by `fota flash` (through the
// espruino CLI) after it has put the application into Storage as "fota.img":
// copies it into slot 0, records slot 0 as the confirmed image (with the
// version in global FOTA_VERSION, if set), and removes the Storage copy.
import { layout } from "virtual:build";
import { BootRecord } from "../boot/record";
import { provision } from "../boot/transitions";
import { copyToSlot } from "../boot/slot-copy";

const STAGED = "fota.img";
declare const global: { FOTA_VERSION?: string };

function provisionSlot0(): string {
  const Storage = require("Storage");
  const Flash = require("Flash");
  const image = Storage.read(STAGED);
  if (image === undefined) throw new Error("no " + STAGED + " in Storage to provision");
  const stored = copyToSlot(image, layout.slots[0], layout.pageSize, Flash);
  const info = { size: stored.size, crc32: stored.crc32, md5: stored.md5, version: global.FOTA_VERSION || "", jobId: "" };
  new BootRecord(Flash, layout).change((s) => provision(s, 0, info));
  Storage.erase(STAGED);
  return "provisioned slot 0: " + info.size + " bytes, md5 " + info.md5 + ", crc32 " + info.crc32;
}

try {
  print(provisionSlot0());
} catch (e) {
  print("provisioning failed: " + (e as Error).message);
}
