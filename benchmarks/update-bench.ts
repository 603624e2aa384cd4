// The end-to-end download benchmark: a 64 KB image from a local HTTPS server
// into flash through firmware/fota/download.ts, on a simulated board and, when
// ESPRUINO_BIN is set, on the real interpreter. Prints the total time, the time
// in MD5 (+ CRC-32) over the read-back pages, the time in flash, and the ratio
// of the total to MD5 alone over the same 64 KB in RAM (target: at most 1.3x).
import https from "node:https";
import { once } from "node:events";
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildDeviceScript } from "../host/toolchain/device-script.ts";
import { interpreterLines } from "../host/interp/folder.ts";
import { HOST_BOARD, loadBoard } from "../host/toolchain/board.ts";
import { SimBoard, writeStorage } from "../host/sim/board.ts";
import { CertificateAuthority, derBase64 } from "../host/pki/ca.ts";
import { listen } from "../host/bench/listen.ts";
import { scriptArgs } from "../host/script-args.ts";

scriptArgs("npm run bench:update: in the simulator and, when ESPRUINO_BIN names the Espruino Linux binary, on the interpreter", {});

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SIZE = 64 * 1024;
const MARK = "UPDATEBENCH ";
const layout = loadBoard(HOST_BOARD).layout;
/**
 * The linux board's slots are 60 KB each; the bench writes 64 KB from the
 * first slot's start into the second (a scratch flash, not a board).
 */
const REGION = { name: "bench", start: layout.slots[0].start, size: SIZE };

const ENTRY = `
import { Md5 } from ${JSON.stringify(join(ROOT, "firmware/crypto/md5"))};
import { download } from ${JSON.stringify(join(ROOT, "firmware/fota/download"))};
// MD5 alone, fed as the downloader feeds it: one page-sized array at a time
// (each its own small array, as Flash.read returns them).
var data = E.toUint8Array(atob(BENCH.sample));
var pages = [];
for (var at = 0; at < data.length; at += ${layout.pageSize}) {
  var page = new Uint8Array(${layout.pageSize});
  page.set(data.subarray(at, at + ${layout.pageSize}));
  pages.push(page);
}
data = undefined;
var t0 = getTime();
var md5 = new Md5();
for (var i = 0; i < pages.length; i++) md5.update(pages[i]);
var alone = md5.digest();
var md5Seconds = getTime() - t0;
pages = undefined;
download(BENCH.url, BENCH.region, BENCH.size, BENCH.md5, { ca: atob(BENCH.ca) }).then(function (r) {
  print(${JSON.stringify(MARK)} + JSON.stringify({ alone: alone, md5Seconds: md5Seconds, result: r }));
});
`;

interface BenchResult {
  alone: string;
  md5Seconds: number;
  result: { ok: boolean; reason?: string; md5?: string; attempts: number; timing: { totalSeconds: number; flashSeconds: number; hashSeconds: number } };
}

function parse(lines: string[], where: string): BenchResult {
  const line = lines.find((l) => l.startsWith(MARK));
  if (!line) throw new Error(`${where}: no result line:\n${lines.slice(-20).join("\n")}`);
  return JSON.parse(line.slice(MARK.length)) as BenchResult;
}

function report(where: string, r: BenchResult, expected: string): boolean {
  const t = r.result.timing;
  const ok = r.result.ok && r.result.md5 === expected && r.alone === expected;
  const s = (x: number) => `${x.toFixed(3)} s`;
  console.log(
    `${where.padEnd(12)} total ${s(t.totalSeconds)}  MD5+CRC in download ${s(t.hashSeconds)}  flash ${s(t.flashSeconds)}  ` +
      `download+flash ${s(t.totalSeconds - t.hashSeconds)}  MD5 alone ${s(r.md5Seconds)}  ` +
      `total/MD5-alone ${(t.totalSeconds / r.md5Seconds).toFixed(2)}x  ` +
      (ok ? `MD5 correct, ${r.result.attempts} attempt(s)` : `FAILED: ${r.result.reason ?? `MD5 ${r.result.md5}/${r.alone}, expected ${expected}`}`),
  );
  return ok;
}

async function inSimulator(script: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "update-bench-sim-"));
  const flashFile = join(dir, "flash.bin");
  writeStorage(HOST_BOARD, flashFile, { ".bootcde": script });
  const sim = await SimBoard.start({ board: HOST_BOARD, flashFile });
  try {
    await sim.waitFor(new RegExp(`^${MARK}`), 120_000);
    return sim.lines;
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function onInterpreter(bin: string, script: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "update-bench-interp-"));
  try {
    writeFileSync(join(dir, "bench.js"), script, "latin1");
    const child = spawn(bin, ["bench.js"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString("latin1")));
    const killer = setTimeout(() => child.kill("SIGKILL"), 120_000); // it ignores SIGTERM
    await once(child, "exit");
    clearTimeout(killer);
    return interpreterLines(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const image = randomBytes(SIZE);
const expected = createHash("md5").update(image).digest("hex");
const ca = await CertificateAuthority.create("Bench CA");
const identity = await ca.issueServer("localhost");
const server = https.createServer({ key: identity.keyPem, cert: identity.certPem }, (_req, res) => {
  res.writeHead(200, { "Content-Length": String(SIZE) });
  res.end(image);
});
const { port, close } = await listen(server, 0, "127.0.0.1");
const entryDir = mkdtempSync(join(tmpdir(), "update-bench-entry-"));
let ok = true;
try {
  writeFileSync(join(entryDir, "entry.js"), ENTRY);
  const bundle = await buildDeviceScript(join(entryDir, "entry.js"));
  const config = {
    url: `https://127.0.0.1:${port}/app.js`,
    region: REGION,
    size: SIZE,
    md5: expected,
    ca: derBase64(ca.identity.certDer),
    sample: image.toString("base64"),
  };
  const script = `var BENCH = ${JSON.stringify(config)};\n${bundle}`;
  console.log(`update bench: ${SIZE} bytes over HTTPS (127.0.0.1) into flash 0x${REGION.start.toString(16)}, pages of ${layout.pageSize} bytes; bench script ${script.length} bytes`);
  ok = report("simulator", parse(await inSimulator(script), "simulator"), expected) && ok;
  const bin = process.env.ESPRUINO_BIN;
  if (bin) ok = report("interpreter", parse(await onInterpreter(bin, script), "interpreter"), expected) && ok;
  else console.log("interpreter  skipped: set ESPRUINO_BIN to the Espruino Linux binary to measure it");
} finally {
  rmSync(entryDir, { recursive: true, force: true });
  await close();
}
if (!ok) process.exitCode = 1;
