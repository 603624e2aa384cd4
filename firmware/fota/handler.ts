// handleFotaJobs(jobs, options): the whole FOTA flow in one call, as the
// earlier library's handle_fota_jobs, without its bugs. Called once with
// `force` after connecting, then periodically from the main loop:
//  - an IN_PROGRESS FOTA job on a fresh start is settled: SUCCEEDED if this
//    image is the one the job wrote (a trial is confirmed first), its
//    download resumed if a restart cut it, else FAILED with the loader's
//    recorded reason;
//  - the first QUEUED FOTA job is checked, marked IN_PROGRESS, downloaded
//    and verified, put on trial, and the board restarts into it; any failure
//    marks it FAILED with the reason, and the running image stays;
//  - every other job goes to `jobCallback`; a document that is not a JSON
//    object is REJECTED. Nothing is ignored in silence.
import { Job, Jobs, FAILED, IN_PROGRESS, REJECTED, SUCCEEDED, DETAILS_VALUE_MAX, type StatusDetails } from "../aws/jobs";
import { bootRecord } from "../boot/context";
import { confirm, reset, status, test } from "./fota";
import { load as loadEngine } from "virtual:fota-engine";

export interface FotaJobsOptions {
  /** Ask for pending jobs even without a notification (right after connecting). */
  force?: boolean;
  /** Close MQTT while downloading (default true): two TLS sessions at once are heavy for the board and can stop the interpreter (docs/interpreter.md, "Network"). */
  disconnectMqtt?: boolean;
  /** Restart into the new image by itself (default true); otherwise the result says a reset is due. */
  autoReset?: boolean;
  /** Every job that is not a FOTA job. */
  jobCallback?: (job: Job) => void;
  /** CA of the image server (DER), if the download should name one. */
  ca?: string;
  /** Download progress: bytes stored, image size. */
  progress?: (bytes: number, total: number) => void;
  /** Seconds to get MQTT back after the download (default 60). */
  reconnectTimeoutS?: number;
}

/** What the call did: nothing to do, jobs handled, or an update waiting for a reset (autoReset false). */
export type FotaOutcome = "idle" | "handled" | "reset-needed" | "busy";

let running = false;

export function handleFotaJobs(jobs: Jobs, options?: FotaJobsOptions): Promise<FotaOutcome> {
  const o = options || {};
  if (running) return Promise.resolve<FotaOutcome>("busy");
  if (!o.force && !jobs.changed()) return Promise.resolve<FotaOutcome>("idle");
  running = true;
  const done = (outcome: FotaOutcome) => {
    running = false;
    return outcome;
  };
  return jobs
    .list()
    .then((pending) => handlePending(jobs, pending.inProgress, pending.queued, o))
    .then(done, (e) => {
      running = false;
      throw e;
    });
}

function handlePending(jobs: Jobs, inProgress: Job[], queued: Job[], o: FotaJobsOptions): Promise<FotaOutcome> {
  let outcome: FotaOutcome = "handled";
  let chain: Promise<unknown> = Promise.resolve();
  inProgress.forEach((job) => {
    chain = chain.then(() => job.describe()).then(() => {
      if (!isFotaJob(job)) return o.jobCallback && o.jobCallback(job);
      return settle(jobs, job, o).then((result) => {
        if (result === "reset-needed") outcome = "reset-needed";
      });
    });
  });
  let fotaTaken = false;
  queued.forEach((job) => {
    chain = chain.then(() => job.describe()).then((): unknown => {
      if (typeof job.document !== "object" || job.document === null || job.document instanceof Array) {
        return job.update(REJECTED, details({ reason: "the job document is not a JSON object" }));
      }
      if (!isFotaJob(job)) return o.jobCallback && o.jobCallback(job);
      // One FOTA at a time: later ones wait for the next call.
      if (fotaTaken || outcome === "reset-needed") return undefined;
      fotaTaken = true;
      return runUpdate(jobs, job, o).then((result) => {
        outcome = result;
      });
    });
  });
  return chain.then(() => outcome);
}

function isFotaJob(job: Job): boolean {
  return typeof job.document === "object" && job.document !== null && job.document.operation === "fota";
}

/** An IN_PROGRESS FOTA job found at start: did its image come up, or is its download to resume? */
function settle(jobs: Jobs, job: Job, o: FotaJobsOptions): Promise<FotaOutcome> {
  const state = bootRecord().state();
  const now = status();
  let wrote = -1;
  for (let i = 0; i < state.slots.length; i++) if (state.slots[i].jobId === job.jobId && state.slots[i].state !== "empty") wrote = i;
  // A restart (power, watchdog) cut its download: it goes on from what is stored.
  if (wrote >= 0 && state.slots[wrote].state === "writing") return runUpdate(jobs, job, o);
  // Updated and put on trial, but the caller has not restarted yet (autoReset false).
  if (wrote >= 0 && state.trial === wrote && state.trialStarts === 0) return Promise.resolve<FotaOutcome>("reset-needed");
  if (wrote >= 0 && now.slot === wrote) {
    if (now.trial) confirm();
    const meta = state.slots[wrote];
    const result: { [key: string]: string } = { slot: String(wrote), version: meta.version || "unknown" };
    // A board that verifies signatures does not compute MD5: its signed hash list vouched for the image.
    if (meta.md5) result.md5 = meta.md5;
    // How the image was vouched for, as the image that installed it said before the restart.
    const signature = job.statusDetails && job.statusDetails.signature;
    if (signature) result.signature = signature;
    return job.update(SUCCEEDED, details(result)).then(() => "handled" as const);
  }
  const failure = now.lastFailure;
  let reason: string;
  if (failure && failure.jobId === job.jobId) reason = failure.reason + ": " + failure.detail;
  else if (wrote >= 0) reason = "the board runs slot " + now.slot + ", not slot " + wrote + " that this job wrote";
  else reason = "the update did not complete: the board restarted before the new image was ready";
  return job.update(FAILED, details({ reason: reason, runningSlot: String(now.slot) })).then(() => "handled" as const);
}

/**
 * A QUEUED FOTA job, or one whose download a restart cut: check, download (or
 * resume), verify, trial. The engine exists only while this runs.
 */
function runUpdate(jobs: Jobs, job: Job, o: FotaJobsOptions): Promise<FotaOutcome> {
  const engine = loadEngine();
  const check = engine.checkDocument(job.document);
  if (!check.ok) return job.update(FAILED, details({ reason: check.reason })).then(() => "handled" as const);
  const document = check.document;
  const slot = document.bc_idx;
  const disconnect = o.disconnectMqtt !== false;
  const resumeFrom = engine.resumePoint(document, job.jobId);
  return job
    .update(IN_PROGRESS, details({ step: resumeFrom > 0 ? "downloading, resumed at " + resumeFrom + " bytes" : "downloading", slot: String(slot) }))
    // The download's TLS connection opens once MQTT's is gone: one at a time.
    .then(() => (disconnect ? jobs.thing.disconnect() : undefined))
    .then(() => engine.install(document, { jobId: job.jobId, ca: o.ca, progress: o.progress }))
    .then((result) => {
      const back = disconnect ? jobs.thing.connect(o.reconnectTimeoutS || 60) : Promise.resolve();
      return back.then((): Promise<FotaOutcome> => {
        if (!result.ok) return job.update(FAILED, details({ reason: result.reason })).then(() => "handled" as const);
        test(result.slot, job.jobId);
        return job.update(IN_PROGRESS, details({ step: "restarting into slot " + result.slot + " on trial", slot: String(result.slot), md5: result.md5, signature: result.signature })).then(() => {
          if (o.autoReset === false) return "reset-needed" as const;
          jobs.thing.disconnect();
          // Let the DISCONNECT leave before the restart.
          setTimeout(reset, 500);
          return "handled" as const;
        });
      });
    });
}

/** statusDetails as AWS takes them: non-empty strings of at most 1024 characters. */
function details(values: { [key: string]: string }): StatusDetails {
  const out: StatusDetails = {};
  for (const key in values) {
    const value = String(values[key] || "-");
    out[key] = value.length > DETAILS_VALUE_MAX ? value.substring(0, DETAILS_VALUE_MAX - 3) + "..." : value;
  }
  return out;
}
