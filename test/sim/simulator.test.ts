// The simulator's primitives, each against real parts: a flash file that
// outlives the process, real Node TLS and HTTPS servers, real TCP.
import { test } from "node:test";
import assert from "node:assert/strict";
import tls from "node:tls";
import https from "node:https";
import net from "node:net";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBoard } from "../support/sim.ts";
import { CertificateAuthority } from "../../host/pki/ca.ts";
import { SimBoard } from "../../host/sim/board.ts";
import { CONSOLE_BUSY } from "../../host/sim/console-server.ts";
import { loadBoard } from "../../host/toolchain/board.ts";
import { listen } from "../../host/bench/listen.ts";

/** A device script literal: bytes as a JS string expression. */
const js = (value: string) => JSON.stringify(value);

test("the realm lacks what the interpreter lacks and hides prototype methods", async () => {
  const b = await startBoard({ ".bootcde": `print("ready");` });
  try {
    await b.sim.waitFor(/^ready$/);
    const probe = await b.sim.evaluate(
      `[typeof Map, typeof Set, typeof Symbol, typeof Array.from, typeof Number.isInteger, typeof Object.freeze,
        typeof Promise.race, typeof Promise.prototype.finally, typeof Array.prototype.slice, typeof [].slice,
        typeof Function.prototype.apply, typeof (function(){}).apply, [1,2,3].slice(1).join(""),
        typeof setTimeout(function(){}, 1), typeof getTime()]`,
    );
    assert.deepEqual(probe, ["undefined", "undefined", "undefined", "undefined", "undefined", "undefined",
      "undefined", "undefined", "undefined", "function", "undefined", "function", "23", "number", "number"]);
  } finally {
    await b.dispose();
  }
});

test("flash: erase to 0xFF, writes AND into existing bytes, state survives a reboot", async () => {
  const slot = 0x1002f000; // slot1 of boards/linux.json
  const boot = `
    var F = require("Flash");
    var n = require("Storage").read("boots") || "";
    require("Storage").write("boots", n + "x");
    if (n.length === 0) {
      F.erasePage(${slot});
      F.write("\\x0f\\xf0", ${slot} + 1);
      F.write([0xff, 0x3c], ${slot} + 1);
      print("first " + F.read(4, ${slot}).join(","));
      setTimeout(function () { E.reboot(); }, 10);
    } else {
      print("second boots=" + (n.length + 1) + " " + F.read(4, ${slot}).join(","));
    }`;
  const b = await startBoard({ ".bootcde": boot });
  try {
    assert.equal(await b.sim.waitFor(/^first/), "first 255,15,48,255");
    assert.equal(await b.sim.waitFor(/^second/), "second boots=2 255,15,48,255");
    assert.equal(b.sim.lastBootReason, "reboot");
    assert.equal(b.sim.boots, 2);
  } finally {
    await b.dispose();
  }
});

test("flash: raw access to the interpreter's own partitions is refused (esp32)", async () => {
  const b = await startBoard({ ".bootcde": `try { require("Flash").erasePage(0x10000); } catch (e) { print("refused: " + e.message); }` }, { board: "esp32" });
  try {
    assert.match(await b.sim.waitFor(/^refused/), /factory/);
  } finally {
    await b.dispose();
  }
});

test("power cut during a write: a torn write, the board boots again from flash", async () => {
  const slot = 0x1002f000;
  const boot = `
    var F = require("Flash");
    if (require("Storage").read("cut") === undefined) {
      require("Storage").write("cut", "1");
      F.erasePage(${slot});
      print("writing");
      F.write(new Uint8Array(64), ${slot});
      print("survived the write");
    } else {
      var b = F.read(64, ${slot}), zeros = 0;
      for (var i = 0; i < 64; i++) if (b[i] === 0) zeros++;
      print("after cut zeros=" + zeros);
    }`;
  const c = await startBoard({ ".bootcde": boot });
  try {
    // The first boot already wrote its image; wipe the marker and run again with
    // the cut armed at the 64-byte write: marker header + data (2 ops), erase (1), write (4th).
    await c.sim.waitFor(/^survived the write$/);
    await c.sim.evaluate(`require("Storage").erase("cut")`);
    c.sim.cutPowerOnNextBoot(4, "torn");
    await c.sim.powerCycle();
    await c.sim.waitFor(/^writing$/);
    const line = await c.sim.waitFor(/^after cut/);
    const zeros = Number(/zeros=(\d+)/.exec(line)![1]);
    assert.ok(zeros > 0 && zeros < 64, `a torn write programs part of the bytes, got ${zeros} of 64`);
    assert.equal(c.sim.lastBootReason, "power-cut");
    assert.equal(c.sim.lines.filter((l) => l === "survived the write").length, 1, "the cut boot never got past the write");
  } finally {
    await c.dispose();
  }
});

test("watchdog: a hung script resets the board", async () => {
  const boot = `
    var n = (require("Storage").read("wd") || "").length;
    require("Storage").write("wd", "x" + (require("Storage").read("wd") || ""));
    print("boot " + (n + 1));
    E.enableWatchdog(0.5, true);
    if (n === 0) setTimeout(function () { while (true) {} }, 50);`;
  const b = await startBoard({ ".bootcde": boot });
  try {
    await b.sim.waitFor(/^boot 1$/);
    await b.sim.waitFor(/^boot 2$/, 15_000);
    assert.equal(b.sim.lastBootReason, "watchdog");
  } finally {
    await b.dispose();
  }
});

test("tls: mutual TLS with DER certificates against a Node TLS server; PEM is refused", async () => {
  const ca = await CertificateAuthority.create("Test CA");
  const server = await ca.issueServer("localhost");
  const client = await ca.issueClient("board-1");
  const seen: string[] = [];
  const srv = tls.createServer({ key: server.keyPem, cert: server.certPem, ca: [ca.identity.certPem], requestCert: true, rejectUnauthorized: true }, (s) => {
    seen.push(String(s.getPeerCertificate().subject.CN));
    s.on("data", (d) => {
      s.write(Buffer.concat([Buffer.from("echo:"), d]));
      s.end();
    });
  });
  const { port, close } = await listen(srv, 0, "127.0.0.1");
  const boot = `
    var opts = { host: "127.0.0.1", port: ${port}, ca: ${js(ca.identity.certDer)}, key: ${js(client.keyDer)}, cert: ${js(client.certDer)} };
    var s = require("tls").connect(opts, function () { print("connected"); s.write("\\xff\\x00hi"); });
    var got = "";
    s.on("data", function (d) { got += d; });
    s.on("error", function (e) { print("error " + e.code); });
    s.on("close", function () { print("closed " + JSON.stringify(got)); });
    try { require("tls").connect({ host: "127.0.0.1", port: ${port}, ca: ${js(ca.identity.certPem)} }); }
    catch (e) { print("pem: " + e.message); }`;
  const b = await startBoard({ ".bootcde": boot });
  try {
    assert.match(await b.sim.waitFor(/^pem:/), /Invalid format/);
    await b.sim.waitFor(/^connected$/);
    assert.equal(await b.sim.waitFor(/^error/), "error -30848");
    assert.equal(await b.sim.waitFor(/^closed/), `closed ${JSON.stringify("echo:\xff\x00hi")}`);
    assert.deepEqual(seen, ["board-1"]);
  } finally {
    await b.dispose();
    await close();
  }
});

test("http.get over https: body in chunks of at most 536 bytes, Range passes through, close at the end", async () => {
  const ca = await CertificateAuthority.create("Test CA");
  const server = await ca.issueServer("localhost");
  const body = randomBytes(5000);
  const ranges: unknown[] = [];
  const srv = https.createServer({ key: server.keyPem, cert: server.certPem }, (req, res) => {
    ranges.push(req.headers.range);
    res.writeHead(200, { "Content-Length": String(body.length) });
    res.end(body);
  });
  const { port, close } = await listen(srv, 0, "127.0.0.1");
  const boot = `
    var o = url.parse("https://127.0.0.1:${port}/image.js");
    o.ca = ${js(ca.identity.certDer)};
    o.headers = { Range: "bytes=0-" };
    var max = 0, total = 0, crc = 0, all = "";
    require("http").get(o, function (res) {
      print("status " + res.statusCode + " " + typeof res.statusCode);
      res.on("data", function (d) { if (d.length > max) max = d.length; total += d.length; all += d; });
      res.on("close", function () { print("done total=" + total + " max=" + max + " crc=" + E.CRC32(all)); });
    });`;
  const b = await startBoard({ ".bootcde": boot });
  try {
    assert.equal(await b.sim.waitFor(/^status/), "status 200 string");
    const done = await b.sim.waitFor(/^done/);
    const { crc32 } = await import("node:zlib");
    assert.equal(done, `done total=5000 max=536 crc=${crc32(body)}`);
    assert.deepEqual(ranges, ["bytes=0-"]);
  } finally {
    await b.dispose();
    await close();
  }
});

test("network faults: a stalled link delivers nothing until it flows again; a drop closes sockets", async () => {
  const srv = net.createServer((s) => s.on("data", (d) => s.write(d)));
  const { port, close } = await listen(srv, 0, "127.0.0.1");
  const boot = `
    var s = require("net").connect({ host: "127.0.0.1", port: ${port} }, function () { print("up"); });
    s.on("data", function (d) { print("got " + d); });
    s.on("close", function () { print("closed"); });
    global.send = function (t) { s.write(t); };`;
  const b = await startBoard({ ".bootcde": boot });
  try {
    await b.sim.waitFor(/^up$/);
    await b.sim.evaluate(`send("one")`);
    await b.sim.waitFor(/^got one$/);
    b.sim.stallNetwork(true);
    await b.sim.evaluate(`send("two")`);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(!b.sim.lines.includes("got two"), "nothing crosses a stalled link");
    b.sim.stallNetwork(false);
    await b.sim.waitFor(/^got two$/);
    b.sim.dropNetwork();
    await b.sim.waitFor(/^closed$/);
  } finally {
    await b.dispose();
    await close();
  }
});

test("console on TCP: lines typed are evaluated, \\x10 lines quietly; code the gate refuses does not run at boot", async () => {
  const b = await startBoard({ ".bootcde": `print("boot"); function late() { return 1; }\nvar r = /a{2}/;` }, { consolePort: 0 });
  try {
    assert.match(await b.sim.waitFor(/Uncaught SyntaxError/), /counted repetition/);
    const sock = net.connect(b.sim.consolePort!, "127.0.0.1");
    await once(sock, "connect");
    let received = "";
    sock.on("data", (d) => (received += d.toString("latin1")));
    sock.write("print('hello ' + (20 + 22))\n");
    sock.write("\x10var quiet = 5\n");
    sock.write("quiet * 2\n");
    const deadline = Date.now() + 5000;
    while (!received.includes("=10") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(received, /hello 42/);
    assert.match(received, /=10/);
    assert.ok(!received.includes("=5"), "a \\x10 line prints no result");
    sock.destroy();
  } finally {
    await b.dispose();
  }
});

test("console on TCP: one connection at a time (another is told it is busy); it stays up while the board restarts", async () => {
  const b = await startBoard({ ".bootcde": `print("boot " + (require("Storage").read("n") || "0"));` }, { consolePort: 0 });
  try {
    const sock = net.connect(b.sim.consolePort!, "127.0.0.1");
    await once(sock, "connect");
    let received = "";
    sock.on("data", (d) => (received += d.toString("latin1")));
    const second = net.connect(b.sim.consolePort!, "127.0.0.1");
    let told = "";
    second.on("data", (d) => (told += d.toString("latin1")));
    await once(second, "close");
    assert.equal(told, `${CONSOLE_BUSY}\r\n`);
    sock.write(`\x10require("Storage").write("n", "1"); E.reboot()\n`);
    const deadline = Date.now() + 10_000;
    while (!received.includes("boot 1") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(received, /boot 1/, "the restarted board prints to the same connection");
    assert.equal(b.sim.lastBootReason, "reboot");
    sock.destroy();
  } finally {
    await b.dispose();
  }
});

test("at the ESP32's speed the board's clock shows its flash, CRC-32 and console times (boards/esp32.json)", async () => {
  const speed = loadBoard("esp32").speed;
  const sim = await SimBoard.start({ board: "esp32", flashFile: join(mkdtempSync(join(tmpdir(), "sim-speed-")), "flash.bin"), consolePort: 0, atBoardSpeed: true });
  try {
    assert.ok(sim.clockFactor! > 1, `device JavaScript runs slower than on this machine (${sim.clockFactor})`);
    const [eraseMs, programMs, crcMs] = (await sim.evaluate(`(function () {
      var F = require("Flash"), t0 = getTime();
      for (var p = 0; p < 4; p++) F.erasePage(0x250000 + p * 4096);
      var t1 = getTime();
      F.write(new Uint8Array(4096), 0x250000);
      var t2 = getTime();
      E.CRC32(new Uint8Array(65536));
      return [(t1 - t0) * 1000, (t2 - t1) * 1000, (getTime() - t2) * 1000];
    })()`)) as number[];
    assert.ok(eraseMs >= 4 * speed.flashErasePageMs.typical, `4 pages erased in ${eraseMs} ms`);
    assert.ok(programMs >= 16 * speed.flashProgram256Ms.typical, `4 KB programmed in ${programMs} ms`);
    assert.ok(crcMs >= (65536 * 1000) / speed.crc32BytesPerSecond.typical, `64 KB CRC-32 in ${crcMs} ms`);
    // 3,000 bytes typed at 115200 baud take at least 260 ms to reach the board.
    const sock = net.connect(sim.consolePort!, "127.0.0.1");
    await once(sock, "connect");
    let received = "";
    sock.on("data", (d) => (received += d.toString("latin1")));
    const started = Date.now();
    sock.write(`\x10print("got " + ${JSON.stringify("x".repeat(3000))}.length)\n`);
    while (!received.includes("got 3000") && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 5));
    assert.match(received, /got 3000/);
    assert.ok(Date.now() - started >= (3000 * 1000) / speed.consoleBytesPerSecond.typical, "the console carries no more than the board's line rate");
    sock.destroy();
  } finally {
    await sim.stop();
  }
});
