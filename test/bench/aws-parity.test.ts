// Where the bench once differed from AWS IoT (issue 14), one test per point,
// each with an independent client: MQTT.js as the device, the unmodified
// @aws-sdk/client-iot as the operator. What AWS documents for each is cited
// in host/bench and in the README's bench section.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AddThingToThingGroupCommand,
  CancelJobCommand,
  CancelJobExecutionCommand,
  CreateJobCommand,
  CreateThingCommand,
  CreateThingGroupCommand,
  DeleteJobCommand,
  DeleteJobExecutionCommand,
  DeleteThingCommand,
  DescribeJobCommand,
  DescribeJobExecutionCommand,
  DescribeThingGroupCommand,
  type IoTClient,
  ListJobExecutionsForThingCommand,
  ListJobsCommand,
  ListThingsInThingGroupCommand,
} from "@aws-sdk/client-iot";
import type { Bench } from "../../host/bench/bench.ts";
import { benchForTests, closesWithin, connectDevice, eventually, iotClient, rejectsWith as rejects, sleep, thingArn } from "./helpers.ts";

const MINUTE = 400; // a Jobs "minute" here, so rollout pacing shows in a test's time
let bench: Bench;
let iot: IoTClient;
benchForTests({ minuteMs: MINUTE }, (b) => {
  bench = b;
  iot = iotClient(b);
});

const document = JSON.stringify({ operation: "test" });
let jobs = 0;
async function createJob(things: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const jobId = `parity-${++jobs}`;
  await iot.send(new CreateJobCommand({ jobId, targets: things.map((t) => thingArn(bench, t)), document, ...extra }));
  return jobId;
}
const isTopic = (topic: string) => (m: { topic: string }) => m.topic === topic;
const executionStatus = async (jobId: string, thingName: string) => (await iot.send(new DescribeJobExecutionCommand({ jobId, thingName }))).execution?.status;

test("1. reserved topics are the service's: a device publishing there is disconnected, retained requests are refused, nothing fake is forwarded or replayed", async () => {
  const thing = "rsv-thing";
  const faker = await connectDevice(bench, thing);
  await faker.subscribe(`${faker.base}/notify`);
  faker.client.publish(`${faker.base}/notify`, JSON.stringify({ timestamp: 1, jobs: { QUEUED: [{ jobId: "fake" }] } }), { qos: 1, retain: true });
  assert.ok(await closesWithin(faker, 2000), "publishing on jobs/notify closes the connection");
  assert.deepEqual(faker.messages, [], "the fake notification was not forwarded, not even to its sender");
  await faker.close();

  const late = await connectDevice(bench, thing);
  await late.subscribe(`${late.base}/notify`);
  await sleep(300);
  assert.deepEqual(late.messages, [], "no retained fake is replayed to a later subscriber");
  late.client.publish(`${late.base}/get/accepted`, JSON.stringify({ inProgressJobs: [], queuedJobs: [] }), { qos: 1 });
  assert.ok(await closesWithin(late, 2000), "publishing on an answer topic closes the connection");
  await late.close();

  const retained = await connectDevice(bench, thing);
  retained.client.publish(`${retained.base}/get`, "{}", { qos: 1, retain: true });
  assert.ok(await closesWithin(retained, 2000), "a retained message on a reserved topic closes the connection");
  await retained.close();

  const will = { topic: `$aws/things/${thing}/jobs/notify`, payload: Buffer.from("{}"), qos: 1 as const, retain: false };
  await assert.rejects(connectDevice(bench, thing, { will }), "a will that would publish on jobs/notify is refused at CONNECT");

  const honest = await connectDevice(bench, thing);
  try {
    assert.equal((await honest.request("get")).outcome, "accepted", "the thing's own requests still work");
    await honest.client.publishAsync(`rsv/${thing}/state`, JSON.stringify({ on: true }), { qos: 1, retain: true });
    assert.equal(await closesWithin(honest, 300), false, "retained messages on ordinary topics are fine");
  } finally {
    await honest.close();
  }
});

test("2. executionNumber counts per job execution: a thing's first execution of each job is 1, and requests passing it are answered", async () => {
  const d = await connectDevice(bench, "num-thing");
  try {
    const first = await createJob(["num-thing"]);
    const second = await createJob(["num-thing"]);
    const pending = await d.request("get");
    assert.deepEqual(pending.body.queuedJobs.map((j: any) => [j.jobId, j.executionNumber]), [[first, 1], [second, 1]]);
    const described = await d.request(`${second}/get`, { executionNumber: 1 });
    assert.equal(described.outcome, "accepted", JSON.stringify(described.body));
    assert.equal(described.body.execution.executionNumber, 1);
    const updated = await d.request(`${second}/update`, { status: "IN_PROGRESS", executionNumber: 1 });
    assert.equal(updated.outcome, "accepted", JSON.stringify(updated.body));
    const wrong = await d.request(`${first}/update`, { status: "IN_PROGRESS", executionNumber: 2 });
    assert.equal(wrong.body.code, "ResourceNotFound");
    const { execution } = await iot.send(new DescribeJobExecutionCommand({ jobId: second, thingName: "num-thing", executionNumber: 1 }));
    assert.equal(execution?.status, "IN_PROGRESS");
  } finally {
    await d.close();
  }
});

test("3. control APIs: ListJobs, ListJobExecutionsForThing, CancelJobExecution, DeleteJobExecution, DeleteJob with force; unknown APIs and bad requests get AWS's exceptions", async () => {
  await iot.send(new CreateThingCommand({ thingName: "ctl-b" }));
  const d = await connectDevice(bench, "ctl-a");
  try {
    await d.subscribe(`${d.base}/notify`);
    const job = await createJob(["ctl-a", "ctl-b"]);
    const listed = await iot.send(new ListJobsCommand({ status: "IN_PROGRESS" }));
    assert.deepEqual(
      listed.jobs?.filter((j) => j.jobId === job).map((j) => [j.status, j.targetSelection, j.jobArn]),
      [["IN_PROGRESS", "SNAPSHOT", `arn:aws:iot:${bench.region}:${bench.registry.account}:job/${job}`]],
    );
    const forThing = await iot.send(new ListJobExecutionsForThingCommand({ thingName: "ctl-a" }));
    assert.deepEqual(forThing.executionSummaries?.map((s) => [s.jobId, s.jobExecutionSummary?.status, s.jobExecutionSummary?.executionNumber]), [[job, "QUEUED", 1]]);

    await d.request(`${job}/update`, { status: "IN_PROGRESS" });
    await rejects(iot.send(new CancelJobExecutionCommand({ jobId: job, thingName: "ctl-a" })), "InvalidStateTransitionException");
    await rejects(iot.send(new CancelJobExecutionCommand({ jobId: job, thingName: "ctl-a", force: true, expectedVersion: 1 })), "VersionConflictException");
    d.messages.length = 0;
    await iot.send(new CancelJobExecutionCommand({ jobId: job, thingName: "ctl-a", force: true, expectedVersion: 2, statusDetails: { why: "operator" } }));
    const canceled = (await iot.send(new DescribeJobExecutionCommand({ jobId: job, thingName: "ctl-a" }))).execution;
    assert.deepEqual([canceled?.status, canceled?.forceCanceled, canceled?.statusDetails?.detailsMap], ["CANCELED", true, { why: "operator" }]);
    assert.deepEqual((await d.waitFor(isTopic(`${d.base}/notify`))).body.jobs, {}, "the device hears its pending list emptied");
    await iot.send(new CancelJobExecutionCommand({ jobId: job, thingName: "ctl-b" }));
    assert.equal(await executionStatus(job, "ctl-b"), "CANCELED");

    await rejects(iot.send(new DeleteJobExecutionCommand({ jobId: job, thingName: "ctl-a", executionNumber: 2 })), "ResourceNotFoundException");
    await iot.send(new DeleteJobExecutionCommand({ jobId: job, thingName: "ctl-a", executionNumber: 1 }));
    await rejects(iot.send(new DescribeJobExecutionCommand({ jobId: job, thingName: "ctl-a" })), "ResourceNotFoundException");

    assert.equal((await iot.send(new DescribeJobCommand({ jobId: job }))).job?.status, "COMPLETED", "every execution is terminal");
    await rejects(iot.send(new CancelJobCommand({ jobId: job })), "InvalidRequestException");

    const running = await createJob(["ctl-a"]);
    const queued = await d.request(`${running}/get`);
    await d.request(`${running}/update`, { status: "IN_PROGRESS", expectedVersion: queued.body.execution.versionNumber });
    await rejects(iot.send(new DeleteJobExecutionCommand({ jobId: running, thingName: "ctl-a", executionNumber: 1 })), "InvalidStateTransitionException");
    await rejects(iot.send(new CancelJobCommand({ jobId: running, reasonCode: "not_upper" })), "InvalidRequestException");
    assert.equal((await iot.send(new DescribeJobCommand({ jobId: running }))).job?.status, "IN_PROGRESS", "a refused cancel changes nothing");
    await rejects(iot.send(new DeleteJobCommand({ jobId: running })), "InvalidStateTransitionException");
    d.messages.length = 0;
    await iot.send(new DeleteJobCommand({ jobId: running, force: true }));
    await rejects(iot.send(new DescribeJobCommand({ jobId: running })), "ResourceNotFoundException");
    assert.deepEqual((await d.waitFor(isTopic(`${d.base}/notify`))).body.jobs, {});
    assert.equal((await d.request(`${running}/update`, { status: "SUCCEEDED" })).body.code, "ResourceNotFound");
    await iot.send(new DeleteJobCommand({ jobId: job }));
    assert.equal((await iot.send(new ListJobExecutionsForThingCommand({ thingName: "ctl-a" }))).executionSummaries?.length, 0);

    await rejects(iot.send(new DeleteThingCommand({ thingName: "ctl-b" })), "UnknownOperationException");
  } finally {
    await d.close();
  }
});

test("4. limits: 128 KB messages, per-connection Jobs request throttling, no QoS 2, AWS's wildcard matching", async (t) => {
  await t.test("a payload over 128 KB closes the connection and reaches nobody; 128 KB exactly is delivered", async () => {
    const sub = await connectDevice(bench, "size-sub");
    const pub = await connectDevice(bench, "size-pub");
    try {
      await sub.subscribe("size/+");
      await pub.client.publishAsync("size/max", Buffer.alloc(128 * 1024, "a"), { qos: 1 });
      assert.equal((await sub.waitFor(isTopic("size/max"))).body.raw.length, 128 * 1024);
      pub.client.publish("size/over", Buffer.alloc(200 * 1024, "b"), { qos: 1 });
      assert.ok(await closesWithin(pub, 2000), "a 200 KB message closes the connection");
      await sleep(200);
      assert.deepEqual(sub.messages.filter(isTopic("size/over")), []);
    } finally {
      await Promise.all([sub.close(), pub.close()]);
    }
  });

  await t.test("1000 Jobs requests at once on one connection: past the per-connection rate each is answered RequestThrottled", async () => {
    const d = await connectDevice(bench, "burst-thing");
    try {
      await d.subscribe(`${d.base}/get/accepted`);
      await d.subscribe(`${d.base}/get/rejected`);
      for (let i = 0; i < 1000; i++) d.client.publish(`${d.base}/get`, JSON.stringify({ clientToken: `b${i}` }), { qos: 0 });
      await eventually(() => (d.messages.length >= 1000 ? true : undefined), 15_000);
      const accepted = d.messages.filter(isTopic(`${d.base}/get/accepted`));
      const throttled = d.messages.filter((m) => m.topic === `${d.base}/get/rejected` && m.body.code === "RequestThrottled");
      assert.equal(accepted.length + throttled.length, 1000, "every request is answered, accepted or throttled");
      assert.equal(new Set(d.messages.map((m) => m.body.clientToken)).size, 1000, "each answer carries its request's clientToken");
      assert.ok(throttled.length > 0, "requests past the rate are throttled");
      assert.ok(accepted.length <= 200, `${accepted.length} accepted in the burst`);
      await sleep(1100);
      assert.equal((await d.request("get")).outcome, "accepted", "a second later the connection may ask again");
    } finally {
      await d.close();
    }
  });

  await t.test("QoS 2: a subscription or a publish closes the connection, with no SUBACK or PUBREC", async () => {
    const subscriber = await connectDevice(bench, "qos-sub");
    const received: string[] = [];
    subscriber.client.on("packetreceive", (p) => received.push(p.cmd));
    subscriber.client.subscribe("qos/two", { qos: 2 }, () => {});
    assert.ok(await closesWithin(subscriber, 2000), "a QoS 2 subscription closes the connection");
    assert.ok(!received.includes("suback"), `received ${received.join(", ")}`);
    await subscriber.close();
    const will = { topic: "qos/will", payload: Buffer.from("bye"), qos: 2 as const, retain: false };
    await assert.rejects(connectDevice(bench, "qos-will", { will }), "a QoS 2 will is refused at CONNECT");

    const listener = await connectDevice(bench, "qos-listener");
    const publisher = await connectDevice(bench, "qos-pub");
    try {
      await listener.subscribe("qos/two");
      received.length = 0;
      publisher.client.on("packetreceive", (p) => received.push(p.cmd));
      publisher.client.publish("qos/two", "exactly once?", { qos: 2 });
      assert.ok(await closesWithin(publisher, 2000), "a QoS 2 publish closes the connection");
      await sleep(200);
      assert.ok(!received.includes("pubrec"), `received ${received.join(", ")}`);
      assert.deepEqual(listener.messages, []);
    } finally {
      await Promise.all([listener.close(), publisher.close()]);
    }
  });

  await t.test("wildcards: wc/# receives wc/ and everything below but not wc; a wildcard subscription gets no retained message", async () => {
    const sub = await connectDevice(bench, "wc-sub");
    const pub = await connectDevice(bench, "wc-pub");
    try {
      await sub.subscribe("wc/#");
      for (const topic of ["wc", "wc/", "wc/a", "wc/a/b"]) await pub.client.publishAsync(topic, JSON.stringify({ topic }), { qos: 1 });
      await eventually(() => (sub.messages.some(isTopic("wc/a/b")) ? true : undefined));
      await sleep(200);
      assert.deepEqual(sub.messages.map((m) => m.topic).sort(), ["wc/", "wc/a", "wc/a/b"]);

      await pub.client.publishAsync("wcr/state", JSON.stringify({ on: true }), { qos: 1, retain: true });
      const late = await connectDevice(bench, "wc-late");
      try {
        await late.subscribe("wcr/+");
        await sleep(300);
        assert.deepEqual(late.messages, [], "a wildcard filter does not receive the retained message");
        await late.subscribe("wcr/state");
        assert.deepEqual((await late.waitFor(isTopic("wcr/state"))).body, { on: true }, "the exact topic does");
      } finally {
        await late.close();
      }
    } finally {
      await Promise.all([sub.close(), pub.close()]);
    }
  });
});

test("5. jobs/notify only when the pending list changes (not on QUEUED → IN_PROGRESS); TerminalStateReached carries no executionState", async () => {
  const d = await connectDevice(bench, "ntf-thing");
  try {
    const notify = isTopic(`${d.base}/notify`);
    const next = isTopic(`${d.base}/notify-next`);
    await d.subscribe(`${d.base}/notify`);
    await d.subscribe(`${d.base}/notify-next`);
    const jobId = await createJob(["ntf-thing"]);
    assert.deepEqual((await d.waitFor(notify)).body.jobs.QUEUED.map((j: any) => j.jobId), [jobId]);
    assert.equal((await d.waitFor(next)).body.execution.jobId, jobId);
    assert.equal((await d.request(`${jobId}/update`, { status: "IN_PROGRESS" })).outcome, "accepted");
    await sleep(400);
    assert.deepEqual(d.messages.filter((m) => notify(m) || next(m)), [], "same pending list, same next job: no notification");
    await d.request(`${jobId}/update`, { status: "SUCCEEDED" });
    assert.deepEqual((await d.waitFor(notify)).body.jobs, {});
    assert.equal((await d.waitFor(next)).body.execution, undefined);
    const terminal = await d.request(`${jobId}/get`);
    assert.equal(terminal.body.code, "TerminalStateReached");
    assert.deepEqual(Object.keys(terminal.body).sort(), ["clientToken", "code", "message", "timestamp"]);
  } finally {
    await d.close();
  }
});

test("6. thing groups as targets; a CONTINUOUS job reaches things added later, paced by its rollout rate and stopped by its abort criteria", async () => {
  const made = await iot.send(new CreateThingGroupCommand({ thingGroupName: "fleet-a", thingGroupProperties: { thingGroupDescription: "first batch" } }));
  const groupArn = made.thingGroupArn!;
  assert.equal(groupArn, `arn:aws:iot:${bench.region}:${bench.registry.account}:thinggroup/fleet-a`);
  const described = await iot.send(new DescribeThingGroupCommand({ thingGroupName: "fleet-a" }));
  assert.deepEqual([described.thingGroupId, described.thingGroupProperties?.thingGroupDescription], [made.thingGroupId, "first batch"]);
  await rejects(iot.send(new CreateJobCommand({ jobId: "no-group", targets: [groupArn.replace("fleet-a", "fleet-none")], document })), "ResourceNotFoundException");

  const [one, two] = await Promise.all(["grp-1", "grp-2"].map((n) => connectDevice(bench, n)));
  try {
    for (const d of [one, two]) await d.subscribe(`${d.base}/notify-next`);
    await iot.send(new AddThingToThingGroupCommand({ thingGroupName: "fleet-a", thingName: "grp-1" }));
    const snapshot = await createJob([], { targets: [groupArn] });
    const continuous = await createJob([], { targets: [groupArn], targetSelection: "CONTINUOUS" });
    assert.equal(await executionStatus(snapshot, "grp-1"), "QUEUED");
    assert.equal(await executionStatus(continuous, "grp-1"), "QUEUED");

    await iot.send(new AddThingToThingGroupCommand({ thingGroupArn: groupArn, thingArn: thingArn(bench, "grp-2") }));
    const things = await iot.send(new ListThingsInThingGroupCommand({ thingGroupName: "fleet-a" }));
    assert.deepEqual(things.things, ["grp-1", "grp-2"]);
    const nextForTwo = await two.waitFor((m) => m.topic.endsWith("/notify-next") && m.body.execution?.jobId === continuous);
    assert.deepEqual(nextForTwo.body.execution.jobDocument, { operation: "test" }, "the later member gets the continuous job");
    await rejects(iot.send(new DescribeJobExecutionCommand({ jobId: snapshot, thingName: "grp-2" })), "ResourceNotFoundException");

    for (const d of [one, two]) assert.equal((await d.request(`${continuous}/update`, { status: "SUCCEEDED" })).outcome, "accepted");
    await one.request(`${snapshot}/update`, { status: "SUCCEEDED" });
    assert.equal((await iot.send(new DescribeJobCommand({ jobId: snapshot }))).job?.status, "COMPLETED");
    const { job } = await iot.send(new DescribeJobCommand({ jobId: continuous }));
    assert.deepEqual([job?.status, job?.targetSelection, job?.targets], ["IN_PROGRESS", "CONTINUOUS", [groupArn]], "a continuous job keeps running");
    assert.equal(job?.jobProcessDetails?.numberOfSucceededThings, 2);
  } finally {
    await Promise.all([one.close(), two.close()]);
  }

  // Rollout: things joining an idle continuous job are released at most maximumPerMinute per minute.
  await iot.send(new CreateThingGroupCommand({ thingGroupName: "fleet-paced" }));
  const paced = await createJob([], { targets: [`${groupArn.replace("fleet-a", "fleet-paced")}`], targetSelection: "CONTINUOUS", jobExecutionsRolloutConfig: { maximumPerMinute: 2 } });
  await sleep(2 * MINUTE);
  const late = ["pace-1", "pace-2", "pace-3"];
  const t0 = Date.now();
  for (const n of late) {
    await iot.send(new CreateThingCommand({ thingName: n }));
    await iot.send(new AddThingToThingGroupCommand({ thingGroupName: "fleet-paced", thingName: n }));
  }
  assert.ok(bench.service.executionsOfJob(paced).length <= 2, "not all at once");
  await eventually(() => (bench.service.executionsOfJob(paced).length === 3 ? true : undefined), 5 * MINUTE);
  assert.ok(Date.now() - t0 >= MINUTE - 50, `the third thing waited a minute's half twice (${Date.now() - t0} ms)`);

  // Abort: failures among later members cancel the continuous job; a member added afterwards gets nothing.
  await iot.send(new CreateThingGroupCommand({ thingGroupName: "fleet-abort" }));
  const aborting = await createJob([], {
    targets: [groupArn.replace("fleet-a", "fleet-abort")],
    targetSelection: "CONTINUOUS",
    abortConfig: { criteriaList: [{ failureType: "FAILED", action: "CANCEL", thresholdPercentage: 75, minNumberOfExecutedThings: 2 }] },
  });
  const failing = await Promise.all(["abort-1", "abort-2"].map((n) => connectDevice(bench, n)));
  try {
    for (const d of failing) {
      await iot.send(new AddThingToThingGroupCommand({ thingGroupName: "fleet-abort", thingName: d.thingName }));
      await eventually(async () => ((await d.request(`${aborting}/get`)).outcome === "accepted" ? true : undefined));
      await d.request(`${aborting}/update`, { status: "FAILED", statusDetails: { reason: "broken" } });
    }
    const { job } = await iot.send(new DescribeJobCommand({ jobId: aborting }));
    assert.equal(job?.status, "CANCELED");
    assert.match(job?.comment ?? "", /aborted/);
    await iot.send(new CreateThingCommand({ thingName: "abort-3" }));
    await iot.send(new AddThingToThingGroupCommand({ thingGroupName: "fleet-abort", thingName: "abort-3" }));
    await rejects(iot.send(new DescribeJobExecutionCommand({ jobId: aborting, thingName: "abort-3" })), "ResourceNotFoundException");
  } finally {
    await Promise.all(failing.map((d) => d.close()));
  }
});
