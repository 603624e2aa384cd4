// Verify at boot on a simulated board (docs/signing.md, "Verify at boot";
// docs/boot-record.md, row C5 and case 10): provisioned with it, the board
// verifies slot 0 at every start and prints the cost; a signed update is
// verified again at its trial start; a slot whose raw bytes are changed after
// install, or whose signature page is garbled or erased, is refused at boot
// with signature-invalid and the other valid slot runs.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBench, type Bench } from "../../host/bench/bench.ts";
import { buildDeviceScript } from "../../host/toolchain/device-script.ts";
import { loadBoard } from "../../host/toolchain/board.ts";
import { createKeyPair } from "../../host/signing/keys.ts";
import { signatureFields } from "../../host/signing/sign.ts";
import { tempDir, removeDir } from "../bench/helpers.ts";
import type { TestBoard } from "../support/sim.ts";
import { FotaJobs, provisionedBoard, runningImage, verifyAtBootFiles } from "./support.ts";

const THING = "verify-board";
const layout = loadBoard("linux").layout;
let dataDir: string;
let bench: Bench;
let board: TestBoard;
let keyPath: string;
const images: Record<string, string> = {};
const jobs = new FotaJobs(() => bench, THING, "verify");

/** The cost line the loader prints for a slot it verified. */
const costLine = (slot: number) => new RegExp(`^loader: slot ${slot} signature verified at boot in \\d+ ms \\(hash list \\d+ KB, RSA-2048\\)$`);

before(async () => {
  dataDir = tempDir();
  bench = await startBench({ dataDir, mqttPort: 0, objectsPort: 0, controlPort: 0, host: "127.0.0.1", keyBits: 1024 });
  for (const v of ["1.0.0", "2.0.0", "3.0.0"]) images[v] = await buildDeviceScript("firmware/app/main.ts", "linux", v);
  const owner = createKeyPair(join(mkdtempSync(join(tmpdir(), "verify-boot-")), "owner"));
  keyPath = owner.privatePath;
  board = await provisionedBoard(bench, THING, images["1.0.0"], await verifyAtBootFiles(images["1.0.0"], owner, { confirmWindowS: 30, watchdogS: 10 }));
});

after(async () => {
  await board?.dispose();
  await bench?.stop();
  removeDir(dataDir);
});

const signed = (version: string, counter: number) => {
  const fields = signatureFields(Buffer.from(images[version], "latin1"), { board: "linux", version, counter, keyPath });
  return (url: string, md5: string, size: number) => ({ operation: "fota", bc_idx: "auto", bc_crc: md5, bc_size: size, bc_url: url, bc_version: version, ...fields });
};

async function reboot(): Promise<number> {
  const boots = board.sim.boots;
  const mark = board.sim.lines.length;
  await board.sim.evaluate(`setTimeout(function () { E.reboot(); }, 10), 0`);
  while (board.sim.boots === boots) await new Promise((r) => setTimeout(r, 20));
  return mark;
}

async function update(version: string, counter: number): Promise<number> {
  const mark = board.sim.lines.length;
  const jobId = await jobs.create(images[version], signed(version, counter));
  const result = await jobs.final(jobId, () => board.sim.lines.slice(-20).join("\n"));
  assert.equal(result.status, "SUCCEEDED", JSON.stringify(result.details));
  return mark;
}

test("verify at boot (row C5): slot 0 verified at provisioning's start, with its cost printed", () => {
  const line = board.sim.lines.find((l) => costLine(0).test(l));
  assert.ok(line, board.sim.lines.slice(0, 20).join("\n"));
  console.log(`  simulator: ${line}`);
});

test("verify at boot (row C5, case 10): a signed update's page is written before imageWritten; its trial start verifies it; raw bytes changed after install are refused and the other slot runs", async () => {
  const mark = await update("2.0.0", 7);
  const line = await board.sim.waitFor(costLine(1), 5_000, mark);
  console.log(`  simulator, trial start: ${line}`);
  assert.equal(runningImage(board.sim.lines), "2.0.0@1");

  // Bits cleared in slot 1 at the console, as flash allows: the run copy still has the record's CRC-32.
  await board.sim.evaluate(`require("Flash").write(new Uint8Array([0, 0, 0, 0]), ${layout.slots[1].start + 100}), 0`);
  const after = await reboot();
  await board.sim.waitFor(/^loader: slot 1 refused at boot: digest-mismatch: image [0-9a-f]{64}, signed [0-9a-f]{64}$/, 10_000, after);
  await board.sim.waitFor(costLine(0), 10_000, after);
  await board.sim.waitFor(/^app 1\.0\.0 on linux, slot 0$/, 10_000, after);
  assert.match(await board.sim.waitFor(/^last failure:/, 5_000, after), /^last failure: signature-invalid in slot 1: digest-mismatch: /);
});

test("verify at boot (row C5): a garbled signature page, then an erased one, is refused; with no slot left nothing runs (row A1)", async () => {
  const mark = await update("3.0.0", 9);
  await board.sim.waitFor(costLine(1), 5_000, mark);
  assert.equal(runningImage(board.sim.lines), "3.0.0@1");
  await board.sim.evaluate(`require("Flash").write(new Uint8Array([0, 0, 0, 0]), ${layout.signatures.start + layout.pageSize + 40}), 0`);
  let after = await reboot();
  await board.sim.waitFor(/^loader: slot 1 refused at boot: signature-missing: its signature record fails its CRC-32$/, 10_000, after);
  await board.sim.waitFor(/^app 1\.0\.0 on linux, slot 0$/, 10_000, after);

  await board.sim.evaluate(`require("Flash").erasePage(${layout.signatures.start}), 0`);
  after = await reboot();
  await board.sim.waitFor(/^loader: slot 0 refused at boot: signature-missing: no signature record in its page$/, 10_000, after);
  await board.sim.waitFor(/no valid image in any slot/, 10_000, after);
});
