// The broker's identity rules: client certificates required, client id bound
// to the certificate's thing, and each thing confined to its own $aws topics.
import assert from "node:assert/strict";
import { test } from "node:test";
import mqtt from "mqtt";
import type { Bench } from "../../host/bench/bench.ts";
import { benchForTests, connectDevice, sleep } from "./helpers.ts";

let bench: Bench;
benchForTests({}, (b) => {
  bench = b;
});

const url = () => `mqtts://localhost:${bench.mqtt.port}`;

test("a client id other than the certificate's thing is refused", async () => {
  await bench.registry.registerDevice("alice");
  await assert.rejects(connectDevice(bench, "alice", { clientId: "mallory" }), /Identifier rejected/);
  await assert.rejects(connectDevice(bench, "bob", { credentialsOf: "alice" }), /Identifier rejected/);
});

test("a certificate attached to no thing is refused, and so is a client without certificate", async () => {
  const loose = await bench.ca.thing("unattached"); // issued by the CA but never registered
  await assert.rejects(
    mqtt.connectAsync(url(), { clientId: "unattached", key: loose.keyPem, cert: loose.certPem, ca: loose.caPem, reconnectPeriod: 0, connectTimeout: 3000 }),
    /Not authorized/,
  );
  await assert.rejects(mqtt.connectAsync(url(), { clientId: "anon", ca: loose.caPem, reconnectPeriod: 0, connectTimeout: 3000 }));
});

test("subscribing to another thing's topics is refused (SUBACK 0x80); own and ordinary topics are granted", async () => {
  const d = await connectDevice(bench, "carol");
  try {
    // MQTT.js rejects a SUBACK with any refusal; the packet holds every return code.
    const suback = await d.client
      .subscribeAsync(["$aws/things/dave/jobs/notify", "$aws/things/+/jobs/notify", "$aws/things/carol/jobs/#", "dev/sample", "#", "$aws/events/#"], { qos: 1 })
      .then(
        () => assert.fail("the foreign subscriptions were granted"),
        (err: { packet?: { granted: number[] } }) => err.packet,
      );
    assert.deepEqual(suback?.granted, [128, 128, 1, 1, 1, 128]);
  } finally {
    await d.close();
  }
});

test("publishing to another thing's topic closes the connection", async () => {
  const d = await connectDevice(bench, "erin");
  const closed = new Promise<void>((resolve) => d.client.once("close", () => resolve()));
  d.client.publish("$aws/things/frank/jobs/get", "{}", { qos: 1 });
  await closed;
  await d.close();
});

test("things exchange ordinary topics, but a '#' subscriber never sees another thing's $aws traffic", async () => {
  const gina = await connectDevice(bench, "gina");
  const hank = await connectDevice(bench, "hank");
  try {
    await gina.subscribe("#");
    await hank.client.publishAsync("dev/sample", JSON.stringify({ v: 42 }), { qos: 1 });
    assert.deepEqual((await gina.waitFor((m) => m.topic === "dev/sample")).body, { v: 42 });
    await hank.request("get");
    await sleep(200);
    assert.equal(gina.messages.filter((m) => m.topic.startsWith("$aws/")).length, 0);
  } finally {
    await gina.close();
    await hank.close();
  }
});
