// update(document): the job document checked, the image downloaded into its
// slot and verified, and the boot record told, so the loader never runs a
// slot that is being written or failed. The running image is never touched.
import { layout } from "virtual:build";
import { beginWrite, imageWritten, markInvalid } from "../boot/transitions";
import { bootContext } from "../boot/context";
import { checkFotaDocument, type DocumentCheck, type FotaDocument } from "./document";
import { download, type DownloadFailureCause, type DownloadOptions } from "./download";
import { bootRecord } from "./fota";

export interface UpdateOptions extends Pick<DownloadOptions, "ca" | "progress" | "maxRetries" | "timeoutMs" | "backoffMs"> {
  /** The job this update is for: recorded with the image, reported after the trial. */
  jobId?: string;
}

/** Why an update failed: the document, the boot record refusing the slot, or the download's own cause. */
export type UpdateFailureCause = "document" | "record" | DownloadFailureCause;

export type UpdateResult =
  | { ok: true; slot: number; document: FotaDocument; md5: string; size: number }
  | { ok: false; slot: number | null; cause: UpdateFailureCause; reason: string };

/** The slot running now (-1 when started outside the loader). */
export function runningSlot(): number {
  const ctx = bootContext();
  return ctx ? ctx.slot : -1;
}

/** Checks a raw job document against this board; a reason names every bad field. */
export function checkDocument(raw: unknown): DocumentCheck {
  return checkFotaDocument(raw, { slots: layout.slots, runningSlot: runningSlot(), allowAutoSlot: true });
}

/**
 * Downloads and verifies the image a FOTA job document names. Resolves ok
 * only when the stored bytes have the document's size and MD5; never rejects.
 */
export function update(raw: unknown, options?: UpdateOptions): Promise<UpdateResult> {
  const check = checkDocument(raw);
  if (!check.ok) return Promise.resolve<UpdateResult>({ ok: false, slot: null, cause: "document", reason: check.reason });
  return install(check.document, options);
}

/** update() for a document already checked by checkDocument(). Never rejects. */
export function install(doc: FotaDocument, options?: UpdateOptions): Promise<UpdateResult> {
  const o = options || {};
  const slot = doc.bc_idx;
  const failed = (cause: UpdateFailureCause, reason: string): UpdateResult => ({ ok: false, slot, cause, reason });
  const record = bootRecord();
  try {
    record.change((s) => beginWrite(s, slot));
  } catch (e) {
    return Promise.resolve(failed("record", (e as Error).message));
  }
  return download(doc.bc_url, layout.slots[slot], doc.bc_size, doc.bc_crc, {
    ca: o.ca,
    progress: o.progress,
    maxRetries: o.maxRetries,
    timeoutMs: o.timeoutMs,
    backoffMs: o.backoffMs,
    pageSize: layout.pageSize,
  })
    .then((result): UpdateResult => {
      if (!result.ok) {
        record.change((s) => markInvalid(s, slot, "update-failed", result.reason));
        return failed(result.cause, result.reason);
      }
      const image = { size: result.size, crc32: result.crc32, md5: result.md5, version: doc.bc_version, jobId: o.jobId || "" };
      record.change((s) => imageWritten(s, slot, image));
      return { ok: true, slot, document: doc, md5: result.md5, size: result.size };
    })
    .then(undefined, (e: Error) => failed("record", "boot record: " + e.message));
}
