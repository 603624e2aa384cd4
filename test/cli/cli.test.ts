// The `fota` command as a user runs it (a child process, real exit codes),
// against a real bench and the real AWS SDK (fota flash: flash.test.ts).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { spawn } from "node:child_process";
import net from "node:net";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DescribeJobCommand, GetJobDocumentCommand } from "@aws-sdk/client-iot";
import type { Bench } from "../../host/bench/bench.ts";
import { testBench, iotClient, tempDir, removeDir, connectDevice } from "../bench/helpers.ts";
import { fota, startFota } from "./fota-command.ts";

let bench: Bench;
let dir: string;

before(async () => {
  dir = tempDir();
  bench = await testBench();
});
after(async () => {
  await bench.stop();
  removeDir(dir);
});

test("a user mistake is one line on stderr and a non-zero exit, never a stack trace", async () => {
  const cases: [string[], RegExp][] = [
    [["job", "create", "--thing", "x"], /^fota: --image FILE is required\n$/],
    [["job", "create", "--thing", "x", "--image", join(dir, "missing.js")], /^fota: cannot read the image .*missing\.js/],
    [["job", "create", "--thing", "x", "--image", "package.json", "--bench", "http://127.0.0.1:1"], /^fota: the bench is not running at http:\/\/127\.0\.0\.1:1/],
    [["job", "create", "--thing", "nobody", "--image", "package.json", "--bench", bench.control.url], /^fota: unknown thing "nobody"/],
    [["job", "create", "--thing", "x", "--image", "package.json", "--slot", "two"], /^fota: --slot must be a slot number or "auto"/],
    [["build", "--board", "nope"], /^fota: unknown board "nope"/],
    [["flash", "--port", "tcp://127.0.0.1:1", "--config", join(dir, "none.json")], /^fota: cannot read the device configuration/],
    [["flash", "--port", "tcp://127.0.0.1:1", "--config", join(dir, "none.json"), "--verify-at-boot", "--trust-key", "owner.pub.pem"], /^fota: --verify-at-boot needs --trust-key KEY\.pub\.pem, --sign KEY\.key\.pem and --counter N/],
    [["flash", "--port", "tcp://127.0.0.1:1", "--config", join(dir, "none.json"), "--sign", "owner.key.pem", "--counter", "1"], /^fota: --sign and --counter sign slot 0 for --verify-at-boot, which is not given/],
    [["device", "remove"], /^fota: unknown command "device remove"/],
    [["job", "watch", "no-such-job", "--bench", bench.control.url], /^fota: unknown job "no-such-job"/],
    [["sim", "--frobnicate"], /^fota: unknown flag --frobnicate/],
    [["sim", "--interpreter", join(dir, "no-espruino")], /^fota: .*no-espruino is not an executable file/],
  ];
  for (const [args, expected] of cases) {
    const r = await fota(args);
    assert.equal(r.code, 2, `${args.join(" ")} exits 2`);
    assert.match(r.stderr, expected, args.join(" "));
    assert.ok(!/\n\s+at /.test(r.stderr), `no stack trace for ${args.join(" ")}`);
  }
});

test("device add registers the thing and writes its configuration", async () => {
  const out = join(dir, "board-1.json");
  const r = await fota(["device", "add", "board-1", "--bench", bench.control.url, "--out", out]);
  assert.equal(r.code, 0, r.stderr);
  const config = JSON.parse(readFileSync(out, "utf8"));
  assert.equal(config.thingName, "board-1");
  assert.equal(config.port, bench.mqtt.port);
  for (const k of ["certDerB64", "keyDerB64", "caDerB64"]) assert.ok(Buffer.from(config[k], "base64").length > 300, `${k} holds DER`);
  const again = await fota(["device", "add", "board-1", "--bench", bench.control.url, "--out", out]);
  assert.equal(again.code, 2, "an existing configuration is not overwritten without --force");
});

test("job create uploads the image and creates the job with the earlier library's document", async () => {
  await fota(["device", "add", "board-2", "--bench", bench.control.url, "--out", join(dir, "board-2.json")]);
  const imagePath = join(dir, "app.js");
  writeFileSync(imagePath, "print('v2');".repeat(100));
  const md5 = createHash("md5").update(readFileSync(imagePath)).digest("hex");
  const r = await fota(["job", "create", "--thing", "board-2", "--image", imagePath, "--slot", "1", "--job-id", "job-slot1", "--bench", bench.control.url, "--expires", "600"]);
  assert.equal(r.code, 0, r.stderr);
  const iot = iotClient(bench);
  const { document } = await iot.send(new GetJobDocumentCommand({ jobId: "job-slot1" }));
  const doc = JSON.parse(document!);
  assert.deepEqual(Object.keys(doc).sort(), ["bc_crc", "bc_idx", "bc_size", "bc_url", "operation"]);
  assert.equal(doc.operation, "fota");
  assert.equal(doc.bc_idx, 1);
  assert.equal(doc.bc_crc, md5);
  assert.equal(doc.bc_size, 1200);
  assert.match(doc.bc_url, /^\$\{aws:iot:s3-presigned-url:https:\/\/[^/]+\/fota\/job-slot1\/app\.js\}$/);
  const { job } = await iot.send(new DescribeJobCommand({ jobId: "job-slot1" }));
  assert.equal(job?.presignedUrlConfig?.expiresInSec, 600);

  const auto = await fota(["job", "create", "--thing", "board-2", "--image", imagePath, "--job-id", "job-auto", "--bench", bench.control.url]);
  assert.equal(auto.code, 0, auto.stderr);
  assert.equal(JSON.parse((await iot.send(new GetJobDocumentCommand({ jobId: "job-auto" }))).document!).bc_idx, "auto");
});

test("job watch follows the execution to its end and prints its final status and details", async () => {
  await fota(["device", "add", "board-3", "--bench", bench.control.url, "--out", join(dir, "board-3.json")]);
  const imagePath = join(dir, "app3.js");
  writeFileSync(imagePath, "print('v3');");
  assert.equal((await fota(["job", "create", "--thing", "board-3", "--image", imagePath, "--job-id", "job-watch", "--bench", bench.control.url])).code, 0);
  const watching = startFota(["job", "watch", "job-watch", "--bench", bench.control.url, "--timeout", "60"]);
  await watching.printed(/board-3: QUEUED/);
  const device = await connectDevice(bench, "board-3");
  try {
    const started = await device.request("start-next", {});
    assert.equal(started.outcome, "accepted", JSON.stringify(started.body));
    await new Promise((r) => setTimeout(r, 700));
    await device.request("job-watch/update", { status: "SUCCEEDED", statusDetails: { slot: "1", md5: "abc" } });
  } finally {
    await device.close();
  }
  const r = await watching.done;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /board-3: QUEUED/);
  assert.match(r.stdout, /board-3: IN_PROGRESS/);
  assert.match(r.stdout, /board-3: SUCCEEDED \{"slot":"1","md5":"abc"\}\n$/);
});

test("sim serves a simulated board's console on a TCP port, at the board's speed, and stops on SIGINT", { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, ["host/cli/fota.mjs", "sim", "--board", "linux", "--flash", join(dir, "sim.flash")], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  try {
    while (!/console tcp:\/\/127\.0\.0\.1:\d+/.test(out)) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, /^simulated linux board at the board's speed \(console 10000 bytes\/s, /m);
    const port = Number(/console tcp:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
    const sock = net.connect(port, "127.0.0.1");
    let received = "";
    sock.on("data", (d) => (received += d));
    sock.write(`\x10print("board " + process.env.BOARD)\n`);
    while (!received.includes("board LINUX")) await new Promise((r) => setTimeout(r, 20));
    sock.destroy();
  } finally {
    child.kill("SIGINT");
  }
  assert.equal(await exited, 0);
});
