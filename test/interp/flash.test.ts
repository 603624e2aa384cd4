// `fota flash` against the real interpreter (its Linux build) run as a board,
// its console on a local TCP port as `fota sim --interpreter` serves it: the
// board's own answers say it provisioned, every file kept in Storage reads
// back, and the restart (E.reboot(), the supervisor starting it again) runs v1.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
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
