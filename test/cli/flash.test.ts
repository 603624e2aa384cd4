// `fota flash` as a user runs it, through the real espruino tool: each mistake
// on the console path ends in one line on stderr and exit 2; a simulated board
// at this machine's speed and a simulated ESP32 at the ESP32's speed (its
// interpreter, flash and 115200-baud console: boards/esp32.json "speed") are
// provisioned, read back and restarted into the image in slot 0.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Bench } from "../../host/bench/bench.ts";
import { SimBoard } from "../../host/sim/board.ts";
import { testBench, tempDir, removeDir } from "../bench/helpers.ts";
import { fota } from "./fota-command.ts";

let bench: Bench;
let dir: string;
let dist: string;
let config: string;

before(async () => {
  dir = tempDir();
  bench = await testBench();
  dist = join(dir, "dist");
  const built = await fota(["build", "--version", "1.0.0", "--out", dist]);
  assert.equal(built.code, 0, built.stderr);
  config = join(dir, "board.json");
  assert.equal((await fota(["device", "add", "flash-board", "--bench", bench.control.url, "--out", config])).code, 0);
});
after(async () => {
  await bench.stop();
  removeDir(dir);
});

function flashTo(port: string, board: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return fota(["flash", "--port", port, "--config", config, "--board", board, "--version", "1.0.0", "--dist", dist], 600_000);
}

/** A local TCP server standing for something on the port: `answer` replies to each line received. */
async function fakeConsole(answer: (line: string) => string | undefined): Promise<{ port: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let typed = "";
    socket.on("data", (buf) => {
      typed += buf.toString("latin1");
      const lines = typed.split("\n");
      typed = lines.pop()!;
      for (const line of lines) {
        const reply = answer(line);
        if (reply !== undefined) socket.write(reply);
      }
    });
    socket.on("error", () => socket.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: `tcp://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

async function simBoard(board: string, atBoardSpeed = false): Promise<SimBoard> {
  return SimBoard.start({ board, flashFile: join(dir, `${board}-${Date.now()}.flash`), consolePort: 0, atBoardSpeed });
}

test("each mistake on the console path is one line on stderr and exit 2", async () => {
  const silent = await fakeConsole(() => undefined);
  const python = await fakeConsole(() => "Traceback (most recent call last):\r\nSyntaxError: invalid syntax\r\n>>> ");
  const linux = await simBoard("linux");
  const held = await simBoard("linux");
  const holder = net.connect(held.consolePort!, "127.0.0.1");
  await new Promise((r) => holder.once("connect", r));
  try {
    const cases: [string, string, string, RegExp][] = [
      ["no such serial port", "/dev/ttyUSB9", "esp32", /^fota: no serial port \/dev\/ttyUSB9 /],
      ["nothing listening", "tcp://127.0.0.1:1", "esp32", /^fota: nothing is listening at tcp:\/\/127\.0\.0\.1:1 /],
      ["console busy", `tcp://127.0.0.1:${held.consolePort}`, "linux", /^fota: the console at tcp:\/\/127\.0\.0\.1:\d+ is in use by another connection/],
      ["board silent", silent.port, "esp32", /^fota: the board at tcp:\/\/127\.0\.0\.1:\d+ did not answer \(is it powered and running Espruino\?/],
      ["something else on the port", python.port, "esp32", /^fota: the device at tcp:\/\/127\.0\.0\.1:\d+ answered, but not as Espruino: "Traceback/],
      ["another kind of board", `tcp://127.0.0.1:${linux.consolePort}`, "esp32", /^fota: the board at tcp:\/\/127\.0\.0\.1:\d+ is an Espruino LINUX board, not ESP32 \(pass --board linux\)/],
    ];
    for (const [name, port, board, expected] of cases) {
      const r = await flashTo(port, board);
      assert.equal(r.code, 2, `${name}: exit 2 (${r.stderr})`);
      assert.match(r.stderr, expected, name);
      assert.equal(r.stderr.trimEnd().split("\n").length, 1, `${name}: one line: ${r.stderr}`);
      assert.ok(!/\n\s+at /.test(r.stderr), `${name}: no stack trace`);
    }
  } finally {
    holder.destroy();
    await Promise.all([silent.close(), python.close(), linux.stop(), held.stop()]);
  }
});

test("flash provisions a simulated board through the espruino tool: read back, restarted into slot 0", async () => {
  assert.ok(existsSync(join(dist, "linux", "provision.js")));
  const board = await simBoard("linux");
  try {
    const r = await flashTo(`tcp://127.0.0.1:${board.consolePort}`, "linux");
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^board at tcp:\/\/127\.0\.0\.1:\d+: Espruino 2v29 on LINUX$/m);
    assert.match(r.stdout, /^board: provisioned slot 0: \d+ bytes, md5 [0-9a-f]{32}/m);
    for (const f of [".bootcde", "aws.json", "aws.crt", "aws.key", "aws.ca"]) assert.match(r.stdout, new RegExp(`^checked ${f.replace(".", "\\.")}: CRC-32 [0-9a-f]{8}$`, "m"));
    assert.match(r.stdout, /^board: app 1\.0\.0 on linux, slot 0$/m, "the restart shows the new image starting");
    assert.match(r.stdout, /^board restarted$/m);
    assert.equal(board.lastBootReason, "reboot");
    const stored = JSON.parse((await board.evaluate(`require("Storage").read("aws.json")`)) as string);
    assert.equal(stored.thingName, "flash-board");
    const files = (await board.evaluate(`require("Storage").list()`)) as string[];
    assert.ok(!files.includes("fota.img") && !files.includes("fotaprov.js"), `staging files are removed: ${files}`);
    assert.ok(files.includes("fota.run"), "the loader made the run copy");
    console.log(`  ${/^provisioned in .*$/m.exec(r.stdout)![0]}`);
  } finally {
    await board.stop();
  }
});

test("flash provisions a simulated ESP32 at the ESP32's speed within its timeouts", { timeout: 600_000 }, async () => {
  const board = await simBoard("esp32", true);
  try {
    const r = await flashTo(`tcp://127.0.0.1:${board.consolePort}`, "esp32");
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /^erasing Storage \(896 KB, about 10\.1 s on this board\)$/m);
    assert.match(r.stdout, /^board: provisioned slot 0: \d+ bytes/m);
    assert.match(r.stdout, /^board: app 1\.0\.0 on esp32, slot 0$/m);
    assert.match(r.stdout, /^board restarted$/m);
    console.log(`  JavaScript ${board.clockFactor!.toFixed(0)}x slower than this machine; ${/^provisioned in .*$/m.exec(r.stdout)![0]}`);
  } finally {
    await board.stop();
  }
});
