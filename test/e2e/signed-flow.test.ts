// Signed updates in the simulator against the bench (test/e2e/signed-cases.ts):
// a board with a trust anchor installs only what its owner signed, never an
// older image, and refuses everything else with a named reason while it keeps
// running its image.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startBench, type Bench } from "../../host/bench/bench.ts";
import { buildDeviceScript } from "../../host/toolchain/device-script.ts";
import { tempDir, removeDir } from "../bench/helpers.ts";
import type { TestBoard } from "../support/sim.ts";
import { FotaJobs, provisionedBoard, runningImage } from "./support.ts";
import { signedCases, type SignedSetup } from "./signed-cases.ts";

const THING = "signed-board";
let dataDir: string;
let bench: Bench;
let board: TestBoard;
let setup: SignedSetup;
const jobs = new FotaJobs(() => bench, THING, "signed");

before(async () => {
  dataDir = tempDir();
  bench = await startBench({ dataDir, mqttPort: 0, objectsPort: 0, controlPort: 0, host: "127.0.0.1", keyBits: 1024 });
  const images: Record<string, string> = {};
  for (const v of ["1.0.0", "2.0.0", "3.0.0"]) images[v] = await buildDeviceScript("firmware/app/main.ts", "linux", v);
  setup = signedCases("linux", images);
  board = await provisionedBoard(bench, THING, images["1.0.0"], setup.anchorFiles);
});

after(async () => {
  await board?.dispose();
  await bench?.stop();
  removeDir(dataDir);
});

test("a board with a trust anchor: the signed update succeeds; every tampered, foreign, older, unsigned or malformed one FAILED with its named reason, the board running its image", async () => {
  for (const c of setup.cases) {
    const boots = board.sim.boots;
    const jobId = await jobs.create(c.image, c.document);
    const result = await jobs.final(jobId, () => board.sim.lines.slice(-20).join("\n"));
    assert.equal(result.status, c.status, `${c.name}: ${JSON.stringify(result.details)}`);
    if (c.status === "FAILED") {
      assert.match(result.details.reason ?? "", c.reason, c.name);
      assert.equal(board.sim.boots, boots, `${c.name}: no restart`);
    } else {
      assert.match(result.details.signature ?? "", c.reason, c.name);
    }
    assert.equal(runningImage(board.sim.lines), c.runs, c.name);
  }
});
