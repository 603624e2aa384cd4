// Test stand-in for update() + test(), evaluated on a running board: copies
// Storage file STAGE.file into slot STAGE.slot, records it as verified, and
// marks it for a trial start, through the loader's boot record; with the
// security counter STAGE.counter (0: unsigned), which confirm() raises the floor to.
import { layout } from "virtual:build";
import { bootRecord } from "../../../firmware/boot/context";
import { beginWrite, imageWritten, startTrial } from "../../../firmware/boot/transitions";
import { copyToSlot } from "../../../firmware/image/slot-writer";

declare const global: { STAGE: { file: string; slot: number; jobId: string; version: string; counter?: number } };
const job = global.STAGE;
const record = bootRecord();
const image = require("Storage").read(job.file)!;
record.change((s) => beginWrite(s, job.slot, { size: image.length, md5: "", version: job.version, jobId: job.jobId }));
const stored = copyToSlot(image, layout.slots[job.slot], layout.pageSize, require("Flash"));
record.change((s) => imageWritten(s, job.slot, { size: stored.size, crc32: stored.crc32, md5: stored.md5, counter: job.counter || 0, version: job.version, jobId: job.jobId }));
record.change((s) => startTrial(s, job.slot, job.jobId));
print("staged slot " + job.slot + " md5 " + stored.md5);
