// update(document): the job document checked, the image downloaded into its
// slot and verified, and the boot record told, so the loader never runs a
// slot that is being written or failed. The running image is never touched.
// A download cut by a restart resumes from the bytes the record says are
// stored (docs/boot-record.md, section 6).
import { layout } from "virtual:build";
import { beginWrite, imageWritten, markInvalid, progress } from "../boot/transitions";
import { bootContext, bootRecord } from "../boot/context";
import { checkFotaDocument, type DocumentCheck, type FotaDocument } from "./document";
import { download, type DownloadFailureCause, type DownloadOptions } from "./download";
import { boardTrust, signatureNote, signatureVerdict, signedFieldsOf } from "./trust";
import { writeSignaturePage } from "../image/signature-page";

/** How often a download's progress is recorded: at most this much is fetched again after a restart. */
const PROGRESS_BYTES = 16384;

export interface UpdateOptions extends Pick<DownloadOptions, "ca" | "progress" | "maxRetries" | "timeoutMs" | "backoffMs"> {
  /** The job this update is for: recorded with the image, reported after the trial. */
  jobId?: string;
}

/**
 * Why an update failed: the document, the boot record refusing the slot, the
 * signature (its reason starts with the SignatureRefusal), or the download's own cause.
 */
export type UpdateFailureCause = "document" | "record" | "signature" | DownloadFailureCause;

export type UpdateResult =
  | { ok: true; slot: number; document: FotaDocument; md5: string; size: number; /** How the image was vouched for. */ signature: string }
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
 * only when the stored bytes have the document's size and MD5, or, on a board
 * with a trust anchor, are the ones its owner signed (docs/signing.md); never rejects.
 */
export function update(raw: unknown, options?: UpdateOptions): Promise<UpdateResult> {
  const check = checkDocument(raw);
  if (!check.ok) return Promise.resolve<UpdateResult>({ ok: false, slot: null, cause: "document", reason: check.reason });
  return install(check.document, options);
}

/**
 * Bytes of this document's image already stored and checked by an earlier
 * start for the same job (0: none): the record says its slot is being written
 * for this job, with the same size and MD5.
 */
export function resumePoint(doc: FotaDocument, jobId: string): number {
  const m = bootRecord().state().slots[doc.bc_idx];
  return m.state === "writing" && m.jobId === jobId && m.size === doc.bc_size && m.md5 === doc.bc_crc ? m.stored : 0;
}

/** update() for a document already checked by checkDocument(); resumes a cut download of the same job. Never rejects. */
export function install(doc: FotaDocument, options?: UpdateOptions): Promise<UpdateResult> {
  const o = options || {};
  const jobId = o.jobId || "";
  const slot = doc.bc_idx;
  const failed = (cause: UpdateFailureCause, reason: string): UpdateResult => ({ ok: false, slot, cause, reason });
  let record: ReturnType<typeof bootRecord>;
  let resumeFrom: number;
  const trust = boardTrust();
  if (!trust.ok) return Promise.resolve(failed("signature", trust.reason));
  const anchor = trust.anchor;
  try {
    record = bootRecord();
    // A signed board refuses a document it would refuse after the download before it erases anything.
    const early = anchor ? signatureVerdict(doc, anchor, record.state().counterFloor, undefined) : { ok: true as const };
    if (!early.ok) return Promise.resolve(failed("signature", early.reason));
    resumeFrom = resumePoint(doc, jobId);
    if (resumeFrom === 0) record.change((s) => beginWrite(s, slot, { size: doc.bc_size, md5: doc.bc_crc, version: doc.bc_version, jobId }));
  } catch (e) {
    return Promise.resolve(failed("record", (e as Error).message));
  }
  let recorded = resumeFrom;
  const onStored = (bytes: number, total: number) => {
    if (bytes - recorded >= PROGRESS_BYTES && bytes < total) {
      // Best effort: without this entry a restart only fetches more again.
      try {
        record.change((s) => progress(s, slot, bytes));
        recorded = bytes;
      } catch (e) {
        recorded = bytes;
      }
    }
    if (o.progress) o.progress(bytes, total);
  };
  return download(doc.bc_url, layout.slots[slot], doc.bc_size, doc.bc_crc, {
    ca: o.ca,
    progress: onStored,
    maxRetries: o.maxRetries,
    timeoutMs: o.timeoutMs,
    backoffMs: o.backoffMs,
    pageSize: layout.pageSize,
    resumeFrom,
    // The signed hash list vouches for the image on a board with a key; MD5 (slow in JavaScript, and not collision resistant) adds nothing.
    checkMd5: !anchor,
  })
    .then((result): UpdateResult => {
      if (!result.ok) {
        record.change((s) => markInvalid(s, slot, "update-failed", result.reason));
        return failed(result.cause, result.reason);
      }
      if (anchor) {
        const verdict = signatureVerdict(doc, anchor, record.state().counterFloor, result.digest);
        if (!verdict.ok) {
          record.change((s) => markInvalid(s, slot, "update-failed", verdict.reason));
          return failed("signature", verdict.reason);
        }
      }
      // The slot is still "writing": a cut here leaves it not valid, and its page is written again with it (docs/boot-record.md, case 10).
      // Unsigned, the page is left blank: no manifest of an image this slot held before stays beside this one.
      writeSignaturePage(require("Flash"), layout, slot, anchor ? signedFieldsOf(doc) : null);
      const counter = anchor && doc.signature ? doc.signature.bc_counter : 0;
      const image = { size: result.size, crc32: result.crc32, md5: result.md5, counter, version: doc.bc_version, jobId };
      record.change((s) => imageWritten(s, slot, image));
      return { ok: true, slot, document: doc, md5: result.md5, size: result.size, signature: signatureNote(anchor) };
    })
    .then(undefined, (e: Error) => failed("record", "boot record: " + e.message));
}
