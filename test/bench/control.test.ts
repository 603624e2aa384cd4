// The control API through @aws-sdk/client-iot, unmodified: shapes, AWS's
// exceptions, rollout rate, abort criteria, cancel, and signature checks.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CancelJobCommand,
  CreateJobCommand,
  CreateThingCommand,
  DescribeJobCommand,
  DescribeJobExecutionCommand,
  DescribeThingCommand,
  IoTClient,
  ListJobExecutionsForJobCommand,
} from "@aws-sdk/client-iot";
import type { Bench } from "../../host/bench/bench.ts";
import { benchForTests, connectDevice, eventually, iotClient, rejectsWith as rejects, thingArn } from "./helpers.ts";

const MINUTE = 400;
let bench: Bench;
let iot: IoTClient;
benchForTests({ minuteMs: MINUTE }, (b) => {
  bench = b;
  iot = iotClient(b);
});

const doc = JSON.stringify({ operation: "test" });

test("CreateThing and DescribeThing; the same thing again is fine, with other attributes it conflicts", async () => {
  const made = await iot.send(new CreateThingCommand({ thingName: "ctl-1", attributePayload: { attributes: { model: "esp32" } } }));
  assert.equal(made.thingArn, thingArn(bench, "ctl-1"));
  assert.match(made.thingId ?? "", /^[0-9a-f-]{36}$/);
  const again = await iot.send(new CreateThingCommand({ thingName: "ctl-1", attributePayload: { attributes: { model: "esp32" } } }));
  assert.equal(again.thingId, made.thingId);
  await rejects(iot.send(new CreateThingCommand({ thingName: "ctl-1", attributePayload: { attributes: { model: "other" } } })), "ResourceAlreadyExistsException");
  const described = await iot.send(new DescribeThingCommand({ thingName: "ctl-1" }));
  assert.deepEqual(described.attributes, { model: "esp32" });
  await rejects(iot.send(new DescribeThingCommand({ thingName: "nobody" })), "ResourceNotFoundException");
});

test("CreateJob refuses what AWS refuses", async () => {
  await iot.send(new CreateThingCommand({ thingName: "ctl-2" }));
  const target = [thingArn(bench, "ctl-2")];
  await rejects(iot.send(new CreateJobCommand({ jobId: "bad id!", targets: target, document: doc })), "InvalidRequestException");
  await rejects(iot.send(new CreateJobCommand({ jobId: "j-nodoc", targets: target, document: "not json" })), "InvalidRequestException", /JSON/);
  await rejects(iot.send(new CreateJobCommand({ jobId: "j-big", targets: target, document: JSON.stringify({ x: "y".repeat(33000) }) })), "InvalidRequestException", /32768/);
  await rejects(iot.send(new CreateJobCommand({ jobId: "j-ghost", targets: [thingArn(bench, "ghost")], document: doc })), "ResourceNotFoundException");
  await rejects(
    iot.send(new CreateJobCommand({ jobId: "j-url", targets: target, document: JSON.stringify({ u: "${aws:iot:s3-presigned-url:https://s3.amazonaws.com/b/k}" }) })),
    "InvalidRequestException",
    /presignedUrlConfig/,
  );
  await rejects(iot.send(new CreateJobCommand({ jobId: "j-rate", targets: target, document: doc, jobExecutionsRolloutConfig: { maximumPerMinute: 0 } })), "InvalidRequestException");
  await rejects(iot.send(new CreateJobCommand({ jobId: "j-timeout", targets: target, document: doc, timeoutConfig: { inProgressTimeoutInMinutes: 0 } })), "InvalidRequestException");
  await iot.send(new CreateJobCommand({ jobId: "j-once", targets: target, document: doc }));
  await rejects(iot.send(new CreateJobCommand({ jobId: "j-once", targets: target, document: doc })), "ResourceAlreadyExistsException");
  await rejects(iot.send(new DescribeJobCommand({ jobId: "j-never" })), "ResourceNotFoundException");
});

test("DescribeJob, DescribeJobExecution and ListJobExecutionsForJob report what devices did", async () => {
  const d = await connectDevice(bench, "ctl-3");
  await iot.send(new CreateThingCommand({ thingName: "ctl-4" }));
  try {
    await iot.send(
      new CreateJobCommand({
        jobId: "j-desc",
        description: "two things",
        targets: [thingArn(bench, "ctl-3"), thingArn(bench, "ctl-4")],
        document: doc,
        timeoutConfig: { inProgressTimeoutInMinutes: 100 },
        abortConfig: { criteriaList: [{ failureType: "FAILED", action: "CANCEL", thresholdPercentage: 100, minNumberOfExecutedThings: 10 }] },
      }),
    );
    await d.request("j-desc/update", { status: "SUCCEEDED", statusDetails: { result: "ok" } });
    const { job } = await iot.send(new DescribeJobCommand({ jobId: "j-desc" }));
    assert.equal(job?.status, "IN_PROGRESS");
    assert.equal(job?.description, "two things");
    assert.deepEqual(job?.targets, [thingArn(bench, "ctl-3"), thingArn(bench, "ctl-4")]);
    assert.equal(job?.jobProcessDetails?.numberOfSucceededThings, 1);
    assert.equal(job?.jobProcessDetails?.numberOfQueuedThings, 1);
    assert.equal(job?.timeoutConfig?.inProgressTimeoutInMinutes, 100);
    assert.equal(job?.abortConfig?.criteriaList?.[0].thresholdPercentage, 100);
    assert.ok(job?.createdAt instanceof Date && Math.abs(job.createdAt.getTime() - Date.now()) < 10_000);
    const { execution } = await iot.send(new DescribeJobExecutionCommand({ jobId: "j-desc", thingName: "ctl-3" }));
    assert.equal(execution?.status, "SUCCEEDED");
    assert.deepEqual(execution?.statusDetails?.detailsMap, { result: "ok" });
    assert.equal(execution?.versionNumber, 2);
    assert.equal(execution?.thingArn, thingArn(bench, "ctl-3"));
    await rejects(iot.send(new DescribeJobExecutionCommand({ jobId: "j-desc", thingName: "nobody" })), "ResourceNotFoundException");
    const page1 = await iot.send(new ListJobExecutionsForJobCommand({ jobId: "j-desc", maxResults: 1 }));
    assert.equal(page1.executionSummaries?.length, 1);
    const page2 = await iot.send(new ListJobExecutionsForJobCommand({ jobId: "j-desc", maxResults: 1, nextToken: page1.nextToken }));
    assert.equal(page2.nextToken, undefined);
    const queued = await iot.send(new ListJobExecutionsForJobCommand({ jobId: "j-desc", status: "QUEUED" }));
    assert.deepEqual(queued.executionSummaries?.map((s) => s.thingArn), [thingArn(bench, "ctl-4")]);
  } finally {
    await d.close();
  }
});

test("CancelJob cancels QUEUED executions, IN_PROGRESS ones only with force; a COMPLETED job cannot be canceled (InvalidRequestException)", async () => {
  const d = await connectDevice(bench, "ctl-5");
  await iot.send(new CreateThingCommand({ thingName: "ctl-6" }));
  try {
    await iot.send(new CreateJobCommand({ jobId: "j-cancel", targets: [thingArn(bench, "ctl-5"), thingArn(bench, "ctl-6")], document: doc }));
    await d.request("j-cancel/update", { status: "IN_PROGRESS" });
    await iot.send(new CancelJobCommand({ jobId: "j-cancel", comment: "changed my mind", reasonCode: "OOPS" }));
    const exec = async (thing: string) => (await iot.send(new DescribeJobExecutionCommand({ jobId: "j-cancel", thingName: thing }))).execution;
    assert.equal((await exec("ctl-6"))?.status, "CANCELED");
    assert.equal((await exec("ctl-5"))?.status, "IN_PROGRESS");
    await iot.send(new CancelJobCommand({ jobId: "j-cancel", force: true }));
    const forced = await exec("ctl-5");
    assert.equal(forced?.status, "CANCELED");
    assert.equal(forced?.forceCanceled, true);
    const { job } = await iot.send(new DescribeJobCommand({ jobId: "j-cancel" }));
    assert.deepEqual([job?.status, job?.comment, job?.reasonCode, job?.forceCanceled], ["CANCELED", "changed my mind", "OOPS", true]);
    const late = await d.request("j-cancel/update", { status: "SUCCEEDED" });
    assert.equal(late.body.code, "InvalidStateTransition");

    await iot.send(new CreateJobCommand({ jobId: "j-done", targets: [thingArn(bench, "ctl-5")], document: doc }));
    await d.request("j-done/update", { status: "SUCCEEDED" });
    await rejects(iot.send(new CancelJobCommand({ jobId: "j-done" })), "InvalidRequestException", /COMPLETED/);
    await rejects(iot.send(new CancelJobCommand({ jobId: "j-nope" })), "ResourceNotFoundException");
  } finally {
    await d.close();
  }
});

test("the rollout rate is honoured: maximumPerMinute things per (test) minute", async () => {
  const names = Array.from({ length: 6 }, (_, i) => `rate-${i}`);
  for (const n of names) await iot.send(new CreateThingCommand({ thingName: n }));
  const t0 = Date.now();
  await iot.send(new CreateJobCommand({ jobId: "j-rate-ok", targets: names.map((n) => thingArn(bench, n)), document: doc, jobExecutionsRolloutConfig: { maximumPerMinute: 2 } }));
  const released = () => bench.service.executionsOfJob("j-rate-ok").length;
  assert.ok(released() <= 2);
  await eventually(() => (released() === 6 ? true : undefined), 10 * MINUTE);
  const took = Date.now() - t0;
  // the 6th thing is due 5/2 minutes after creation
  assert.ok(took >= 2.5 * MINUTE - 50, `all 6 released after ${took} ms`);
  const { job } = await iot.send(new DescribeJobCommand({ jobId: "j-rate-ok" }));
  assert.equal(job?.jobExecutionsRolloutConfig?.maximumPerMinute, 2);
});

test("abort criteria cancel the job once the failure threshold is reached", async () => {
  const devices = await Promise.all(["ab-0", "ab-1", "ab-2", "ab-3"].map((n) => connectDevice(bench, n)));
  try {
    await iot.send(
      new CreateJobCommand({
        jobId: "j-abort",
        targets: devices.map((d) => thingArn(bench, d.thingName)),
        document: doc,
        abortConfig: { criteriaList: [{ failureType: "FAILED", action: "CANCEL", thresholdPercentage: 50, minNumberOfExecutedThings: 4 }] },
      }),
    );
    await devices[0].request("j-abort/update", { status: "FAILED" });
    await devices[1].request("j-abort/update", { status: "IN_PROGRESS" });
    assert.equal((await iot.send(new DescribeJobCommand({ jobId: "j-abort" }))).job?.status, "IN_PROGRESS");
    await devices[2].request("j-abort/update", { status: "FAILED" });
    const { job } = await iot.send(new DescribeJobCommand({ jobId: "j-abort" }));
    assert.equal(job?.status, "CANCELED");
    assert.match(job?.comment ?? "", /aborted/);
    assert.equal(job?.jobProcessDetails?.numberOfCanceledThings, 1, "the QUEUED execution is canceled");
    assert.equal(job?.jobProcessDetails?.numberOfInProgressThings, 1, "the IN_PROGRESS one carries on");
  } finally {
    await Promise.all(devices.map((d) => d.close()));
  }
});

test("requests signed with other credentials, or not signed, are refused; malformed bodies get InvalidRequestException", async () => {
  const wrongKey = new IoTClient({ endpoint: bench.control.url, region: bench.region, credentials: { accessKeyId: bench.credentials.accessKeyId, secretAccessKey: "wrong" }, maxAttempts: 1 });
  await rejects(wrongKey.send(new DescribeJobCommand({ jobId: "j-once" })), "InvalidSignatureException");
  const unknownKey = new IoTClient({ endpoint: bench.control.url, region: bench.region, credentials: { accessKeyId: "AKIAOTHER", secretAccessKey: "x" }, maxAttempts: 1 });
  await rejects(unknownKey.send(new DescribeJobCommand({ jobId: "j-once" })), "UnrecognizedClientException");
  const unsigned = await fetch(`${bench.control.url}/jobs/j-once`);
  assert.equal(unsigned.status, 403);
  // a signed request with a broken body, through the SDK's own middleware stack
  const raw = iotClient(bench);
  raw.middlewareStack.add(
    (next) => async (args: any) => {
      args.request.body = "{broken";
      args.request.headers["content-length"] = "7";
      return next(args);
    },
    { step: "build", name: "breakBody" },
  );
  await rejects(raw.send(new CreateJobCommand({ jobId: "j-broken", targets: [thingArn(bench, "ctl-2")], document: doc })), "InvalidRequestException", /JSON/);
});
