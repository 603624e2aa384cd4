// Test stand-in for update() + test(), evaluated on a running board: copies
// Storage file STAGE.file into slot STAGE.slot, records it as verified, and
// marks it for a trial start, through the loader's boot record. Signed
// (STAGE.signed: the document's signed fields), it writes the slot's
// signature page where update() does, before the slot is marked written, and
// records the signed security counter, which confirm() raises the floor to.
import { layout } from "virtual:build";
import { bootRecord } from "../../../firmware/boot/context";
import { beginWrite, imageWritten, startTrial } from "../../../firmware/boot/transitions";
import { copyToSlot } from "../../../firmware/image/slot-writer";
import { writeSignaturePage } from "../../../firmware/image/signature-page";
import type { SignedDocument } from "../../../firmware/fota/manifest";

declare const global: { STAGE: { file: string; slot: number; jobId: string; version: string; signed?: SignedDocument } };
const job = global.STAGE;
const record = bootRecord();
const image = require("Storage").read(job.file)!;
record.change((s) => beginWrite(s, job.slot, { size: image.length, md5: "", version: job.version, jobId: job.jobId }));
const stored = copyToSlot(image, layout.slots[job.slot], layout.pageSize, require("Flash"));
writeSignaturePage(require("Flash"), layout, job.slot, job.signed || null);
const counter = job.signed ? job.signed.bc_counter : 0;
record.change((s) => imageWritten(s, job.slot, { size: stored.size, crc32: stored.crc32, md5: stored.md5, counter, version: job.version, jobId: job.jobId }));
record.change((s) => startTrial(s, job.slot, job.jobId));
print("staged slot " + job.slot + " md5 " + stored.md5);
