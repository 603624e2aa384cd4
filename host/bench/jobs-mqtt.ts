// The Jobs MQTT API on the bench broker: requests on
// $aws/things/<thing>/jobs/{get,start-next,<jobId>/get,<jobId>/update} are
// answered on <topic>/accepted or <topic>/rejected with the clientToken and a
// timestamp; jobs/notify and jobs/notify-next follow every change of the
// pending list and of the next job. Times on the wire are whole seconds since
// the epoch, as AWS sends them. A connection making more requests than AWS's
// per-connection publish rate gets RequestThrottled for the excess.
import type Aedes from "aedes";
import type { AedesPublishPacket } from "aedes";
import { type Execution, JOB_ID, type JobsError } from "./jobs.ts";
import type { JobsService, ThingChange } from "./jobs-service.ts";
import { clientTokenOf, parseBody, parseDescribe, parseGetPending, parseStartNext, parseUpdate } from "./jobs-requests.ts";
import { isServiceTopic, jobsTopic } from "./jobs-topics.ts";
import { PUBLISHES_PER_SECOND_PER_CONNECTION } from "./mqtt-rules.ts";
import { TokenBucket } from "./rate-limit.ts";

const REQUESTS = "$aws/things/+/jobs/#";

type Answer = { accepted: Record<string, unknown> } | { rejected: JobsError };

const seconds = (ms: number): number => Math.floor(ms / 1000);

/** Starts answering Jobs requests on `broker`; the returned function stops it. */
export function serveJobsOverMqtt(broker: Aedes, service: JobsService): () => void {
  const publish = (topic: string, body: Record<string, unknown>): void =>
    broker.publish({ cmd: "publish", topic, payload: Buffer.from(JSON.stringify(body)), qos: 1, retain: false, dup: false }, () => {});

  const summary = (e: Execution) => ({
    jobId: e.jobId,
    queuedAt: seconds(e.queuedAt),
    ...(e.startedAt !== undefined && { startedAt: seconds(e.startedAt) }),
    lastUpdatedAt: seconds(e.lastUpdatedAt),
    versionNumber: e.versionNumber,
    executionNumber: e.executionNumber,
  });

  const execution = (e: Execution, includeJobDocument: boolean) => {
    const job = service.getJob(e.jobId);
    const remaining = service.secondsBeforeTimedOut(e);
    return {
      ...summary(e),
      thingName: e.thingName,
      ...(includeJobDocument && job && { jobDocument: service.resolveDocument(job) }),
      status: e.status,
      statusDetails: e.statusDetails,
      ...(remaining !== undefined && { approximateSecondsBeforeTimedOut: remaining }),
    };
  };

  const answer = (thing: string, request: string, body: Record<string, unknown>): Answer => {
    if (request === "get") {
      const req = parseGetPending(body);
      if (!req.ok) return { rejected: req.error };
      const { inProgress, queued } = service.pendingOf(thing);
      return { accepted: { inProgressJobs: inProgress.map(summary), queuedJobs: queued.map(summary) } };
    }
    if (request === "start-next") {
      const req = parseStartNext(body);
      if (!req.ok) return { rejected: req.error };
      const started = service.startNext(thing, req.value);
      return { accepted: started ? { execution: execution(started, true) } : {} };
    }
    const [jobId, verb] = request.split("/");
    const validId = JOB_ID.test(jobId) || (jobId === "$next" && verb === "get");
    if (!validId || request.split("/").length !== 2 || (verb !== "get" && verb !== "update")) {
      return { rejected: { code: "InvalidTopic", message: `no Jobs API at jobs/${request}` } };
    }
    if (verb === "get") {
      const req = parseDescribe(body);
      if (!req.ok) return { rejected: req.error };
      const found = service.describe(thing, jobId, req.value.executionNumber);
      if (!found.ok) return { rejected: found.error };
      return { accepted: found.value ? { execution: execution(found.value, req.value.includeJobDocument) } : {} };
    }
    const req = parseUpdate(body);
    if (!req.ok) return { rejected: req.error };
    const updated = service.update(thing, jobId, req.value);
    if (!updated.ok) return { rejected: updated.error };
    const e = updated.value;
    const job = service.getJob(jobId);
    return {
      accepted: {
        ...(req.value.includeJobExecutionState && { executionState: { status: e.status, statusDetails: e.statusDetails, versionNumber: e.versionNumber } }),
        ...(req.value.includeJobDocument && job && { jobDocument: service.resolveDocument(job) }),
      },
    };
  };

  // One bucket per connection; a thing has one connection at a time (its client id is its name).
  const buckets = new Map<string, TokenBucket>();
  const throttled = (connection: string): boolean => {
    let bucket = buckets.get(connection);
    if (!bucket) buckets.set(connection, (bucket = new TokenBucket(PUBLISHES_PER_SECOND_PER_CONNECTION)));
    return !bucket.take();
  };

  const onRequest = (packet: AedesPublishPacket, done: () => void): void => {
    done();
    const topic = jobsTopic(packet.topic);
    // Our own answers and notifications come back through this subscription.
    if (!topic || isServiceTopic(topic.request)) return;
    const { thing, request } = topic;
    const timestamp = seconds(Date.now());
    const parsed = parseBody(Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload));
    const clientToken = clientTokenOf(parsed.ok ? parsed.value : undefined);
    let result: Answer;
    try {
      // aedes stamps each routed packet with its publisher's client id (its types leave it out).
      const connection = (packet as AedesPublishPacket & { clientId?: string }).clientId ?? thing;
      if (throttled(connection)) result = { rejected: { code: "RequestThrottled", message: "Rate exceeded" } };
      else result = parsed.ok ? answer(thing, request, parsed.value) : { rejected: parsed.error };
    } catch (err) {
      result = { rejected: { code: "InternalError", message: (err as Error).message } };
    }
    const token = clientToken !== undefined ? { clientToken } : {};
    if ("accepted" in result) publish(`${packet.topic}/accepted`, { ...result.accepted, timestamp, ...token });
    else publish(`${packet.topic}/rejected`, { ...result.rejected, ...token, timestamp });
  };

  const onChange = (change: ThingChange): void => {
    const timestamp = seconds(Date.now());
    const base = `$aws/things/${change.thingName}/jobs`;
    if (change.listChanged) {
      const { inProgress, queued } = service.pendingOf(change.thingName);
      const jobs = {
        ...(inProgress.length > 0 && { IN_PROGRESS: inProgress.map(summary) }),
        ...(queued.length > 0 && { QUEUED: queued.map(summary) }),
      };
      publish(`${base}/notify`, { timestamp, jobs });
    }
    if (change.nextChanged) {
      const next = service.nextOf(change.thingName);
      publish(`${base}/notify-next`, { timestamp, ...(next && { execution: execution(next, true) }) });
    }
  };

  broker.subscribe(REQUESTS, onRequest, () => {});
  service.on("change", onChange);
  return () => {
    service.off("change", onChange);
    broker.unsubscribe(REQUESTS, onRequest, () => {});
  };
}
