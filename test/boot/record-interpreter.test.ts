// The boot record as the board runs it: built by the firmware pipeline, run
// on the real interpreter (ESPRUINO_BIN) over its own Flash, twice in the same
// folder (its flash file is the board's flash across restarts). Node then
// decodes the interpreter's flash file and must read the same state.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildDeviceScript } from "../../host/toolchain/device-script.ts";
import { interpreterLines } from "../../host/interp/folder.ts";
import { recordInFolder } from "../support/interp.ts";

const bin = process.env.ESPRUINO_BIN;
const RECORD = fileURLToPath(new URL("../../firmware/boot/record.ts", import.meta.url));
const TRANSITIONS = fileURLToPath(new URL("../../firmware/boot/transitions.ts", import.meta.url));

/** Device code (plain ES5, bundled as is). Phase 1 provisions and starts a trial; phase 2 restarts and confirms it. */
const ENTRY = `
import { BootRecord } from ${JSON.stringify(RECORD)};
import * as t from ${JSON.stringify(TRANSITIONS)};
import { layout } from "virtual:build";
var flash = require("Flash");
var phase = require("Storage").read("phase") || "1";
var t0 = getTime();
if (phase === "1") for (var p = 0; p < layout.bootRecord.size; p += layout.pageSize) flash.erasePage(layout.bootRecord.start + p);
var record = new BootRecord(flash, layout);
var t1 = getTime();
if (phase === "1") {
  record.change(function (s) { t.provision(s, 0, { size: 100, crc32: 0x89abcdef, md5: "0123456789abcdef0123456789abcdef", counter: 4, version: "1.0.0", jobId: "" }); });
  for (var i = 0; i < 3; i++) {
    record.change(function (s) { t.beginWrite(s, 1, { size: 5000, md5: "", version: "", jobId: "try-" + i }); });
    record.change(function (s) { t.progress(s, 1, 4096); });
    record.change(function (s) { t.markInvalid(s, 1, "update-failed", "HTTP 404 try " + i); });
  }
  var image = { size: 70000, crc32: 0xfffffffe, md5: "ffffffffffffffffffffffffffffffff", counter: 4000000000, version: "2.0.0-rc1", jobId: "job-\\xe9-42" };
  record.change(function (s) { t.beginWrite(s, 1, { size: image.size, md5: image.md5, version: image.version, jobId: image.jobId }); });
  record.change(function (s) { t.imageWritten(s, 1, image); });
  record.change(function (s) { t.startTrial(s, 1, image.jobId); });
  record.change(t.countTrialStart);
  require("Storage").write("phase", "2");
} else {
  record.change(t.confirm);
}
var t2 = getTime();
print("STATE " + JSON.stringify(record.state()));
print("TIMES open " + Math.round((t1 - t0) * 1000) + " ms, changes " + Math.round((t2 - t1) * 1000) + " ms");
`;

test("the boot record runs on the interpreter and survives its restarts; Node reads its flash the same", { skip: bin ? false : "ESPRUINO_BIN not set" }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "record-interp-"));
  try {
    const entry = join(dir, "entry.js");
    writeFileSync(entry, ENTRY);
    const code = await buildDeviceScript(entry);
    writeFileSync(join(dir, "record.js"), code, "latin1");
    const run = () => {
      const r = spawnSync(bin!, ["record.js"], { cwd: dir, input: "", timeout: 60_000, encoding: "latin1" });
      const lines = interpreterLines(r.stdout ?? "");
      const state = lines.find((l) => l.startsWith("STATE "));
      assert.ok(state, `no state printed:\n${lines.join("\n")}`);
      console.log(`  interpreter: ${lines.find((l) => l.startsWith("TIMES ")) ?? ""}`);
      return JSON.parse(state.slice(6));
    };
    const trial = run();
    assert.equal(trial.trial, 1);
    assert.equal(trial.trialStarts, 1);
    assert.equal(trial.slots[1].jobId, "job-\xe9-42");
    assert.equal(trial.failure.detail, "HTTP 404 try 2");
    const confirmed = run();
    assert.equal(confirmed.confirmed, 1);
    assert.equal(confirmed.trial, null);
    assert.equal(confirmed.slots[1].state, "valid");
    assert.equal(confirmed.slots[1].version, "2.0.0-rc1");
    assert.equal(confirmed.seq, trial.seq + 1);
    assert.equal(trial.counterFloor, 4, "a trial does not raise the security counter floor");
    assert.equal(confirmed.counterFloor, 4000000000, "confirming does, as an unsigned 32-bit number");

    // The interpreter's flash file, read by the same code in Node.
    assert.deepEqual(recordInFolder(dir), confirmed);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
