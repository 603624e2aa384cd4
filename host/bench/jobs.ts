// The AWS IoT Jobs state machine, as AWS documents it: pure functions over
// plain records, no I/O and no clock (callers pass `now` in milliseconds).
// Request parsing lives in jobs-requests.ts; storage and timers in jobs-service.ts.
import { EXECUTION_STATUSES, type AwsJobsErrorCode, type ExecutionStatus } from "../../firmware/aws/jobs-api.ts";

export { EXECUTION_STATUSES, type ExecutionStatus };

/** AWS's jobId pattern. */
export const JOB_ID = /^[a-zA-Z0-9_-]{1,64}$/;

export type StatusDetails = Record<string, string>;

const TERMINAL: readonly ExecutionStatus[] = ["SUCCEEDED", "FAILED", "REJECTED", "TIMED_OUT", "CANCELED", "REMOVED"];
/** The statuses a device may ask for in UpdateJobExecution. */
const DEVICE_SETTABLE: readonly ExecutionStatus[] = ["IN_PROGRESS", "SUCCEEDED", "FAILED", "REJECTED"];

/** An execution in this status has ended (AWS's terminal statuses; tools and tests that poll stop here too). */
export const isTerminal = (s: string): boolean => TERMINAL.includes(s as ExecutionStatus);
export const isPending = (s: ExecutionStatus): boolean => s === "QUEUED" || s === "IN_PROGRESS";

export interface ExecutionState {
  status: ExecutionStatus;
  statusDetails: StatusDetails;
  versionNumber: number;
}

export interface JobsError {
  code: AwsJobsErrorCode;
  message: string;
  /**
   * Only for InvalidStateTransition and VersionMismatch, as AWS documents the
   * ErrorResponse (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-api.html).
   */
  executionState?: ExecutionState;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: JobsError };
export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(code: AwsJobsErrorCode, message: string, executionState?: ExecutionState): Result<T> => ({
  ok: false,
  error: executionState ? { code, message, executionState } : { code, message },
});

/** One thing's execution of one job. Times are milliseconds since the epoch. */
export interface Execution {
  jobId: string;
  thingName: string;
  executionNumber: number;
  status: ExecutionStatus;
  statusDetails: StatusDetails;
  versionNumber: number;
  queuedAt: number;
  startedAt?: number;
  lastUpdatedAt: number;
  /** When the step timer (stepTimeoutInMinutes) runs out. */
  stepDeadline?: number;
  /** When the job's inProgressTimeoutInMinutes runs out. */
  inProgressDeadline?: number;
  /** Canceled by a CancelJob or CancelJobExecution with force. */
  forceCanceled?: boolean;
}

/** The timing settings that apply to an execution: minutes and how long a minute is. */
export interface Clock {
  now: number;
  /** Milliseconds in a "minute" (60000; tests shorten it to exercise timeouts). */
  minuteMs: number;
}

export const stateOf = (e: Execution): ExecutionState => ({ status: e.status, statusDetails: e.statusDetails, versionNumber: e.versionNumber });

/** The next pending execution: IN_PROGRESS ones first, then QUEUED, oldest first. */
export function nextPending(executions: readonly Execution[]): Execution | undefined {
  const pending = executions.filter((e) => isPending(e.status));
  pending.sort((a, b) => rank(a) - rank(b) || a.queuedAt - b.queuedAt || a.executionNumber - b.executionNumber);
  return pending[0];
}
const rank = (e: Execution): number => (e.status === "IN_PROGRESS" ? 0 : 1);

export interface UpdateRequest {
  status: ExecutionStatus;
  statusDetails?: StatusDetails;
  expectedVersion?: number;
  executionNumber?: number;
  stepTimeoutInMinutes?: number;
}

/** UpdateJobExecution: the execution after the device's update, or AWS's rejection. */
export function applyUpdate(e: Execution, req: UpdateRequest, clock: Clock, inProgressTimeoutInMinutes?: number): Result<Execution> {
  if (req.executionNumber !== undefined && req.executionNumber !== e.executionNumber) {
    return fail("ResourceNotFound", `no execution number ${req.executionNumber} of job ${e.jobId} for ${e.thingName}`);
  }
  if (req.expectedVersion !== undefined && req.expectedVersion !== e.versionNumber) {
    return fail("VersionMismatch", `expected version ${req.expectedVersion} but the execution is at version ${e.versionNumber}`, stateOf(e));
  }
  if (isTerminal(e.status) || !DEVICE_SETTABLE.includes(req.status)) {
    return fail("InvalidStateTransition", `cannot update job execution from ${e.status} to ${req.status}`, stateOf(e));
  }
  return ok(transition(e, req.status, clock, req.statusDetails, req.stepTimeoutInMinutes, inProgressTimeoutInMinutes));
}

/** StartNextPendingJobExecution: a QUEUED next execution moves to IN_PROGRESS; an IN_PROGRESS one is returned as it is. */
export function startNext(
  executions: readonly Execution[],
  req: { statusDetails?: StatusDetails; stepTimeoutInMinutes?: number },
  clock: Clock,
  inProgressTimeoutOf: (jobId: string) => number | undefined,
): Execution | undefined {
  const next = nextPending(executions);
  if (!next || next.status === "IN_PROGRESS") return next;
  return transition(next, "IN_PROGRESS", clock, req.statusDetails, req.stepTimeoutInMinutes, inProgressTimeoutOf(next.jobId));
}

function transition(
  e: Execution,
  status: ExecutionStatus,
  { now, minuteMs }: Clock,
  statusDetails?: StatusDetails,
  stepTimeoutInMinutes?: number,
  inProgressTimeoutInMinutes?: number,
): Execution {
  const next: Execution = { ...e, status, versionNumber: e.versionNumber + 1, lastUpdatedAt: now };
  if (statusDetails !== undefined) next.statusDetails = statusDetails;
  if (status === "IN_PROGRESS" && e.status === "QUEUED") {
    next.startedAt = now;
    if (inProgressTimeoutInMinutes !== undefined) next.inProgressDeadline = now + inProgressTimeoutInMinutes * minuteMs;
  }
  if (status === "IN_PROGRESS" && stepTimeoutInMinutes !== undefined) {
    // -1 cancels the step timer; any other value restarts it.
    next.stepDeadline = stepTimeoutInMinutes === -1 ? undefined : now + stepTimeoutInMinutes * minuteMs;
  }
  if (isTerminal(status)) {
    next.stepDeadline = undefined;
    next.inProgressDeadline = undefined;
  }
  return next;
}

/** The execution moved to TIMED_OUT if one of its timers has run out by `now`, else undefined. */
export function expire(e: Execution, now: number): Execution | undefined {
  const deadline = deadlineOf(e);
  if (isTerminal(e.status) || deadline === undefined || deadline > now) return undefined;
  return { ...e, status: "TIMED_OUT", versionNumber: e.versionNumber + 1, lastUpdatedAt: now, stepDeadline: undefined, inProgressDeadline: undefined };
}

export function deadlineOf(e: Execution): number | undefined {
  const ds = [e.stepDeadline, e.inProgressDeadline].filter((d): d is number => d !== undefined);
  return ds.length ? Math.min(...ds) : undefined;
}

/**
 * Moved to CANCELED by CancelJob or CancelJobExecution (QUEUED always;
 * IN_PROGRESS only when forced), else undefined. `statusDetails`, when given,
 * replace the execution's.
 */
export function cancel(e: Execution, force: boolean, now: number, statusDetails?: StatusDetails): Execution | undefined {
  if (e.status !== "QUEUED" && !(force && e.status === "IN_PROGRESS")) return undefined;
  return {
    ...e,
    status: "CANCELED",
    ...(statusDetails && { statusDetails }),
    ...(force && { forceCanceled: true }),
    versionNumber: e.versionNumber + 1,
    lastUpdatedAt: now,
    stepDeadline: undefined,
    inProgressDeadline: undefined,
  };
}

/** DeleteJobExecution may remove a terminal execution, or an IN_PROGRESS one when forced; a QUEUED one never. */
export const deletable = (e: Execution, force: boolean): boolean => isTerminal(e.status) || (force && e.status === "IN_PROGRESS");
