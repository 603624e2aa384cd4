// Fleet benchmark (not a test): N lightweight MQTT.js things over mutual TLS
// under one job with a rollout rate. Each thing answers notify-next with
// start-next and reports SUCCEEDED. Prints setup time, rollout time,
// executions per second and peak memory (bench and devices share this process).
//   npm run bench:fleet -- [--things 500] [--rate 1000] [--minute-ms 60000] [--key-bits 1024] [--data dir]
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CreateJobCommand, DescribeJobCommand, IoTClient } from "@aws-sdk/client-iot";
import mqtt, { type MqttClient } from "mqtt";
import { startBench } from "../host/bench/bench.ts";

const { values } = parseArgs({
  options: {
    things: { type: "string", default: "500" },
    rate: { type: "string", default: "1000" },
    "minute-ms": { type: "string", default: "60000" },
    "key-bits": { type: "string", default: "1024" },
    data: { type: "string" },
  },
});
const count = Number(values.things);
const rate = Number(values.rate);

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
const mb = (n: number) => `${(n / 1048576).toFixed(0)} MB`;

const bench = await startBench({
  dataDir: values.data ?? mkdtempSync(join(tmpdir(), "fleet-bench-")),
  mqttPort: 0,
  objectsPort: 0,
  controlPort: 0,
  host: "127.0.0.1",
  minuteMs: Number(values["minute-ms"]),
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

t0 = Date.now();
const clients: MqttClient[] = [];
for (let i = 0; i < count; i += 50) clients.push(...(await Promise.all(names.slice(i, i + 50).map((_, j) => device(i + j)))));
console.log(`connected ${count} things over mutual TLS in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

const iot = new IoTClient({ endpoint: bench.control.url, region: bench.region, credentials: bench.credentials });
const jobId = `fleet-${Date.now()}`;
t0 = Date.now();
await iot.send(
  new CreateJobCommand({
    jobId,
    targets: names.map((n) => bench.registry.thingArn(n)),
    document: JSON.stringify({ operation: "fleet-test" }),
    jobExecutionsRolloutConfig: { maximumPerMinute: rate },
  }),
);
for (;;) {
  const { job } = await iot.send(new DescribeJobCommand({ jobId }));
  if (job?.status !== "IN_PROGRESS") {
    const seconds = (Date.now() - t0) / 1000;
    const succeeded = job?.jobProcessDetails?.numberOfSucceededThings ?? 0;
    console.log(`job ${job?.status}: ${succeeded}/${count} SUCCEEDED in ${seconds.toFixed(1)} s = ${(succeeded / seconds).toFixed(1)} executions/s (rollout cap ${rate}/min)`);
    break;
  }
  await new Promise((r) => setTimeout(r, 200));
}
console.log(`peak RSS ${mb(peakRss)} (bench + ${count} MQTT.js clients in one process)`);

clearInterval(sampler);
await Promise.all(clients.map((c) => c.endAsync(true)));
await bench.stop();
