// `fota flash` against the real interpreter (its Linux build) run as a board,
// its console on a local TCP port as `fota sim --interpreter` serves it, and
// over the interpreter's own --telnet console: the board's own answers say it
// provisioned, every file kept in Storage reads back, and the restart
// (E.reboot(), the supervisor starting it again) runs v1.
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InterpreterBoard } from "../../host/interp/supervisor.ts";
import { testBench, tempDir, removeDir } from "../bench/helpers.ts";
import { fota } from "../cli/fota-command.ts";

const bin = process.env.ESPRUINO_BIN;

test("fota flash provisions the real interpreter over its console: exit 0, read back, restarted into v1", { skip: bin ? false : "ESPRUINO_BIN not set", timeout: 300_000 }, async () => {
  const dir = tempDir();
  const bench = await testBench();
  let board: InterpreterBoard | undefined;
  try {
    const dist = join(dir, "dist");
    assert.equal((await fota(["build", "--board", "linux", "--version", "1.0.0", "--out", dist])).code, 0);
    const config = join(dir, "board.json");
    assert.equal((await fota(["device", "add", "interp-flash", "--bench", bench.control.url, "--out", config])).code, 0);
    const boardDir = join(dir, "board");
    mkdirSync(boardDir);
    board = await InterpreterBoard.serve({ bin: bin!, dir: boardDir, echo: process.env.ECHO_BOARD ? "  board:" : undefined });
    const r = await fota(["flash", "--port", `tcp://127.0.0.1:${board.consolePort}`, "--config", config, "--board", "linux", "--version", "1.0.0", "--dist", dist], 240_000);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^board at tcp:\/\/127\.0\.0\.1:\d+: Espruino 2v29\S* on LINUX$/m);
    assert.match(r.stdout, /^board: provisioned slot 0: \d+ bytes, md5 [0-9a-f]{32}/m);
    for (const f of [".bootcde", "aws.json", "aws.crt", "aws.key", "aws.ca"]) assert.match(r.stdout, new RegExp(`^checked ${f.replace(".", "\\.")}: CRC-32 [0-9a-f]{8}$`, "m"));
    assert.match(r.stdout, /^board restarted$/m);
    assert.equal(board.lastBootReason, "reboot", "E.reboot() ended the interpreter and the supervisor started it again");
    await board.waitFor(/^app 1\.0\.0 on linux, slot 0$/, 20_000);
    await board.waitFor(/^connected to localhost as interp-flash$/, 60_000);
    console.log(`  ${/^provisioned in .*$/m.exec(r.stdout)![0]}`);
  } finally {
    await board?.stop();
    await bench.stop();
    removeDir(dir);
  }
});

/** True if nothing listens on the port (the interpreter's telnet console is always at 2323). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(port, "127.0.0.1");
    probe.once("connect", () => (probe.destroy(), resolve(false)));
    probe.once("error", () => resolve(true));
  });
}

test("fota flash provisions the real interpreter over its --telnet console; the console closes as it restarts into v1", { skip: bin ? false : "ESPRUINO_BIN not set", timeout: 300_000 }, async (t) => {
  if (!(await portFree(2323))) return t.skip("port 2323 is in use");
  const dir = tempDir();
  let board: InterpreterBoard | undefined;
  try {
    const dist = join(dir, "dist");
    assert.equal((await fota(["build", "--board", "linux", "--version", "1.0.0", "--out", dist])).code, 0);
    const config = join(dir, "board.json");
    const der = (bytes: number, fill: number) => Buffer.alloc(bytes, fill).toString("base64");
    writeFileSync(config, JSON.stringify({ thingName: "telnet-board", endpoint: "localhost", port: 8883, certDerB64: der(500, 0x30), keyDerB64: der(600, 0x30), caDerB64: der(500, 0x30) }));
    const boardDir = join(dir, "board");
    mkdirSync(boardDir);
    board = InterpreterBoard.start({ bin: bin!, dir: boardDir, args: ["--telnet"] });
    while (await portFree(2323)) await new Promise((r) => setTimeout(r, 50));
    const r = await fota(["flash", "--port", "tcp://127.0.0.1:2323", "--config", config, "--board", "linux", "--version", "1.0.0", "--dist", dist], 240_000);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^board: provisioned slot 0: \d+ bytes/m);
    assert.match(r.stdout, /^checked \.bootcde: CRC-32 [0-9a-f]{8}$/m);
    assert.match(r.stdout, /^the board's console closed as it restarted/m);
    await board.waitFor(/^app 1\.0\.0 on linux, slot 0$/, 20_000);
    // Its "Not implemented" went to the telnet connection, so the supervisor saw an exit.
    assert.equal(board.boots, 2, "the interpreter ended at E.reboot() and was started again");
    console.log(`  over --telnet: ${/^provisioned in .*$/m.exec(r.stdout)![0]}`);
  } finally {
    await board?.stop();
    removeDir(dir);
  }
});
