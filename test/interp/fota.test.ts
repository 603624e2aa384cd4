// The whole FOTA flow with the real interpreter (its Linux build) as the board
// and the bench in this process: v1 provisioned into slot 0 runs from the
// loader, connects to the bench over mutual TLS, takes a FOTA job for v2,
// downloads it over HTTPS from the bench's object store into slot 1, checks
// its MD5, goes on trial and calls E.reboot(); the supervisor starts the
// interpreter again, the loader runs slot 1 on trial, v2 connects, confirms
// and marks the job SUCCEEDED. Node then reads the board's flash file and must
// agree with what the job says. The board's pool usage (process.memory(),
// typed at its console) is printed at each step, for the memory budget.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateJobCommand, DescribeJobExecutionCommand } from "@aws-sdk/client-iot";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { startBench, type Bench } from "../../host/bench/bench.ts";
import { isTerminal } from "../../host/bench/jobs.ts";
import { buildDeviceScript } from "../../host/toolchain/device-script.ts";
import { InterpreterBoard } from "../../host/interp/supervisor.ts";
import { assertConfirmedInSlot1 } from "../support/interp.ts";
import { iotClient, s3Client, thingArn } from "../bench/helpers.ts";
import { MEMORY, settledMemory, memoryReadings, peaks, tlsCosts, withoutTls, provisionedInterpreter } from "./support.ts";
import { md5Of } from "../e2e/support.ts";

const bin = process.env.ESPRUINO_BIN;
const THING = "interp-board";
test("a FOTA job updates the real interpreter from v1 to v2 through the bench", { skip: bin ? false : "ESPRUINO_BIN not set", timeout: 240_000 }, async () => {
  const started = Date.now();
  const images = {
    v1: await buildDeviceScript("firmware/app/main.ts", "linux", "1.0.0"),
    v2: await buildDeviceScript("firmware/app/main.ts", "linux", "2.0.0"),
  };
  const dir = mkdtempSync(join(tmpdir(), "interp-fota-"));
  let bench: Bench | undefined;
  let board: InterpreterBoard | undefined;
  try {
    bench = await startBench({ dataDir: join(dir, "bench"), mqttPort: 0, objectsPort: 0, controlPort: 0, host: "127.0.0.1", keyBits: 1024 });
    const iot = iotClient(bench);
    const s3 = s3Client(bench);
    board = await provisionedInterpreter({ bin: bin!, dir, bench, thing: THING, v1: images.v1, echo: process.env.ECHO_BOARD ? "  board:" : undefined });
    // Settled, as v2 is read below: after the start-up look for jobs has had its answer.
    const atV1 = await settledMemory(board);

    // The job: v2 uploaded to the object store, its URL presigned by the bench when the board asks for the job.
    const jobId = "interp-v2";
    const key = `${jobId}/app.js`;
    await s3.send(new PutObjectCommand({ Bucket: "fota", Key: key, Body: Buffer.from(images.v2, "latin1") }));
    const url = `\${aws:iot:s3-presigned-url:${new URL(bench.objects.url).origin}/fota/${key}}`;
    const document = { operation: "fota", bc_idx: "auto", bc_crc: md5Of(images.v2), bc_size: images.v2.length, bc_url: url, bc_version: "2.0.0" };
    const boots = board.boots;
    const jobAt = Date.now();
    await iot.send(new CreateJobCommand({ jobId, targets: [thingArn(bench, THING)], document: JSON.stringify(document), presignedUrlConfig: { roleArn: "arn:aws:iam::123456789012:role/fota", expiresInSec: 3600 } }));

    // While the job runs, the board is asked for its memory every poll (console input runs between its events).
    let execution: { status?: string; statusDetails?: { detailsMap?: Record<string, string> } } | undefined;
    const runningBoard = board;
    const seen: Record<string, number> = {};
    board.on("line", (line: string) => {
      const what = line === "Not implemented" ? "reboot" : /^connected to /.test(line) ? "v2 connected" : /^app 2\.0\.0 /.test(line) ? "v2 started" : "";
      if (what && seen[what] === undefined) seen[what] = Date.now() - jobAt;
    });
    const readings = memoryReadings(board, () => `${runningBoard.boots === boots ? "v1" : "v2"} ${execution?.status ?? "QUEUED"}`);
    for (;;) {
      ({ execution } = await iot.send(new DescribeJobExecutionCommand({ jobId, thingName: THING })));
      if (execution?.status && isTerminal(execution.status)) break;
      if (Date.now() - jobAt > 180_000) throw new Error(`job still ${execution?.status}; board said:\n${board.lines.slice(-25).join("\n")}`);
      board.type(MEMORY);
      await new Promise((r) => setTimeout(r, 250));
    }
    const jobSeconds = (Date.now() - jobAt) / 1000;
    assert.equal(execution!.status, "SUCCEEDED", `${JSON.stringify(execution!.statusDetails)}; board said:\n${board.lines.slice(-25).join("\n")}`);
    assert.deepEqual(execution!.statusDetails?.detailsMap, { slot: "1", md5: md5Of(images.v2), version: "2.0.0", signature: "unsigned: this board has no trust anchor" });

    // The board really restarted (E.reboot() ended the process) and the loader ran v2 on trial from slot 1.
    assert.ok(board.boots > boots, "the board restarted");
    assert.equal(board.lastBootReason, "reboot");
    assert.ok(board.lines.includes("app 2.0.0 on linux, slot 1 (trial)"), board.lines.slice(-25).join("\n"));
    assert.ok(seen["v2 connected"] > seen["v2 started"] && seen["v2 started"] > seen.reboot, `v2 connected over mutual TLS after the restart: ${JSON.stringify(seen)}`);
    // Settled: after the board has had the answer to the update that said SUCCEEDED.
    const atV2 = await settledMemory(board);
    assertConfirmedInSlot1(dir, images.v2, jobId, md5Of(images.v2));
    console.log(`  job ${jobId} SUCCEEDED ${jobSeconds.toFixed(1)} s after CreateJob (image ${images.v2.length} bytes); ms after CreateJob ${JSON.stringify(seen)}; ${board.boots} interpreter starts; ${Date.now() - started} ms in all`);
    const costs = await tlsCosts(bin!, bench);
    const peak = peaks(readings, costs);
    console.log(`  pool usage in variables: v1 connected ${atV1.usage} of ${atV1.total}; peaks while the job ran ${JSON.stringify(peak.raw)}; v2 confirmed ${atV2.usage} of ${atV2.total}`);
    console.log(
      `  TLS connections take ${costs.mqtt} (the broker's) and ${costs.https} (a download's) of them on this build, and the ESP32's TLS memory is not in its pool; ` +
        `without the ones open at each reading: v1 connected ${withoutTls(atV1, costs)}, peaks ${JSON.stringify(peak.withoutTls)}, ` +
        `highest ${Math.max(...Object.values(peak.withoutTls))}, v2 confirmed ${withoutTls(atV2, costs)}`,
    );
  } finally {
    await board?.stop();
    await bench?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
