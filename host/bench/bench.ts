// The whole bench in one call: CA, store, MQTT broker with the Jobs API,
// object store and control API, sharing one data folder. `stop()` closes all
// of it; starting again on the same folder resumes every job where it was.
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { BenchCa } from "./ca.ts";
import { startBroker } from "./broker.ts";
import { startControl } from "./control.ts";
import { resolveDocument } from "./job-document.ts";
import { serveJobsOverMqtt } from "./jobs-mqtt.ts";
import { JobsService } from "./jobs-service.ts";
import { startObjectStore } from "./objects.ts";
import { Registry } from "./registry.ts";
import { type AwsCredentials, BENCH_CREDENTIALS } from "./sigv4.ts";
import { Store } from "./store.ts";

export interface BenchOptions {
  /** Where the CA, the device certificates and the database live (default ./.bench-data). */
  dataDir?: string;
  /** Ports; 0 picks a free one. Defaults: MQTT 8883, objects 8443, control 8080. */
  mqttPort?: number;
  objectsPort?: number;
  controlPort?: number;
  /** Interface the broker and object store listen on (default all); the control API stays on 127.0.0.1. */
  host?: string;
  /** The name or address devices use to reach the bench; it goes into the server certificate. */
  publicHost?: string;
  region?: string;
  account?: string;
  credentials?: AwsCredentials;
  /** Milliseconds in a Jobs minute (rollout rates and timeouts); default 60000. */
  minuteMs?: number;
  /** RSA key size of new device keys (default 2048). */
  keyBits?: number;
}

export interface Bench {
  dataDir: string;
  region: string;
  credentials: AwsCredentials;
  mqtt: { host: string; port: number };
  objects: { port: number; url: string };
  control: { port: number; url: string };
  ca: BenchCa;
  registry: Registry;
  service: JobsService;
  store: Store;
  stop(): Promise<void>;
}

export async function startBench(opts: BenchOptions = {}): Promise<Bench> {
  const dataDir = resolve(opts.dataDir ?? ".bench-data");
  mkdirSync(dataDir, { recursive: true });
  const publicHost = opts.publicHost ?? "localhost";
  const region = opts.region ?? "us-east-1";
  const credentials = opts.credentials ?? BENCH_CREDENTIALS;
  const ca = await BenchCa.open(dataDir, [publicHost], opts.keyBits);
  const store = new Store(join(dataDir, "bench.sqlite"));
  const registry = new Registry(store, ca, region, opts.account ?? "123456789012");

  const objects = await startObjectStore({ port: opts.objectsPort ?? 8443, host: opts.host, publicHost, server: ca.server, store, credentials, region });
  const service = new JobsService(
    store,
    (job) => resolveDocument(job.document, (url) => objects.presign(url, job.presignedUrlConfig?.expiresInSec ?? 3600)),
    { minuteMs: opts.minuteMs },
  );
  const mqtt = await startBroker({ port: opts.mqttPort ?? 8883, host: opts.host, server: ca.server, caPem: ca.ca.certPem, thingOfCertificate: (id) => registry.thingOfCertificate(id) });
  const stopJobs = serveJobsOverMqtt(mqtt.broker, service);
  const endpoints = { mqttHost: publicHost, mqttPort: mqtt.port, objectsUrl: objects.url, region };
  const control = await startControl({ port: opts.controlPort ?? 8080, service, registry, store, credentials, deviceEndpoints: () => endpoints, caPem: ca.ca.certPem });

  return {
    dataDir,
    region,
    credentials,
    mqtt: { host: publicHost, port: mqtt.port },
    objects: { port: objects.port, url: objects.url },
    control: { port: control.port, url: control.url },
    ca,
    registry,
    service,
    store,
    async stop() {
      service.stop();
      stopJobs();
      await Promise.all([control.close(), mqtt.close(), objects.close()]);
      store.close();
    },
  };
}
