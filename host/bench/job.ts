// A job as the control plane sees it: its settings, rollout pacing, abort
// criteria, completion and per-status counts. Pure functions, no I/O.
// A SNAPSHOT job goes to the things its targets name when it is created and
// completes once they are all done; a CONTINUOUS job also goes to each thing
// that joins a target group later, and never completes
// (https://docs.aws.amazon.com/iot/latest/developerguide/iot-jobs-lifecycle.html).
import { type Execution, type ExecutionStatus, isTerminal } from "./jobs.ts";

export type JobStatus = "IN_PROGRESS" | "CANCELED" | "COMPLETED";
export type TargetSelection = "SNAPSHOT" | "CONTINUOUS";
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
  /** Thing and thing-group ARNs as given. */
  targets: string[];
  /** The things the job goes to, in rollout order: its targets' things at creation, then things joining a target group (CONTINUOUS). */
  thingNames: string[];
  /** SNAPSHOT when absent. */
  targetSelection?: TargetSelection;
  /** How many of thingNames have their execution, and when the next may get it; set from the first release. */
  released?: number;
  nextReleaseAt?: number;
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
 * How many more of the job's things are due for release by `now`, and when
 * the one after them may go. With a maximumPerMinute of r, releases are 1/r
 * minute apart, the first at creation or when a thing joins an idle
 * continuous job: no minute sees a burst.
 */
export function dueReleases(job: Job, released: number, now: number, minuteMs: number): { count: number; nextReleaseAt: number } {
  const interval = job.maximumPerMinute === undefined ? 0 : minuteMs / job.maximumPerMinute;
  let at = job.nextReleaseAt ?? job.createdAt + released * interval;
  let count = 0;
  while (job.status === "IN_PROGRESS" && released + count < job.thingNames.length && at <= now) {
    count++;
    at += interval;
  }
  return { count, nextReleaseAt: at };
}

/** A CONTINUOUS job after `thingName` joined one of its target groups; the pacing of an idle rollout starts again now. */
export function withThingJoined(job: Job, released: number, thingName: string, now: number): Job {
  const idle = released >= job.thingNames.length;
  return { ...job, thingNames: [...job.thingNames, thingName], ...(idle && { nextReleaseAt: Math.max(job.nextReleaseAt ?? now, now) }) };
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

/** A running SNAPSHOT job is COMPLETED once every thing was released and every execution is terminal. */
export function isComplete(job: Job, released: number, executions: readonly Execution[]): boolean {
  return job.status === "IN_PROGRESS" && job.targetSelection !== "CONTINUOUS" && released >= job.thingNames.length && executions.every((e) => isTerminal(e.status));
}
