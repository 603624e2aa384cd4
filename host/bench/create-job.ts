// CreateJob's request body checked field by field against the AWS IoT API
// reference, turned into the bench's Job record. Targets are thing and
// thing-group ARNs; a thing named twice (directly and through a group, or in
// two groups) gets one execution. Features the bench does not model (dynamic
// groups, exponential rollout, retries, scheduling, templates) are refused
// rather than silently ignored.
import { type Json, integer, invalid, object, printable, validJobId } from "./api.ts";
import type { AbortCriteria, AbortFailureType, Job, TargetSelection } from "./job.ts";
import { documentProblem, placeholderUrls } from "./job-document.ts";

const FAILURE_TYPES: readonly AbortFailureType[] = ["FAILED", "REJECTED", "TIMED_OUT", "ALL"];
const TARGET_SELECTIONS: readonly TargetSelection[] = ["SNAPSHOT", "CONTINUOUS"];

/**
 * The Job for a CreateJob request. `thingsOfTarget` gives the things a target
 * ARN names (now) or throws the right ApiError.
 */
export function parseCreateJob(jobId: string, body: Json, thingsOfTarget: (arn: string) => string[], now: number): Job {
  validJobId(jobId);
  for (const unsupported of ["documentSource", "jobTemplateArn", "schedulingConfig", "jobExecutionsRetryConfig", "documentParameters", "namespaceId"]) {
    if (body[unsupported] !== undefined) throw invalid(`the bench does not support ${unsupported}`);
  }
  const targetSelection = body.targetSelection ?? "SNAPSHOT";
  if (!TARGET_SELECTIONS.includes(targetSelection as TargetSelection)) throw invalid(`targetSelection must be one of ${TARGET_SELECTIONS.join(", ")}`);

  const targets = body.targets;
  if (!Array.isArray(targets) || targets.length === 0 || !targets.every((t) => typeof t === "string")) throw invalid("targets must be a non-empty list of thing or thing-group ARNs");
  if (new Set(targets).size !== targets.length) throw invalid("targets must not repeat an ARN");
  const thingNames = [...new Set((targets as string[]).flatMap(thingsOfTarget))];

  const document = body.document;
  if (typeof document !== "string") throw invalid("document is required");
  const problem = documentProblem(document);
  if (problem) throw invalid(problem);
  const description = printable(body.description, "description");

  const presigned = object(body.presignedUrlConfig, "presignedUrlConfig");
  if (placeholderUrls(document).length > 0 && !presigned) throw invalid("the job document has presigned-URL placeholders but no presignedUrlConfig was given");
  const timeout = object(body.timeoutConfig, "timeoutConfig");
  const rollout = object(body.jobExecutionsRolloutConfig, "jobExecutionsRolloutConfig");
  if (rollout?.exponentialRate !== undefined) throw invalid("the bench does not support exponentialRate");
  const abort = object(body.abortConfig, "abortConfig");

  return {
    jobId,
    document,
    ...(description !== undefined && { description }),
    targets: targets as string[],
    thingNames,
    targetSelection: targetSelection as TargetSelection,
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
