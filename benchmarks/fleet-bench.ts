// Fleet benchmark (not a test): N lightweight MQTT.js things over mutual TLS
// under one job with a rollout rate. Each thing answers notify-next with
// start-next and reports SUCCEEDED. Prints setup time, rollout time,
// executions per second and peak memory (bench and devices share this process).
// The job targets the things' ARNs, or with --thing-group a thing group holding
// them; with --continuous a CONTINUOUS job on an empty group that the things
// join after it was created (timed from the first join).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AddThingToThingGroupCommand, CreateJobCommand, CreateThingGroupCommand, DescribeJobCommand, IoTClient } from "@aws-sdk/client-iot";
import mqtt, { type MqttClient } from "mqtt";
import { startBench } from "../host/bench/bench.ts";
import { scriptArgs } from "../host/script-args.ts";

const USAGE = "npm run bench:fleet -- [--things 500] [--rate 1000] [--minute-ms 60000] [--key-bits 1024] [--data DIR] [--thing-group | --continuous]";
const { values } = scriptArgs(USAGE, {
  options: {
    things: { type: "string", default: "500" },
    rate: { type: "string", default: "1000" },
    "minute-ms": { type: "string", default: "60000" },
    "key-bits": { type: "string", default: "1024" },
    data: { type: "string" },
    "thing-group": { type: "boolean", default: false },
    continuous: { type: "boolean", default: false },
  },
});
const count = Number(values.things);
const rate = Number(values.rate);
const minuteMs = Number(values["minute-ms"]);
const continuous = values.continuous;
const viaGroup = values["thing-group"] || continuous;
const GROUP = "fleet";

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
const mb = (n: number) => `${(n / 1048576).toFixed(0)} MB`;

const bench = await startBench({
  dataDir: values.data ?? mkdtempSync(join(tmpdir(), "fleet-bench-")),
  mqttPort: 0,
  objectsPort: 0,
  controlPort: 0,
  host: "127.0.0.1",
  minuteMs,
  keyBits: Number(values["key-bits"]),
});
const names = Array.from({ length: count }, (_, i) => `fleet-${String(i).padStart(4, "0")}`);

let t0 = Date.now();
const creds = await Promise.all(names.map((n) => bench.registry.registerDevice(n)));
console.log(`registered ${count} things (${values["key-bits"]}-bit keys) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

/** A thing that takes whatever job comes next and reports SUCCEEDED. */
async function device(i: number): Promise<MqttClient> {
  const name = names[i];
  const base = `$aws/things/${name}/jobs`;
  const client = await mqtt.connectAsync(`mqtts://localhost:${bench.mqtt.port}`, {
    clientId: name,
    key: creds[i].keyPem,
    cert: creds[i].certPem,
    ca: creds[i].caPem,
    reconnectPeriod: 0,
    connectTimeout: 30_000,
  });
  client.on("message", (topic, payload) => {
    const body = JSON.parse(payload.toString());
    if (topic === `${base}/notify-next` && body.execution) client.publish(`${base}/start-next`, JSON.stringify({ clientToken: name }), { qos: 1 });
    if (topic === `${base}/start-next/accepted` && body.execution) {
      client.publish(`${base}/${body.execution.jobId}/update`, JSON.stringify({ status: "SUCCEEDED", statusDetails: { by: "fleet" } }), { qos: 1 });
    }
  });
  await client.subscribeAsync([`${base}/notify-next`, `${base}/start-next/accepted`], { qos: 1 });
  return client;
}

/** Runs `fn` over every thing index, 50 at a time. */
async function inBatches<T>(fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += 50) out.push(...(await Promise.all(names.slice(i, i + 50).map((_, j) => fn(i + j)))));
  return out;
}

t0 = Date.now();
const clients = await inBatches(device);
console.log(`connected ${count} things over mutual TLS in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

const iot = new IoTClient({ endpoint: bench.control.url, region: bench.region, credentials: bench.credentials });
const joinGroup = (i: number) => iot.send(new AddThingToThingGroupCommand({ thingGroupName: GROUP, thingName: names[i] }));
if (viaGroup) await iot.send(new CreateThingGroupCommand({ thingGroupName: GROUP }));
if (viaGroup && !continuous) {
  t0 = Date.now();
  await inBatches(joinGroup);
  console.log(`added ${count} things to thing group "${GROUP}" in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

const jobId = `fleet-${Date.now()}`;
const target = continuous ? `CONTINUOUS job on thing group "${GROUP}", things joining after it` : viaGroup ? `thing group "${GROUP}"` : `${count} thing ARNs`;
t0 = Date.now();
await iot.send(
  new CreateJobCommand({
    jobId,
    targets: viaGroup ? [bench.registry.thingGroupArn(GROUP)] : names.map((n) => bench.registry.thingArn(n)),
    targetSelection: continuous ? "CONTINUOUS" : "SNAPSHOT",
    document: JSON.stringify({ operation: "fleet-test" }),
    jobExecutionsRolloutConfig: { maximumPerMinute: rate },
  }),
);
if (continuous) {
  t0 = Date.now();
  await inBatches(joinGroup);
}
// A CONTINUOUS job stays IN_PROGRESS: done once every thing succeeded.
for (;;) {
  const { job } = await iot.send(new DescribeJobCommand({ jobId }));
  const succeeded = job?.jobProcessDetails?.numberOfSucceededThings ?? 0;
  if (job?.status !== "IN_PROGRESS" || succeeded === count) {
    const seconds = (Date.now() - t0) / 1000;
    console.log(`job ${job?.status}: ${succeeded}/${count} SUCCEEDED in ${seconds.toFixed(1)} s = ${(succeeded / seconds).toFixed(1)} executions/s (rollout cap ${rate} per Jobs minute of ${minuteMs / 1000} s; target: ${target})`);
    break;
  }
  await new Promise((r) => setTimeout(r, 200));
}
console.log(`peak RSS ${mb(peakRss)} (bench + ${count} MQTT.js clients in one process)`);

clearInterval(sampler);
await Promise.all(clients.map((c) => c.endAsync(true)));
await bench.stop();
