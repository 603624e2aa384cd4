// Test stand-in for update() + test(): copies Storage file STAGE.file into
// slot STAGE.slot, records it as verified, and marks it for a trial start.
import { layout } from "virtual:build";
import { BootRecord } from "../../../firmware/boot/record";
import { beginWrite, imageWritten, startTrial } from "../../../firmware/boot/transitions";
import { copyToSlot } from "../../../firmware/boot/slot-copy";

declare const global: { STAGE: { file: string; slot: number; jobId: string; version: string } };
const job = global.STAGE;
const flash = require("Flash");
const record = new BootRecord(flash, layout);
record.change((s) => beginWrite(s, job.slot));
const stored = copyToSlot(require("Storage").read(job.file)!, layout.slots[job.slot], layout.pageSize, flash);
record.change((s) => imageWritten(s, job.slot, { size: stored.size, crc32: stored.crc32, md5: stored.md5, version: job.version, jobId: job.jobId }));
record.change((s) => startTrial(s, job.slot, job.jobId));
print("staged slot " + job.slot + " md5 " + stored.md5);
