// Round-trip times of the board's Jobs client (not a test): a simulated board
// provisioned as a thing runs describe and update N times each against the
// bench over mutual TLS, timing each call on the board (getTime), and prints
// the median, 10th and 90th percentiles of both, from the same run. Also the
// minified size of Thing + Jobs, apart from the MQTT client under them.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildDeviceScript } from "../host/toolchain/device-script.ts";
import { SimBoard, writeStorage } from "../host/sim/board.ts";
import { HOST_BOARD } from "../host/toolchain/board.ts";
import { startBench } from "../host/bench/bench.ts";
import { thingStorageFiles } from "../host/bench/ca.ts";
import { scriptArgs } from "../host/script-args.ts";

const { values } = scriptArgs("npm run bench:jobs -- [--rounds 200]", { options: { rounds: { type: "string", default: "200" } } });
const rounds = Number(values.rounds);
const firmware = (path: string) => JSON.stringify(fileURLToPath(new URL(`../firmware/${path}.ts`, import.meta.url)));

// Device code, plain ES5: describe N times, then update (IN_PROGRESS, allowed again and again) N times.
const ENTRY = `
import { loadConfig } from ${firmware("aws/config")};
import { Jobs } from ${firmware("aws/jobs")};
import { Thing } from ${firmware("aws/thing")};
var thing = new Thing(loadConfig());
var jobs = new Jobs(thing);
var times = { describe: [], update: [] };
function loop(kind, n, call) {
  if (n === 0) return Promise.resolve();
  var t0 = getTime();
  return call(n).then(function () {
    times[kind].push(Math.round((getTime() - t0) * 10000) / 10);
    return loop(kind, n - 1, call);
  });
}
thing.connect().then(function () {
  return loop("describe", ${rounds}, function () { return jobs.describe("rtt-job"); });
}).then(function () {
  return loop("update", ${rounds}, function (n) { return jobs.update("rtt-job", "IN_PROGRESS", { statusDetails: { n: "" + n } }); });
}).then(function () {
  print("RTT " + JSON.stringify(times));
}, function (e) {
  print("RTT error " + e.code + " " + e.message);
});
`;

// Only what the entries import: the difference is Thing + Jobs on top of the MQTT client.
const SIZE_ENTRIES = {
  mqtt: `import { MqttClient } from ${firmware("mqtt/client")};\nimport { tlsTransport, deviceClock } from ${firmware("mqtt/device")};\nimport { utf8Encode, utf8Decode } from ${firmware("mqtt/utf8")};\nvar c = new MqttClient({ transport: tlsTransport({ host: "h", port: 1 }), clientId: "x", clock: deviceClock }); print(c, utf8Encode, utf8Decode);`,
  all: `import { loadConfig } from ${firmware("aws/config")};\nimport { Jobs, Job } from ${firmware("aws/jobs")};\nimport { Thing } from ${firmware("aws/thing")};\nvar t = new Thing(loadConfig()); print(new Jobs(t), Job);`,
};

const dir = mkdtempSync(join(tmpdir(), "jobs-rtt-"));
const build = async (name: string, source: string) => {
  writeFileSync(join(dir, `${name}.js`), source);
  return buildDeviceScript(join(dir, `${name}.js`));
};
const bench = await startBench({ dataDir: join(dir, "bench"), mqttPort: 0, objectsPort: 0, controlPort: 0, host: "127.0.0.1", keyBits: 1024 });
let board: SimBoard | undefined;
try {
  const mqttBytes = (await build("size-mqtt", SIZE_ENTRIES.mqtt)).length;
  const allBytes = (await build("size-all", SIZE_ENTRIES.all)).length;
  console.log(`minified: MQTT client ${mqttBytes} bytes; with Thing + Jobs + config ${allBytes} bytes; Thing + Jobs + config alone ${allBytes - mqttBytes} bytes`);

  const creds = await bench.registry.registerDevice("rtt-thing");
  const now = Date.now();
  bench.service.createJob({
    jobId: "rtt-job", document: JSON.stringify({ operation: "rtt" }), targets: [bench.registry.thingArn("rtt-thing")], thingNames: ["rtt-thing"],
    abortCriteria: [], status: "IN_PROGRESS", createdAt: now, lastUpdatedAt: now,
  });
  const flashFile = join(dir, "flash.bin");
  writeStorage(HOST_BOARD, flashFile, {
    ".bootcde": await build("rtt", ENTRY),
    ...thingStorageFiles(creds, "localhost", bench.mqtt.port),
  });
  board = await SimBoard.start({ board: HOST_BOARD, flashFile });
  const line = await board.waitFor(/^RTT /, 300_000);
  if (line.startsWith("RTT error")) throw new Error(line);
  const times: Record<string, number[]> = JSON.parse(line.slice(4));
  for (const [kind, ms] of Object.entries(times)) {
    const sorted = [...ms].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    console.log(`${kind}: n=${sorted.length} median ${at(0.5)} ms, p10 ${at(0.1)} ms, p90 ${at(0.9)} ms, max ${sorted[sorted.length - 1]} ms`);
  }
} finally {
  await board?.stop();
  await bench.stop();
  rmSync(dir, { recursive: true, force: true });
}
