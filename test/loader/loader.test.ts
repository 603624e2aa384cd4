// The loader on a simulated board: provisioning, then each way a trial ends
// (confirmed, crashed at start, never confirmed, hung) and a corrupt slot.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { buildDeviceScript } from "../../host/toolchain/device-script.ts";
import { startBoard, type TestBoard } from "../support/sim.ts";
import { READY_IMAGE } from "../../firmware/loader/root-run.ts";

const images: Record<string, string> = {};

before(async () => {
  images.loader = await buildDeviceScript("firmware/loader/main.ts", "linux", "loader-test");
  images.provision = await buildDeviceScript("firmware/provision/main.ts");
  images.stage = await buildDeviceScript("test/loader/entries/stage-trial.ts");
  images.v1 = await buildDeviceScript("test/support/entries/offline-app.ts", "linux", "1.0.0");
  images.v2 = await buildDeviceScript("test/support/entries/offline-app.ts", "linux", "2.0.0");
  images.crash = await buildDeviceScript("firmware/examples/crash-at-start.ts");
  for (const variant of ["silent", "hang"]) images[variant] = await buildDeviceScript(`test/loader/entries/app-${variant}.ts`);
});

/** A board with the loader in .bootcde and v1 provisioned into slot 0, booted once. */
async function provisionedBoard(): Promise<TestBoard> {
  const b = await startBoard({ ".bootcde": images.loader, "fota.img": images.v1, ".fota": JSON.stringify({ confirmWindowS: 2, watchdogS: 1 }) });
  await b.sim.waitFor(/no valid image in any slot/);
  await b.sim.evaluate(`global.FOTA_VERSION = "1.0.0"`);
  await b.sim.evaluate(images.provision);
  await b.sim.waitFor(/^provisioned slot 0: \d+ bytes, md5 [0-9a-f]+/);
  await reboot(b);
  await b.sim.waitFor(/^app 1\.0\.0 on linux, slot 0$/);
  return b;
}

async function reboot(b: TestBoard): Promise<void> {
  const boots = b.sim.boots;
  await b.sim.evaluate(`setTimeout(function () { E.reboot(); }, 10), 0`);
  while (b.sim.boots === boots) await new Promise((r) => setTimeout(r, 20));
}

/** Puts `image` into slot 1 for a trial start and restarts; returns the console index before the restart. */
async function trial(b: TestBoard, image: string, jobId: string): Promise<number> {
  await b.sim.evaluate(`require("Storage").write("next.img", ${JSON.stringify(image)})`);
  await b.sim.evaluate(`global.STAGE = { file: "next.img", slot: 1, jobId: ${JSON.stringify(jobId)}, version: "2.0.0" }`);
  await b.sim.evaluate(images.stage);
  await b.sim.waitFor(/^staged slot 1/);
  const mark = b.sim.lines.length;
  await reboot(b);
  return mark;
}

test("a good trial image is started once on trial, confirms, and stays", async () => {
  const b = await provisionedBoard();
  try {
    const mark = await trial(b, images.v2, "job-good");
    await b.sim.waitFor(/^loader loader-test: starting slot 1 on trial$/, 10_000, mark);
    await b.sim.waitFor(/^confirmed slot 1$/, 10_000, mark);
    assert.equal(await b.sim.evaluate(`typeof ${READY_IMAGE}`), "undefined", "the loader's hand-over to the root statement is let go of (firmware/loader/root-run.ts)");
    const after = b.sim.lines.length;
    await reboot(b);
    await b.sim.waitFor(/^app 2\.0\.0 on linux, slot 1$/, 10_000, after);
    assert.ok(!b.sim.lines.slice(after).some((l) => l.includes("on trial")), "after confirm it is no longer on trial");
  } finally {
    await b.dispose();
  }
});

test("a trial image that throws at start is rolled back, and the old image reports why", async () => {
  const b = await provisionedBoard();
  try {
    const mark = await trial(b, images.crash, "job-crash");
    await b.sim.waitFor(/^crashing app starting$/, 10_000, mark);
    await b.sim.waitFor(/^app 1\.0\.0 on linux, slot 0$/, 15_000, mark);
    const failure = await b.sim.waitFor(/^last failure:/, 5_000, mark);
    assert.equal(failure, "last failure: crashed in slot 1: crashed at start: boom at start");
  } finally {
    await b.dispose();
  }
});

test("a trial image that never confirms is rolled back when its window closes", async () => {
  const b = await provisionedBoard();
  try {
    const mark = await trial(b, images.silent, "job-silent");
    await b.sim.waitFor(/^silent app running$/, 10_000, mark);
    await b.sim.waitFor(/^app 1\.0\.0 on linux, slot 0$/, 15_000, mark);
    assert.equal(await b.sim.waitFor(/^last failure:/, 5_000, mark), "last failure: not-confirmed in slot 1: not confirmed within 2 s");
  } finally {
    await b.dispose();
  }
});

test("a trial image that hangs trips the watchdog and is rolled back at the next start", async () => {
  const b = await provisionedBoard();
  try {
    const mark = await trial(b, images.hang, "job-hang");
    await b.sim.waitFor(/^hanging app running$/, 10_000, mark);
    await b.sim.waitFor(/^loader: slot 1 restarted before confirm\(\): rolled back$/, 15_000, mark);
    await b.sim.waitFor(/^app 1\.0\.0 on linux, slot 0$/, 10_000, mark);
    assert.equal(b.sim.lastBootReason, "watchdog");
    assert.match(await b.sim.waitFor(/^last failure:/, 5_000, mark), /^last failure: restarted in slot 1: restarted before confirm\(\) \(watchdog reset or power loss\)$/);
  } finally {
    await b.dispose();
  }
});

test("row C2: a run copy that does not match its slot is made again from the raw slot, in place", async () => {
  const b = await provisionedBoard();
  try {
    // One byte of the run copy's data cleared (boards/linux.json runCopy starts at 0x10008000): a torn copy.
    await b.sim.evaluate(`require("Flash").write([0x00], 0x10008000 + 10)`);
    const after = b.sim.lines.length;
    await reboot(b);
    await b.sim.waitFor(/^loader: copied slot 0 into Storage to run it from flash$/, 10_000, after);
    await b.sim.waitFor(/^app 1\.0\.0 on linux, slot 0$/, 10_000, after);
    const size = images.v1.length;
    assert.equal(await b.sim.evaluate(`require("Storage").read("fota.run", 0, ${size}) === E.toString(require("Flash").read(${size}, 0x10020000))`), true);
    assert.deepEqual(await b.sim.evaluate(`require("Storage").getStats().trashCount`), 0, "no Storage file was erased or created");
  } finally {
    await b.dispose();
  }
});

test("row C3: a confirmed slot whose bytes no longer match its CRC-32 is not run; the other valid slot is", async () => {
  const b = await provisionedBoard();
  try {
    // v2 on trial and confirmed: slot 1 confirmed, slot 0 still holds v1 (valid).
    const mark = await trial(b, images.v2, "job-2");
    await b.sim.waitFor(/^confirmed slot 1$/, 10_000, mark);
    // Corrupt one byte of slot 1 (0x1002F000 on boards/linux.json; bits only clear), and lose the run copy.
    await b.sim.evaluate(`require("Flash").write([0x00], 0x1002F000 + 10), require("Storage").erase("fota.run")`);
    const after = b.sim.lines.length;
    await reboot(b);
    await b.sim.waitFor(/^loader: slot 1 fails its CRC-32: not run$/, 10_000, after);
    await b.sim.waitFor(/^app 1\.0\.0 on linux, slot 0$/, 10_000, after);
    assert.match(await b.sim.waitFor(/^last failure:/, 5_000, after), /^last failure: image-corrupt in slot 1: /);
  } finally {
    await b.dispose();
  }
});

test("row C4: a board with no run copy region (fota.run missing) still runs its image, from RAM, and writes nothing in Storage", async () => {
  const b = await provisionedBoard();
  try {
    await b.sim.evaluate(`require("Storage").erase("fota.run")`);
    const after = b.sim.lines.length;
    await reboot(b);
    await b.sim.waitFor(/^loader: the run copy could not be made \(no fota\.run over the run copy region; reprovision the board \(fota flash\)\): running from RAM$/, 10_000, after);
    await b.sim.waitFor(/^app 1\.0\.0 on linux, slot 0$/, 10_000, after);
    assert.equal(await b.sim.evaluate(`require("Storage").list().indexOf("fota.run")`), -1, "the loader created no file");
  } finally {
    await b.dispose();
  }
});
