// update(document): the job document checked, the image downloaded into its
// slot and verified, and the boot record told, so the loader never runs a
// slot that is being written or failed. The running image is never touched.
import { layout } from "virtual:build";
import { beginWrite, imageWritten, markInvalid } from "../boot/transitions";
import { bootContext } from "../boot/context";
import { checkFotaDocument, type FotaDocument } from "./document";
import { download, type DownloadOptions } from "./download";
import { bootRecord } from "./fota";

export interface UpdateOptions extends Pick<DownloadOptions, "ca" | "progress" | "maxRetries" | "timeoutMs" | "backoffMs"> {
  /** The job this update is for: recorded with the image, reported after the trial. */
  jobId?: string;
  /** The image's version, if the job gives one. */
  version?: string;
}

export type UpdateResult =
  | { ok: true; slot: number; document: FotaDocument; md5: string; size: number }
  | { ok: false; slot: number | null; reason: string };

/** The slot running now (-1 when started outside the loader). */
export function runningSlot(): number {
  const ctx = bootContext();
  return ctx ? ctx.slot : -1;
}

/** Checks a raw job document against this board; a reason names every bad field. */
export function checkDocument(raw: unknown) {
  return checkFotaDocument(raw, { slots: layout.slots, runningSlot: runningSlot(), allowAutoSlot: true });
}

/**
 * Downloads and verifies the image a FOTA job document names. Resolves ok
 * only when the stored bytes have the document's size and MD5; never rejects.
 */
export function update(raw: unknown, options?: UpdateOptions): Promise<UpdateResult> {
  const o = options || {};
  const check = checkDocument(raw);
  if (!check.ok) return Promise.resolve<UpdateResult>({ ok: false, slot: null, reason: check.reason });
  const doc = check.document;
  const slot = doc.bc_idx;
  const record = bootRecord();
  try {
    record.change((s) => beginWrite(s, slot));
  } catch (e) {
    return Promise.resolve<UpdateResult>({ ok: false, slot, reason: (e as Error).message });
  }
  return download(doc.bc_url, layout.slots[slot], doc.bc_size, doc.bc_crc, {
    ca: o.ca,
    progress: o.progress,
    maxRetries: o.maxRetries,
    timeoutMs: o.timeoutMs,
    backoffMs: o.backoffMs,
    pageSize: layout.pageSize,
  }).then((result): UpdateResult => {
    if (!result.ok) {
      record.change((s) => markInvalid(s, slot, "update-failed", result.reason));
      return { ok: false, slot, reason: result.reason };
    }
    const image = { size: result.size, crc32: result.crc32, md5: result.md5, version: o.version || "", jobId: o.jobId || "" };
    record.change((s) => imageWritten(s, slot, image));
    return { ok: true, slot, document: doc, md5: result.md5, size: result.size };
  });
}
