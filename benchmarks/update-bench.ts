// The end-to-end download benchmark: a 64 KB image from a local HTTPS server
// into flash through firmware/fota/download.ts, on a simulated board and, when
// ESPRUINO_BIN is set, on the real interpreter. Two paths, as firmware/fota/update.ts
// takes them, alternated and the best of each kept:
// - MD5 (a board without a trust anchor, today's path): the MD5 of the pages
//   read back checked against the document's;
// - signed (a board with one, docs/signing.md): no MD5; the manifest's RSA-2048
//   signature checked and the hash list digest of the pages read back (SHA-256
//   per 4 KB block, computed on both paths by image/slot-writer.ts) compared
//   with the signed one.
// Prints each path's total, the time in hashing and in flash, the signed
// total over the MD5 one, and each total over MD5 alone on the same 64 KB in
// RAM (targets: MD5 path at most 1.3x, signed path at most 1.5x).
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
import { createKeyPair, trustAnchorFor } from "../host/signing/keys.ts";
import { signedDocument } from "../host/signing/sign.ts";
import { listen } from "../host/bench/listen.ts";
import { scriptArgs } from "../host/script-args.ts";

scriptArgs("npm run bench:update: in the simulator and, when ESPRUINO_BIN names the Espruino Linux binary, on the interpreter", {});

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SIZE = 64 * 1024;
const MARK = "UPDATEBENCH ";
/** Runs of each path, alternated: the best of each is reported. */
const RUNS = 3;
const layout = loadBoard(HOST_BOARD).layout;
/**
 * The linux board's slots are 60 KB each; the bench writes 64 KB from the
 * first slot's start into the second (a scratch flash, not a board).
 */
const REGION = { name: "bench", start: layout.slots[0].start, size: SIZE };

const ENTRY = `
import { Md5 } from ${JSON.stringify(join(ROOT, "firmware/crypto/md5"))};
import { download } from ${JSON.stringify(join(ROOT, "firmware/fota/download"))};
import { documentVerdict, readTrustAnchor, verifySignature } from ${JSON.stringify(join(ROOT, "firmware/fota/manifest"))};
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
var ca = atob(BENCH.ca);
/** Today's path: the download checks the MD5 of what flash holds. */
function md5Path() {
  var t0 = getTime();
  return download(BENCH.url, BENCH.region, BENCH.size, BENCH.md5, { ca: ca }).then(function (r) {
    return { seconds: getTime() - t0, result: r };
  });
}
/** An anchored board's path (fota/update.ts): the anchor read, the document's fields checked, no MD5, then the signature and digest. */
function signedPath() {
  var t0 = getTime();
  var trust = readTrustAnchor(JSON.parse(BENCH.anchor));
  var early = trust.ok ? documentVerdict(BENCH.signed, trust.anchor, 0) : trust;
  if (!trust.ok || !early.ok) return Promise.resolve({ seconds: getTime() - t0, verdict: early });
  return download(BENCH.url, BENCH.region, BENCH.size, BENCH.md5, { ca: ca, checkMd5: false }).then(function (r) {
    var t1 = getTime();
    var verdict = r.ok ? verifySignature(BENCH.signed, BENCH.board, r.digest, trust.anchor, 0) : undefined;
    return { seconds: getTime() - t0, verifySeconds: getTime() - t1, result: r, verdict: verdict };
  });
}
var runs = { md5: [], signed: [] };
function run(left) {
  if (left === 0) {
    print(${JSON.stringify(MARK)} + JSON.stringify({ alone: alone, md5Seconds: md5Seconds, runs: runs }));
    return;
  }
  md5Path().then(function (m) {
    runs.md5.push(m);
    return signedPath();
  }).then(function (s) {
    runs.signed.push(s);
    run(left - 1);
  });
}
run(${RUNS});
`;

interface DownloadRun {
  seconds: number;
  result?: { ok: boolean; reason?: string; md5?: string; digest?: string; attempts: number; timing: { totalSeconds: number; flashSeconds: number; hashSeconds: number } };
}

interface SignedRun extends DownloadRun {
  /** RSA-2048 verify of the manifest and the digest comparison, after the download. */
  verifySeconds?: number;
  verdict?: { ok: boolean; reason?: string };
}

interface BenchResult {
  alone: string;
  md5Seconds: number;
  runs: { md5: DownloadRun[]; signed: SignedRun[] };
}

function parse(lines: string[], where: string): BenchResult {
  const line = lines.find((l) => l.startsWith(MARK));
  if (!line) throw new Error(`${where}: no result line:\n${lines.slice(-20).join("\n")}`);
  return JSON.parse(line.slice(MARK.length)) as BenchResult;
}

/** The fastest run (each one's total is checked by report()). */
const best = <T extends DownloadRun>(runs: T[]): T => runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));

function report(where: string, r: BenchResult, expected: { md5: string; digest: string }): boolean {
  const s = (x: number) => `${x.toFixed(3)} s`;
  const md5Problems = r.runs.md5.map((m) => (m.result?.ok && m.result.md5 === expected.md5 ? "" : `MD5 path: ${m.result?.reason ?? `MD5 ${m.result?.md5}`}`));
  const signedProblems = r.runs.signed.map((m) =>
    m.result?.ok && m.result.md5 === "" && m.result.digest === expected.digest && m.verdict?.ok ? "" : `signed path: ${m.verdict?.reason ?? m.result?.reason ?? `digest ${m.result?.digest}`}`,
  );
  const problems = [...md5Problems, ...signedProblems, r.alone === expected.md5 ? "" : `MD5 alone ${r.alone}`].filter((p) => p !== "");
  if (problems.length > 0) {
    console.log(`${where}: FAILED: ${problems.join("; ")}`);
    return false;
  }
  const m = best(r.runs.md5);
  const g = best(r.runs.signed);
  const mt = m.result!.timing;
  const gt = g.result!.timing;
  console.log(`${where} (best of ${RUNS} each):`);
  console.log(
    `  MD5 path     total ${s(m.seconds)}  MD5+hash list+CRC in download ${s(mt.hashSeconds)}  flash ${s(mt.flashSeconds)}  ` +
      `download+flash ${s(mt.totalSeconds - mt.hashSeconds)}  MD5 alone ${s(r.md5Seconds)}  total/MD5-alone ${(m.seconds / r.md5Seconds).toFixed(2)}x`,
  );
  console.log(
    `  signed path  total ${s(g.seconds)}  hash list+CRC in download ${s(gt.hashSeconds)}  flash ${s(gt.flashSeconds)}  ` +
      `download+flash ${s(gt.totalSeconds - gt.hashSeconds)}  RSA-2048 verify ${s(g.verifySeconds!)}  total/MD5-alone ${(g.seconds / r.md5Seconds).toFixed(2)}x`,
  );
  console.log(`  signed/MD5   ${(g.seconds / m.seconds).toFixed(2)}x  (MD5, digest and signature correct in every run)`);
  return true;
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
const entryDir = mkdtempSync(join(tmpdir(), "update-bench-entry-"));
const key = createKeyPair(join(entryDir, "bench"));
const signed = signedDocument(image, { board: layout.name, version: "2.0.0", counter: 1, keyPath: key.privatePath });
const expected = { md5: createHash("md5").update(image).digest("hex"), digest: signed.bc_digest };
const ca = await CertificateAuthority.create("Bench CA");
const identity = await ca.issueServer("localhost");
const server = https.createServer({ key: identity.keyPem, cert: identity.certPem }, (_req, res) => {
  res.writeHead(200, { "Content-Length": String(SIZE) });
  res.end(image);
});
const { port, close } = await listen(server, 0, "127.0.0.1");
let ok = true;
try {
  writeFileSync(join(entryDir, "entry.js"), ENTRY);
  const bundle = await buildDeviceScript(join(entryDir, "entry.js"));
  const config = {
    url: `https://127.0.0.1:${port}/app.js`,
    region: REGION,
    size: SIZE,
    md5: expected.md5,
    ca: derBase64(ca.identity.certDer),
    sample: image.toString("base64"),
    board: layout.name,
    anchor: trustAnchorFor(key.publicPath),
    signed,
  };
  const script = `var BENCH = ${JSON.stringify(config)};\n${bundle}`;
  console.log(`update bench: ${SIZE} bytes over HTTPS (127.0.0.1) into flash 0x${REGION.start.toString(16)}, pages of ${layout.pageSize} bytes, signed with RSA-${key.bits}; bench script ${script.length} bytes`);
  ok = report("simulator (V8's times say nothing of the board's; the results must match)", parse(await inSimulator(script), "simulator"), expected) && ok;
  const bin = process.env.ESPRUINO_BIN;
  if (bin) ok = report("interpreter", parse(await onInterpreter(bin, script), "interpreter"), expected) && ok;
  else console.log("interpreter  skipped: set ESPRUINO_BIN to the Espruino Linux binary to measure it");
} finally {
  rmSync(entryDir, { recursive: true, force: true });
  await close();
}
if (!ok) process.exitCode = 1;
