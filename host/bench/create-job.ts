// CreateJob's request body checked field by field against the AWS IoT API
// reference, turned into the bench's Job record. Features the bench does not
// model (thing groups, continuous jobs, exponential rollout, scheduling) are
// refused rather than silently ignored.
import type { AbortCriteria, AbortFailureType, Job } from "./job.ts";
import { documentProblem, placeholderUrls } from "./job-document.ts";

const JOB_ID = /^[a-zA-Z0-9_-]{1,64}$/;
const FAILURE_TYPES: readonly AbortFailureType[] = ["FAILED", "REJECTED", "TIMED_OUT", "ALL"];

/** A refusal of the request: the AWS exception name and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export const invalid = (message: string): ApiError => new ApiError(400, "InvalidRequestException", message);

type Body = Record<string, unknown>;

function object(v: unknown, name: string): Body | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) throw invalid(`${name} must be an object`);
  return v as Body;
}

function integer(v: unknown, name: string, min: number, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw invalid(`${name} must be an integer from ${min} to ${max}`);
  return v;
}

export function validJobId(jobId: string): string {
  if (!JOB_ID.test(jobId)) throw invalid("jobId must be 1 to 64 characters of [a-zA-Z0-9_-]");
  return jobId;
}

/**
 * The Job for a CreateJob request. `thingOfTarget` maps a target ARN to an
 * existing thing's name or throws the right ApiError.
 */
export function parseCreateJob(jobId: string, body: Body, thingOfTarget: (arn: string) => string, now: number): Job {
  validJobId(jobId);
  for (const unsupported of ["documentSource", "jobTemplateArn", "schedulingConfig", "jobExecutionsRetryConfig", "documentParameters", "namespaceId"]) {
    if (body[unsupported] !== undefined) throw invalid(`the bench does not support ${unsupported}`);
  }
  if (body.targetSelection !== undefined && body.targetSelection !== "SNAPSHOT") throw invalid("the bench supports only SNAPSHOT jobs");

  const targets = body.targets;
  if (!Array.isArray(targets) || targets.length === 0 || !targets.every((t) => typeof t === "string")) throw invalid("targets must be a non-empty list of thing ARNs");
  const thingNames = (targets as string[]).map(thingOfTarget);
  if (new Set(thingNames).size !== thingNames.length) throw invalid("targets must not repeat a thing");

  const document = body.document;
  if (typeof document !== "string") throw invalid("document is required");
  const problem = documentProblem(document);
  if (problem) throw invalid(problem);

  const description = body.description;
  if (description !== undefined && (typeof description !== "string" || description.length > 2028)) throw invalid("description must be a string of at most 2028 characters");

  const presigned = object(body.presignedUrlConfig, "presignedUrlConfig");
  if (placeholderUrls(document).length > 0 && !presigned) throw invalid("the job document has presigned-URL placeholders but no presignedUrlConfig was given");
  const timeout = object(body.timeoutConfig, "timeoutConfig");
  const rollout = object(body.jobExecutionsRolloutConfig, "jobExecutionsRolloutConfig");
  if (rollout?.exponentialRate !== undefined) throw invalid("the bench does not support exponentialRate");
  const abort = object(body.abortConfig, "abortConfig");

  return {
    jobId,
    document,
    ...(description !== undefined && { description: description as string }),
    targets: targets as string[],
    thingNames,
    ...(presigned && {
      presignedUrlConfig: {
        ...(typeof presigned.roleArn === "string" && { roleArn: presigned.roleArn }),
        expiresInSec: integer(presigned.expiresInSec, "presignedUrlConfig.expiresInSec", 60, 3600) ?? 3600,
      },
    }),
    inProgressTimeoutInMinutes: integer(timeout?.inProgressTimeoutInMinutes, "timeoutConfig.inProgressTimeoutInMinutes", 1, 10080),
    maximumPerMinute: integer(rollout?.maximumPerMinute, "jobExecutionsRolloutConfig.maximumPerMinute", 1, 1000),
    abortCriteria: abort ? parseAbortCriteria(abort.criteriaList) : [],
    status: "IN_PROGRESS",
    createdAt: now,
    lastUpdatedAt: now,
  };
}

function parseAbortCriteria(list: unknown): AbortCriteria[] {
  if (!Array.isArray(list) || list.length === 0) throw invalid("abortConfig.criteriaList must be a non-empty list");
  return list.map((c, i) => {
    const name = `abortConfig.criteriaList[${i}]`;
    const o = object(c, name) ?? {};
    if (!FAILURE_TYPES.includes(o.failureType as AbortFailureType)) throw invalid(`${name}.failureType must be one of ${FAILURE_TYPES.join(", ")}`);
    if (o.action !== "CANCEL") throw invalid(`${name}.action must be CANCEL`);
    const t = o.thresholdPercentage;
    if (typeof t !== "number" || !(t >= 0 && t <= 100)) throw invalid(`${name}.thresholdPercentage must be a number from 0 to 100`);
    const min = integer(o.minNumberOfExecutedThings, `${name}.minNumberOfExecutedThings`, 1, 2 ** 31 - 1);
    if (min === undefined) throw invalid(`${name}.minNumberOfExecutedThings is required`);
    return { failureType: o.failureType as AbortFailureType, action: "CANCEL", thresholdPercentage: t, minNumberOfExecutedThings: min };
  });
}
