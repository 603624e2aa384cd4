// Validators for the Jobs MQTT API's request payloads: every field checked
// against AWS's documented types and limits, answered with AWS's error codes.
import { EXECUTION_STATUSES, type ExecutionStatus, type Result, type StatusDetails, type UpdateRequest, fail, ok } from "./jobs.ts";

const CLIENT_TOKEN_MAX = 64;
const STATUS_KEY = /^[a-zA-Z0-9:_-]{1,128}$/;
const STATUS_VALUE_MAX = 1024;
// AWS's pattern [^\p{C}]+ (statusDetails values, comments, descriptions): no
// control, format, private-use or unassigned characters.
export const PRINTABLE_FORBIDDEN = /\p{C}/u;
// 1 minute to 7 days, or -1 to cancel the step timer.
const STEP_TIMEOUT_MAX = 10080;

type Body = Record<string, unknown>;

/** Why `v` is not a valid statusDetails map (as both the MQTT and the control API check it), or undefined. */
export function statusDetailsProblem(v: unknown): string | undefined {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return "statusDetails must be an object of strings";
  for (const [key, value] of Object.entries(v)) {
    if (!STATUS_KEY.test(key)) return `statusDetails key "${key.slice(0, 40)}" must be 1 to 128 characters of [a-zA-Z0-9:_-]`;
    if (typeof value !== "string" || value.length === 0 || value.length > STATUS_VALUE_MAX || PRINTABLE_FORBIDDEN.test(value)) {
      return `statusDetails value of "${key}" must be a string of 1 to ${STATUS_VALUE_MAX} printable characters`;
    }
  }
  return undefined;
}

/** The JSON object of a request, or InvalidJson / InvalidRequest. An empty payload counts as `{}`. */
export function parseBody(payload: Buffer): Result<Body> {
  if (payload.length === 0) return ok({});
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
  } catch {
    return fail("InvalidJson", "the request could not be interpreted as valid UTF-8-encoded JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return fail("InvalidRequest", "the request must be a JSON object");
  return ok(json as Body);
}

/** The clientToken to echo in the answer, if the request carried a usable one. */
export function clientTokenOf(body: Body | undefined): string | undefined {
  const t = body?.clientToken;
  return typeof t === "string" && t.length <= CLIENT_TOKEN_MAX ? t : undefined;
}

export interface DescribeRequest {
  executionNumber?: number;
  includeJobDocument: boolean;
}

export interface StartNextRequest {
  statusDetails?: StatusDetails;
  stepTimeoutInMinutes?: number;
}

export interface DeviceUpdateRequest extends UpdateRequest {
  includeJobExecutionState: boolean;
  includeJobDocument: boolean;
}

/** Field checks run in order; the first failure is the answer. */
class Fields {
  error?: Result<never>;
  constructor(private readonly body: Body) {
    const t = body.clientToken;
    if (t !== undefined && (typeof t !== "string" || t.length === 0 || t.length > CLIENT_TOKEN_MAX)) {
      this.reject(`clientToken must be a string of 1 to ${CLIENT_TOKEN_MAX} characters`);
    }
  }
  private reject(message: string): undefined {
    this.error ??= fail("InvalidRequest", message);
    return undefined;
  }
  boolean(name: string, fallback: boolean): boolean {
    const v = this.body[name];
    if (v === undefined) return fallback;
    if (typeof v !== "boolean") return this.reject(`${name} must be a boolean`) ?? fallback;
    return v;
  }
  long(name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const v = this.body[name];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) return this.reject(`${name} must be an integer from ${min} to ${max}`);
    return v;
  }
  stepTimeout(): number | undefined {
    const v = this.body.stepTimeoutInMinutes;
    if (v === -1) return -1;
    return this.long("stepTimeoutInMinutes", 1, STEP_TIMEOUT_MAX);
  }
  status(): ExecutionStatus | undefined {
    const v = this.body.status;
    if (v === undefined) return this.reject("status is required");
    if (typeof v !== "string" || !(EXECUTION_STATUSES as readonly string[]).includes(v)) {
      return this.reject(`status must be one of ${EXECUTION_STATUSES.join(", ")}`);
    }
    return v as ExecutionStatus;
  }
  statusDetails(): StatusDetails | undefined {
    const v = this.body.statusDetails;
    if (v === undefined) return undefined;
    const problem = statusDetailsProblem(v);
    return problem ? this.reject(problem) : (v as StatusDetails);
  }
  result<T>(value: T): Result<T> {
    return this.error ?? ok(value);
  }
}

export function parseDescribe(body: Body): Result<DescribeRequest> {
  const f = new Fields(body);
  return f.result({ executionNumber: f.long("executionNumber", 0), includeJobDocument: f.boolean("includeJobDocument", true) });
}

export function parseStartNext(body: Body): Result<StartNextRequest> {
  const f = new Fields(body);
  return f.result({ statusDetails: f.statusDetails(), stepTimeoutInMinutes: f.stepTimeout() });
}

export function parseGetPending(body: Body): Result<Record<string, never>> {
  return new Fields(body).result({});
}

export function parseUpdate(body: Body): Result<DeviceUpdateRequest> {
  const f = new Fields(body);
  const status = f.status();
  const req = {
    status: status as ExecutionStatus,
    statusDetails: f.statusDetails(),
    expectedVersion: f.long("expectedVersion", 0),
    executionNumber: f.long("executionNumber", 0),
    stepTimeoutInMinutes: f.stepTimeout(),
    includeJobExecutionState: f.boolean("includeJobExecutionState", false),
    includeJobDocument: f.boolean("includeJobDocument", false),
  };
  return f.result(req);
}
