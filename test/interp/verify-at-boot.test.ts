// Verify at boot on the real interpreter (docs/signing.md, "Verify at boot";
// docs/boot-record.md, row C5): provisioned with it, slot 0 is verified at
// start with the cost printed; one signed update SUCCEEDS, its trial start
// verified. The cost is printed next to the time a start takes without it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBench, type Bench } from "../../host/bench/bench.ts";
import { buildDeviceScript } from "../../host/toolchain/device-script.ts";
import { createKeyPair } from "../../host/signing/keys.ts";
import { signatureFields } from "../../host/signing/sign.ts";
import type { InterpreterBoard } from "../../host/interp/supervisor.ts";
import { FotaJobs, runningImage, verifyAtBootFiles } from "../e2e/support.ts";
import { provisionedInterpreter } from "./support.ts";

const bin = process.env.ESPRUINO_BIN;
const THING = "interp-verify";
const cost = (slot: number) => new RegExp(`^loader: slot ${slot} signature verified at boot in (\\d+) ms \\(hash list (\\d+) KB, RSA-2048\\)$`);

test("verify at boot on the real interpreter: slot 0 verified at start, one signed update SUCCEEDED and verified at its trial start, the cost printed", { skip: bin ? false : "ESPRUINO_BIN not set", timeout: 600_000 }, async () => {
  const images: Record<string, string> = {};
  for (const v of ["1.0.0", "2.0.0"]) images[v] = await buildDeviceScript("firmware/app/main.ts", "linux", v);
  const dir = mkdtempSync(join(tmpdir(), "interp-verify-"));
  const owner = createKeyPair(join(dir, "owner"));
  let bench: Bench | undefined;
  let board: InterpreterBoard | undefined;
  try {
    bench = await startBench({ dataDir: join(dir, "bench"), mqttPort: 0, objectsPort: 0, controlPort: 0, host: "127.0.0.1", keyBits: 1024 });
    const extraFiles = await verifyAtBootFiles(images["1.0.0"], owner, { confirmWindowS: 60, watchdogS: 0 });
    board = await provisionedInterpreter({ bin: bin!, dir, bench, thing: THING, v1: images["1.0.0"], extraFiles, echo: process.env.ECHO_BOARD ? "  board:" : undefined });
    const first = board.lines.find((l) => cost(0).test(l));
    assert.ok(first, board.lines.slice(-30).join("\n"));
    console.log(`  interpreter, start: ${first}`);

    const fields = signatureFields(Buffer.from(images["2.0.0"], "latin1"), { board: "linux", version: "2.0.0", counter: 7, keyPath: owner.privatePath });
    const jobs = new FotaJobs(() => bench!, THING, "interp-verify");
    const mark = board.lines.length;
    const jobId = await jobs.create(images["2.0.0"], (url, md5, size) => ({ operation: "fota", bc_idx: "auto", bc_crc: md5, bc_size: size, bc_url: url, bc_version: "2.0.0", ...fields }));
    const result = await jobs.final(jobId, () => board!.lines.slice(-20).join("\n"), 180_000);
    assert.equal(result.status, "SUCCEEDED", JSON.stringify(result.details));
    assert.equal(runningImage(board.lines), "2.0.0@1");
    const trial = board.lines.slice(mark).find((l) => cost(1).test(l));
    assert.ok(trial, board.lines.slice(mark).join("\n"));
    console.log(`  interpreter, trial start: ${trial}`);
  } finally {
    await board?.stop();
    await bench?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
