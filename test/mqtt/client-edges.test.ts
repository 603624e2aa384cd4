// The client's edges against a scripted TLS server (a real socket that answers
// what each test needs): CONNACK timeout and refusal, protocol errors,
// reconnect backoff, bounded queues, argument checks, topic filters.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import tls from "node:tls";
import type { MqttError } from "../../firmware/mqtt/client.ts";
import { topicMatches } from "../../firmware/mqtt/topic.ts";
import { deviceClient, makePki, until } from "./helpers.ts";
import { listen, type Listening } from "../../host/bench/listen.ts";

const pki = await makePki();
/** What the server does with each new connection. */
let onConnection: (socket: tls.TLSSocket) => void = () => {};
let server: Listening;
let port = 0;

before(async () => {
  server = await listen(tls.createServer({ key: pki.server.keyPem, cert: pki.server.certPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: true },
    (socket) => onConnection(socket)), 0, "127.0.0.1");
  port = server.port;
});
after(() => server.close());

function collectErrors(client: ReturnType<typeof deviceClient>): MqttError[] {
  const errors: MqttError[] = [];
  client.on("error", (e) => errors.push(e));
  return errors;
}

test("no CONNACK in time: error, then reconnects with growing delays", async () => {
  const opened: number[] = [];
  onConnection = () => opened.push(Date.now()); // accepts TLS, never answers
  const client = deviceClient(pki, port, { connackTimeout: 0.2, reconnectMin: 0.1, reconnectMax: 0.4, random: () => 1 });
  const errors = collectErrors(client);
  client.connect();
  await until(() => opened.length >= 4, 5000, "4 connection attempts");
  client.disconnect();
  assert.equal(errors[0].code, "connack timeout");
  // Full delay (random() = 1): 0.1, 0.2, 0.4 s after each 0.2 s timeout.
  const gaps = opened.slice(1).map((t, i) => (t - opened[i]) / 1000);
  // (measured where the server sees each handshake end, so only roughly)
  assert.ok(gaps[0] < gaps[1] && gaps[1] < gaps[2], `gaps ${gaps}`);
  assert.ok(gaps[2] - gaps[0] >= 0.2 && gaps[2] < 0.9, `gaps ${gaps}`);
  const count = opened.length;
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(opened.length, count, "disconnect() stopped reconnecting");
});

test("CONNACK refusal and a malformed stream are named errors; the client keeps trying", async () => {
  let n = 0;
  onConnection = (socket) => {
    socket.once("data", () => socket.write(n++ === 0 ? Buffer.from("20020005", "hex") : Buffer.from("20020000f000", "hex")));
  };
  const client = deviceClient(pki, port, { reconnectMin: 0.05, reconnectMax: 0.05 });
  const errors = collectErrors(client);
  const offline: string[] = [];
  client.on("offline", (r) => offline.push(r));
  client.connect();
  await until(() => errors.some((e) => e.code === "protocol"), 5000, "a protocol error");
  client.disconnect();
  assert.equal(errors[0].code, "connection refused");
  assert.match(errors[0].message, /not authorized/);
  assert.match(errors.find((e) => e.code === "protocol")!.message, /reserved packet type/);
  assert.match(offline[0], /protocol error/);
});

test("bounded memory: queue and in-flight limits; invalid arguments are refused", async () => {
  onConnection = () => {};
  const client = deviceClient(pki, port, { maxQueued: 3 });
  const queued = [1, 2, 3].map((i) => client.publish("t", "m" + i, 1));
  await assert.rejects(client.publish("t", "m4", 1), (e: MqttError) => e.code === "queue full");
  await assert.rejects(client.publish("a/+", "x"), (e: MqttError) => e.code === "invalid argument");
  await assert.rejects(client.publish("t", "\u20ac"), /UTF-8 encode/);
  await assert.rejects(client.subscribe("a/#/b", 1), (e: MqttError) => e.code === "invalid argument");
  client.disconnect();
  for (const p of queued) await assert.rejects(p, (e: MqttError) => e.code === "disconnected");
});

test("in-flight window: QoS 1 beyond maxInflight waits for a PUBACK", async () => {
  const publishes: Buffer[] = [];
  let server: tls.TLSSocket | undefined;
  onConnection = (socket) => {
    server = socket;
    socket.on("data", (d) => {
      if (d[0] === 0x10) socket.write(Buffer.from("20020000", "hex"));
      else publishes.push(d);
    });
  };
  const client = deviceClient(pki, port, { maxInflight: 2 });
  client.connect();
  await until(() => client.state === "online", 3000, "online");
  const sent = [1, 2, 3].map((i) => client.publish("t", "m" + i, 1));
  await until(() => Buffer.concat(publishes).length > 0, 2000, "publishes");
  await new Promise((r) => setTimeout(r, 200));
  const wire = Buffer.concat(publishes).toString("latin1");
  assert.equal(wire.split("m").length - 1, 2, "only two in flight");
  server!.write(Buffer.from("40020001", "hex")); // PUBACK for id 1
  await sent[0];
  await until(() => Buffer.concat(publishes).toString("latin1").includes("m3"), 2000, "the third publish");
  client.disconnect();
  const settled = await Promise.allSettled(sent.slice(1));
  assert.deepEqual(settled.map((r) => r.status), ["rejected", "rejected"]);
});

test("topic filters: + is one level, # the rest, $ topics need an explicit first level", () => {
  const cases: [string, string, boolean][] = [
    ["a/b", "a/b", true], ["a/b", "a/c", false], ["a/+", "a/b", true], ["a/+", "a/b/c", false],
    ["a/#", "a", true], ["a/#", "a/b/c", true], ["#", "a/b", true], ["+/+", "/x", true], ["+", "/x", false],
    ["+/b/+", "a/b/c", true], ["a/+/c", "a//c", true], ["#", "$SYS/x", false], ["+/x", "$SYS/x", false],
    ["$SYS/#", "$SYS/x", true], ["sport/tennis/player1/#", "sport/tennis/player1", true],
  ];
  for (const [filter, topic, expected] of cases) assert.equal(topicMatches(filter, topic), expected, `${filter} ~ ${topic}`);
});
