// The firmware's MQTT client, run in Node through a node:tls adapter shaped like
// the interpreter's sockets, against two real brokers that require a client
// certificate: aedes (in this process) and mosquitto (a child process).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type mqtt from "mqtt";
import type * as mqttPacket from "mqtt-packet";
import type { MqttError } from "../../firmware/mqtt/client.ts";
import type { Publish } from "../../firmware/mqtt/packets.ts";
import { utf8Decode, utf8Encode } from "../../firmware/mqtt/utf8.ts";
import { aedesBroker, mosquittoBroker, mosquittoPath, silenceableProxy, type TestBroker } from "./brokers.ts";
import { deviceClient, makePki, next, peer, recording, until } from "./helpers.ts";
import { nodeTlsTransport } from "./node-transport.ts";

const pki = await makePki();

const BROKERS: { name: string; make: (p: typeof pki) => Promise<TestBroker>; skip: string | false }[] = [
  { name: "aedes", make: aedesBroker, skip: false },
  {
    name: "mosquitto", make: mosquittoBroker,
    skip: mosquittoPath() ? false : "mosquitto is not installed (apt-get install mosquitto)",
  },
];

for (const kind of BROKERS) {
  describe(`MQTT client against ${kind.name} over mutual TLS`, { skip: kind.skip }, () => {
    let broker: TestBroker;
    const peers: mqtt.MqttClient[] = [];
    before(async () => {
      broker = await kind.make(pki);
    });
    after(async () => {
      await Promise.all(peers.map((p) => p.endAsync(true)));
      await broker.close();
    });
    const observer = async (options: mqtt.IClientOptions = {}) => {
      const p = await peer(pki, broker.port, options);
      peers.push(p);
      return p;
    };

    test("a client without a certificate, or with one from another CA, is refused", async () => {
      for (const identity of [null, pki.stranger]) {
        const client = deviceClient(pki, broker.port, {}, identity);
        const errors: MqttError[] = [];
        let connected = false;
        client.on("error", (e) => errors.push(e));
        client.on("connected", () => (connected = true));
        client.connect();
        await until(() => errors.length > 0, 5000, "an error");
        await new Promise((r) => setTimeout(r, 300));
        client.disconnect();
        assert.equal(connected, false);
        assert.ok(errors.some((e) => e.code === "socket" || e.code === "closed before connack"), errors.map((e) => e.message).join("; "));
      }
    });

    test("connect, subscribe, QoS 1 both ways, unsubscribe", async () => {
      const far = await observer();
      await far.subscribeAsync("dev/out", { qos: 1 });
      const sent: mqttPacket.Packet[] = [];
      const client = deviceClient(pki, broker.port);
      client.connect();
      assert.deepEqual(await next(client, "connected"), { sessionPresent: false });

      const handled: Publish[] = [];
      const others: Publish[] = [];
      assert.equal(await client.subscribe("dev/in/+", 1, (_t, _p, packet) => handled.push(packet)), 1);
      assert.equal(await client.subscribe("other/#", 0, (_t, _p, packet) => others.push(packet)), 0);
      const messages: string[] = [];
      client.on("message", (topic, payload) => messages.push(topic + " " + utf8Decode(payload)));
      await far.publishAsync("dev/in/a", "grüße", { qos: 1 });
      await far.publishAsync("other/x/y", "zero", { qos: 1 });
      await until(() => messages.length === 2, 3000, "both messages");
      // Each handler got what its filter matches, at the QoS it was granted.
      assert.deepEqual(handled.map((p) => [p.topic, utf8Decode(p.payload), p.qos]), [["dev/in/a", "grüße", 1]]);
      assert.deepEqual(others.map((p) => [p.topic, p.payload, p.qos]), [["other/x/y", "zero", 0]]);
      assert.deepEqual(messages, ["dev/in/a grüße", "other/x/y zero"]);

      const arrived = new Promise<mqtt.IPublishPacket>((resolve) => far.on("message", (_t, _p, packet) => resolve(packet)));
      await client.publish("dev/out", utf8Encode("€ 1"), 1);
      const packet = await arrived;
      assert.equal(packet.payload.toString(), "€ 1");
      assert.equal(packet.qos, 1);

      await client.unsubscribe("dev/in/+");
      await client.unsubscribe("other/#");
      await far.publishAsync("dev/in/a", "after unsubscribe", { qos: 1 });
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(handled.length, 1);
      client.disconnect();
      assert.equal(client.state, "idle");
    });

    test("incoming QoS 1 is acknowledged with its packet id", async () => {
      const far = await observer();
      const sent: mqttPacket.Packet[] = [];
      const transport = nodeTlsTransport({ host: "127.0.0.1", port: broker.port, ca: pki.ca.certPem, key: pki.client.keyPem, cert: pki.client.certPem });
      const client = deviceClient(pki, broker.port, { transport: recording(transport, sent) });
      client.connect();
      await next(client, "connected");
      await client.subscribe("ack/me", 1);
      const got = next(client, "message");
      await far.publishAsync("ack/me", "x", { qos: 1 });
      await got;
      let packet: Publish | undefined;
      client.on("message", (_t, _p, p) => (packet = p));
      await far.publishAsync("ack/me", "y", { qos: 1 });
      await until(() => packet !== undefined, 2000, "the second message");
      await until(() => sent.some((p) => p.cmd === "puback" && p.messageId === packet!.packetId), 2000, "its PUBACK");
      client.disconnect();
    });

    test("broker stopped and started: reconnects, resubscribes, delivers pending QoS 1", async () => {
      // Keeps its session (clean=false), so the broker stores what arrives while it is away.
      const far = await observer({ clientId: `observer-${kind.name}-restart`, clean: false });
      await far.subscribeAsync("dev/out/pending", { qos: 1 });
      const received: string[] = [];
      far.on("message", (_t, payload) => received.push(payload.toString()));

      const client = deviceClient(pki, broker.port);
      client.connect();
      await next(client, "connected");
      const inbox: string[] = [];
      await client.subscribe("dev/in/+", 1, (_t, payload) => inbox.push(payload));

      const offline = next(client, "offline");
      await broker.stop();
      const reason = await offline;
      assert.match(reason, /closed/);
      const pending = [1, 2, 3].map((i) => client.publish("dev/out/pending", "pending " + i, 1));
      const reconnected = next(client, "connected", 10000);
      await broker.start();
      assert.deepEqual(await reconnected, { sessionPresent: false });
      await Promise.all(pending); // every one acknowledged by the broker
      await until(() => new Set(received).size === 3, 10000, "the observer to get the 3 pending messages");
      assert.deepEqual([...new Set(received)].sort(), ["pending 1", "pending 2", "pending 3"]);

      // Resubscribed: a message to the old filter arrives (retried until the SUBACK is in).
      for (let i = 0; inbox.length === 0; i++) {
        assert.ok(i < 50, "no message after resubscription");
        await far.publishAsync("dev/in/again", "after restart", { qos: 1 });
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(inbox[0], "after restart");
      client.disconnect();
    });

    test("a silent link is found by keep-alive; the unacknowledged QoS 1 is re-sent with DUP", async () => {
      const far = await observer();
      await far.subscribeAsync("dev/out/silent", { qos: 1 });
      const received: string[] = [];
      far.on("message", (_t, payload) => received.push(payload.toString()));

      const proxy = await silenceableProxy(broker.port);
      const sent: mqttPacket.Packet[] = [];
      const transport = nodeTlsTransport({ host: "127.0.0.1", port: proxy.port, ca: pki.ca.certPem, key: pki.client.keyPem, cert: pki.client.certPem });
      const client = deviceClient(pki, proxy.port, { keepAlive: 1, transport: recording(transport, sent) });
      client.connect();
      await next(client, "connected");
      await client.subscribe("dev/in/+", 1);

      const offline = next(client, "offline", 5000);
      const silencedAt = Date.now();
      proxy.silence();
      const delivered = client.publish("dev/out/silent", "through the outage", 1);
      const reason = await offline;
      const detectedAfter = (Date.now() - silencedAt) / 1000;
      assert.match(reason, /nothing received/);
      // 1.5 x keep-alive after the last byte in, checked every keep-alive / 4.
      assert.ok(detectedAfter >= 1.2 && detectedAfter <= 2.2, `dead link found after ${detectedAfter} s`);
      console.log(`# ${kind.name}: silent link detected after ${detectedAfter.toFixed(2)} s (keep-alive 1 s)`);

      await next(client, "connected", 5000);
      await delivered;
      await until(() => received.includes("through the outage"), 5000, "the re-sent message");
      const copies = sent.filter((p): p is mqttPacket.IPublishPacket => p.cmd === "publish" && p.topic === "dev/out/silent");
      assert.equal(copies.length, 2);
      assert.deepEqual(copies.map((p) => p.dup), [false, true]);
      assert.equal(copies[0].messageId, copies[1].messageId);
      assert.ok(sent.some((p) => p.cmd === "pingreq"), "a PINGREQ was sent while idle");
      client.disconnect();
      await proxy.close();
    });

    test("QoS 1 round trips per second", async () => {
      const client = deviceClient(pki, broker.port);
      client.connect();
      await next(client, "connected");
      let wake: ((payload: string) => void) | undefined;
      await client.subscribe("bench/echo", 1, (_t, payload) => wake?.(payload));
      const started = process.hrtime.bigint();
      const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
      let N = 0;
      for (let i = 0; i < 2000 && elapsed() < 5; i++, N++) {
        const echoed = new Promise<string>((resolve) => (wake = resolve));
        await client.publish("bench/echo", "sample " + i, 1);
        assert.equal(await echoed, "sample " + i);
      }
      const seconds = elapsed();
      console.log(`# ${kind.name}: ${Math.round(N / seconds)} QoS 1 round trips/s (${N} sequential publish + PUBACK + delivery + PUBACK, Node, mutual TLS)`);
      client.disconnect();
    });
  });
}
