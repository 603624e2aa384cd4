// A simulated ESP32 at the ESP32's speed (boards/esp32.json "speed": its
// interpreter, flash and 115200-baud console) provisioned with `fota flash`,
// then updated by a FOTA job created with `fota job create` through the bench:
// the firmware's timing (MQTT keep-alive while it hashes the image in
// JavaScript, the watchdog, the trial's confirm window) and the tools' timeouts
// meet a board as slow as the real one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { readFileSync, writeFileSync } from "node:fs";
import { DescribeJobExecutionCommand } from "@aws-sdk/client-iot";
import { isTerminal } from "../../host/bench/jobs.ts";
import { SimBoard } from "../../host/sim/board.ts";
import { buildDeviceScript } from "../../host/toolchain/device-script.ts";
import { iotClient, testBench, tempDir, removeDir } from "../bench/helpers.ts";
import { fota } from "../cli/fota-command.ts";

const THING = "esp32-speed";

test("an ESP32 at its own speed is provisioned by fota flash and updated to v2 by a FOTA job", { timeout: 900_000 }, async () => {
  const dir = tempDir();
  const bench = await testBench();
  let board: SimBoard | undefined;
  try {
    const dist = join(dir, "dist");
    assert.equal((await fota(["build", "--board", "esp32", "--version", "1.0.0", "--out", dist])).code, 0);
    const v2 = join(dir, "app-v2.js");
    writeFileSync(v2, await buildDeviceScript("firmware/app/main.ts", "esp32", "2.0.0"), "latin1");
    const config = join(dir, "board.json");
    assert.equal((await fota(["device", "add", THING, "--bench", bench.control.url, "--out", config])).code, 0);

    board = await SimBoard.start({ board: "esp32", flashFile: join(dir, "flash.bin"), consolePort: 0, atBoardSpeed: true, echo: process.env.ECHO_BOARD ? "  board:" : undefined });
    const flashed = await fota(["flash", "--port", `tcp://127.0.0.1:${board.consolePort}`, "--config", config, "--board", "esp32", "--version", "1.0.0", "--dist", dist], 600_000);
    assert.equal(flashed.code, 0, flashed.stderr + flashed.stdout);
    await board.waitFor(/^connected to localhost as esp32-speed$/, 180_000);

    const created = await fota(["job", "create", "--thing", THING, "--image", v2, "--slot", "auto", "--version", "2.0.0", "--job-id", "speed-v2", "--bench", bench.control.url]);
    assert.equal(created.code, 0, created.stderr);
    const jobAt = Date.now();
    const iot = iotClient(bench);
    let execution: { status?: string; statusDetails?: { detailsMap?: Record<string, string> } } | undefined;
    for (;;) {
      ({ execution } = await iot.send(new DescribeJobExecutionCommand({ jobId: "speed-v2", thingName: THING })));
      if (execution?.status && isTerminal(execution.status)) break;
      if (Date.now() - jobAt > 600_000) throw new Error(`job still ${execution?.status}; board said:\n${board.lines.slice(-25).join("\n")}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const md5 = createHash("md5").update(readFileSync(v2)).digest("hex");
    assert.equal(execution!.status, "SUCCEEDED", `${JSON.stringify(execution!.statusDetails)}; board said:\n${board.lines.slice(-25).join("\n")}`);
    assert.deepEqual(execution!.statusDetails?.detailsMap, { slot: "1", md5, version: "2.0.0", signature: "unsigned: this board has no trust anchor" });
    assert.ok(board.lines.includes("app 2.0.0 on esp32, slot 1 (trial)"), "v2 started on trial after the restart");
    console.log(`  JavaScript ${board.clockFactor!.toFixed(0)}x slower than this machine; ${/^provisioned in .*$/m.exec(flashed.stdout)![0]}; job SUCCEEDED ${((Date.now() - jobAt) / 1000).toFixed(1)} s after CreateJob`);
  } finally {
    await board?.stop();
    await bench.stop();
    removeDir(dir);
  }
});
