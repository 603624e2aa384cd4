// One Storage script, run on a given flash image twice: by the interpreter's
// Linux build (in a folder holding that image as espruino.flash) and by the
// simulator's Device over a SimFlash holding the same bytes. Each run gives
// what was printed at power-on and by the script, the flash afterwards, and
// every flash write and erase in order: the interpreter's read from strace
// (each jshFlashWrite/jshFlashErasePage opens, writes and closes the file).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadBoard } from "../../host/toolchain/board.ts";
import { FLASH_FILE, interpreterLines } from "../../host/interp/folder.ts";
import { Device } from "../../host/sim/device.ts";
import { SimFlash } from "../../host/sim/flash.ts";
import { profileFor } from "../../host/sim/profiles.ts";
import { SimStorage, type FlashChip } from "../../host/sim/storage.ts";

export const LINUX = loadBoard("linux");
export const AREA = LINUX.interpreter.storage;

/** A write or an erase: the bytes of the range it touched, as they are right after it. */
export interface FlashOp {
  addr: number;
  bytes: Buffer;
}

export interface StorageRun {
  /** Printed at power-on, before the script ran ("Storage is corrupt." ...). */
  boot: string[];
  /** Printed while the script ran. */
  lines: string[];
  flash: Buffer;
  ops: FlashOp[];
}

export function blankFlash(): Buffer {
  return Buffer.alloc(LINUX.layout.flash.size, 0xff);
}

/** A SimFlash of the Linux board holding `image`, and a chip that records each write and erase made through it. */
export function linuxChip(image: Buffer = blankFlash()): { chip: SimFlash; recorder: FlashChip; ops: FlashOp[] } {
  const { flash, pageSize } = LINUX.layout;
  const chip = new SimFlash({ start: flash.start, size: flash.size, pageSize });
  chip.write(image, flash.start);
  return { chip, ...recording(chip) };
}

/** Wraps a chip so that every write and erase is logged with the bytes it left. */
export function recording(chip: SimFlash): { recorder: FlashChip; ops: FlashOp[] } {
  const ops: FlashOp[] = [];
  const recorder: FlashChip = {
    read: (length, addr) => chip.read(length, addr),
    getPage: (addr) => chip.getPage(addr),
    write: (data, addr) => {
      chip.write(data, addr);
      ops.push({ addr, bytes: Buffer.from(chip.read(data.length, addr)) });
    },
    erasePage: (addr) => {
      const page = chip.getPage(addr)!;
      chip.erasePage(addr);
      ops.push({ addr: page.addr, bytes: Buffer.alloc(page.length, 0xff) });
    },
  };
  return { recorder, ops };
}

/** SimStorage over a chip, as the Linux interpreter's Storage. */
export function linuxStorage(chip: FlashChip, console?: (text: string) => void): SimStorage {
  return new SimStorage(chip, AREA, console);
}

/** Powers on a simulated Linux board over `image` and runs `code` as a file, as the interpreter does. */
export function runOnSimulator(code: string, image: Buffer = blankFlash()): StorageRun {
  const { chip, recorder, ops } = linuxChip(image);
  let out = "";
  const device = new Device({
    layout: LINUX.layout,
    profile: profileFor(LINUX),
    flash: recorder,
    output: (text) => (out += text),
    hardReset: () => {
      throw new Error("the script rebooted the board");
    },
    watchdog: { enable: () => undefined, kick: () => undefined },
  });
  ops.length = 0;
  device.powerOn();
  const boot = splitLines(out);
  out = "";
  device.runScript(code, "script.js");
  return { boot, lines: splitLines(out), flash: Buffer.from(chip.read(LINUX.layout.flash.size, LINUX.layout.flash.start)), ops };
}

export const straceAvailable = spawnSync("strace", ["-V"]).status === 0;

/** Runs `code` as a file on the interpreter over `image`; with `trace`, under strace for its flash operations. */
export function runOnInterpreter(bin: string, code: string, image: Buffer = blankFlash(), trace = false): StorageRun {
  const dir = mkdtempSync(join(tmpdir(), "storage-fidelity-"));
  try {
    writeFileSync(join(dir, FLASH_FILE), image);
    writeFileSync(join(dir, "script.js"), code, "latin1");
    const traceFile = join(dir, "trace.txt");
    const [cmd, args] = trace
      ? ["strace", ["-qq", "-s", "0", "-e", "trace=openat,lseek,read,write,close", "-e", `write=${TRACED_FD}`, "-o", traceFile, bin, "script.js"]]
      : [bin, ["script.js"]];
    // SIGKILL: the interpreter ignores SIGTERM.
    const result = spawnSync(cmd, args as string[], { cwd: dir, input: "", timeout: 120_000, killSignal: "SIGKILL", encoding: "latin1", maxBuffer: 64 << 20 });
    if (result.error) throw result.error;
    const stdout = result.stdout.replace(/\r/g, "");
    const banner = stdout.indexOf(" ____");
    const boot = splitLines(banner >= 0 ? stdout.slice(0, banner) : "");
    const flash = readFileSync(join(dir, FLASH_FILE));
    const ops = trace ? parseFlashTrace(readFileSync(traceFile, "latin1")) : [];
    if (trace) {
      // The trace must account for every byte that changed: replayed on the image, it gives the flash file.
      const replayed = Buffer.from(image);
      for (const op of ops) op.bytes.copy(replayed, op.addr - LINUX.layout.flash.start);
      if (!replayed.equals(flash)) throw new Error("the strace log of flash writes does not replay to the interpreter's flash file");
    }
    return { boot, lines: interpreterLines(result.stdout), flash, ops };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The descriptor the interpreter's flash file gets: it opens and closes it for every operation, with nothing else open. */
const TRACED_FD = 3;

/**
 * Flash writes and erases from an strace log: the file position follows
 * lseek and read, the bytes of each write come from strace's hex dump, and
 * the writes of one open/close of espruino.flash make one operation.
 */
function parseFlashTrace(log: string): FlashOp[] {
  const ops: FlashOp[] = [];
  let open = false;
  let pos = 0;
  let session: FlashOp | undefined;
  let dump: number[] | undefined;
  const endWrite = () => {
    if (!dump) return;
    const bytes = Buffer.from(dump);
    const addr = LINUX.layout.flash.start + pos;
    if (session && session.addr + session.bytes.length === addr) session.bytes = Buffer.concat([session.bytes, bytes]);
    else ops.push((session = { addr, bytes }));
    pos += bytes.length;
    dump = undefined;
  };
  for (const line of log.split("\n")) {
    // " | 00000  58 02 00 00 66 30 00 00  00 00 00 00 00 00 00 00  X...f0.......... |": 16 bytes in fixed columns.
    if (dump && /^ \| [0-9a-f]{5}  /.test(line)) {
      dump.push(...line.slice(10, 59).trim().split(/ +/).map((b) => parseInt(b, 16)));
      continue;
    }
    endWrite();
    const fdCall = new RegExp(`^(\\w+)\\(${TRACED_FD}, (-?\\d+)?.*\\)\\s+= (-?\\d+)`).exec(line);
    if (/^openat\(AT_FDCWD, "espruino\.flash", .*\) = \d+$/.test(line)) {
      if (!line.endsWith(`= ${TRACED_FD}`)) throw new Error(`espruino.flash opened as another descriptor: ${line}`);
      [open, pos, session] = [true, 0, undefined];
    } else if (fdCall && open) {
      const [, call, , result] = fdCall;
      if (call === "lseek") pos = Number(result);
      else if (call === "read") pos += Number(result);
      else if (call === "write") dump = [];
      else if (call === "close") [open, session] = [false, undefined];
    }
  }
  endWrite();
  return ops;
}

function splitLines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.length > 0);
}

/** A script expression for a byte string, safe for any byte. */
export function bytesLiteral(s: string): string {
  return `atob(${JSON.stringify(Buffer.from(s, "latin1").toString("base64"))})`;
}

/** Deterministic test content of `length` bytes, all 256 values. */
export function content(seed: number, length: number): string {
  let x = seed * 2654435761 || 1;
  let out = "";
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out += String.fromCharCode(x & 0xff);
  }
  return out;
}

/**
 * A script that prints, for each file in Storage, its name (as character
 * codes if it is not printable ASCII: a broken chain can hold any bytes),
 * length and CRC32, then getStats().
 */
export const DESCRIBE_STORAGE = `var S = require("Storage");
function nm(n) { for (var i = 0; i < n.length; i++) { var c = n.charCodeAt(i); if (c < 32 || c > 126 || c === 34) return n.split("").map(function (x) { return x.charCodeAt(0); }).join("."); } return JSON.stringify(n); }
S.list().forEach(function (n) { var f = S.read(n); print("file " + nm(n) + " " + f.length + " " + E.CRC32(f)); });
print("stats " + JSON.stringify(S.getStats()));`;

