// The downloader (firmware/fota/download.ts) on a simulated board against a
// real HTTPS server: what lands in the slot, what the board asked the server,
// and the reason it gives for every way a download fails. Then one download
// on the real interpreter when ESPRUINO_BIN is set.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildDeviceScript } from "../../host/toolchain/device-script.ts";
import { loadBoard } from "../../host/toolchain/board.ts";
import { startBoard, type TestBoard } from "../support/sim.ts";
import { runInterpreterAsync, slotInFolder } from "../support/interp.ts";
import { CertificateAuthority, derBase64 } from "../../host/pki/ca.ts";
import { hashUnit } from "../../firmware/crypto/hash-list.ts";
import { startImageServer, serveImage, type ImageServer } from "./image-server.ts";

const ENTRY = fileURLToPath(new URL("./entries/download.js", import.meta.url));
const layout = loadBoard("linux").layout;
const SLOT = 1;
const slot = layout.slots[SLOT];
const PAGE = layout.pageSize;
/** What the slot writer stores and hashes at once: downloads resume from a multiple of it. */
const UNIT = hashUnit(PAGE);
const SIZE = 20_000;
const image = randomBytes(SIZE);
const md5 = (b: Uint8Array) => createHash("md5").update(b).digest("hex");

interface Config {
  url: string;
  slot: number;
  size: number;
  md5: string;
  ca?: string;
  timeoutMs: number;
  maxRetries: number;
  backoffMs: number;
}

interface Outcome {
  result: { ok: boolean; reason?: string; cause?: string; md5?: string; crc32?: number; size?: number; attempts: number; stored?: number };
  progress: number[];
  /** The whole flash before the download started and after it ended. */
  before: Buffer;
  after: Buffer;
  board: TestBoard;
}

let bundle: string;
let server: ImageServer;
let ca: CertificateAuthority;

before(async () => {
  bundle = await buildDeviceScript(ENTRY);
  ca = await CertificateAuthority.create("Download test CA");
  server = await startImageServer(ca);
});
after(() => server.close());

function config(overrides: Partial<Config> = {}): Config {
  return {
    url: server.url,
    slot: SLOT,
    size: SIZE,
    md5: md5(image),
    ca: derBase64(ca.identity.certDer),
    timeoutMs: 1000,
    maxRetries: 3,
    backoffMs: 50,
    ...overrides,
  };
}

/** Boots a board that downloads with `cfg`; `during` may act on it (faults) while it runs. */
async function run(cfg: Config, during?: (board: TestBoard) => Promise<void>): Promise<Outcome> {
  const board = await startBoard({ ".bootcde": `var DL = ${JSON.stringify(cfg)};\n${bundle}` });
  const before = readFileSync(board.flashFile);
  try {
    await during?.(board);
    const line = await board.sim.waitFor(/^DL result /, 20_000);
    const progress = board.sim.lines.filter((l) => l.startsWith("DL progress ")).map((l) => Number(l.split(" ")[2]));
    return { result: JSON.parse(line.slice("DL result ".length)), progress, before, after: readFileSync(board.flashFile), board };
  } finally {
    await board.dispose();
  }
}

const offset = (addr: number) => addr - layout.flash.start;
const slotBytes = (flash: Buffer, length = slot.size) => flash.subarray(offset(slot.start), offset(slot.start) + length);

/** Nothing outside the slot changed: the running image, Storage and the boot record are intact. */
function assertOnlySlotWritten(o: Outcome): void {
  const lo = offset(slot.start);
  const hi = lo + slot.size;
  assert.ok(o.before.subarray(0, lo).equals(o.after.subarray(0, lo)), "flash below the slot changed");
  assert.ok(o.before.subarray(hi).equals(o.after.subarray(hi)), "flash above the slot changed");
}

function assertImageStored(o: Outcome): void {
  assert.equal(o.result.ok, true, JSON.stringify(o.result));
  assert.equal(o.result.md5, md5(image));
  assert.equal(o.result.crc32, crc32(image));
  assert.equal(o.result.size, SIZE);
  const stored = slotBytes(o.after);
  assert.ok(stored.subarray(0, SIZE).equals(image), "the slot holds the image");
  const pageEnd = Math.ceil(SIZE / PAGE) * PAGE;
  assert.ok(stored.subarray(SIZE, pageEnd).every((b) => b === 0xff), "the rest of the last page stays erased");
  assertOnlySlotWritten(o);
}

test("a good download: the slot holds the image, MD5 and CRC-32 match Node's, progress unit by unit", async () => {
  server.handle((req, res) => serveImage(image, req, res));
  const first = server.ranges.length;
  const o = await run(config());
  assertImageStored(o);
  assert.equal(o.result.attempts, 1);
  assert.deepEqual(server.ranges.slice(first), [undefined]);
  const expected: number[] = [];
  for (let at = UNIT; at < SIZE; at += UNIT) expected.push(at);
  expected.push(SIZE);
  assert.deepEqual(o.progress, expected);
});

test("connections cut at several offsets: resumed with Range from the last stored unit", async () => {
  // Attempt 1 dies before the first unit is complete, 2 past the first unit, 3 at a unit boundary + 312, 4 completes.
  const cuts = [500, UNIT + 904, 3 * UNIT + 312];
  server.handle((req, res, index) => serveImage(image, req, res, cuts[index - first]));
  const first = server.ranges.length;
  const o = await run(config({ maxRetries: 4 }));
  assertImageStored(o);
  assert.equal(o.result.attempts, 4);
  assert.deepEqual(server.ranges.slice(first), [undefined, undefined, `bytes=${UNIT}-`, `bytes=${3 * UNIT}-`]);
});

test("the network drops mid-download (sim.dropNetwork): resumed", async () => {
  let release: () => void = () => undefined;
  const first = server.ranges.length;
  server.handle((req, res, index) => {
    if (index > first) return serveImage(image, req, res);
    res.writeHead(200, { "Content-Length": String(SIZE) });
    res.write(image.subarray(0, 9000), () => release());
  });
  const o = await run(config(), async (board) => {
    await new Promise<void>((r) => (release = r));
    await board.sim.waitFor(new RegExp(`^DL progress ${2 * UNIT} `));
    board.sim.dropNetwork();
  });
  assertImageStored(o);
  assert.deepEqual(server.ranges.slice(first), [undefined, `bytes=${2 * UNIT}-`]);
});

test("a stalled connection (no data for timeoutMs) is given up and resumed", async () => {
  const first = server.ranges.length;
  let stalledAt = 0;
  server.handle((req, res, index) => {
    if (index > first) return serveImage(image, req, res);
    res.writeHead(200, { "Content-Length": String(SIZE) });
    res.write(image.subarray(0, 6000)); // then nothing, connection left open
  });
  const o = await run(config({ timeoutMs: 600 }), async (board) => {
    await board.sim.waitFor(new RegExp(`^DL progress ${UNIT} `));
    board.sim.stallNetwork(true);
    stalledAt = Date.now();
    while (server.ranges.length < first + 2) await new Promise((r) => setTimeout(r, 20));
    board.sim.stallNetwork(false);
  });
  assertImageStored(o);
  assert.ok(Date.now() - stalledAt >= 550, "it waited for the timeout");
  assert.deepEqual(server.ranges.slice(first), [undefined, `bytes=${UNIT}-`]);
});

test("a connection that stays stalled: gives up after the retries", async () => {
  server.handle((_req, res) => {
    res.writeHead(200, { "Content-Length": String(SIZE) });
    res.write(image.subarray(0, 3000));
  });
  const first = server.ranges.length;
  const o = await run(config({ timeoutMs: 400, maxRetries: 2 }));
  assert.equal(o.result.ok, false);
  assert.equal(o.result.cause, "timeout");
  assert.equal(o.result.reason, "gave up after 3 attempts: timed out after 0.4 s without data");
  assert.equal(server.ranges.length - first, 3);
  assertOnlySlotWritten(o);
});

for (const [status, reason, attempts] of [
  [403, "HTTP 403 (URL expired?)", 1],
  [404, "HTTP 404", 1],
  [500, "gave up after 3 attempts: HTTP 500", 3],
] as const) {
  test(`HTTP ${status}: fails with "${reason}"`, async () => {
    server.handle((_req, res) => res.writeHead(status, { "Content-Type": "application/xml" }).end("<Error><Code>AccessDenied</Code></Error>"));
    const first = server.ranges.length;
    const o = await run(config({ maxRetries: 2 }));
    assert.deepEqual([o.result.ok, o.result.cause, o.result.reason, o.result.attempts], [false, "http", reason, attempts]);
    assert.equal(server.ranges.length - first, attempts);
    assert.ok(slotBytes(o.after).every((b) => b === 0xff), "nothing written");
    assertOnlySlotWritten(o);
  });
}

test("a short body (the server always stops early): retried, then fails naming the byte counts", async () => {
  server.handle((req, res) => serveImage(image, req, res, SIZE - 100));
  const first = server.ranges.length;
  const o = await run(config({ maxRetries: 2 }));
  assert.equal(o.result.ok, false);
  assert.equal(o.result.reason, `gave up after 3 attempts: server sent ${SIZE - 100} bytes, expected ${SIZE}`);
  const stored = Math.floor((SIZE - 100) / UNIT) * UNIT;
  assert.equal(o.result.stored, stored);
  assert.deepEqual(server.ranges.slice(first), [undefined, `bytes=${stored}-`, `bytes=${stored}-`]);
  assertOnlySlotWritten(o);
});

test("a long body (no Content-Length, more bytes than bc_size): cut at bc_size and fails", async () => {
  const longer = Buffer.concat([image, randomBytes(700)]);
  server.handle((_req, res) => {
    res.writeHead(200, { "Transfer-Encoding": "chunked" });
    res.end(longer);
  });
  const o = await run(config());
  assert.deepEqual([o.result.ok, o.result.cause, o.result.reason, o.result.attempts], [false, "size", `server sent ${SIZE + 700} bytes, expected ${SIZE}`, 1]);
  assert.ok(slotBytes(o.after, SIZE).equals(image), "the first bc_size bytes were stored, nothing more");
  assert.ok(slotBytes(o.after).subarray(SIZE).every((b) => b === 0xff));
  assertOnlySlotWritten(o);
});

test("a Content-Length that disagrees with bc_size fails before anything is written", async () => {
  server.handle((_req, res) => {
    res.writeHead(200, { "Content-Length": String(SIZE - 1) });
    res.end(image.subarray(0, SIZE - 1));
  });
  const o = await run(config());
  assert.deepEqual([o.result.ok, o.result.cause, o.result.reason], [false, "size", `Content-Length ${SIZE - 1} disagrees with bc_size ${SIZE}`]);
  assert.ok(slotBytes(o.after).every((b) => b === 0xff), "nothing erased or written");
  assertOnlySlotWritten(o);
});

test("a 206 whose Content-Range does not answer the Range asked for fails", async () => {
  const first = server.ranges.length;
  server.handle((req, res, index) => {
    if (index === first) return serveImage(image, req, res, UNIT + 1000);
    res.writeHead(206, { "Content-Length": String(SIZE - 1024), "Content-Range": `bytes 1024-${SIZE - 1}/${SIZE}` });
    res.end(image.subarray(1024));
  });
  const o = await run(config());
  assert.equal(o.result.ok, false);
  assert.equal(o.result.reason, `Content-Range "bytes 1024-${SIZE - 1}/${SIZE}" does not answer bytes=${UNIT}- of ${SIZE} bytes`);
});

test("a 200 answering a Range request restarts from the first byte", async () => {
  const first = server.ranges.length;
  server.handle((req, res, index) => {
    if (index === first) return serveImage(image, req, res, UNIT + 2904);
    res.writeHead(200, { "Content-Length": String(SIZE) });
    res.end(image);
  });
  const o = await run(config());
  assertImageStored(o);
  assert.deepEqual(server.ranges.slice(first), [undefined, `bytes=${UNIT}-`]);
  assert.ok(o.progress.indexOf(UNIT, 1) > 0, "progress went back to the start");
});

test("MD5 mismatch: the stored bytes' MD5 is named next to the expected one", async () => {
  server.handle((req, res) => serveImage(image, req, res));
  const wrong = md5(Buffer.from("another image"));
  const o = await run(config({ md5: wrong }));
  assert.deepEqual([o.result.ok, o.result.cause, o.result.reason], [false, "md5", `MD5 mismatch: got ${md5(image)}, expected ${wrong}`]);
  assertOnlySlotWritten(o);
});

test("TLS: a server the board's CA did not sign is refused (the simulator verifies; see the note on the interpreter)", async () => {
  const stranger = await startImageServer(await CertificateAuthority.create("Stranger CA"));
  try {
    stranger.handle((req, res) => serveImage(image, req, res));
    const o = await run(config({ url: stranger.url, maxRetries: 1 }));
    assert.equal(o.result.ok, false);
    assert.equal(o.result.cause, "tls");
    assert.match(o.result.reason!, /^gave up after 2 attempts: TLS: /);
  } finally {
    await stranger.close();
  }
});

test("no server listening: connection failures are retried, then named", async () => {
  const o = await run(config({ url: "https://127.0.0.1:1/app.js", maxRetries: 1 }));
  assert.equal(o.result.ok, false);
  assert.equal(o.result.cause, "network");
  assert.match(o.result.reason!, /^gave up after 2 attempts: (connection failed|cannot connect): .*ECONNREFUSED/);
});

const bin = process.env.ESPRUINO_BIN;

test("on the real interpreter: a download into the linux board's slot, resumed once after a cut", { skip: bin ? false : "ESPRUINO_BIN not set" }, async () => {
  const first = server.ranges.length;
  server.handle((req, res, index) => serveImage(image, req, res, index === first ? 9000 : undefined));
  const dir = mkdtempSync(join(tmpdir(), "download-interp-"));
  try {
    // Asynchronously: the server runs in this process.
    const lines = await runInterpreterAsync(bin!, `var DL = ${JSON.stringify(config())};\n${bundle}`, 30_000, dir);
    const line = lines.find((l) => l.startsWith("DL result "));
    assert.ok(line, lines.join("\n"));
    const result = JSON.parse(line.slice("DL result ".length));
    assert.deepEqual([result.ok, result.md5, result.crc32, result.attempts], [true, md5(image), crc32(image), 2], line);
    assert.deepEqual(server.ranges.slice(first), [undefined, `bytes=${2 * UNIT}-`]);
    assert.ok(slotInFolder(dir, SLOT, SIZE).equals(image), "espruino.flash holds the image in the slot");
    const pool = (prefix: string) => lines.filter((l) => l.startsWith(prefix)).map((l) => Number(/ pool (\d+)$/.exec(l)![1]));
    console.log(`  pool on the interpreter: up to ${Math.max(...pool("DL progress "))} variables after a unit was stored (${pool("DL start ")[0]} at the start; both with the test's code in RAM, the HTTPS connection in the first)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
