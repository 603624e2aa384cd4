// A job as the control plane sees it: its settings, rollout pacing, abort
// criteria, completion and per-status counts. Pure functions, no I/O.
import { type Execution, type ExecutionStatus, isTerminal } from "./jobs.ts";

export type JobStatus = "IN_PROGRESS" | "CANCELED" | "COMPLETED";
export type AbortFailureType = "FAILED" | "REJECTED" | "TIMED_OUT" | "ALL";

export interface AbortCriteria {
  failureType: AbortFailureType;
  action: "CANCEL";
  thresholdPercentage: number;
  minNumberOfExecutedThings: number;
}

/** CreateJob's settings as the bench keeps them (times in milliseconds). */
export interface Job {
  jobId: string;
  /** The job document as given, placeholders unresolved. */
  document: string;
  description?: string;
  /** Thing ARNs as given, and the thing names they name, in order. */
  targets: string[];
  thingNames: string[];
  presignedUrlConfig?: { roleArn?: string; expiresInSec: number };
  inProgressTimeoutInMinutes?: number;
  maximumPerMinute?: number;
  abortCriteria: AbortCriteria[];
  status: JobStatus;
  forceCanceled?: boolean;
  reasonCode?: string;
  comment?: string;
  createdAt: number;
  lastUpdatedAt: number;
  completedAt?: number;
}

/**
 * How many of the job's things may have been notified by `now`. With a
 * maximumPerMinute of r, the k-th thing (0-based) is released k/r minutes
 * after creation, so no minute ever sees more than r releases.
 */
export function releasedBy(job: Job, now: number, minuteMs: number): number {
  const total = job.thingNames.length;
  if (job.status !== "IN_PROGRESS") return 0;
  if (job.maximumPerMinute === undefined) return total;
  const elapsed = Math.max(0, now - job.createdAt);
  return Math.min(total, 1 + Math.floor((elapsed * job.maximumPerMinute) / minuteMs));
}

/** When the next not-yet-released thing is due, or undefined when all are out. */
export function nextReleaseAt(job: Job, released: number, minuteMs: number): number | undefined {
  if (job.status !== "IN_PROGRESS" || released >= job.thingNames.length) return undefined;
  if (job.maximumPerMinute === undefined) return job.createdAt;
  return job.createdAt + Math.ceil((released * minuteMs) / job.maximumPerMinute);
}

export type ProcessCounts = Record<ExecutionStatus, number>;

export function countByStatus(executions: readonly Execution[]): ProcessCounts {
  const counts: ProcessCounts = { QUEUED: 0, IN_PROGRESS: 0, SUCCEEDED: 0, FAILED: 0, REJECTED: 0, TIMED_OUT: 0, CANCELED: 0, REMOVED: 0 };
  for (const e of executions) counts[e.status]++;
  return counts;
}

/**
 * The criterion that aborts the job, if any: once at least
 * minNumberOfExecutedThings things have been notified of the job, the share of
 * those that ended in the failure type reaches thresholdPercentage.
 */
export function abortTriggered(job: Job, counts: ProcessCounts): AbortCriteria | undefined {
  if (job.status !== "IN_PROGRESS") return undefined;
  const notified = Object.values(counts).reduce((a, b) => a + b, 0);
  return job.abortCriteria.find((c) => {
    if (notified < c.minNumberOfExecutedThings || notified === 0) return false;
    const failures = c.failureType === "ALL" ? counts.FAILED + counts.REJECTED + counts.TIMED_OUT : counts[c.failureType];
    return (failures * 100) / notified >= c.thresholdPercentage;
  });
}

/** A running job is COMPLETED once every thing was notified and every execution is terminal. */
export function isComplete(job: Job, executions: readonly Execution[]): boolean {
  return job.status === "IN_PROGRESS" && executions.length === job.thingNames.length && executions.every((e) => isTerminal(e.status));
}
