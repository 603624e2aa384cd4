// The interpreter's Linux build and its folder: a script run there as the
// interpreter runs a file, Storage files written through the interpreter's own
// require("Storage"), raw flash programmed into its flash file (espruino.flash).
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withoutPrompt } from "../sim/console-lines.ts";

/** Where the Linux build's flash starts; espruino.flash holds it byte for byte (256 KB, Storage from the bottom). */
export const LINUX_FLASH_START = 0x10000000;
export const LINUX_FLASH_SIZE = 0x40000;
export const FLASH_FILE = "espruino.flash";

/** The interpreter's stdout without its banner, prompts and terminal codes. */
export function interpreterLines(stdout: string): string[] {
  const lines = stdout.split("\n").map(withoutPrompt);
  const donate = lines.findIndex((l) => l.includes("espruino.com/Donate"));
  return lines
    .slice(donate >= 0 ? donate + 1 : 0)
    // Stack lines and their caret markers follow every Uncaught error; the simulator prints only the error.
    .filter((l) => l.length > 0 && !/^\s+at /.test(l) && !/^\s*\^$/.test(l) && l !== "Uncaught undefined");
}

/** Runs a script on the interpreter in a fresh, empty folder; returns its printed lines. */
export function runOnInterpreter(bin: string, code: string, timeoutMs = 20_000): string[] {
  const dir = mkdtempSync(join(tmpdir(), "espruino-run-"));
  try {
    return runInFolder(bin, dir, code, timeoutMs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs one script in the board's folder, as the interpreter runs a file (not
 * .bootcde), and returns its console lines once it exits: how files get into
 * the board's Storage the real way, in Espruino's own Storage format.
 */
export function runInFolder(bin: string, dir: string, code: string, timeoutMs = 60_000): string[] {
  const script = join(dir, "setup-script.js");
  writeFileSync(script, code, "latin1");
  // SIGKILL: the interpreter ignores SIGTERM.
  const result = spawnSync(bin, ["setup-script.js"], { cwd: dir, input: "", timeout: timeoutMs, killSignal: "SIGKILL", encoding: "latin1" });
  if (result.error && (result.error as NodeJS.ErrnoException).code !== "ETIMEDOUT") throw result.error;
  return interpreterLines(result.stdout ?? "");
}

/** Writes files into the board's Storage (byte strings), through the interpreter's own require("Storage"). */
export function writeStorageFiles(bin: string, dir: string, files: Record<string, string>): void {
  const names = Object.keys(files);
  const writes = names.map((name) => `require("Storage").write(${JSON.stringify(name)}, atob(${JSON.stringify(Buffer.from(files[name], "latin1").toString("base64"))}));`);
  const check = names.map((name) => `if (require("Storage").read(${JSON.stringify(name)}) !== atob(${JSON.stringify(Buffer.from(files[name], "latin1").toString("base64"))})) print("STORAGE MISMATCH " + ${JSON.stringify(name)});`);
  const lines = runInFolder(bin, dir, [...writes, ...check, `print("STORAGE WRITTEN");`].join("\n"));
  if (!lines.includes("STORAGE WRITTEN") || lines.some((l) => l.startsWith("STORAGE MISMATCH") || l.startsWith("Uncaught"))) {
    throw new Error(`writing Storage files ${names.join(", ")} failed:\n${lines.join("\n")}`);
  }
}

/**
 * Programs bytes straight into the board's flash file at a flash address, as
 * a flasher does (the page is taken as erased: the bytes replace what was
 * there). Keep clear of Storage, which fills the flash from its start.
 */
export function writeRawFlash(dir: string, addr: number, bytes: Uint8Array): void {
  if (addr < LINUX_FLASH_START || addr + bytes.length > LINUX_FLASH_START + LINUX_FLASH_SIZE) {
    throw new Error(`0x${addr.toString(16)}+${bytes.length} lies outside the Linux build's flash`);
  }
  const file = join(dir, FLASH_FILE);
  if (!existsSync(file)) writeFileSync(file, new Uint8Array(LINUX_FLASH_SIZE).fill(0xff));
  const fd = openSync(file, "r+");
  try {
    writeSync(fd, bytes, 0, bytes.length, addr - LINUX_FLASH_START);
  } finally {
    closeSync(fd);
  }
}
