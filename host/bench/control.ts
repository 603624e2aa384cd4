// The control API over HTTP, following the AWS IoT REST paths and JSON shapes
// that @aws-sdk/client-iot uses, so `new IoTClient({ endpoint })` works
// unmodified: CreateJob, DescribeJob, CancelJob, ListJobExecutionsForJob,
// DescribeJobExecution, CreateThing, DescribeThing. Requests must be SigV4
// signed (service "iot") with the bench credentials. Errors carry the exception
// name in x-amzn-ErrorType and {"message"} in the body, as AWS sends them.
// Under /bench/ (unsigned, for local tools): device registration and bytes served.
import http from "node:http";
import { ApiError, invalid, parseCreateJob, validJobId } from "./create-job.ts";
import { EXECUTION_STATUSES, type Execution } from "./jobs.ts";
import { type Job, countByStatus } from "./job.ts";
import type { JobsService } from "./jobs-service.ts";
import { Registry, ThingExistsError } from "./registry.ts";
import { type AwsCredentials, verifyAuthorization } from "./sigv4.ts";
import type { Store } from "./store.ts";
import type { ThingCredentials } from "./ca.ts";
import { listen, readBody } from "./listen.ts";

export interface ControlOptions {
  port?: number;
  host?: string;
  service: JobsService;
  registry: Registry;
  store: Store;
  credentials: AwsCredentials;
  /** What a registered device needs besides its credentials (endpoints). */
  deviceEndpoints: () => Record<string, unknown>;
  /** The bench CA certificate (PEM), which signs the MQTT and object store certificates. */
  caPem: string;
}

export interface RunningControl {
  port: number;
  url: string;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
type Route = { method: string; pattern: RegExp; handler: (m: string[], q: URLSearchParams, body: Json) => Json | Promise<Json> };

const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);
const SIGNATURE_ERRORS: Record<string, string> = {
  SignatureDoesNotMatch: "InvalidSignatureException",
  InvalidAccessKeyId: "UnrecognizedClientException",
  MissingAuthenticationToken: "MissingAuthenticationTokenException",
};

export async function startControl(opts: ControlOptions): Promise<RunningControl> {
  const { service, registry } = opts;

  const jobOrThrow = (jobId: string): Job => {
    const job = service.getJob(validJobId(jobId));
    if (!job) throw new ApiError(404, "ResourceNotFoundException", `Job ${jobId} does not exist`);
    return job;
  };
  const jobArn = (jobId: string) => `arn:aws:iot:${registry.region}:${registry.account}:job/${jobId}`;
  const jobRef = (job: Job) => ({ jobArn: jobArn(job.jobId), jobId: job.jobId, ...(job.description !== undefined && { description: job.description }) });

  const thingOfTarget = (arn: string): string => {
    const name = registry.thingNameOfArn(arn);
    if (name === undefined) throw invalid(`target ${arn} is not a thing ARN of this bench (thing groups are not supported)`);
    if (!registry.get(name)) throw new ApiError(404, "ResourceNotFoundException", `Thing ${name} does not exist`);
    return name;
  };

  const describeJob = (job: Job): Json => {
    const counts = countByStatus(service.executionsOfJob(job.jobId));
    return {
      job: {
        ...jobRef(job),
        targetSelection: "SNAPSHOT",
        status: job.status,
        forceCanceled: job.forceCanceled ?? false,
        ...(job.reasonCode !== undefined && { reasonCode: job.reasonCode }),
        ...(job.comment !== undefined && { comment: job.comment }),
        targets: job.targets,
        ...(job.presignedUrlConfig && { presignedUrlConfig: job.presignedUrlConfig }),
        ...(job.maximumPerMinute !== undefined && { jobExecutionsRolloutConfig: { maximumPerMinute: job.maximumPerMinute } }),
        ...(job.abortCriteria.length > 0 && { abortConfig: { criteriaList: job.abortCriteria } }),
        ...(job.inProgressTimeoutInMinutes !== undefined && { timeoutConfig: { inProgressTimeoutInMinutes: job.inProgressTimeoutInMinutes } }),
        createdAt: seconds(job.createdAt),
        lastUpdatedAt: seconds(job.lastUpdatedAt),
        ...(job.completedAt !== undefined && { completedAt: seconds(job.completedAt) }),
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

  const executionTimes = (e: Execution) => ({
    queuedAt: seconds(e.queuedAt),
    ...(e.startedAt !== undefined && { startedAt: seconds(e.startedAt) }),
    lastUpdatedAt: seconds(e.lastUpdatedAt),
    executionNumber: e.executionNumber,
  });

  const routes: Route[] = [
    {
      method: "PUT",
      pattern: /^\/jobs\/([^/]+)$/,
      handler: ([jobId], _q, body) => {
        if (service.getJob(jobId)) throw Object.assign(new ApiError(409, "ResourceAlreadyExistsException", `Job ${jobId} already exists`), { resourceId: jobId });
        const job = parseCreateJob(jobId, body, thingOfTarget, Date.now());
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
        if (job.status === "COMPLETED") throw new ApiError(409, "InvalidStateTransitionException", `Job ${jobId} is COMPLETED and cannot be canceled`);
        const reasonCode = optionalString(body.reasonCode, "reasonCode", 128);
        const comment = optionalString(body.comment, "comment", 2028);
        return jobRef(service.cancelJob(jobId, q.get("force") === "true", reasonCode, comment));
      },
    },
    {
      method: "GET",
      pattern: /^\/jobs\/([^/]+)\/things$/,
      handler: ([jobId], q) => {
        jobOrThrow(jobId);
        const status = q.get("status");
        if (status !== null && !(EXECUTION_STATUSES as readonly string[]).includes(status)) throw invalid(`status must be one of ${EXECUTION_STATUSES.join(", ")}`);
        const max = q.has("maxResults") ? Number(q.get("maxResults")) : 250;
        if (!Number.isInteger(max) || max < 1 || max > 250) throw invalid("maxResults must be an integer from 1 to 250");
        const start = q.has("nextToken") ? Number(q.get("nextToken")) : 0;
        if (!Number.isInteger(start) || start < 0) throw invalid("nextToken is not valid");
        const all = service.executionsOfJob(jobId).filter((e) => status === null || e.status === status);
        const page = all.slice(start, start + max);
        return {
          executionSummaries: page.map((e) => ({ thingArn: registry.thingArn(e.thingName), jobExecutionSummary: { status: e.status, ...executionTimes(e) } })),
          ...(start + max < all.length && { nextToken: String(start + max) }),
        };
      },
    },
    {
      method: "GET",
      pattern: /^\/things\/([^/]+)\/jobs\/([^/]+)$/,
      handler: ([thingName, jobId], q) => {
        const e = service.getExecution(validJobId(jobId), thingName);
        const wanted = q.get("executionNumber");
        if (!e || (wanted !== null && Number(wanted) !== e.executionNumber)) {
          throw new ApiError(404, "ResourceNotFoundException", `No execution of job ${jobId} on thing ${thingName}`);
        }
        const remaining = service.secondsBeforeTimedOut(e);
        return {
          execution: {
            jobId: e.jobId,
            status: e.status,
            forceCanceled: e.status === "CANCELED" && (service.getJob(jobId)?.forceCanceled ?? false),
            statusDetails: { detailsMap: e.statusDetails },
            thingArn: registry.thingArn(thingName),
            ...executionTimes(e),
            versionNumber: e.versionNumber,
            ...(remaining !== undefined && { approximateSecondsBeforeTimedOut: remaining }),
          },
        };
      },
    },
    {
      method: "POST",
      pattern: /^\/things\/([^/]+)$/,
      handler: ([thingName], _q, body) => {
        const payload = body.attributePayload as { attributes?: Record<string, string> } | undefined;
        const thing = registry.createThing(thingName, payload?.attributes ?? {});
        return { thingName, thingArn: registry.thingArn(thingName), thingId: thing.thingId };
      },
    },
    {
      method: "GET",
      pattern: /^\/things\/([^/]+)$/,
      handler: ([thingName]) => {
        const thing = registry.get(thingName);
        if (!thing) throw new ApiError(404, "ResourceNotFoundException", `Thing ${thingName} does not exist`);
        return { thingName, thingArn: registry.thingArn(thingName), thingId: thing.thingId, attributes: thing.attributes, version: 1, defaultClientId: thingName };
      },
    },
    {
      method: "POST",
      pattern: /^\/bench\/things\/([^/]+)\/device$/,
      handler: async ([thingName]) => deviceConfig(await registry.registerDevice(thingName), registry.thingArn(thingName), opts.deviceEndpoints()),
    },
    { method: "GET", pattern: /^\/bench\/objects$/, handler: () => ({ objects: opts.store.objectStats() }) },
    // Where the other services are and the CA that signs their certificates, for host tools.
    { method: "GET", pattern: /^\/bench\/endpoints$/, handler: () => ({ ...opts.deviceEndpoints(), caPem: opts.caPem }) },
  ];

  const server = http.createServer((req, res) => {
    serve(req, routes, opts.credentials).then(
      ({ status, body, type }) => {
        res.writeHead(status, { "Content-Type": "application/json", ...(type && { "x-amzn-ErrorType": type }) });
        res.end(JSON.stringify(body));
      },
      () => res.destroy(),
    );
  });
  const host = opts.host ?? "127.0.0.1";
  const listening = await listen(server, opts.port ?? 0, host);
  return { ...listening, url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${listening.port}` };
}

async function serve(req: http.IncomingMessage, routes: Route[], credentials: AwsCredentials): Promise<{ status: number; body: Json; type?: string }> {
  try {
    const body = await readBody(req);
    const [rawPath, rawQuery = ""] = (req.url ?? "/").split(/\?(.*)/s, 2);
    if (!rawPath.startsWith("/bench/")) {
      const denied = verifyAuthorization({ method: req.method ?? "GET", rawPath, rawQuery, headers: req.headers, body }, credentials, "iot");
      if (denied) throw new ApiError(403, SIGNATURE_ERRORS[denied.code] ?? "ForbiddenException", denied.message);
    }
    const path = rawPath.split("/").map(decodeURIComponent).join("/");
    for (const route of routes) {
      const m = route.pattern.exec(path);
      if (m && route.method === req.method) {
        return { status: 200, body: await route.handler(m.slice(1), new URLSearchParams(rawQuery), parseJson(body)) };
      }
    }
    throw new ApiError(404, "ResourceNotFoundException", `no API at ${req.method} ${path}`);
  } catch (err) {
    if (err instanceof ApiError) return { status: err.status, type: err.type, body: { message: err.message, ...("resourceId" in err && { resourceId: err.resourceId }) } };
    if (err instanceof ThingExistsError) return { status: 409, type: "ResourceAlreadyExistsException", body: { message: err.message } };
    if (err instanceof RangeError || err instanceof URIError) return { status: 400, type: "InvalidRequestException", body: { message: err.message } };
    return { status: 500, type: "InternalFailureException", body: { message: (err as Error).message } };
  }
}

function parseJson(body: Buffer): Json {
  if (body.length === 0) return {};
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    throw invalid("the request body is not valid JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw invalid("the request body must be a JSON object");
  return json as Json;
}

function optionalString(v: unknown, name: string, max: number): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v.length > max) throw invalid(`${name} must be a string of at most ${max} characters`);
  return v;
}

/** Everything a device (real board or simulator) needs to reach the bench. */
function deviceConfig(creds: ThingCredentials, thingArn: string, endpoints: Record<string, unknown>): Json {
  return { ...creds, thingArn, ...endpoints };
}
