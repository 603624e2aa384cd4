// `npm start`: the whole FOTA flow on one machine. Builds v1 and v2 of the
// example firmware, starts the bench (local AWS IoT), registers a thing,
// provisions a board with v1 through `fota flash` and the espruino tool,
// creates a FOTA job for v2 and follows it to SUCCEEDED; then a job whose
// image crashes at start, and the rollback to v2 with the job FAILED.
// The board is a simulated ESP32 (as fast as this machine, to keep the demo
// short: test/e2e/board-speed.test.ts runs the same flow at the ESP32's
// speed), or, when ESPRUINO_BIN names Espruino's Linux build, the real
// interpreter as a linux board.
// Exits 0 when both outcomes happened as expected.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawn } from "node:child_process";
import { startBench } from "./bench/bench.ts";
import { SimBoard } from "./sim/board.ts";
import { InterpreterBoard } from "./interp/supervisor.ts";
import { DEFAULT_BOARD } from "./toolchain/board.ts";
import { buildDeviceScript } from "./toolchain/device-script.ts";

const INTERPRETER = process.env.ESPRUINO_BIN;
const BOARD = INTERPRETER ? "linux" : process.env.FOTA_BOARD ?? DEFAULT_BOARD;
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
  const flashed = await fota(["flash", "--port", `tcp://127.0.0.1:${board.consolePort}`, "--config", config, "--board", BOARD, "--version", "1.0.0", "--dist", dist]);
  if (flashed.code !== 0) throw new Error("fota flash failed");
  await board.waitFor(/^connected to /, 180_000, mark);
  results.push({ ok: true, text: "v1 provisioned through fota flash, running and connected" });

  say("FOTA job for v2");
  if ((await fota(["job", "create", "--thing", THING, "--image", join(dist2, BOARD, "app.js"), "--slot", "auto", "--version", "2.0.0", "--job-id", "demo-v2", "--bench", benchUrl])).code !== 0) throw new Error("job create failed");
  await expectJob("demo-v2", "SUCCEEDED", /"version":"2\.0\.0"/);
  const v2 = board.lines.some((l) => /^app 2\.0\.0 on .* \(trial\)$/.test(l));
  results.push({ ok: v2, text: "the board restarted into v2 on trial and confirmed it" });

  say("FOTA job for a v3 that crashes at start");
  if ((await fota(["job", "create", "--thing", THING, "--image", broken, "--slot", "auto", "--version", "3.0.0", "--job-id", "demo-v3", "--bench", benchUrl])).code !== 0) throw new Error("job create failed");
  await expectJob("demo-v3", "FAILED", /crashed at start/);
  const back = board.lines.slice(-30).some((l) => /^app 2\.0\.0 on /.test(l));
  results.push({ ok: back, text: "the board rolled back to v2" });
}

main()
  .catch((e) => results.push({ ok: false, text: `demo stopped: ${(e as Error).message}` }))
  .then(async () => {
    for (const stop of stopAll.reverse()) await stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
    say(`outcome, on ${BOARD_KIND}`);
    for (const r of results) console.log(`   ${r.ok ? "ok  " : "FAIL"} ${r.text}`);
    const ok = results.length === 5 && results.every((r) => r.ok);
    console.log(ok ? "\nboth outcomes happened as expected" : "\nthe demo did not go as expected");
    process.exit(ok ? 0 : 1);
  });
