// The control API's job operations, with the paths and shapes
// @aws-sdk/client-iot sends: CreateJob, DescribeJob, GetJobDocument,
// CancelJob, DeleteJob, ListJobs, ListJobExecutionsForJob,
// ListJobExecutionsForThing, DescribeJobExecution, CancelJobExecution and
// DeleteJobExecution, each refusing with an exception its API reference page
// lists (https://docs.aws.amazon.com/iot/latest/apireference/API_Operations_AWS_IoT.html).
import {
  type Json,
  type Route,
  alreadyExists,
  epochSeconds,
  flag,
  integer,
  invalid,
  invalidState,
  notFound,
  oneOf,
  page,
  printable,
  reasonCode,
  validJobId,
  versionConflict,
} from "./api.ts";
import { parseCreateJob } from "./create-job.ts";
import { type Job, type TargetSelection, countByStatus } from "./job.ts";
import { statusDetailsProblem } from "./jobs-requests.ts";
import type { JobsService } from "./jobs-service.ts";
import { EXECUTION_STATUSES, type Execution, type StatusDetails, deletable } from "./jobs.ts";
import type { Registry } from "./registry.ts";

const JOB_STATUSES = ["IN_PROGRESS", "CANCELED", "COMPLETED"] as const;
const TARGET_SELECTIONS: readonly TargetSelection[] = ["SNAPSHOT", "CONTINUOUS"];
// CancelJobExecution: "You can specify at most 10 name/value pairs."
const MAX_CANCEL_DETAILS = 10;


export function jobRoutes(service: JobsService, registry: Registry): Route[] {
  const jobOrThrow = (jobId: string): Job => {
    const job = service.getJob(validJobId(jobId));
    if (!job) throw notFound(`Job ${jobId} does not exist`);
    return job;
  };
  const executionOrThrow = (jobId: string, thingName: string, executionNumber?: number): Execution => {
    const e = service.getExecution(validJobId(jobId), thingName);
    if (!e || (executionNumber !== undefined && executionNumber !== e.executionNumber)) {
      throw notFound(`No execution${executionNumber === undefined ? "" : ` number ${executionNumber}`} of job ${jobId} on thing ${thingName}`);
    }
    return e;
  };
  const unsupported = (q: URLSearchParams, name: string): void => {
    if (q.has(name)) throw invalid(`the bench does not support ${name}`);
  };
  const jobArn = (jobId: string) => `arn:aws:iot:${registry.region}:${registry.account}:job/${jobId}`;
  const jobRef = (job: Job) => ({ jobArn: jobArn(job.jobId), jobId: job.jobId, ...(job.description !== undefined && { description: job.description }) });

  const thingsOfTarget = (arn: string): string[] => {
    const thing = registry.thingNameOfArn(arn);
    if (thing !== undefined) {
      if (!registry.get(thing)) throw notFound(`Thing ${thing} does not exist`);
      return [thing];
    }
    const group = registry.thingGroupNameOfArn(arn);
    if (group === undefined) throw invalid(`target ${arn} is not a thing or thing-group ARN of this bench`);
    if (!registry.getThingGroup(group)) throw notFound(`Thing group ${group} does not exist`);
    return registry.thingsInGroup(group);
  };

  const describeJob = (job: Job): Json => {
    const counts = countByStatus(service.executionsOfJob(job.jobId));
    return {
      job: {
        ...jobRef(job),
        targetSelection: job.targetSelection ?? "SNAPSHOT",
        status: job.status,
        forceCanceled: job.forceCanceled ?? false,
        ...(job.reasonCode !== undefined && { reasonCode: job.reasonCode }),
        ...(job.comment !== undefined && { comment: job.comment }),
        targets: job.targets,
        ...(job.presignedUrlConfig && { presignedUrlConfig: job.presignedUrlConfig }),
        ...(job.maximumPerMinute !== undefined && { jobExecutionsRolloutConfig: { maximumPerMinute: job.maximumPerMinute } }),
        ...(job.abortCriteria.length > 0 && { abortConfig: { criteriaList: job.abortCriteria } }),
        ...(job.inProgressTimeoutInMinutes !== undefined && { timeoutConfig: { inProgressTimeoutInMinutes: job.inProgressTimeoutInMinutes } }),
        createdAt: epochSeconds(job.createdAt),
        lastUpdatedAt: epochSeconds(job.lastUpdatedAt),
        ...(job.completedAt !== undefined && { completedAt: epochSeconds(job.completedAt) }),
        jobProcessDetails: {
          numberOfCanceledThings: counts.CANCELED,
          numberOfSucceededThings: counts.SUCCEEDED,
          numberOfFailedThings: counts.FAILED,
          numberOfRejectedThings: counts.REJECTED,
          numberOfQueuedThings: counts.QUEUED,
          numberOfInProgressThings: counts.IN_PROGRESS,
          numberOfRemovedThings: counts.REMOVED,
          numberOfTimedOutThings: counts.TIMED_OUT,
        },
        isConcurrent: false,
      },
    };
  };

  const executionSummary = (e: Execution) => ({
    status: e.status,
    queuedAt: epochSeconds(e.queuedAt),
    ...(e.startedAt !== undefined && { startedAt: epochSeconds(e.startedAt) }),
    lastUpdatedAt: epochSeconds(e.lastUpdatedAt),
    executionNumber: e.executionNumber,
  });
  const statusFilter = (q: URLSearchParams) => oneOf(q, "status", EXECUTION_STATUSES);

  return [
    {
      method: "PUT",
      pattern: /^\/jobs\/([^/]+)$/,
      handler: ([jobId], _q, body) => {
        if (service.getJob(jobId)) throw alreadyExists(`Job ${jobId} already exists`, jobId);
        const job = parseCreateJob(jobId, body, thingsOfTarget, Date.now());
        service.createJob(job);
        return jobRef(job);
      },
    },
    { method: "GET", pattern: /^\/jobs\/([^/]+)$/, handler: ([jobId]) => describeJob(jobOrThrow(jobId)) },
    // GetJobDocument: the document as created, placeholders unresolved.
    { method: "GET", pattern: /^\/jobs\/([^/]+)\/job-document$/, handler: ([jobId]) => ({ document: jobOrThrow(jobId).document }) },
    {
      method: "PUT",
      pattern: /^\/jobs\/([^/]+)\/cancel$/,
      handler: ([jobId], q, body) => {
        const job = jobOrThrow(jobId);
        const reason = reasonCode(body.reasonCode);
        const comment = printable(body.comment, "comment");
        // CancelJob lists no InvalidStateTransitionException: a finished job is an invalid request.
        if (job.status === "COMPLETED") throw invalid(`Job ${jobId} is COMPLETED and cannot be canceled`);
        return jobRef(service.cancelJob(jobId, flag(q, "force"), reason, comment));
      },
    },
    {
      method: "DELETE",
      pattern: /^\/jobs\/([^/]+)$/,
      handler: ([jobId], q) => {
        unsupported(q, "namespaceId");
        const job = jobOrThrow(jobId);
        if (job.status === "IN_PROGRESS" && !flag(q, "force")) throw invalidState(`Job ${jobId} is IN_PROGRESS: deleting it needs force`);
        service.deleteJob(jobId);
        return {};
      },
    },
    {
      method: "GET",
      pattern: /^\/jobs$/,
      handler: (_m, q) => {
        for (const name of ["namespaceId", "thingGroupId"]) unsupported(q, name);
        const status = oneOf(q, "status", JOB_STATUSES);
        const selection = oneOf(q, "targetSelection", TARGET_SELECTIONS);
        const group = q.get("thingGroupName");
        const jobs = service
          .allJobs()
          .filter((j) => (!status || j.status === status) && (!selection || (j.targetSelection ?? "SNAPSHOT") === selection))
          .filter((j) => group === null || j.targets.includes(registry.thingGroupArn(group)));
        const { items, nextToken } = page(jobs, q);
        return {
          jobs: items.map((j) => ({
            jobArn: jobArn(j.jobId),
            jobId: j.jobId,
            targetSelection: j.targetSelection ?? "SNAPSHOT",
            status: j.status,
            createdAt: epochSeconds(j.createdAt),
            lastUpdatedAt: epochSeconds(j.lastUpdatedAt),
            ...(j.completedAt !== undefined && { completedAt: epochSeconds(j.completedAt) }),
            isConcurrent: false,
          })),
          ...(nextToken && { nextToken }),
        };
      },
    },
    {
      method: "GET",
      pattern: /^\/jobs\/([^/]+)\/things$/,
      handler: ([jobId], q) => {
        jobOrThrow(jobId);
        const status = statusFilter(q);
        const { items, nextToken } = page(
          service.executionsOfJob(jobId).filter((e) => !status || e.status === status),
          q,
        );
        return {
          executionSummaries: items.map((e) => ({ thingArn: registry.thingArn(e.thingName), jobExecutionSummary: executionSummary(e) })),
          ...(nextToken && { nextToken }),
        };
      },
    },
    {
      method: "GET",
      pattern: /^\/things\/([^/]+)\/jobs$/,
      handler: ([thingName], q) => {
        unsupported(q, "namespaceId");
        if (!registry.get(thingName)) throw notFound(`Thing ${thingName} does not exist`);
        const status = statusFilter(q);
        const jobId = q.get("jobId");
        const { items, nextToken } = page(
          service.executionsOfThing(thingName).filter((e) => (!status || e.status === status) && (jobId === null || e.jobId === jobId)),
          q,
        );
        return { executionSummaries: items.map((e) => ({ jobId: e.jobId, jobExecutionSummary: executionSummary(e) })), ...(nextToken && { nextToken }) };
      },
    },
    {
      method: "GET",
      pattern: /^\/things\/([^/]+)\/jobs\/([^/]+)$/,
      handler: ([thingName, jobId], q) => {
        const wanted = integer(q.has("executionNumber") ? Number(q.get("executionNumber")) : undefined, "executionNumber", 0, Number.MAX_SAFE_INTEGER);
        const e = executionOrThrow(jobId, thingName, wanted);
        const remaining = service.secondsBeforeTimedOut(e);
        return {
          execution: {
            jobId: e.jobId,
            forceCanceled: e.forceCanceled ?? false,
            statusDetails: { detailsMap: e.statusDetails },
            thingArn: registry.thingArn(thingName),
            ...executionSummary(e),
            versionNumber: e.versionNumber,
            ...(remaining !== undefined && { approximateSecondsBeforeTimedOut: remaining }),
          },
        };
      },
    },
    {
      method: "PUT",
      pattern: /^\/things\/([^/]+)\/jobs\/([^/]+)\/cancel$/,
      handler: ([thingName, jobId], q, body) => {
        const force = flag(q, "force");
        const expectedVersion = integer(body.expectedVersion, "expectedVersion", 0, Number.MAX_SAFE_INTEGER);
        const details = cancelDetails(body.statusDetails);
        const e = executionOrThrow(jobId, thingName);
        if (expectedVersion !== undefined && expectedVersion !== e.versionNumber) {
          throw versionConflict(`expected version ${expectedVersion} but the execution is at version ${e.versionNumber}`);
        }
        if (!service.cancelExecution(e, force, details)) {
          throw invalidState(`the execution is ${e.status}${e.status === "IN_PROGRESS" ? ": canceling it needs force" : ""}`);
        }
        return {};
      },
    },
    {
      method: "DELETE",
      pattern: /^\/things\/([^/]+)\/jobs\/([^/]+)\/executionNumber\/([^/]+)$/,
      handler: ([thingName, jobId, number], q) => {
        unsupported(q, "namespaceId");
        const force = flag(q, "force");
        const e = executionOrThrow(jobId, thingName, integer(Number(number), "executionNumber", 0, Number.MAX_SAFE_INTEGER));
        // Terminal executions only, IN_PROGRESS ones with force; a QUEUED one must be canceled first.
        if (!deletable(e, force)) throw invalidState(`the execution is ${e.status}${e.status === "IN_PROGRESS" ? ": deleting it needs force" : ""}`);
        service.deleteExecution(e);
        return {};
      },
    },
  ];
}

function cancelDetails(v: unknown): StatusDetails | undefined {
  if (v === undefined) return undefined;
  const problem = statusDetailsProblem(v);
  if (problem) throw invalid(problem);
  if (Object.keys(v as object).length > MAX_CANCEL_DETAILS) throw invalid(`statusDetails may have at most ${MAX_CANCEL_DETAILS} entries`);
  return v as StatusDetails;
}
