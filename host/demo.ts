// `npm start`: the whole FOTA flow on one machine. Builds v1 and v2 of the
// example firmware, starts the bench (local AWS IoT), registers a thing,
// makes a signing key, provisions a board with v1 and the key's public half
// through `fota flash`, creates a signed FOTA job for v2 and follows it to
// SUCCEEDED; then a job whose image was tampered with on the way (refused:
// its digest is not the signed one), and a signed job whose image crashes at
// start (rolled back to v2, FAILED).
// The board is a simulated ESP32 (as fast as this machine, to keep the demo
// short: test/e2e/board-speed.test.ts runs the same flow at the ESP32's
// speed), or, when ESPRUINO_BIN names Espruino's Linux build, the real
// interpreter as a linux board.
// Exits 0 when every outcome happened as expected.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { startBench } from "./bench/bench.ts";
import { SimBoard } from "./sim/board.ts";
import { InterpreterBoard } from "./interp/supervisor.ts";
import { DEFAULT_BOARD, HOST_BOARD } from "./toolchain/board.ts";
import { buildDeviceScript } from "./toolchain/device-script.ts";
import { CreateJobCommand, IoTClient } from "@aws-sdk/client-iot";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import https from "node:https";
import { BENCH_CREDENTIALS } from "./bench/sigv4.ts";
import { signatureFields } from "./signing/sign.ts";
import { createHash } from "node:crypto";
import { scriptArgs } from "./script-args.ts";

scriptArgs(`npm start: the whole FOTA flow on one board: a simulated FOTA_BOARD (default ${DEFAULT_BOARD}), or the real interpreter when ESPRUINO_BIN names its Linux binary`, {});
const INTERPRETER = process.env.ESPRUINO_BIN;
const BOARD = INTERPRETER ? HOST_BOARD : process.env.FOTA_BOARD ?? DEFAULT_BOARD;
const BOARD_KIND = INTERPRETER ? `the real Espruino interpreter (its Linux build, ${INTERPRETER})` : `a simulated ${BOARD} (as fast as this machine)`;
const THING = "demo-board";

interface Step {
  ok: boolean;
  text: string;
}
const results: Step[] = [];

function say(text: string): void {
  console.log(`\n== ${text}`);
}

/** Runs the `fota` command as a user would; resolves with its exit code and output. */
function fota(args: string[], echo = true): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["host/cli/fota.mjs", ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    let printed = 0;
    // Whole lines only, so the board's console lines never land inside one.
    const echoLines = (all: boolean) => {
      const end = all ? stdout.length : stdout.lastIndexOf("\n") + 1;
      if (echo && end > printed) process.stdout.write(stdout.slice(printed, end).replace(/^(?=.)/gm, "   fota | "));
      printed = Math.max(printed, end);
    };
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
      echoLines(false);
    });
    child.on("exit", (code) => {
      echoLines(true);
      resolve({ code, stdout });
    });
  });
}

async function expectJob(jobId: string, status: string, detail: RegExp): Promise<void> {
  const watch = await fota(["job", "watch", jobId, "--bench", benchUrl, "--timeout", "240"]);
  const final = watch.stdout.trim().split("\n").pop() ?? "";
  const ok = final.startsWith(`${THING}: ${status} `) && detail.test(final);
  results.push({ ok, text: `job ${jobId}: ${final}` });
}

const work = mkdtempSync(join(tmpdir(), "fota-demo-"));
let benchUrl = "";
const stopAll: (() => Promise<void>)[] = [];

async function main(): Promise<void> {
  say(`building v1, v2 and a broken v3 for ${BOARD}`);
  const dist = join(work, "dist");
  const dist2 = join(work, "dist-v2");
  for (const [version, out] of [["1.0.0", dist], ["2.0.0", dist2]]) {
    if ((await fota(["build", "--board", BOARD, "--version", version, "--out", out])).code !== 0) throw new Error("build failed");
  }
  const broken = join(work, "app-v3-broken.js");
  writeFileSync(broken, await buildDeviceScript("firmware/examples/crash-at-start.ts", BOARD, "3.0.0"), "latin1");

  say("starting the bench (local AWS IoT: MQTT over mutual TLS, Jobs, object store)");
  const bench = await startBench({ dataDir: join(work, "bench"), mqttPort: 0, objectsPort: 0, controlPort: 0, host: "127.0.0.1" });
  stopAll.push(() => bench.stop());
  benchUrl = bench.control.url;
  console.log(`   MQTT mqtts://localhost:${bench.mqtt.port}, objects ${bench.objects.url}, control ${bench.control.url}`);

  say(`registering ${THING}`);
  const config = join(work, `${THING}.json`);
  if ((await fota(["device", "add", THING, "--bench", benchUrl, "--out", config])).code !== 0) throw new Error("device add failed");

  say("making the owner's signing key");
  const key = join(work, "owner");
  if ((await fota(["keys", "create", "--out", key])).code !== 0) throw new Error("keys create failed");

  const echo = `   ${BOARD} |`;
  let board: SimBoard | InterpreterBoard;
  if (INTERPRETER) {
    say(`starting the real Espruino interpreter (${INTERPRETER}) as a linux board, and provisioning v1 with fota flash`);
    mkdirSync(join(work, "board"));
    board = await InterpreterBoard.serve({ bin: INTERPRETER, dir: join(work, "board"), echo });
  } else {
    say(`powering on a simulated ${BOARD} and provisioning v1 with fota flash`);
    board = await SimBoard.start({ board: BOARD, flashFile: join(work, "board.flash"), consolePort: 0, echo });
  }
  const running = board;
  stopAll.push(() => running.stop());
  board.on("boot", (reason) => console.log(`${echo} --- restart (${reason}) ---`));
  const mark = board.lines.length;
  const flashed = await fota(["flash", "--port", `tcp://127.0.0.1:${board.consolePort}`, "--config", config, "--board", BOARD, "--version", "1.0.0", "--trust-key", `${key}.pub.pem`, "--dist", dist]);
  if (flashed.code !== 0) throw new Error("fota flash failed");
  await board.waitFor(/^connected to /, 180_000, mark);
  results.push({ ok: true, text: "v1 provisioned through fota flash with the owner's public key, running and connected" });

  say("signed FOTA job for v2 (security counter 2)");
  const v2Image = join(dist2, BOARD, "app.js");
  const sign = ["--sign", `${key}.key.pem`, "--board", BOARD];
  if ((await fota(["job", "create", "--thing", THING, "--image", v2Image, "--slot", "auto", "--version", "2.0.0", "--job-id", "demo-v2", ...sign, "--counter", "2", "--bench", benchUrl])).code !== 0) throw new Error("job create failed");
  await expectJob("demo-v2", "SUCCEEDED", /"version":"2\.0\.0".*"signature":"verified with key/);
  const v2 = board.lines.some((l) => /^app 2\.0\.0 on .* \(trial\)$/.test(l));
  results.push({ ok: v2, text: "the board restarted into v2 on trial and confirmed it" });

  say("a job whose image was tampered with on its way: one byte changed, the owner's signature of the original kept");
  await tamperedJob(bench, v2Image, `${key}.key.pem`, "demo-tampered");
  await expectJob("demo-tampered", "FAILED", /digest-mismatch/);

  say("signed FOTA job for a v3 that crashes at start (security counter 3)");
  if ((await fota(["job", "create", "--thing", THING, "--image", broken, "--slot", "auto", "--version", "3.0.0", "--job-id", "demo-v3", ...sign, "--counter", "3", "--bench", benchUrl])).code !== 0) throw new Error("job create failed");
  await expectJob("demo-v3", "FAILED", /crashed at start/);
  const back = board.lines.slice(-30).some((l) => /^app 2\.0\.0 on /.test(l));
  results.push({ ok: back, text: "the board rolled back to v2" });
}

/**
 * What an attacker on the path can do: hand the board a document carrying the
 * owner's signature of an image, and other bytes. Made with the AWS SDK, as
 * `fota job create` would make it, with the image changed after signing.
 */
async function tamperedJob(bench: Awaited<ReturnType<typeof startBench>>, imagePath: string, keyPath: string, jobId: string): Promise<void> {
  const original = readFileSync(imagePath);
  const signature = signatureFields(original, { board: BOARD, version: "2.0.0", counter: 2, keyPath });
  const tampered = Buffer.from(original);
  tampered[100] ^= 1;
  const common = { region: bench.region, credentials: BENCH_CREDENTIALS };
  const s3 = new S3Client({ ...common, endpoint: bench.objects.url, forcePathStyle: true, requestHandler: { httpsAgent: new https.Agent({ ca: bench.ca.ca.certPem }) } });
  await s3.send(new PutObjectCommand({ Bucket: "fota", Key: `${jobId}/app.js`, Body: tampered }));
  const url = `\${aws:iot:s3-presigned-url:${new URL(bench.objects.url).origin}/fota/${jobId}/app.js}`;
  const document = { operation: "fota", bc_idx: "auto", bc_crc: createHash("md5").update(tampered).digest("hex"), bc_size: tampered.length, bc_url: url, bc_version: "2.0.0", ...signature };
  const iot = new IoTClient({ ...common, endpoint: bench.control.url });
  await iot.send(new CreateJobCommand({ jobId, targets: [bench.registry.thingArn(THING)], document: JSON.stringify(document), presignedUrlConfig: { roleArn: "arn:aws:iam::123456789012:role/fota", expiresInSec: 3600 } }));
  console.log(`   created job ${jobId}: ${tampered.length} bytes, byte 100 flipped after signing`);
}

main()
  .catch((e) => results.push({ ok: false, text: `demo stopped: ${(e as Error).message}` }))
  .then(async () => {
    for (const stop of stopAll.reverse()) await stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
    say(`outcome, on ${BOARD_KIND}`);
    for (const r of results) console.log(`   ${r.ok ? "ok  " : "FAIL"} ${r.text}`);
    const ok = results.length === 6 && results.every((r) => r.ok);
    console.log(ok ? "\nevery outcome happened as expected" : "\nthe demo did not go as expected");
    process.exit(ok ? 0 : 1);
  });
