// The Jobs service: the state machines of jobs.ts and job.ts applied to the
// store, with the rollout pacing and timeouts driven by one periodic sweep.
// It tells listeners which things' pending lists or next executions changed;
// jobs-mqtt.ts turns that into notify / notify-next publications.
import { EventEmitter } from "node:events";
import {
  type Clock,
  type Execution,
  type Result,
  type StatusDetails,
  type UpdateRequest,
  applyUpdate,
  cancel,
  deadlineOf,
  expire,
  fail,
  isPending,
  isTerminal,
  nextPending,
  ok,
  stateOf,
  startNext,
} from "./jobs.ts";
import { type Job, abortTriggered, countByStatus, isComplete, releasedBy } from "./job.ts";
import type { Store } from "./store.ts";

/** Turns a job document (placeholders included) into what a device receives. */
export type DocumentResolver = (job: Job) => unknown;

export interface ThingChange {
  thingName: string;
  /** The set of pending executions or their statuses changed: publish `jobs/notify`. */
  listChanged: boolean;
  /** The next pending execution is another one: publish `jobs/notify-next`. */
  nextChanged: boolean;
}

export interface JobsServiceOptions {
  /** Milliseconds in a Jobs "minute" (default 60000). */
  minuteMs?: number;
  /** How often rollouts and timeouts are checked (default: a 60th of a minute, at most 1 s). */
  sweepMs?: number;
  now?: () => number;
}

export class JobsService extends EventEmitter<{ change: [ThingChange]; jobChange: [Job] }> {
  readonly minuteMs: number;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    readonly resolveDocument: DocumentResolver,
    options: JobsServiceOptions = {},
  ) {
    super();
    this.minuteMs = options.minuteMs ?? 60_000;
    this.now = options.now ?? Date.now;
    const sweepMs = options.sweepMs ?? Math.min(1000, Math.max(5, Math.floor(this.minuteMs / 60)));
    this.sweeper = setInterval(() => this.sweep(), sweepMs);
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  private clock(): Clock {
    return { now: this.now(), minuteMs: this.minuteMs };
  }

  // control side

  createJob(job: Job): void {
    this.store.putJob(job);
    this.emit("jobChange", job);
    this.releaseDue(job);
  }

  /** Cancels a job: QUEUED executions always, IN_PROGRESS ones only with `force`. */
  cancelJob(jobId: string, force: boolean, reasonCode?: string, comment?: string): Job {
    const job = this.store.getJob(jobId);
    if (!job) throw new Error(`no job ${jobId}`);
    const now = this.now();
    const canceled: Job = {
      ...job,
      status: "CANCELED",
      forceCanceled: force || job.forceCanceled,
      reasonCode: reasonCode ?? job.reasonCode,
      comment: comment ?? job.comment,
      lastUpdatedAt: now,
    };
    this.store.putJob(canceled);
    for (const e of this.store.executionsOfJob(jobId)) {
      const next = cancel(e, force, now);
      if (next) this.save(e, next);
    }
    this.emit("jobChange", canceled);
    return canceled;
  }

  getJob(jobId: string): Job | undefined {
    return this.store.getJob(jobId);
  }

  executionsOfJob(jobId: string): Execution[] {
    return this.store.executionsOfJob(jobId);
  }

  getExecution(jobId: string, thingName: string): Execution | undefined {
    return this.store.getExecution(jobId, thingName);
  }

  // device side (the Jobs MQTT API)

  pendingOf(thingName: string): { inProgress: Execution[]; queued: Execution[] } {
    const pending = this.store.executionsOfThing(thingName).filter((e) => isPending(e.status));
    pending.sort((a, b) => a.queuedAt - b.queuedAt || a.executionNumber - b.executionNumber);
    return { inProgress: pending.filter((e) => e.status === "IN_PROGRESS"), queued: pending.filter((e) => e.status === "QUEUED") };
  }

  nextOf(thingName: string): Execution | undefined {
    return nextPending(this.store.executionsOfThing(thingName));
  }

  startNext(thingName: string, req: { statusDetails?: StatusDetails; stepTimeoutInMinutes?: number }): Execution | undefined {
    const executions = this.store.executionsOfThing(thingName);
    const started = startNext(executions, req, this.clock(), (jobId) => this.store.getJob(jobId)?.inProgressTimeoutInMinutes);
    const before = started && executions.find((e) => e.jobId === started.jobId);
    if (started && before && started !== before) this.save(before, started);
    return started;
  }

  /** DescribeJobExecution: `$next` gives the next pending execution (or none). */
  describe(thingName: string, jobId: string, executionNumber?: number): Result<Execution | undefined> {
    const e = jobId === "$next" ? this.nextOf(thingName) : this.store.getExecution(jobId, thingName);
    if (!e) return jobId === "$next" ? ok(undefined) : fail("ResourceNotFound", `no execution of job ${jobId} for ${thingName}`);
    if (executionNumber !== undefined && executionNumber !== e.executionNumber) {
      return fail("ResourceNotFound", `no execution number ${executionNumber} of job ${e.jobId} for ${thingName}`);
    }
    if (isTerminal(e.status)) return fail("TerminalStateReached", `the execution of job ${e.jobId} is ${e.status}`, stateOf(e));
    return ok(e);
  }

  update(thingName: string, jobId: string, req: UpdateRequest): Result<Execution> {
    const e = this.store.getExecution(jobId, thingName);
    if (!e) return fail("ResourceNotFound", `no execution of job ${jobId} for ${thingName}`);
    const result = applyUpdate(e, req, this.clock(), this.store.getJob(jobId)?.inProgressTimeoutInMinutes);
    if (result.ok) this.save(e, result.value);
    return result;
  }

  secondsBeforeTimedOut(e: Execution): number | undefined {
    const d = deadlineOf(e);
    return d === undefined ? undefined : Math.max(0, Math.round((d - this.now()) / 1000));
  }

  // internals

  /** Writes an execution change, then settles its job and announces the thing's change. */
  private save(before: Execution | undefined, after: Execution): void {
    const thing = after.thingName;
    const old = this.store.executionsOfThing(thing);
    const listBefore = listKey(old);
    const nextBefore = nextKey(old);
    this.store.putExecution(after, isTerminal(after.status) ? undefined : deadlineOf(after));
    const executions = this.store.executionsOfThing(thing);
    const change = { thingName: thing, listChanged: listKey(executions) !== listBefore, nextChanged: nextKey(executions) !== nextBefore };
    if (!before || before.status !== after.status) this.settleJob(after.jobId);
    if (change.listChanged || change.nextChanged) this.emit("change", change);
  }

  /** Applies abort criteria and completion after an execution's status changed. */
  private settleJob(jobId: string): void {
    const job = this.store.getJob(jobId);
    if (!job || job.status !== "IN_PROGRESS") return;
    const executions = this.store.executionsOfJob(jobId);
    const criterion = abortTriggered(job, countByStatus(executions));
    if (criterion) {
      const comment = `aborted: ${criterion.failureType} executions reached ${criterion.thresholdPercentage}% (minimum ${criterion.minNumberOfExecutedThings} things)`;
      this.cancelJob(jobId, false, "ABORTED", comment);
    } else if (isComplete(job, executions)) {
      const now = this.now();
      const done: Job = { ...job, status: "COMPLETED", completedAt: now, lastUpdatedAt: now };
      this.store.putJob(done);
      this.emit("jobChange", done);
    }
  }

  /** Queues executions for the things whose turn in the rollout has come. */
  private releaseDue(job: Job): void {
    const released = this.store.countExecutionsOfJob(job.jobId);
    const due = releasedBy(job, this.now(), this.minuteMs);
    for (const thingName of job.thingNames.slice(released, due)) {
      const now = this.now();
      const e: Execution = {
        jobId: job.jobId,
        thingName,
        executionNumber: this.store.nextExecutionNumber(thingName),
        status: "QUEUED",
        statusDetails: {},
        versionNumber: 1,
        queuedAt: now,
        lastUpdatedAt: now,
      };
      this.save(undefined, e);
    }
  }

  private sweep(): void {
    try {
      this.sweepOnce();
    } catch (err) {
      // A failing sweep (say, a locked database) is retried next time; the bench keeps running.
      console.error("bench jobs sweep failed:", err);
    }
  }

  private sweepOnce(): void {
    for (const job of this.store.jobsInProgress()) this.releaseDue(job);
    const now = this.now();
    for (const e of this.store.executionsDueBy(now)) {
      const timedOut = expire(e, now);
      if (timedOut) this.save(e, timedOut);
    }
  }
}

const listKey = (executions: Execution[]): string =>
  executions
    .filter((e) => isPending(e.status))
    .map((e) => `${e.jobId}:${e.status}`)
    .sort()
    .join(",");

const nextKey = (executions: Execution[]): string => {
  const n = nextPending(executions);
  return n ? `${n.jobId}:${n.executionNumber}` : "";
};
