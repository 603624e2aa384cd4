// The interpreter's Linux build in tests: a script run in a fresh folder
// while this process serves it; and a flash file read back in Node by the
// firmware's own code, as the board would read it (its boot record, the bytes
// of a slot): the interpreter's, which it keeps in its folder (FLASH_FILE),
// or a simulated board's, which holds the same bytes.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 as zlibCrc32 } from "node:zlib";
import type { BootState } from "../../firmware/boot/entry.ts";
import { BootRecord } from "../../firmware/boot/record.ts";
import { provideCrc32 } from "../../firmware/crypto/crc32.ts";
import { FLASH_FILE, interpreterLines } from "../../host/interp/folder.ts";
import { SimFlash } from "../../host/sim/flash.ts";
import { HOST_BOARD, loadBoard } from "../../host/toolchain/board.ts";

// The record checks its entries with CRC-32: Node's, here.
provideCrc32((data) => zlibCrc32(data));

const layout = loadBoard(HOST_BOARD).layout;

function flashBytes(file: string): Buffer {
  return readFileSync(file).subarray(0, layout.flash.size);
}

/** The boot record's state in a flash file. */
export function recordInFlashFile(file: string): BootState {
  const chip = new SimFlash({ start: layout.flash.start, size: layout.flash.size, pageSize: layout.pageSize });
  chip.write(flashBytes(file), layout.flash.start);
  return new BootRecord(chip, layout).state();
}

/** The first `size` bytes of a code slot in a flash file. */
export function slotInFlashFile(file: string, slot: number, size: number): Buffer {
  const start = layout.slots[slot].start - layout.flash.start;
  return flashBytes(file).subarray(start, start + size);
}

/** The boot record's state in the interpreter's flash. */
export const recordInFolder = (dir: string): BootState => recordInFlashFile(join(dir, FLASH_FILE));

/** The first `size` bytes of a code slot in the interpreter's flash. */
export const slotInFolder = (dir: string, slot: number, size: number): Buffer => slotInFlashFile(join(dir, FLASH_FILE), slot, size);

/** Asserts that the interpreter's flash holds `image` (with `md5`) in slot 1, confirmed for `jobId`, with v1 still valid in slot 0. */
export function assertConfirmedInSlot1(dir: string, image: string, jobId: string, md5: string): BootState {
  const record = recordInFolder(dir);
  assert.equal(record.confirmed, 1);
  assert.equal(record.trial, null);
  assert.equal(record.slots[1].state, "valid");
  assert.equal(record.slots[1].jobId, jobId);
  assert.equal(record.slots[1].md5, md5);
  assert.equal(record.slots[0].state, "valid", "v1 stays as the fallback");
  assert.equal(slotInFolder(dir, 1, image.length).toString("latin1"), image);
  return record;
}

/**
 * Runs `code` on the interpreter without blocking this process (a server here
 * can answer it); its printed lines once it exits, or once `timeoutMs` has
 * passed (SIGKILL: it ignores SIGTERM). In `dir`, kept for the caller to read,
 * or else in a fresh folder removed afterwards.
 */
export function runInterpreterAsync(bin: string, code: string, timeoutMs: number, dir?: string): Promise<string[]> {
  const folder = dir ?? mkdtempSync(join(tmpdir(), "interp-run-"));
  writeFileSync(join(folder, "script.js"), code, "latin1");
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ["script.js"], { cwd: folder, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString("latin1")));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("exit", () => {
      clearTimeout(timer);
      if (!dir) rmSync(folder, { recursive: true, force: true });
      resolve(interpreterLines(out));
    });
  });
}
