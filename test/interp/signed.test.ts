// Signed updates on the real interpreter as a board (test/e2e/signed-cases.ts):
// the same cases the simulator's end-to-end test runs, with the same outcomes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBench, type Bench } from "../../host/bench/bench.ts";
import { buildDeviceScript } from "../../host/toolchain/device-script.ts";
import type { InterpreterBoard } from "../../host/interp/supervisor.ts";
import { FotaJobs, runningImage } from "../e2e/support.ts";
import { signedCases } from "../e2e/signed-cases.ts";
import { MEMORY, memoryReadings, peaks, provisionedInterpreter, tlsCosts } from "./support.ts";

const bin = process.env.ESPRUINO_BIN;
const THING = "interp-signed";

test("signed updates on the real interpreter: the signed one succeeds, each refusal FAILED with its named reason, the board running its image", { skip: bin ? false : "ESPRUINO_BIN not set", timeout: 600_000 }, async () => {
  const images: Record<string, string> = {};
  for (const v of ["1.0.0", "2.0.0", "3.0.0"]) images[v] = await buildDeviceScript("firmware/app/main.ts", "linux", v);
  const setup = signedCases("linux", images);
  const dir = mkdtempSync(join(tmpdir(), "interp-signed-"));
  let bench: Bench | undefined;
  let board: InterpreterBoard | undefined;
  try {
    bench = await startBench({ dataDir: join(dir, "bench"), mqttPort: 0, objectsPort: 0, controlPort: 0, host: "127.0.0.1", keyBits: 1024 });
    board = await provisionedInterpreter({ bin: bin!, dir, bench, thing: THING, v1: images["1.0.0"], extraFiles: setup.anchorFiles, echo: process.env.ECHO_BOARD ? "  board:" : undefined });
    const jobs = new FotaJobs(() => bench!, THING, "interp-signed");
    // The pool while each case runs, for the memory budget: the signed path also checks RSA and the hash list.
    let current = "";
    const readings = memoryReadings(board, () => current);
    const running = board;
    const sampler = setInterval(() => running.type(MEMORY), 250);
    for (const c of setup.cases) {
      const boots: number = board.boots;
      current = c.name;
      const jobId = await jobs.create(c.image, c.document);
      const result = await jobs.final(jobId, () => board!.lines.slice(-20).join("\n"), 180_000).finally(() => (current = ""));
      assert.equal(result.status, c.status, `${c.name}: ${JSON.stringify(result.details)}`);
      if (c.status === "FAILED") {
        assert.match(result.details.reason ?? "", c.reason, c.name);
        assert.equal(board.boots, boots, `${c.name}: no restart`);
      } else {
        assert.match(result.details.signature ?? "", c.reason, c.name);
      }
      assert.equal(runningImage(board.lines), c.runs, c.name);
    }
    clearInterval(sampler);
    const costs = await tlsCosts(bin!, bench);
    const peak = peaks(readings, costs).withoutTls;
    const lines = Object.keys(peak).filter((name) => name).map((name) => `${name}: ${peak[name]}`);
    console.log(`  pool peaks while each case ran, without the TLS connections open at each reading (${costs.mqtt} and ${costs.https} variables on this build):\n    ${lines.join("\n    ")}`);
  } finally {
    await board?.stop();
    await bench?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
