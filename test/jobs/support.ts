// The Jobs client's test plumbing: the bench's own parts (CA, store, registry,
// Jobs service, mutual-TLS broker, Jobs over MQTT) assembled so a test can
// also throttle requests, hold them in flight, and restart the broker alone;
// boards provisioned as things; and calls into the board's harness.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type Aedes from "aedes";
import type { AedesPublishPacket } from "aedes";
import ts from "typescript";
import { BenchCa, thingStorageFiles } from "../../host/bench/ca.ts";
import { startBroker, type RunningBroker } from "../../host/bench/broker.ts";
import type { Job } from "../../host/bench/job.ts";
import { serveJobsOverMqtt } from "../../host/bench/jobs-mqtt.ts";
import { JobsService } from "../../host/bench/jobs-service.ts";
import { Registry } from "../../host/bench/registry.ts";
import { Store } from "../../host/bench/store.ts";
import { buildDeviceScript } from "../../host/toolchain/device-script.ts";
import type { SimBoard } from "../../host/sim/board.ts";
import { startBoard, type TestBoard } from "../support/sim.ts";

const REQUEST = /^\$aws\/things\/[^/]+\/jobs\/(.+)$/;

/** How the broker treats Jobs requests before the Jobs service sees them. */
export interface RequestFaults {
  /** Answer this many requests with RequestThrottled. */
  throttle: number;
  /** Hold each request this long (ms) before it reaches the Jobs service. */
  holdMs: number;
}

export interface JobsBench {
  port: number;
  ca: BenchCa;
  registry: Registry;
  service: JobsService;
  faults: RequestFaults;
  /** Requests the Jobs service saw, by topic suffix (get, <jobId>/update...). */
  seen: string[];
  createJob(jobId: string, things: string[], document?: unknown): void;
  /** Stops the broker (connections drop); `startBroker()` brings it back on the same port. */
  stopBroker(): Promise<void>;
  startBroker(): Promise<void>;
  stop(): Promise<void>;
}

export async function startJobsBench(): Promise<JobsBench> {
  const dataDir = mkdtempSync(join(tmpdir(), "jobs-bench-"));
  const ca = await BenchCa.open(dataDir, ["localhost"], 1024);
  const store = new Store(join(dataDir, "bench.sqlite"));
  const registry = new Registry(store, ca, "us-east-1", "123456789012");
  const service = new JobsService(store, (job) => JSON.parse(job.document));
  const faults: RequestFaults = { throttle: 0, holdMs: 0 };
  const seen: string[] = [];
  let broker: RunningBroker | undefined;
  let stopJobs: (() => void) | undefined;
  let port = 0;

  // What serveJobsOverMqtt needs of aedes, with the faults in front of its request handler.
  const faulty = (b: Aedes): Aedes => {
    const publish = (topic: string, body: object) =>
      b.publish({ cmd: "publish", topic, payload: Buffer.from(JSON.stringify(body)), qos: 1, retain: false, dup: false }, () => {});
    return {
      publish: b.publish.bind(b),
      unsubscribe: () => {},
      subscribe(topic: string, handler: (p: AedesPublishPacket, done: () => void) => void, cb: () => void) {
        b.subscribe(topic, (packet, done) => {
          const m = REQUEST.exec(packet.topic);
          const isRequest = m && !/\/(accepted|rejected)$/.test(m[1]) && m[1] !== "notify" && m[1] !== "notify-next";
          if (!isRequest) return handler(packet, done);
          if (faults.throttle > 0) {
            faults.throttle--;
            done();
            const { clientToken } = JSON.parse(packet.payload.toString());
            return publish(`${packet.topic}/rejected`, { code: "RequestThrottled", message: "Rate exceeded", clientToken, timestamp: Math.floor(Date.now() / 1000) });
          }
          seen.push(m[1]);
          if (faults.holdMs > 0) setTimeout(() => handler(packet, () => {}), faults.holdMs);
          else handler(packet, () => {});
          done();
        }, cb);
      },
    } as unknown as Aedes;
  };

  const bench: JobsBench = {
    get port() {
      return port;
    },
    ca, registry, service, faults, seen,
    createJob(jobId, things, document = { operation: "test", jobId }) {
      const now = Date.now();
      const job: Job = {
        jobId, document: JSON.stringify(document), targets: things.map((t) => registry.thingArn(t)), thingNames: things,
        abortCriteria: [], status: "IN_PROGRESS", createdAt: now, lastUpdatedAt: now,
      };
      service.createJob(job);
    },
    async startBroker() {
      broker = await startBroker({ port, host: "127.0.0.1", server: ca.server, caPem: ca.ca.certPem, thingOfCertificate: (id) => registry.thingOfCertificate(id) });
      port = broker.port;
      stopJobs = serveJobsOverMqtt(faulty(broker.broker), service);
    },
    async stopBroker() {
      stopJobs?.();
      await broker?.close();
      broker = undefined;
    },
    async stop() {
      await bench.stopBroker();
      service.stop();
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  await bench.startBroker();
  return bench;
}

const built: Record<string, Promise<string>> = {};
/**
 * A device program of entries/, built with the firmware's pipeline (once per
 * test process). The pipeline compiles only firmware/ as TypeScript, so the
 * entry's own types are stripped first and it is bundled as JavaScript that
 * imports the firmware by absolute path.
 */
export function entryScript(name: string): Promise<string> {
  built[name] ??= (async () => {
    const source = fileURLToPath(new URL(`./entries/${name}.ts`, import.meta.url));
    const js = ts.transpileModule(readFileSync(source, "utf8"), { compilerOptions: { target: ts.ScriptTarget.ES5, module: ts.ModuleKind.ESNext } }).outputText
      .replace(/from "(\.[^"]+)"/g, (_, spec: string) => `from ${JSON.stringify(resolve(dirname(source), spec) + ".ts")}`);
    const dir = mkdtempSync(join(tmpdir(), "jobs-entry-"));
    try {
      writeFileSync(join(dir, `${name}.js`), js);
      return await buildDeviceScript(join(dir, `${name}.js`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return built[name];
}

/** A simulated board registered as `thingName`, running the harness, online. */
export async function harnessBoard(bench: JobsBench, thingName: string): Promise<TestBoard> {
  const creds = await bench.registry.registerDevice(thingName);
  const board = await startBoard({ ".bootcde": await entryScript("harness"), ...thingStorageFiles(creds, "localhost", bench.port) });
  await board.sim.waitFor(/^C online$/, 15_000);
  return board;
}

export type Outcome = { ok: true; value: any } | { ok: false; code: string; message: string };

let calls = 0;
/** Starts `expr` (an expression giving a promise, in the board's scope) and returns the promise for its outcome. */
export async function call(sim: SimBoard, expr: string, timeoutMs = 10_000): Promise<Outcome> {
  const id = `c${++calls}`;
  const since = sim.lines.length;
  await sim.evaluate(`run(${JSON.stringify(id)}, function () { return ${expr}; })`);
  return outcome(await sim.waitFor(new RegExp(`^R ${id} `), timeoutMs, since));
}

/** Starts `expr` without waiting for anything: the returned promise is its outcome. */
export function start(sim: SimBoard, expr: string, timeoutMs = 10_000): Promise<Outcome> {
  const id = `c${++calls}`;
  const line = sim.waitFor(new RegExp(`^R ${id} `), timeoutMs, sim.lines.length);
  void sim.evaluate(`run(${JSON.stringify(id)}, function () { return ${expr}; })`);
  return line.then(outcome);
}

function outcome(line: string): Outcome {
  const m = /^R \S+ (ok|err) (\S*) ?(.*)$/.exec(line)!;
  if (m[1] === "ok") return { ok: true, value: JSON.parse(line.slice(line.indexOf(" ok ") + 4)) };
  return { ok: false, code: m[2], message: m[3] };
}

/** Polls `condition` every 10 ms. */
export async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
