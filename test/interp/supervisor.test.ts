// The interpreter as a board (host/interp/supervisor.ts), against what the
// Linux build does: started with no file it runs .bootcde from espruino.flash
// in its folder; E.reboot() ends the process and the supervisor starts it
// again; the console takes typed lines; a file run does not run .bootcde.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FLASH_FILE, LINUX_FLASH_SIZE, LINUX_FLASH_START, runInFolder, writeRawFlash, writeStorageFiles } from "../../host/interp/folder.ts";
import { InterpreterBoard } from "../../host/interp/supervisor.ts";

const bin = process.env.ESPRUINO_BIN;
const skip = bin ? false : "ESPRUINO_BIN not set";

/** Counts its starts in Storage and reboots until the third. */
const BOOT = `var n = (require("Storage").readJSON("n", true) || 0) + 1;
require("Storage").writeJSON("n", n);
print("start " + n + " raw " + E.toString(require("Flash").read(5, 0x1003F000)));
if (n < 3) setTimeout(function () { E.reboot(); }, 10);`;

test("a board from the interpreter: .bootcde at power-on, restarts after E.reboot(), console input, raw flash", { skip, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "interp-board-"));
  try {
    writeStorageFiles(bin!, dir, { ".bootcde": BOOT, "bytes": "\x00\x01\xfe\xff" });
    assert.equal(readFileSync(join(dir, FLASH_FILE)).length, LINUX_FLASH_SIZE);
    writeRawFlash(dir, LINUX_FLASH_START + 0x3f000, Buffer.from("hello", "latin1"));
    const readBack = `var s = require("Storage").read("bytes"); print(s.length + ": " + s.charCodeAt(0) + " " + s.charCodeAt(1) + " " + s.charCodeAt(2) + " " + s.charCodeAt(3));`;
    assert.deepEqual(runInFolder(bin!, dir, readBack), ["4: 0 1 254 255"], "a file run runs only the file, and Storage keeps bytes");

    const board = InterpreterBoard.start({ bin: bin!, dir });
    try {
      await board.waitFor(/^start 3 raw hello$/, 20_000);
      assert.deepEqual(board.lines.filter((l) => l.startsWith("start ")), ["start 1 raw hello", "start 2 raw hello", "start 3 raw hello"]);
      assert.equal(board.lines.filter((l) => l === "Not implemented").length, 2, "E.reboot() on Linux");
      assert.equal(board.boots, 3);
      assert.equal(board.lastBootReason, "reboot");
      // Idle with nothing pending, it keeps running: the console still answers.
      await new Promise((r) => setTimeout(r, 300));
      board.type(`print("typed " + (6 * 7))`);
      await board.waitFor(/^typed 42$/, 5_000);
      assert.equal(board.boots, 3);
      const mark = board.lines.length;
      await board.powerCycle();
      await board.waitFor(/^start 4 raw hello$/, 20_000, mark);
      assert.equal(board.lastBootReason, "power-cycle");
    } finally {
      await board.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
