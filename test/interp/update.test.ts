// The loader on the real interpreter, run as a board by host/interp/supervisor.ts:
// provisioned by the interpreter, v1 runs from slot 0; v2 is staged into slot 1
// on trial, the board restarts (E.reboot() ends the process, the supervisor
// starts it again), the loader runs v2 on trial, v2 confirms and stays; then
// an image that crashes at start is staged into slot 0 and rolled back to v2.
// Node decodes the interpreter's flash file and must agree at each step.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 as zlibCrc32 } from "node:zlib";
import { buildDeviceScript } from "../../host/toolchain/device-script.ts";
import { runInFolder, writeStorageFiles } from "../../host/interp/folder.ts";
import { InterpreterBoard } from "../../host/interp/supervisor.ts";
import { recordInFolder, slotInFolder } from "../support/interp.ts";

const bin = process.env.ESPRUINO_BIN;

/** Types a command at the console and waits for the restart it causes. */
async function reboot(board: InterpreterBoard): Promise<number> {
  const boots = board.boots;
  const mark = board.lines.length;
  board.type("setTimeout(function () { E.reboot(); }, 10)");
  while (board.boots === boots) await new Promise((r) => setTimeout(r, 20));
  assert.equal(board.lastBootReason, "reboot");
  return mark;
}

test("update, trial, confirm and a crash rolled back, on the real interpreter", { skip: bin ? false : "ESPRUINO_BIN not set", timeout: 120_000 }, async () => {
  const images = {
    loader: await buildDeviceScript("firmware/loader/main.ts", "linux", "interp-test"),
    provision: await buildDeviceScript("firmware/provision/main.ts"),
    stage: await buildDeviceScript("test/loader/entries/stage-trial.ts"),
    v1: await buildDeviceScript("test/support/entries/offline-app.ts", "linux", "1.0.0"),
    v2: await buildDeviceScript("test/support/entries/offline-app.ts", "linux", "2.0.0"),
    crash: await buildDeviceScript("firmware/examples/crash-at-start.ts"),
  };
  const stage = (file: string, slot: number, jobId: string, version: string) => `global.STAGE = ${JSON.stringify({ file, slot, jobId, version })};\n${images.stage}`;
  const dir = mkdtempSync(join(tmpdir(), "interp-update-"));
  const started = Date.now();
  writeStorageFiles(bin!, dir, {
    ".bootcde": images.loader,
    ".fota": JSON.stringify({ confirmWindowS: 20, watchdogS: 0 }),
    "fota.img": images.v1,
    "provision.js": `global.FOTA_VERSION = "1.0.0";\n${images.provision}`,
  });
  // Provisioning lays Storage out up to the run copy (docs/boot-record.md, section 5).
  const provisioning = runInFolder(bin!, dir, `eval(require("Storage").read("provision.js"))`);
  assert.ok(provisioning.some((l) => /^provisioned slot 0: \d+ bytes/.test(l)), provisioning.join("\n"));
  // The stand-ins' files go after the run copy, where an application's own files would.
  writeStorageFiles(bin!, dir, {
    "v2.img": images.v2,
    "crash.img": images.crash,
    "stage-v2.js": stage("v2.img", 1, "job-v2", "2.0.0"),
    "stage-crash.js": stage("crash.img", 0, "job-crash", "3.0.0-crash"),
  });
  console.log(`  Storage written and provisioned by the interpreter: ${Date.now() - started} ms`);
  const board = InterpreterBoard.start({ bin: bin!, dir });
  try {
    let mark = 0;
    await board.waitFor(/^app 1\.0\.0 on linux, slot 0$/, 20_000, mark);
    assert.equal(recordInFolder(dir).confirmed, 0);

    // update() + test() stand-in, then the restart into the trial.
    board.type(`eval(require("Storage").read("stage-v2.js"))`);
    await board.waitFor(/^staged slot 1 md5 [0-9a-f]{32}$/, 20_000, mark);
    const onTrial = recordInFolder(dir);
    assert.equal(onTrial.trial, 1);
    assert.equal(onTrial.slots[1].state, "new");
    mark = await reboot(board);
    await board.waitFor(/^loader interp-test: starting slot 1 on trial$/, 20_000, mark);
    await board.waitFor(/^app 2\.0\.0 on linux, slot 1 \(trial\)$/, 20_000, mark);
    await board.waitFor(/^confirmed slot 1$/, 20_000, mark);
    mark = await reboot(board);
    await board.waitFor(/^app 2\.0\.0 on linux, slot 1$/, 20_000, mark);
    const confirmed = recordInFolder(dir);
    assert.equal(confirmed.confirmed, 1);
    assert.equal(confirmed.trial, null);
    assert.equal(confirmed.slots[1].state, "valid");
    assert.equal(confirmed.slots[1].jobId, "job-v2");
    assert.equal(confirmed.slots[0].state, "valid", "the old image stays valid");
    assert.equal(zlibCrc32(slotInFolder(dir, 1, confirmed.slots[1].size)), confirmed.slots[1].crc32);
    assert.equal(slotInFolder(dir, 1, confirmed.slots[1].size).toString("latin1"), images.v2);

    // An image that throws at start, staged over the old v1 in slot 0: rolled back to v2.
    board.type(`eval(require("Storage").read("stage-crash.js"))`);
    await board.waitFor(/^staged slot 0 /, 20_000, mark);
    mark = await reboot(board);
    const bootsAtTrial = board.boots;
    await board.waitFor(/^crashing app starting$/, 20_000, mark);
    await board.waitFor(/^app 2\.0\.0 on linux, slot 1$/, 20_000, mark);
    assert.equal(await board.waitFor(/^last failure:/, 5_000, mark), "last failure: crashed in slot 0: crashed at start: boom at start");
    assert.ok(board.boots > bootsAtTrial, `the crash guard restarted the board (${board.boots} starts)`);
    const rolledBack = recordInFolder(dir);
    assert.equal(rolledBack.confirmed, 1);
    assert.equal(rolledBack.trial, null);
    assert.equal(rolledBack.slots[0].state, "aborted");
    assert.deepEqual(rolledBack.failure, { reason: "crashed", slot: 0, detail: "crashed at start: boom at start" });
    console.log(`  ${board.boots} interpreter starts, ${Date.now() - started} ms in all`);
  } finally {
    await board.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
