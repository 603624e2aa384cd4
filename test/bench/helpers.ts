// Shared test plumbing: a bench in a fresh temporary folder, devices as real
// MQTT.js clients over mutual TLS, and the real AWS SDK clients pointed at it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { IoTClient } from "@aws-sdk/client-iot";
import { S3Client } from "@aws-sdk/client-s3";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { type Bench, type BenchOptions, startBench } from "../../host/bench/bench.ts";

export const tempDir = (): string => mkdtempSync(join(tmpdir(), "bench-test-"));
export const removeDir = (dir: string): void => rmSync(dir, { recursive: true, force: true });

/** A bench on free ports in `dataDir` (a new temporary folder by default). */
export function testBench(opts: BenchOptions = {}): Promise<Bench> {
  return startBench({ dataDir: tempDir(), mqttPort: 0, objectsPort: 0, controlPort: 0, host: "127.0.0.1", keyBits: 1024, ...opts });
}

/** A test bench for the tests of one file: started before them (and handed to `use`), stopped and removed after them. */
export function benchForTests(opts: BenchOptions, use: (bench: Bench) => void | Promise<void>): void {
  let bench: Bench | undefined;
  before(async () => {
    bench = await testBench(opts);
    await use(bench);
  });
  after(async () => {
    await bench?.stop();
    if (bench) removeDir(bench.dataDir);
  });
}

/** Asserts that `p` rejects with AWS's exception `name`, its message matching `message` when given. */
export const rejectsWith = (p: Promise<unknown>, name: string, message?: RegExp): Promise<void> =>
  assert.rejects(p, (err: Error) => {
    assert.equal(err.name, name, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });

export function iotClient(bench: Bench): IoTClient {
  return new IoTClient({ endpoint: bench.control.url, region: bench.region, credentials: bench.credentials, maxAttempts: 1 });
}

export function s3Client(bench: Bench): S3Client {
  return new S3Client({
    endpoint: bench.objects.url,
    region: bench.region,
    credentials: bench.credentials,
    forcePathStyle: true,
    maxAttempts: 1,
    requestHandler: { httpsAgent: new https.Agent({ ca: bench.ca.ca.certPem }) },
  });
}

export type Outcome = { outcome: "accepted" | "rejected"; body: Record<string, any>; topic: string };

/** A thing connected over mutual TLS with MQTT.js. */
export class Device {
  private seq = 0;
  private readonly subscribed = new Set<string>();
  readonly messages: { topic: string; body: Record<string, any> }[] = [];
  private waiters: { match: (m: { topic: string; body: Record<string, any> }) => boolean; resolve: (m: { topic: string; body: Record<string, any> }) => void }[] = [];
  /** Settles when the connection closes (the broker hung up, or close()). */
  readonly closed: Promise<void>;

  constructor(
    readonly client: MqttClient,
    readonly thingName: string,
  ) {
    this.closed = new Promise((resolve) => client.once("close", () => resolve()));
    client.on("message", (topic, payload) => {
      let body: Record<string, any>;
      try {
        body = JSON.parse(payload.toString());
      } catch {
        body = { raw: payload.toString() };
      }
      const m = { topic, body };
      this.messages.push(m);
      const i = this.waiters.findIndex((w) => w.match(m));
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(m);
    });
  }

  get base(): string {
    return `$aws/things/${this.thingName}/jobs`;
  }

  async subscribe(topic: string): Promise<void> {
    if (this.subscribed.has(topic)) return;
    const granted = await this.client.subscribeAsync(topic, { qos: 1 });
    if (granted[0].qos === 128) throw new Error(`subscription to ${topic} refused`);
    this.subscribed.add(topic);
  }

  /** The next message (already received or to come) that `match` accepts. */
  waitFor(match: (m: { topic: string; body: Record<string, any> }) => boolean, timeoutMs = 3000): Promise<{ topic: string; body: Record<string, any> }> {
    const seen = this.messages.find(match);
    if (seen) {
      this.messages.splice(this.messages.indexOf(seen), 1);
      return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.thingName}: no matching message within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          this.messages.splice(this.messages.indexOf(m), 1);
          resolve(m);
        },
      });
    });
  }

  /** Publishes a request under jobs/ and returns its /accepted or /rejected answer. */
  async request(suffix: string, body: Record<string, unknown> | string = {}, withToken = true): Promise<Outcome> {
    const topic = `${this.base}/${suffix}`;
    await this.subscribe(`${topic}/accepted`);
    await this.subscribe(`${topic}/rejected`);
    const clientToken = `t${++this.seq}`;
    const payload = typeof body === "string" ? body : JSON.stringify(withToken ? { ...body, clientToken } : body);
    await this.client.publishAsync(topic, payload, { qos: 1 });
    const answer = await this.waitFor(
      (m) => (m.topic === `${topic}/accepted` || m.topic === `${topic}/rejected`) && (typeof body === "string" || !withToken || m.body.clientToken === clientToken),
    );
    return { outcome: answer.topic.endsWith("/accepted") ? "accepted" : "rejected", body: answer.body, topic: answer.topic };
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}

/** Registers `thingName` and connects it as a device; rejects when the broker refuses or hangs up before CONNACK. */
export async function connectDevice(bench: Bench, thingName: string, opts: { clientId?: string; credentialsOf?: string; will?: IClientOptions["will"] } = {}): Promise<Device> {
  const creds = await bench.registry.registerDevice(opts.credentialsOf ?? thingName);
  const client = await mqtt.connectAsync(`mqtts://localhost:${bench.mqtt.port}`, {
    clientId: opts.clientId ?? thingName,
    key: creds.keyPem,
    cert: creds.certPem,
    ca: creds.caPem,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...(opts.will && { will: opts.will }),
  }, false);
  return new Device(client, thingName);
}

export const thingArn = (bench: Bench, name: string): string => bench.registry.thingArn(name);
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether `d`'s connection closes within `ms`. */
export const closesWithin = (d: Device, ms: number): Promise<boolean> => Promise.race([d.closed.then(() => true), sleep(ms).then(() => false)]);

/** Polls `check` until it returns a value other than undefined. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error("condition not reached in time");
    await sleep(20);
  }
}
