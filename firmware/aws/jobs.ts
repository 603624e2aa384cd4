// The AWS IoT Jobs client over MQTT, in two layers:
// - Jobs: every device call of the Jobs MQTT API ($aws/things/<thing>/jobs/...),
//   each a request with a fresh clientToken answered on <topic>/accepted or
//   /rejected, matched by topic AND token, with a timeout, throttling retried
//   with backoff; plus the notify / notify-next subscriptions;
// - Job: the earlier library's surface (list, describe, update) on top.
// Nothing blocks: every call returns a promise; a failure is an Error with a
// `code` (a JobsErrorCode: AWS's, or Timeout / InvalidStatusDetails / InvalidJobId here).
import type { Thing } from "./thing";
import type { AwsJobsErrorCode, ExecutionStatus } from "./jobs-api";

/** A job execution's status (the earlier library's name for it). */
export type JobStatus = ExecutionStatus;

export const QUEUED: JobStatus = "QUEUED";
export const IN_PROGRESS: JobStatus = "IN_PROGRESS";
export const SUCCEEDED: JobStatus = "SUCCEEDED";
export const FAILED: JobStatus = "FAILED";
export const REJECTED: JobStatus = "REJECTED";

export type StatusDetails = { [key: string]: string };

export interface ExecutionState {
  status: JobStatus;
  statusDetails?: StatusDetails;
  versionNumber: number;
}

/** A pending execution as the list and notify answers summarise it (times in seconds). */
export interface ExecutionSummary {
  jobId: string;
  queuedAt: number;
  startedAt?: number;
  lastUpdatedAt: number;
  versionNumber: number;
  executionNumber: number;
}

export interface JobExecution extends ExecutionSummary {
  thingName: string;
  status: JobStatus;
  statusDetails?: StatusDetails;
  jobDocument?: any;
  approximateSecondsBeforeTimedOut?: number;
}

export interface PendingJobs {
  inProgressJobs: ExecutionSummary[];
  queuedJobs: ExecutionSummary[];
}

export interface UpdateResult {
  executionState?: ExecutionState;
  jobDocument?: any;
}

export interface DescribeOptions {
  executionNumber?: number;
  /** Default true. */
  includeJobDocument?: boolean;
}

export interface StartNextOptions {
  statusDetails?: StatusDetails;
  /** 1..10080 minutes, or -1 to cancel the step timer. */
  stepTimeoutInMinutes?: number;
}

export interface UpdateOptions extends StartNextOptions {
  expectedVersion?: number;
  executionNumber?: number;
  includeJobExecutionState?: boolean;
  includeJobDocument?: boolean;
}

/** What went wrong with a Jobs request: AWS's codes, then the client's, in the same spelling. */
export type JobsErrorCode =
  | AwsJobsErrorCode
  /** No answer within the timeout. */
  | "Timeout"
  /** Refused here before sending: AWS would refuse it. */
  | "InvalidJobId"
  | "InvalidStatusDetails"
  /** The MQTT client could not send the request or subscribe to its answers. */
  | "PublishFailed"
  | "SubscribeFailed"
  /** A rejection that carried no code. */
  | "Unknown";

/** An Error with a JobsErrorCode; `executionState` when AWS sent the execution's current state. */
export interface JobsError extends Error {
  code: JobsErrorCode;
  executionState?: ExecutionState;
}

export interface JobsOptions {
  /** Seconds to wait for each answer; default 10. */
  timeout?: number;
  /** How many times a RequestThrottled answer is retried; default 4. */
  retries?: number;
  /** Seconds before the first retry; it doubles with each one and is jittered to 50..100%. Default 0.5. */
  backoff?: number;
  /** Source of jitter; default Math.random. */
  random?: () => number;
}

/** A request awaiting its answer. */
interface Pending {
  topic: string;
  token: string;
  resolve: (body: any) => void;
  reject: (e: JobsError) => void;
  timer: number;
}

export function jobsError(code: JobsErrorCode, message: string, executionState?: ExecutionState): JobsError {
  const e = new Error(message) as JobsError;
  e.code = code;
  if (executionState) e.executionState = executionState;
  return e;
}

// AWS's limits (API reference, JobExecutionStatusDetails and UpdateJobExecution):
// keys 1..128 of [a-zA-Z0-9:_-], values 1..1024 characters of [^\p{C}].
const DETAILS_KEY = /^[a-zA-Z0-9:_-]+$/;
const DETAILS_KEY_MAX = 128;
export const DETAILS_VALUE_MAX = 1024;
const JOB_ID = /^[a-zA-Z0-9_-]+$/;
const JOB_ID_MAX = 64;

/** Why `details` would be rejected by AWS, or null. */
export function statusDetailsProblem(details: any): string | null {
  if (typeof details !== "object" || details === null || details instanceof Array) return "statusDetails must be an object of strings";
  const keys = Object.keys(details);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const value = details[key];
    if (key.length > DETAILS_KEY_MAX || !DETAILS_KEY.test(key)) return "statusDetails key \"" + key.substr(0, 40) + "\" must be 1 to 128 characters of a-z A-Z 0-9 : _ -";
    if (typeof value !== "string") return "statusDetails value of \"" + key + "\" must be a string";
    if (value.length < 1 || value.length > DETAILS_VALUE_MAX) return "statusDetails value of \"" + key + "\" must be 1 to 1024 characters";
    const bad = invisibleAt(value);
    if (bad >= 0) return "statusDetails value of \"" + key + "\" has a control or format character at " + bad;
  }
  return null;
}

/** A message's JSON value, or undefined when it is not JSON. */
function jsonOf(text: string): any {
  try {
    return JSON.parse(text);
  } catch (e) {
    return undefined;
  }
}

/** The index of the first character of Unicode category C (\p{C}: control, format, private use, surrogate), or -1. */
function invisibleAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c === 0xad || (c >= 0x600 && c <= 0x605) || c === 0x61c || c === 0x6dd ||
      c === 0x70f || c === 0x180e || (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
      (c >= 0x2060 && c <= 0x206f) || c === 0xfeff || (c >= 0xfff9 && c <= 0xfffb) || (c >= 0xe000 && c <= 0xf8ff)) return i;
    // A surrogate pair is one character (not in C); a lone surrogate is.
    if (c >= 0xd800 && c < 0xdc00) {
      const low = text.charCodeAt(i + 1);
      if (!(low >= 0xdc00 && low < 0xe000)) return i;
      i++;
    } else if (c >= 0xdc00 && c < 0xe000) return i;
  }
  return -1;
}

function jobIdProblem(jobId: string): string | null {
  return typeof jobId === "string" && jobId.length <= JOB_ID_MAX && JOB_ID.test(jobId) ? null : "job id must be 1 to 64 characters of a-z A-Z 0-9 _ -";
}

export class Jobs {
  readonly thing: Thing;
  private _base: string;
  private _o: JobsOptions;
  private _pending: Pending[] = [];
  private _subscribed: Promise<any> | null = null;
  private _notified = false;
  private _seq = 0;
  /** Differs per boot, so a token of the last boot never matches a request of this one. */
  private _bootId: string;
  private _listeners: { [topic: string]: ((body: any) => void)[] } = {};

  constructor(thing: Thing, options?: JobsOptions) {
    this.thing = thing;
    this._base = "$aws/things/" + thing.name + "/jobs/";
    this._o = options || {};
    this._bootId = ((this._random() * 0x7fffffff) | 0).toString(36);
    // Subscribing now, not at the first request, so notifications arrive from the start.
    this._subscribe().then(undefined, () => {});
    // Notifications sent while the link was down are lost: after a reconnect, changed() says to look again.
    let wasOffline = false;
    thing.on("offline", () => {
      wasOffline = true;
    });
    thing.on("connected", () => {
      if (wasOffline) this._notified = true;
      wasOffline = false;
    });
  }

  /** True if a notification (notify or notify-next) came, or the connection came back, since the last call. */
  changed(): boolean {
    const was = this._notified;
    this._notified = false;
    return was;
  }

  /** `handler` gets each jobs/notify message ({timestamp, jobs: {IN_PROGRESS?, QUEUED?}}). */
  onNotify(handler: (body: { timestamp: number; jobs: { IN_PROGRESS?: ExecutionSummary[]; QUEUED?: ExecutionSummary[] } }) => void): void {
    this._listen("notify", handler);
  }

  /** `handler` gets each jobs/notify-next message ({timestamp, execution?}). */
  onNotifyNext(handler: (body: { timestamp: number; execution?: JobExecution }) => void): void {
    this._listen("notify-next", handler);
  }

  // ---- The Jobs MQTT API ----

  /** GetPendingJobExecutions. */
  getPending(): Promise<PendingJobs> {
    return this._request("get", {}).then((body) => {
      return { inProgressJobs: body.inProgressJobs || [], queuedJobs: body.queuedJobs || [] };
    });
  }

  /** DescribeJobExecution of a job id or "$next"; null when "$next" finds nothing pending. */
  describe(jobId: string, options?: DescribeOptions): Promise<JobExecution | null> {
    const problem = jobId === "$next" ? null : jobIdProblem(jobId);
    if (problem) return Promise.reject(jobsError("InvalidJobId", problem));
    const o = options || {};
    const body: any = { includeJobDocument: o.includeJobDocument !== false };
    if (o.executionNumber !== undefined) body.executionNumber = o.executionNumber;
    return this._request(jobId + "/get", body).then((answer) => {
      return answer.execution || null;
    });
  }

  /** StartNextPendingJobExecution; null when nothing is pending. */
  startNext(options?: StartNextOptions): Promise<JobExecution | null> {
    const o = options || {};
    const body: any = {};
    if (o.statusDetails !== undefined) body.statusDetails = o.statusDetails;
    if (o.stepTimeoutInMinutes !== undefined) body.stepTimeoutInMinutes = o.stepTimeoutInMinutes;
    return this._checked(body).then((answer) => {
      return answer.execution || null;
    });
  }

  /** UpdateJobExecution. */
  update(jobId: string, status: JobStatus, options?: UpdateOptions): Promise<UpdateResult> {
    const problem = jobIdProblem(jobId);
    if (problem) return Promise.reject(jobsError("InvalidJobId", problem));
    const o = options || {};
    const body: any = { status: status };
    const fields = ["statusDetails", "expectedVersion", "executionNumber", "stepTimeoutInMinutes", "includeJobExecutionState", "includeJobDocument"];
    for (let i = 0; i < fields.length; i++) {
      if ((o as any)[fields[i]] !== undefined) body[fields[i]] = (o as any)[fields[i]];
    }
    return this._checked(body, jobId + "/update").then((answer) => {
      const result: UpdateResult = {};
      if (answer.executionState) result.executionState = answer.executionState;
      if (answer.jobDocument !== undefined) result.jobDocument = answer.jobDocument;
      return result;
    });
  }

  // ---- The earlier library's surface ----

  /** The pending jobs, as Job objects (not yet described). */
  list(): Promise<{ inProgress: Job[]; queued: Job[] }> {
    return this.getPending().then((pending) => {
      const wrap = (s: ExecutionSummary) => {
        const job = new Job(this, s.jobId);
        job.version = s.versionNumber;
        job.executionNumber = s.executionNumber;
        return job;
      };
      return { inProgress: pending.inProgressJobs.map(wrap), queued: pending.queuedJobs.map(wrap) };
    });
  }

  // ---- Requests ----

  /** A request whose statusDetails are checked here first: a bad one never makes a round trip. */
  private _checked(body: any, suffix?: string): Promise<any> {
    const problem = body.statusDetails === undefined ? null : statusDetailsProblem(body.statusDetails);
    if (problem) return Promise.reject(jobsError("InvalidStatusDetails", problem));
    return this._request(suffix || "start-next", body);
  }

  /** Sends a request, retrying RequestThrottled answers with exponential backoff. */
  private _request(suffix: string, body: any): Promise<any> {
    const retries = this._o.retries === undefined ? 4 : this._o.retries;
    const attempt = (n: number): Promise<any> => {
      return this._once(suffix, body).then(undefined, (e: JobsError) => {
        if (e.code !== "RequestThrottled" || n >= retries) throw e;
        const base = (this._o.backoff === undefined ? 0.5 : this._o.backoff) * Math.pow(2, n);
        const delay = base / 2 + (this._random() * base) / 2;
        return new Promise((resolve) => {
          setTimeout(resolve, delay * 1000);
        }).then(() => {
          return attempt(n + 1);
        });
      });
    };
    return attempt(0);
  }

  /** One request with a fresh clientToken; settles on its own answer or its timeout. */
  private _once(suffix: string, body: any): Promise<any> {
    const topic = this._base + suffix;
    return this._subscribe().then(() => {
      return new Promise((resolve, reject) => {
        const token = this._bootId + "-" + (++this._seq).toString(36);
        const timeout = this._o.timeout || 10;
        const p: Pending = {
          topic: topic, token: token, resolve: resolve, reject: reject,
          timer: setTimeout(() => {
            // From now on its answer, if one comes, finds no request and is dropped.
            this._settle(p);
            reject(jobsError("Timeout", "no answer to " + suffix + " within " + timeout + " s"));
          }, timeout * 1000),
        };
        this._pending.push(p);
        body.clientToken = token;
        this.thing.publish(topic, body, 1).then(undefined, (e: any) => {
          if (this._settle(p)) reject(jobsError("PublishFailed", "request " + suffix + " not sent: " + e.message + (e.code ? " (" + e.code + ")" : "")));
        });
      });
    });
  }

  /** Forgets a pending request; false if it was already settled. */
  private _settle(p: Pending): boolean {
    const i = this._pending.indexOf(p);
    if (i < 0) return false;
    this._pending.splice(i, 1);
    clearTimeout(p.timer);
    return true;
  }

  /** An answer on <request topic>/accepted or /rejected. */
  private _answer(topic: string, text: string): void {
    // Strings on the interpreter have no lastIndexOf.
    const levels = topic.split("/");
    const outcome = levels.pop();
    const request = levels.join("/");
    const body = jsonOf(text);
    if (!body || typeof body !== "object") return; // not an answer to anything we can match
    for (let i = 0; i < this._pending.length; i++) {
      const p = this._pending[i];
      if (p.topic !== request || p.token !== body.clientToken) continue;
      this._settle(p);
      if (outcome === "accepted") return p.resolve(body);
      return p.reject(jobsError(body.code || "Unknown", body.message || "request rejected", body.executionState));
    }
  }

  /** The six subscriptions, made once: the MQTT client keeps them across reconnects. A failed try is retried at the next request. */
  private _subscribe(): Promise<any> {
    if (this._subscribed) return this._subscribed;
    this._subscribed = Promise.all(this._subscriptions()).then(
      () => {
        // A settled promise keeps every promise chained on it while it was pending, and their values
        // (docs/interpreter.md, "Speed and memory"): this one lives as long as Jobs, so keep a fresh one.
        this._subscribed = Promise.resolve();
      },
      (e: any) => {
        this._subscribed = null;
        throw jobsError("SubscribeFailed", "cannot subscribe to the Jobs topics: " + e.message + (e.code ? " (" + e.code + ")" : ""));
      },
    );
    return this._subscribed;
  }

  /**
   * Subscribes to the six topics. A function of its own, so that the handlers the MQTT client keeps do not
   * have the subscriptions' promises in their scope, nor what is chained on them (docs/interpreter.md).
   */
  private _subscriptions(): Promise<any>[] {
    const answer = (topic: string, text: string) => {
      this._answer(topic, text);
    };
    const notify = (topic: string, text: string) => {
      this._notified = true;
      const body = jsonOf(text);
      if (body === undefined) return;
      const handlers = this._listeners[topic.substr(this._base.length)] || [];
      for (let i = 0; i < handlers.length; i++) handlers[i](body);
    };
    // Exact filters, never jobs/#: that would also echo our own requests back to us.
    const filters = ["get/+", "start-next/+", "+/get/+", "+/update/+"];
    return filters.map((f) => {
      return this.thing.subscribe(this._base + f, 1, answer);
    }).concat(["notify", "notify-next"].map((f) => {
      return this.thing.subscribe(this._base + f, 1, notify);
    }));
  }

  private _listen(name: string, handler: (body: any) => void): void {
    (this._listeners[name] = this._listeners[name] || []).push(handler);
  }

  private _random(): number {
    return (this._o.random || Math.random)();
  }
}

/** One job execution of this thing, as the earlier library's Job. */
export class Job {
  static QUEUED = QUEUED;
  static IN_PROGRESS = IN_PROGRESS;
  static SUCCEEDED = SUCCEEDED;
  static FAILED = FAILED;
  static REJECTED = REJECTED;

  readonly jobs: Jobs;
  readonly jobId: string;
  /** Known after describe(). */
  document: any;
  status: JobStatus | undefined;
  statusDetails: StatusDetails | undefined;
  /** The execution's version: update() sends it as expectedVersion when known. */
  version: number | undefined;
  executionNumber: number | undefined;

  constructor(jobs: Jobs, jobId: string) {
    this.jobs = jobs;
    this.jobId = jobId;
  }

  /** Fetches the document, status and version; rejects with ResourceNotFound if the execution is gone. */
  describe(): Promise<Job> {
    return this.jobs.describe(this.jobId).then((e) => {
      if (!e) throw jobsError("ResourceNotFound", "job " + this.jobId + " has no execution");
      this.document = e.jobDocument;
      this.status = e.status;
      this.statusDetails = e.statusDetails;
      this.version = e.versionNumber;
      this.executionNumber = e.executionNumber;
      return this;
    });
  }

  /**
   * Sets the execution's status (Job.IN_PROGRESS, SUCCEEDED, FAILED, REJECTED),
   * guarded by the known version. After a VersionMismatch the job holds the
   * current state and the promise still rejects: whoever changed it first may
   * have had a reason, so the caller decides whether to update again.
   */
  update(status: JobStatus, statusDetails?: StatusDetails, stepTimeoutInMinutes?: number): Promise<Job> {
    const options: UpdateOptions = { includeJobExecutionState: true, statusDetails: statusDetails, stepTimeoutInMinutes: stepTimeoutInMinutes };
    if (this.version !== undefined) options.expectedVersion = this.version;
    return this.jobs.update(this.jobId, status, options).then((result) => {
      if (result.executionState) this._take(result.executionState);
      return this;
    }, (e: JobsError) => {
      if (e.code !== "VersionMismatch") throw e;
      const refreshed = e.executionState ? Promise.resolve(this._take(e.executionState)) : this.describe();
      return refreshed.then(() => {
        throw e;
      });
    });
  }

  private _take(state: ExecutionState): Job {
    this.status = state.status;
    this.statusDetails = state.statusDetails;
    this.version = state.versionNumber;
    return this;
  }
}
