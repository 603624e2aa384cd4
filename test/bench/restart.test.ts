// A bench restart in the middle of a rollout loses nothing: things,
// certificates, objects, the job, every execution's state, and the rollout
// carries on at its rate to the end.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CreateJobCommand, DescribeJobCommand, DescribeJobExecutionCommand } from "@aws-sdk/client-iot";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { connectDevice, eventually, iotClient, removeDir, s3Client, tempDir, testBench, thingArn } from "./helpers.ts";

const MINUTE = 600;

test("stop and start on the same data folder mid-rollout", async () => {
  const dataDir = tempDir();
  const names = Array.from({ length: 6 }, (_, i) => `rs-${i}`);
  let bench = await testBench({ dataDir, minuteMs: MINUTE });
  try {
    for (const n of names) await bench.registry.registerDevice(n);
    await s3Client(bench).send(new PutObjectCommand({ Bucket: "fw", Key: "a.bin", Body: "firmware" }));
    await iotClient(bench).send(
      new CreateJobCommand({ jobId: "rollout", targets: names.map((n) => thingArn(bench, n)), document: JSON.stringify({ operation: "fota" }), jobExecutionsRolloutConfig: { maximumPerMinute: 3 } }),
    );
    const first = await connectDevice(bench, "rs-0");
    await first.request("rollout/update", { status: "IN_PROGRESS", statusDetails: { step: "downloading" } });
    await first.close();
    const releasedBefore = bench.service.executionsOfJob("rollout").length;
    assert.ok(releasedBefore < names.length, `only ${releasedBefore} of ${names.length} released before the restart`);
    const caPem = bench.ca.ca.certPem;
    await bench.stop();

    bench = await testBench({ dataDir, minuteMs: MINUTE });
    assert.equal(bench.ca.ca.certPem, caPem, "same CA");
    const iot = iotClient(bench);
    const { execution } = await iot.send(new DescribeJobExecutionCommand({ jobId: "rollout", thingName: "rs-0" }));
    assert.equal(execution?.status, "IN_PROGRESS");
    assert.deepEqual(execution?.statusDetails?.detailsMap, { step: "downloading" });
    assert.equal(execution?.versionNumber, 2);
    const obj = await s3Client(bench).send(new GetObjectCommand({ Bucket: "fw", Key: "a.bin" }));
    assert.equal(await obj.Body!.transformToString(), "firmware");

    // the same device certificates still connect; every thing finishes the job
    await eventually(() => (bench.service.executionsOfJob("rollout").length === names.length ? true : undefined), 5 * MINUTE);
    for (const n of names) {
      const d = await connectDevice(bench, n);
      const r = await d.request("rollout/update", { status: "SUCCEEDED" });
      assert.equal(r.outcome, "accepted", `${n}: ${JSON.stringify(r.body)}`);
      await d.close();
    }
    const { job } = await iot.send(new DescribeJobCommand({ jobId: "rollout" }));
    assert.equal(job?.status, "COMPLETED");
    assert.equal(job?.jobProcessDetails?.numberOfSucceededThings, names.length);
  } finally {
    await bench.stop();
    removeDir(dataDir);
  }
});
