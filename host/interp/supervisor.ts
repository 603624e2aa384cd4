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
//
// Its console can also be served on a local TCP port (what `fota sim
// --interpreter` gives `fota flash`): bytes go both ways unchanged, and the
// port stays up while the interpreter restarts, as a USB-serial adapter does.
// The interpreter reads its standard input at most 511 bytes per 50 ms
// (targets/linux/jshardware.c), about 10 KB/s: close to an ESP32's 115200-baud
// console. Its own --telnet console is faster but listens on every interface
// at a fixed port (2323), with no password.
//
// That standard input is read by a second thread, which appends to the event
// the main thread may be taking out of the same ring buffer at that moment:
// jshInterruptOff() is empty on Linux (targets/linux/jshardware.c), so nothing
// stops the two. When they meet, the main thread reads a data byte as an
// event's length and the interpreter dies with "ASSERT(len <= 64) FAILED AT
// src/jsdevices.c" (docs/interpreter.md). Measured with fota flash over this
// console on an idle 2-core machine: 3 of 4 provisionings died. So the
// interpreter runs pinned to one CPU (taskset), where the threads only meet if
// one is preempted inside those few instructions.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { ConsoleLines, withoutPrompt } from "../sim/console-lines.ts";
import { ConsoleServer } from "../sim/console-server.ts";


export type InterpreterBootReason = "power-on" | "reboot" | "exit" | "power-cycle";

export interface InterpreterBoardOptions {
  /** The interpreter binary ($ESPRUINO_BIN). */
  bin: string;
  /** The board's folder: its espruino.flash is the board's flash. */
  dir: string;
  /** Copy console lines to this process's stdout with this prefix. */
  echo?: string;
  /** Serve the console on this local TCP port (0: any free port). */
  consolePort?: number;
  /** More arguments for the interpreter (such as --telnet). */
  args?: string[];
}

/** Console lines of every start, prompts and terminal codes removed. */
export class InterpreterBoard extends ConsoleLines {
  boots = 0;
  lastBootReason: InterpreterBootReason = "power-on";
  /** The TCP port of the console, when served. */
  consolePort: number | undefined;
  private child: ChildProcess | undefined;
  private stopped = false;
  private console: ConsoleServer | undefined;

  private constructor(private readonly options: InterpreterBoardOptions) {
    super("the interpreter's console", options.echo, cleanLine);
  }

  static start(options: InterpreterBoardOptions): InterpreterBoard {
    const board = new InterpreterBoard(options);
    board.powerOn("power-on");
    return board;
  }

  /** Starts the interpreter with its console served on a TCP port (options.consolePort, default any). */
  static async serve(options: InterpreterBoardOptions): Promise<InterpreterBoard> {
    const board = new InterpreterBoard(options);
    board.console = new ConsoleServer((text) => board.child?.stdin?.write(text, "latin1"));
    board.consolePort = await board.console.listen(options.consolePort ?? 0);
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
    await this.console?.close();
  }

  private powerOn(reason: InterpreterBootReason): void {
    this.boots++;
    this.lastBootReason = reason;
    const [command, args] = pinnedToOneCpu(this.options.bin, this.options.args ?? []);
    const child = spawn(command, args, { cwd: this.options.dir, stdio: ["pipe", "pipe", "pipe"] });
    this.child = child;
    // Its stderr says only how it started ("espruino: Interactive mode." and the hooks it added).
    child.stderr!.resume();
    child.stdout!.on("data", (buf: Buffer) => {
      const text = buf.toString("latin1");
      this.output(text);
      this.console?.write(text);
    });
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

/** The command running `bin` on the first CPU this process may use (taskset), or `bin` itself where taskset is missing. */
function pinnedToOneCpu(bin: string, args: string[]): [string, string[]] {
  if (firstCpu === null) firstCpu = findFirstCpu();
  return firstCpu === undefined ? [bin, args] : ["taskset", ["-c", firstCpu, bin, ...args]];
}

/** Looked up once per process; undefined: no CPU to pin to (no taskset, or no CPU list). */
let firstCpu: string | undefined | null = null;

function findFirstCpu(): string | undefined {
  const allowed = /^Cpus_allowed_list:\s*(\d+)/m.exec(readFileSync("/proc/self/status", "utf8"));
  const hasTaskset = spawnSync("taskset", ["--version"], { stdio: "ignore" }).status === 0;
  return allowed && hasTaskset ? allowed[1] : undefined;
}

/** A console line without its line end, the terminal's clear-line code and the prompt; empty ones are dropped. */
function cleanLine(raw: string): string | undefined {
  const line = withoutPrompt(raw);
  return line === "" ? undefined : line;
}
