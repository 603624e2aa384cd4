// The real Espruino interpreter (its Linux build) run as a board: a working
// folder holds the board's flash (espruino.flash), the interpreter starts with
// no file argument, so it runs the Storage file .bootcde from that flash as a
// board does at power-on, and when it exits (E.reboot() prints "Not
// implemented" and exits 1 on Linux) it is started again: the stand-in for a
// restart. Its console is collected line by line, as SimBoard's is.
//
// Measured on 2v29: with no file argument it starts in "interactive mode",
// prints no banner, and never exits on its own, even with nothing left to do.
// Its stdin is kept as a pipe that stays open: with /dev/null it reads end of
// file again and again and prints "New interpreter error: FIFO_FULL". Lines
// written to that pipe are its console input (echoed after a ">" prompt, the
// result printed as "=value"). It hooks SIGTERM and SIGINT and keeps running,
// so stopping it takes SIGKILL: a pulled plug. Run with a file argument it
// runs only that file (not .bootcde) and exits once nothing is pending.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { ConsoleLines } from "../sim/console-lines.ts";
import { closeSync, existsSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";

/** Where the Linux build's flash starts; espruino.flash holds it byte for byte (256 KB, Storage from the bottom). */
export const LINUX_FLASH_START = 0x10000000;
export const LINUX_FLASH_SIZE = 0x40000;
export const FLASH_FILE = "espruino.flash";

export type InterpreterBootReason = "power-on" | "reboot" | "exit" | "power-cycle";

export interface InterpreterBoardOptions {
  /** The interpreter binary ($ESPRUINO_BIN). */
  bin: string;
  /** The board's folder: its espruino.flash is the board's flash. */
  dir: string;
  /** Copy console lines to this process's stdout with this prefix. */
  echo?: string;
}

/** Console lines of every start, prompts and terminal codes removed. */
export class InterpreterBoard extends ConsoleLines {
  boots = 0;
  lastBootReason: InterpreterBootReason = "power-on";
  private child: ChildProcess | undefined;
  private stopped = false;

  private constructor(private readonly options: InterpreterBoardOptions) {
    super("the interpreter's console", options.echo, cleanLine);
  }

  static start(options: InterpreterBoardOptions): InterpreterBoard {
    const board = new InterpreterBoard(options);
    board.powerOn("power-on");
    return board;
  }

  /** Types one line at the console (the interpreter's REPL). */
  type(line: string): void {
    if (line.includes("\n")) throw new Error("type(): one line at a time");
    this.child?.stdin?.write(line + "\n");
  }

  /** Pulls the plug and plugs it back in. */
  async powerCycle(): Promise<void> {
    await this.kill();
    this.powerOn("power-cycle");
  }

  /** Pulls the plug for good. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.kill();
  }

  private powerOn(reason: InterpreterBootReason): void {
    this.boots++;
    this.lastBootReason = reason;
    const child = spawn(this.options.bin, [], { cwd: this.options.dir, stdio: ["pipe", "pipe", "pipe"] });
    this.child = child;
    // Its stderr says only how it started ("espruino: Interactive mode." and the hooks it added).
    child.stderr!.resume();
    child.stdout!.on("data", (buf: Buffer) => this.output(buf.toString("latin1")));
    child.on("exit", () => this.onExit(child));
    child.stdin!.on("error", () => undefined);
    this.emit("boot", reason);
  }

  private onExit(child: ChildProcess): void {
    if (this.child !== child) return;
    this.flushOutput();
    if (this.stopped || (child as { unplugged?: boolean }).unplugged) return;
    const rebooted = this.lines.length > 0 && this.lines[this.lines.length - 1] === "Not implemented";
    this.powerOn(rebooted ? "reboot" : "exit");
  }

  private kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    (child as { unplugged?: boolean }).unplugged = true;
    return new Promise((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }
}

/** A console line without its line end, the terminal's clear-line code and the prompt; empty ones are dropped. */
function cleanLine(raw: string): string | undefined {
  const line = raw.replace(/\r/g, "").replace(/\x1b\[J/g, "").replace(/^>+/, "");
  return line === "" ? undefined : line;
}

/**
 * Runs one script in the board's folder, as the interpreter runs a file (not
 * .bootcde), and returns its console lines once it exits: how files get into
 * the board's Storage the real way, in Espruino's own Storage format.
 */
export function runInFolder(bin: string, dir: string, code: string, timeoutMs = 60_000): string[] {
  const script = join(dir, "setup-script.js");
  writeFileSync(script, code, "latin1");
  const result = spawnSync(bin, ["setup-script.js"], { cwd: dir, input: "", timeout: timeoutMs, killSignal: "SIGKILL", encoding: "latin1" });
  if (result.error) throw result.error;
  const text = (result.stdout ?? "").replace(/\r/g, "");
  const lines = text.split("\n");
  const banner = lines.findIndex((l) => l.includes("espruino.com/Donate"));
  return lines.slice(banner + 1).flatMap((l) => cleanLine(l) ?? []);
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
