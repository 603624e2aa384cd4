// Every device-side path of the Jobs MQTT API, with MQTT.js as the device over
// mutual TLS and jobs created through @aws-sdk/client-iot.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CreateJobCommand, type IoTClient } from "@aws-sdk/client-iot";
import type { Bench } from "../../host/bench/bench.ts";
import { type Device, benchForTests, connectDevice, eventually, iotClient, thingArn } from "./helpers.ts";

let bench: Bench;
let iot: IoTClient;
const MINUTE = 300; // a Jobs "minute" in this test, so timeouts happen in a test's time

benchForTests({ minuteMs: MINUTE }, (b) => {
  bench = b;
  iot = iotClient(b);
});

let jobs = 0;
async function createJob(things: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const jobId = `job-${++jobs}`;
  await iot.send(new CreateJobCommand({ jobId, targets: things.map((t) => thingArn(bench, t)), document: JSON.stringify({ operation: "test", n: jobs }), ...extra }));
  return jobId;
}

async function withDevice(name: string, fn: (d: Device) => Promise<void>): Promise<void> {
  const d = await connectDevice(bench, name);
  try {
    await fn(d);
  } finally {
    await d.close();
  }
}

test("get: pending executions split into inProgressJobs and queuedJobs, with clientToken and timestamp", () =>
  withDevice("get-thing", async (d) => {
    const empty = await d.request("get");
    assert.equal(empty.outcome, "accepted");
    assert.deepEqual(empty.body.inProgressJobs, []);
    assert.deepEqual(empty.body.queuedJobs, []);
    assert.equal(typeof empty.body.timestamp, "number");
    assert.ok(Math.abs(empty.body.timestamp - Date.now() / 1000) < 5, "timestamp in seconds");
    const a = await createJob(["get-thing"]);
    const b = await createJob(["get-thing"]);
    await d.request(`${a}/update`, { status: "IN_PROGRESS" });
    const list = await d.request("get");
    assert.deepEqual(list.body.inProgressJobs.map((j: any) => j.jobId), [a]);
    assert.deepEqual(list.body.queuedJobs.map((j: any) => j.jobId), [b]);
    const s = list.body.queuedJobs[0];
    assert.deepEqual(Object.keys(s).sort(), ["executionNumber", "jobId", "lastUpdatedAt", "queuedAt", "versionNumber"]);
    assert.equal(list.body.inProgressJobs[0].versionNumber, 2);
    assert.ok(list.body.inProgressJobs[0].startedAt);
  }));

test("start-next: nothing pending gives an accepted answer without execution; then the next job starts with statusDetails and step timer", () =>
  withDevice("next-thing", async (d) => {
    const none = await d.request("start-next");
    assert.equal(none.outcome, "accepted");
    assert.equal(none.body.execution, undefined);
    const jobId = await createJob(["next-thing"]);
    const started = await d.request("start-next", { statusDetails: { phase: "download" }, stepTimeoutInMinutes: 10 });
    assert.equal(started.outcome, "accepted");
    const e = started.body.execution;
    assert.equal(e.jobId, jobId);
    assert.equal(e.thingName, "next-thing");
    assert.equal(e.status, "IN_PROGRESS");
    assert.deepEqual(e.statusDetails, { phase: "download" });
    assert.equal(e.versionNumber, 2);
    assert.deepEqual(e.jobDocument, { operation: "test", n: jobs });
    assert.ok(e.approximateSecondsBeforeTimedOut > 0);
    const again = await d.request("start-next");
    assert.equal(again.body.execution.versionNumber, 2, "an IN_PROGRESS next execution is returned unchanged");
    const bad = await d.request("start-next", { stepTimeoutInMinutes: 0 });
    assert.equal(bad.body.code, "InvalidRequest");
  }));

test("describe: by job id and $next, executionNumber, includeJobDocument; unknown job and terminal execution rejected", () =>
  withDevice("desc-thing", async (d) => {
    const nothing = await d.request("$next/get");
    assert.equal(nothing.outcome, "accepted");
    assert.equal(nothing.body.execution, undefined);
    const jobId = await createJob(["desc-thing"]);
    const byId = await d.request(`${jobId}/get`);
    assert.equal(byId.outcome, "accepted");
    assert.equal(byId.body.execution.status, "QUEUED");
    assert.ok(byId.body.execution.jobDocument);
    const n = byId.body.execution.executionNumber;
    const next = await d.request("$next/get", { includeJobDocument: false, executionNumber: n });
    assert.equal(next.body.execution.jobId, jobId);
    assert.equal(next.body.execution.jobDocument, undefined);
    const wrongNumber = await d.request(`${jobId}/get`, { executionNumber: n + 100 });
    assert.equal(wrongNumber.body.code, "ResourceNotFound");
    const unknown = await d.request("no-such-job/get");
    assert.equal(unknown.outcome, "rejected");
    assert.equal(unknown.body.code, "ResourceNotFound");
    assert.equal(unknown.body.clientToken, "t5");
    await d.request(`${jobId}/update`, { status: "SUCCEEDED" });
    const terminal = await d.request(`${jobId}/get`);
    assert.equal(terminal.body.code, "TerminalStateReached");
    assert.equal(terminal.body.executionState, undefined, "AWS sends the execution state only with InvalidStateTransition and VersionMismatch");
    const wrongType = await d.request(`${jobId}/get`, { includeJobDocument: "yes" });
    assert.equal(wrongType.body.code, "InvalidRequest");
  }));

test("update: every rejection code with AWS's ErrorResponse shape", () =>
  withDevice("upd-thing", async (d) => {
    const jobId = await createJob(["upd-thing"]);
    const reject = async (body: Record<string, unknown> | string, code: string, suffix = `${jobId}/update`) => {
      const r = await d.request(suffix, body);
      assert.equal(r.outcome, "rejected", JSON.stringify(body));
      assert.equal(r.body.code, code, JSON.stringify(r.body));
      assert.equal(typeof r.body.message, "string");
      assert.equal(typeof r.body.timestamp, "number");
      return r.body;
    };
    await reject("{not json", "InvalidJson");
    await reject("[1,2]", "InvalidRequest");
    await reject({}, "InvalidRequest"); // status missing
    await reject({ status: "DONE" }, "InvalidRequest");
    await reject({ status: "IN_PROGRESS", expectedVersion: "1" }, "InvalidRequest");
    await reject({ status: "IN_PROGRESS", statusDetails: { n: 1 } }, "InvalidRequest");
    await reject({ status: "IN_PROGRESS", statusDetails: { "bad key": "x" } }, "InvalidRequest");
    await reject({ status: "IN_PROGRESS", statusDetails: { k: "x".repeat(1025) } }, "InvalidRequest");
    await reject({ status: "IN_PROGRESS", statusDetails: { ["k".repeat(129)]: "x" } }, "InvalidRequest");
    await reject({ status: "IN_PROGRESS", statusDetails: { k: "" } }, "InvalidRequest");
    await reject({ status: "IN_PROGRESS", statusDetails: { k: "a\u0001b" } }, "InvalidRequest");
    await reject({ status: "IN_PROGRESS", stepTimeoutInMinutes: 10081 }, "InvalidRequest");
    const longToken = await reject(JSON.stringify({ status: "IN_PROGRESS", clientToken: "x".repeat(65) }), "InvalidRequest");
    assert.equal(longToken.clientToken, undefined, "an unusable clientToken is not echoed");
    await reject({ status: "IN_PROGRESS" }, "ResourceNotFound", "unknown-job/update");
    await reject({ status: "IN_PROGRESS" }, "InvalidTopic", `${jobId}/frobnicate`);
    await reject({ status: "IN_PROGRESS" }, "InvalidTopic", "$next/update");
    const vm = await reject({ status: "IN_PROGRESS", expectedVersion: 7 }, "VersionMismatch");
    assert.deepEqual(vm.executionState, { status: "QUEUED", statusDetails: {}, versionNumber: 1 });
    await reject({ status: "QUEUED" }, "InvalidStateTransition");
    await reject({ status: "TIMED_OUT" }, "InvalidStateTransition");
    // statusDetails at the documented limits are fine
    const ok = await d.request(`${jobId}/update`, {
      status: "IN_PROGRESS",
      expectedVersion: 1,
      statusDetails: { ["k".repeat(128)]: "v".repeat(1024) },
      includeJobExecutionState: true,
      includeJobDocument: true,
    });
    assert.equal(ok.outcome, "accepted");
    assert.equal(ok.body.executionState.versionNumber, 2);
    assert.deepEqual(ok.body.jobDocument, { operation: "test", n: jobs });
    const plain = await d.request(`${jobId}/update`, { status: "FAILED", statusDetails: { reason: "md5 mismatch" } });
    assert.deepEqual(Object.keys(plain.body).sort(), ["clientToken", "timestamp"]);
    const st = await reject({ status: "IN_PROGRESS" }, "InvalidStateTransition");
    assert.deepEqual(st.executionState, { status: "FAILED", statusDetails: { reason: "md5 mismatch" }, versionNumber: 3 });
    // the bench is still answering after all of that
    assert.equal((await d.request("get")).outcome, "accepted");
  }));

test("a request without clientToken is answered without one", () =>
  withDevice("token-thing", async (d) => {
    const r = await d.request("get", {}, false);
    assert.equal(r.outcome, "accepted");
    assert.equal(r.body.clientToken, undefined);
  }));

test("notify follows every job joining or leaving the pending list, notify-next every change of the next job", () =>
  withDevice("notify-thing", async (d) => {
    await d.subscribe(`${d.base}/notify`);
    await d.subscribe(`${d.base}/notify-next`);
    const isNotify = (m: { topic: string }) => m.topic === `${d.base}/notify`;
    const isNext = (m: { topic: string }) => m.topic === `${d.base}/notify-next`;
    const a = await createJob(["notify-thing"]);
    assert.deepEqual((await d.waitFor(isNotify)).body.jobs.QUEUED.map((j: any) => j.jobId), [a]);
    assert.equal((await d.waitFor(isNext)).body.execution.jobId, a);
    const b = await createJob(["notify-thing"]);
    assert.deepEqual((await d.waitFor(isNotify)).body.jobs.QUEUED.map((j: any) => j.jobId), [a, b]);
    await d.request(`${a}/update`, { status: "IN_PROGRESS" }); // same pending jobs, same next: no notification
    const c = await createJob(["notify-thing"]);
    const listed = (await d.waitFor(isNotify)).body.jobs;
    assert.deepEqual([listed.IN_PROGRESS.map((j: any) => j.jobId), listed.QUEUED.map((j: any) => j.jobId)], [[a], [b, c]], "IN_PROGRESS first, then QUEUED by queue time");
    await d.request(`${c}/update`, { status: "REJECTED" });
    assert.deepEqual((await d.waitFor(isNotify)).body.jobs.QUEUED.map((j: any) => j.jobId), [b]);
    await d.request(`${a}/update`, { status: "SUCCEEDED" });
    assert.deepEqual((await d.waitFor(isNotify)).body.jobs, { QUEUED: [(await d.request("get")).body.queuedJobs[0]] });
    assert.equal((await d.waitFor(isNext)).body.execution.jobId, b);
    await d.request(`${b}/update`, { status: "REJECTED" });
    assert.deepEqual((await d.waitFor(isNotify)).body.jobs, {});
    const last = await d.waitFor(isNext);
    assert.equal(last.body.execution, undefined);
    assert.equal(typeof last.body.timestamp, "number");
  }));

test("the step timer and the job's in-progress timeout move executions to TIMED_OUT", () =>
  withDevice("timeout-thing", async (d) => {
    const stepJob = await createJob(["timeout-thing"]);
    await d.request(`${stepJob}/update`, { status: "IN_PROGRESS", stepTimeoutInMinutes: 1 });
    await eventually(() => (bench.service.getExecution(stepJob, "timeout-thing")?.status === "TIMED_OUT" ? true : undefined), 5 * MINUTE);
    const late = await d.request(`${stepJob}/update`, { status: "SUCCEEDED" });
    assert.equal(late.body.code, "InvalidStateTransition");
    assert.equal(late.body.executionState.status, "TIMED_OUT");

    const timed = await createJob(["timeout-thing"], { timeoutConfig: { inProgressTimeoutInMinutes: 2 } });
    const started = await d.request(`${timed}/update`, { status: "IN_PROGRESS", stepTimeoutInMinutes: -1, includeJobExecutionState: true });
    assert.equal(started.outcome, "accepted");
    await d.request(`${timed}/update`, { status: "IN_PROGRESS", statusDetails: { progress: "50%" } });
    assert.equal(bench.service.getExecution(timed, "timeout-thing")?.status, "IN_PROGRESS");
    await eventually(() => (bench.service.getExecution(timed, "timeout-thing")?.status === "TIMED_OUT" ? true : undefined), 6 * MINUTE);
  }));

test("presigned-URL placeholders reach the device as signed URLs of the bench store", () =>
  withDevice("url-thing", async (d) => {
    const document = JSON.stringify({ operation: "fota", bc_url: "${aws:iot:s3-presigned-url:https://s3.us-east-1.amazonaws.com/fw-bucket/app.bin}" });
    const jobId = `url-${++jobs}`;
    await iot.send(new CreateJobCommand({ jobId, targets: [thingArn(bench, "url-thing")], document, presignedUrlConfig: { expiresInSec: 120, roleArn: "arn:aws:iam::123456789012:role/bench" } }));
    const e = (await d.request(`${jobId}/get`)).body.execution;
    const url = new URL(e.jobDocument.bc_url);
    assert.equal(url.origin, bench.objects.url);
    assert.equal(url.pathname, "/fw-bucket/app.bin");
    assert.equal(url.searchParams.get("X-Amz-Expires"), "120");
    assert.match(url.searchParams.get("X-Amz-Signature") ?? "", /^[0-9a-f]{64}$/);
  }));
