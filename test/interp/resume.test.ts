// A power cut during a download, on the real interpreter (its Linux build) as
// the board, against the bench in this process (docs/boot-record.md, section
// 7, case 4): v1 provisioned and connected takes a FOTA job for v2; once its
// console shows the download past the first progress record (16 KB, written to
// the boot record before the line is printed: fota/update.ts), the interpreter
// is killed (SIGKILL, a pulled plug) and started again. It must start v1
// again, resume the download from the recorded bytes (not from 0), and the job
// must end SUCCEEDED with v2 confirmed in slot 1 of its flash file. The
// simulator's version of this case is in test/e2e/fota-flow.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBench, type Bench } from "../../host/bench/bench.ts";
import { buildDeviceScript } from "../../host/toolchain/device-script.ts";
import type { InterpreterBoard } from "../../host/interp/supervisor.ts";
import { assertConfirmedInSlot1 } from "../support/interp.ts";
import { FotaJobs, md5Of } from "../e2e/support.ts";
import { provisionedInterpreter } from "./support.ts";

const bin = process.env.ESPRUINO_BIN;
const THING = "interp-resume";
/** fota/update.ts records a download's progress every this many bytes. */
const PROGRESS_RECORD = 16384;
/** The example firmware's progress line (firmware/app/main.ts), printed once per quarter of the image. */
const DOWNLOAD_LINE = /^download (\d+)\/(\d+) bytes$/;

/** The first download line from line index `since` on that says more than `bytes` are stored; its byte count. */
async function downloadPast(board: InterpreterBoard, bytes: number, since: number, timeoutMs: number): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (let at = since; ; ) {
    const line = await board.waitFor(DOWNLOAD_LINE, Math.max(until - Date.now(), 1), at);
    at = board.lines.indexOf(line, at) + 1;
    const stored = Number(DOWNLOAD_LINE.exec(line)![1]);
    if (stored > bytes) return stored;
  }
}

test("a power cut during the download on the interpreter: it starts v1 again, resumes past the first progress record, and the job SUCCEEDED with v2 confirmed in slot 1 (docs/boot-record.md case 4)", { skip: bin ? false : "ESPRUINO_BIN not set", timeout: 300_000 }, async () => {
  const images = {
    v1: await buildDeviceScript("firmware/app/main.ts", "linux", "1.0.0"),
    v2: await buildDeviceScript("firmware/app/main.ts", "linux", "2.0.0"),
  };
  // The line past 16 KB is the second quarter's: about half of v2 is still to come when the board is killed.
  assert.ok(images.v2.length > 3 * PROGRESS_RECORD, `v2 (${images.v2.length} bytes) leaves room after its first progress record`);
  const dir = mkdtempSync(join(tmpdir(), "interp-resume-"));
  let bench: Bench | undefined;
  let board: InterpreterBoard | undefined;
  try {
    bench = await startBench({ dataDir: join(dir, "bench"), mqttPort: 0, objectsPort: 0, controlPort: 0, host: "127.0.0.1", keyBits: 1024 });
    const running = bench;
    const jobs = new FotaJobs(() => running, THING, "interp-resume");
    board = await provisionedInterpreter({ bin: bin!, dir, bench, thing: THING, v1: images.v1, echo: process.env.ECHO_BOARD ? "  board:" : undefined });

    // When each download line came: the board's download speed says how much room the kill had.
    const lineAt = new Map<string, number>();
    board.on("line", (line: string) => DOWNLOAD_LINE.test(line) && lineAt.set(`${board!.boots} ${line}`, Date.now()));
    const jobAt = Date.now();
    const mark = board.lines.length;
    const jobId = await jobs.create(images.v2, (url, md5, size) => ({ operation: "fota", bc_idx: "auto", bc_crc: md5, bc_size: size, bc_url: url, bc_version: "2.0.0" }));
    const cutAt = await downloadPast(board, PROGRESS_RECORD, mark, 120_000);
    const killedAfterMs = Date.now() - jobAt;
    const boots = board.boots;
    const killLagMs = Date.now() - lineAt.get(`${boots} download ${cutAt}/${images.v2.length} bytes`)!;
    const restart = board.lines.length;
    await board.powerCycle();
    assert.equal(board.lastBootReason, "power-cycle");
    assert.ok(!board.lines.slice(mark, restart).some((l) => /^app 2\.0\.0 /.test(l)), "the cut came before v2 ever ran");

    await board.waitFor(/^app 1\.0\.0 on linux, slot 0$/, 20_000, restart);
    const resumedAt = await board.waitFor(DOWNLOAD_LINE, 120_000, restart);
    const resumedMs = Date.now() - jobAt;
    const firstStored = Number(DOWNLOAD_LINE.exec(resumedAt)![1]);
    assert.ok(firstStored > PROGRESS_RECORD, `the download resumed past its first progress record, not from 0: ${resumedAt}`);

    const result = await jobs.final(jobId, () => board!.lines.slice(-25).join("\n"), 180_000);
    const doneMs = Date.now() - jobAt;
    const resumedBytesPerS = ((images.v2.length - firstStored) * 1000) / (lineAt.get(`${boots + 1} download ${images.v2.length}/${images.v2.length} bytes`)! - lineAt.get(`${boots + 1} ${resumedAt}`)!);
    assert.equal(result.status, "SUCCEEDED", JSON.stringify(result.details));
    assert.equal(result.details.version, "2.0.0");
    assert.equal(result.details.md5, md5Of(images.v2));
    assert.ok(board.lines.slice(restart).includes("app 2.0.0 on linux, slot 1 (trial)"), board.lines.slice(-25).join("\n"));
    assert.ok(board.boots > boots + 1, "after the power-on, a restart into v2's trial");

    assert.equal(assertConfirmedInSlot1(dir, images.v2, jobId, md5Of(images.v2)).slots[1].version, "2.0.0");
    console.log(
      `  v2 ${images.v2.length} bytes: killed ${killedAfterMs} ms after CreateJob, ${killLagMs} ms after "download ${cutAt}/${images.v2.length} bytes"; ` +
        `resumed at "${resumedAt}" ${resumedMs} ms; SUCCEEDED ${doneMs} ms after CreateJob; ${board.boots} interpreter starts; ` +
        `the resumed download ran at ${(resumedBytesPerS / 1024).toFixed(0)} KB/s: the kill had about ${(((images.v2.length - cutAt) * 1000) / resumedBytesPerS).toFixed(0)} ms of download left`,
    );
  } finally {
    await board?.stop();
    await bench?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
