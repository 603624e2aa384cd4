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
  startNext,
} from "./jobs.ts";
import { type Job, abortTriggered, countByStatus, dueReleases, isComplete, withThingJoined } from "./job.ts";
import type { Store } from "./store.ts";

/** Turns a job document (placeholders included) into what a device receives. */
export type DocumentResolver = (job: Job) => unknown;

export interface ThingChange {
  thingName: string;
  /** An execution joined or left the thing's pending list: publish `jobs/notify`. */
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

export class JobsService extends EventEmitter<{ change: [ThingChange] }> {
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
    this.releaseDue(job);
    // A SNAPSHOT job whose targets hold no thing is complete at once.
    this.settleJob(job.jobId);
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
    return canceled;
  }

  /** DeleteJob: the job and its executions are gone; their things hear of it. */
  deleteJob(jobId: string): void {
    const things = this.store.executionsOfJob(jobId).map((e) => e.thingName);
    this.announce(things, () => this.store.deleteJob(jobId));
  }

  /** CancelJobExecution: the execution CANCELED (see jobs.ts cancel()), or undefined when its status does not allow it. */
  cancelExecution(e: Execution, force: boolean, statusDetails?: StatusDetails): Execution | undefined {
    const canceled = cancel(e, force, this.now(), statusDetails);
    if (canceled) this.save(e, canceled);
    return canceled;
  }

  /** DeleteJobExecution: the execution is gone, and its job may be complete now. */
  deleteExecution(e: Execution): void {
    this.announce([e.thingName], () => this.store.deleteExecution(e.jobId, e.thingName));
    this.settleJob(e.jobId);
  }

  /** A thing joined a group: each running CONTINUOUS job targeting the group goes to it too, at the job's rollout pace. */
  thingJoinedGroup(thingName: string, groupArn: string): void {
    for (const job of this.store.jobsInProgress()) {
      if (job.targetSelection !== "CONTINUOUS" || !job.targets.includes(groupArn) || job.thingNames.includes(thingName)) continue;
      const joined = withThingJoined(job, this.releasedOf(job), thingName, this.now());
      this.store.putJob(joined);
      this.releaseDue(joined);
    }
  }

  getJob(jobId: string): Job | undefined {
    return this.store.getJob(jobId);
  }

  /** Every job, oldest first. */
  allJobs(): Job[] {
    return this.store.allJobs();
  }

  executionsOfJob(jobId: string): Execution[] {
    return this.store.executionsOfJob(jobId);
  }

  executionsOfThing(thingName: string): Execution[] {
    return this.store.executionsOfThing(thingName);
  }

  getExecution(jobId: string, thingName: string): Execution | undefined {
    return this.store.getExecution(jobId, thingName);
  }

  // device side (the Jobs MQTT API)

  pendingOf(thingName: string): { inProgress: Execution[]; queued: Execution[] } {
    const pending = this.store.executionsOfThing(thingName).filter((e) => isPending(e.status));
    pending.sort((a, b) => a.queuedAt - b.queuedAt);
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

  /**
   * DescribeJobExecution: `$next` gives the next pending execution (or none).
   * A terminal one is TerminalStateReached, without its state
   * (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-api.html).
   */
  describe(thingName: string, jobId: string, executionNumber?: number): Result<Execution | undefined> {
    const e = jobId === "$next" ? this.nextOf(thingName) : this.store.getExecution(jobId, thingName);
    if (!e) return jobId === "$next" ? ok(undefined) : fail("ResourceNotFound", `no execution of job ${jobId} for ${thingName}`);
    if (executionNumber !== undefined && executionNumber !== e.executionNumber) {
      return fail("ResourceNotFound", `no execution number ${executionNumber} of job ${e.jobId} for ${thingName}`);
    }
    if (isTerminal(e.status)) return fail("TerminalStateReached", `the execution of job ${e.jobId} is ${e.status}`);
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
    this.announce([after.thingName], () => this.store.putExecution(after, isTerminal(after.status) ? undefined : deadlineOf(after)));
    if (!before || before.status !== after.status) this.settleJob(after.jobId);
  }

  /** Runs `write`, then announces each of `things` whose pending list or next execution it changed. */
  private announce(things: string[], write: () => void): void {
    const before = new Map(things.map((t) => [t, keysOf(this.store.executionsOfThing(t))]));
    write();
    for (const [thingName, was] of before) {
      const now = keysOf(this.store.executionsOfThing(thingName));
      const change = { thingName, listChanged: now.list !== was.list, nextChanged: now.next !== was.next };
      if (change.listChanged || change.nextChanged) this.emit("change", change);
    }
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
    } else if (isComplete(job, this.releasedOf(job), executions)) {
      const now = this.now();
      this.store.putJob({ ...job, status: "COMPLETED", completedAt: now, lastUpdatedAt: now });
    }
  }

  /** Records written before the count was kept never lost an execution: their number is the count. */
  private releasedOf(job: Job): number {
    return job.released ?? this.store.countExecutionsOfJob(job.jobId);
  }

  /** Queues executions for the things whose turn in the rollout has come, in one transaction. */
  private releaseDue(job: Job): void {
    const released = this.releasedOf(job);
    const now = this.now();
    const due = dueReleases(job, released, now, this.minuteMs);
    if (due.count === 0) return;
    this.store.atomically(() => {
      this.store.putJob({ ...job, released: released + due.count, nextReleaseAt: due.nextReleaseAt });
      for (const thingName of job.thingNames.slice(released, released + due.count)) {
        // Abort criteria may cancel the job while its things are being released.
        if (this.store.getJob(job.jobId)?.status !== "IN_PROGRESS") return;
        // Each execution is its thing's first of this job: the bench never runs a job twice on a thing.
        this.save(undefined, { jobId: job.jobId, thingName, executionNumber: 1, status: "QUEUED", statusDetails: {}, versionNumber: 1, queuedAt: now, lastUpdatedAt: now });
      }
    });
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

/**
 * What notify and notify-next follow: the set of pending jobs (AWS sends a
 * ListNotification when an execution joins or leaves it, not when one goes
 * from QUEUED to IN_PROGRESS) and which execution is next
 * (https://docs.aws.amazon.com/iot/latest/developerguide/jobs-comm-notifications.html).
 */
function keysOf(executions: Execution[]): { list: string; next: string } {
  const list = executions
    .filter((e) => isPending(e.status))
    .map((e) => e.jobId)
    .sort()
    .join(",");
  const n = nextPending(executions);
  return { list, next: n ? `${n.jobId}:${n.executionNumber}` : "" };
}
