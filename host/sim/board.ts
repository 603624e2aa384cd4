// A simulated board as tests and tools see it: it powers on, prints to its
// console, restarts on E.reboot(), on a watchdog timeout and after a power
// cut, always over the same flash file. Each power-on is its own process, so
// nothing but flash survives a restart and a hung script can trip the watchdog.
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadBoard } from "../toolchain/board.ts";
import { SimFlash } from "./flash.ts";
import { SimStorage } from "./storage.ts";
import { ConsoleLines } from "./console-lines.ts";
import { ConsoleServer } from "./console-server.ts";
import { BOARD_SPEED_EXEC_ARGV } from "./board-speed.ts";
import { EXIT, type DeviceConfig, type DeviceMessage, type SupervisorMessage } from "./protocol.ts";

const DEVICE_MAIN = fileURLToPath(new URL("./device-main.ts", import.meta.url));

export interface SimBoardOptions {
  board: string;
  flashFile: string;
  /** Serve the console on this TCP port (0: any free port); it stays up across restarts. */
  consolePort?: number;
  /** Run at the board's speed (boards/<name>.json "speed": interpreter, flash, console line rate). */
  atBoardSpeed?: boolean;
  /** Copy console output to this process's stdout with a prefix (for `npm run sim` and demos). */
  echo?: string;
  /** Extra environment for the board's process. */
  env?: NodeJS.ProcessEnv;
}

export type BootReason = "power-on" | "reboot" | "watchdog" | "power-cut" | "power-cycle";

/** Writes files into a board's Storage before it powers on (what a flasher does through the running interpreter). */
export function writeStorage(board: string, flashFile: string, files: Record<string, string>): void {
  const { layout, interpreter } = loadBoard(board);
  const flash = new SimFlash({ start: layout.flash.start, size: layout.flash.size, pageSize: layout.pageSize, file: flashFile });
  const storage = new SimStorage(flash, interpreter.storage);
  storage.powerOn();
  for (const [name, content] of Object.entries(files)) storage.write(name, content);
}

export class SimBoard extends ConsoleLines {
  boots = 0;
  lastBootReason: BootReason = "power-on";
  consolePort: number | undefined;
  /** At the board's speed: how much slower device JavaScript runs than it would on this host. */
  clockFactor: number | undefined;
  private console: ConsoleServer | undefined;
  private child: ChildProcess | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  private watchdogMs = 0;
  private stopped = false;
  private nextEvalId = 1;
  private pendingPowerCut: DeviceConfig["powerCut"];
  /** Settles when the current power-on has run its boot code. */
  private booted: Promise<void> = Promise.resolve();

  private constructor(private readonly options: SimBoardOptions) {
    super("the board's console", options.echo);
  }

  static async start(options: SimBoardOptions): Promise<SimBoard> {
    const board = new SimBoard(options);
    if (options.consolePort !== undefined) {
      const lineRate = options.atBoardSpeed ? loadBoard(options.board).speed.consoleBytesPerSecond.typical : undefined;
      board.console = new ConsoleServer((text) => board.send({ type: "console", text }), lineRate);
      board.consolePort = await board.console.listen(options.consolePort);
    }
    await board.powerOn("power-on");
    return board;
  }

  /** The N-th flash write or erase from now loses power ("torn": half done). */
  cutPowerAfter(opsFromNow: number, mode: "clean" | "torn" = "clean"): void {
    this.send({ type: "power-cut", opsFromNow, mode });
  }

  /** Arms a power cut counted from the next power-on. */
  cutPowerOnNextBoot(opsFromNow: number, mode: "clean" | "torn" = "clean"): void {
    this.pendingPowerCut = { opsFromNow, mode };
  }

  dropNetwork(): void {
    this.send({ type: "network-drop" });
  }

  stallNetwork(on: boolean): void {
    this.send({ type: "network-stall", on });
  }

  /** Evaluates an expression in the running device (once it has booted) and returns its JSON. */
  async evaluate(code: string): Promise<unknown> {
    await this.booted;
    const id = this.nextEvalId++;
    return new Promise((resolve, reject) => {
      const onMessage = (msg: DeviceMessage) => {
        if (msg.type !== "eval-result" || msg.id !== id) return;
        this.child?.off("message", onMessage);
        if (msg.error) reject(new Error(msg.error));
        else resolve(msg.value === "undefined" ? undefined : JSON.parse(msg.value!));
      };
      this.child?.on("message", onMessage);
      this.send({ type: "eval", id, code });
    });
  }

  /** Pulls the plug and plugs it back in. */
  async powerCycle(): Promise<void> {
    await this.kill();
    await this.powerOn("power-cycle");
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.kill();
    await this.console?.close();
  }

  private send(msg: SupervisorMessage): void {
    if (this.child?.connected) this.child.send(msg);
  }

  private powerOn(reason: BootReason): Promise<void> {
    this.boots++;
    this.lastBootReason = reason;
    this.watchdogMs = 0;
    clearTimeout(this.watchdogTimer);
    const config: DeviceConfig = {
      board: this.options.board,
      flashFile: this.options.flashFile,
      atBoardSpeed: this.options.atBoardSpeed,
      powerCut: this.pendingPowerCut,
    };
    this.pendingPowerCut = undefined;
    const child = fork(DEVICE_MAIN, [], {
      execArgv: [...(this.options.atBoardSpeed ? BOARD_SPEED_EXEC_ARGV : []), "--import", "tsx"],
      env: { ...process.env, ...this.options.env, FOTA_SIM_CONFIG: JSON.stringify(config) },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    this.child = child;
    child.stdout!.on("data", (buf: Buffer) => {
      const text = buf.toString("latin1");
      this.output(text);
      this.console?.write(text);
    });
    child.stderr!.on("data", (buf: Buffer) => this.output(`[sim stderr] ${buf.toString("latin1")}`));
    child.on("message", (msg: DeviceMessage) => this.onMessage(msg));
    child.on("exit", (code, signal) => this.onExit(child, code, signal));
    this.emit("boot", reason);
    this.booted = new Promise((resolve, reject) => {
      // The boot code may send watchdog messages before "ready".
      const onReady = (msg: DeviceMessage) => {
        if (msg.type !== "ready") return;
        child.off("message", onReady);
        this.clockFactor = msg.clockFactor;
        resolve();
      };
      child.on("message", onReady);
      child.once("exit", () => resolve());
      child.once("error", reject);
    });
    return this.booted;
  }

  private onMessage(msg: DeviceMessage): void {
    if (msg.type === "watchdog") {
      this.watchdogMs = msg.seconds * 1000;
      this.kickWatchdog();
    } else if (msg.type === "kick") {
      this.kickWatchdog();
    }
  }

  private kickWatchdog(): void {
    clearTimeout(this.watchdogTimer);
    if (this.watchdogMs <= 0) return;
    const child = this.child;
    this.watchdogTimer = setTimeout(() => {
      if (!child || this.child !== child || this.stopped) return;
      this.output("\r\n[sim: watchdog reset]\r\n");
      this.restartAfter(child, "watchdog");
    }, this.watchdogMs);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.flushOutput();
    if (this.stopped || (child as { restarting?: boolean }).restarting) return;
    if (code === EXIT.reboot) void this.powerOn("reboot");
    else if (code === EXIT.powerCut) void this.powerOn("power-cut");
    else {
      this.child = undefined;
      this.emit("halt", code, signal);
    }
  }

  private restartAfter(child: ChildProcess, reason: BootReason): void {
    (child as { restarting?: boolean }).restarting = true;
    child.once("exit", () => void this.powerOn(reason));
    child.kill("SIGKILL");
  }

  private kill(): Promise<void> {
    clearTimeout(this.watchdogTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    (child as { restarting?: boolean }).restarting = true;
    return new Promise((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }
}
