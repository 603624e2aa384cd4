// A board's console through the `espruino` command-line tool (npm package
// espruino) in terminal mode: the tool opens the port (a serial port at the
// board's baud rate, or tcp://host:port for a network console) and keeps to
// the board's XON/XOFF flow control; what we write to its standard input goes
// to the board, and the board's output comes back on its standard output,
// read here line by line. Without network access the tool cannot fetch board
// descriptions, so it is given a local one listing the built-in modules.
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConsoleLines, withoutPrompt } from "../sim/console-lines.ts";
import { CONSOLE_BUSY } from "../sim/console-server.ts";

const CLI = createRequire(import.meta.url).resolve("espruino/bin/espruino-cli.js");
const BUILTIN_MODULES = ["Flash", "Storage", "net", "tls", "http", "crypto", "Wifi", "ESP32", "fs"];
const CONNECT_TIMEOUT_MS = 15_000;
/** What the tool itself prints once connected; not the board's output. */
const TOOL_LINES = [/^No process\.stdin\.setRawMode\(\)/, /^Press Ctrl-C again to exit/, /^Disconnected\.$/, /^STDIN ended/, /^RECEIVE ERROR:/];

/** Why a console could not be used. */
export type ConsoleFailure = "no-such-port" | "port-busy" | "refused" | "closed" | "silent" | "tool-failed";

export class ConsoleError extends Error {
  constructor(readonly failure: ConsoleFailure, message: string) {
    super(message);
  }
}

export class ConsoleSession extends ConsoleLines {
  /** Settles when the tool has exited (the console is gone). */
  readonly closed: Promise<void>;
  private toolOutput = "";
  private connected = false;

  private constructor(private readonly child: ChildProcess, readonly port: string, private readonly boardDir: string) {
    super(`the console at ${port}`, undefined, (raw) => {
      const line = withoutPrompt(raw.replace(/[\x11\x13]/g, ""));
      return line === "" || TOOL_LINES.some((re) => re.test(line)) ? undefined : line;
    });
    this.closed = new Promise((resolve) =>
      child.once("exit", () => {
        this.flushOutput();
        rmSync(boardDir, { recursive: true, force: true });
        this.emit("gone");
        resolve();
      }),
    );
  }

  /**
   * Opens the console at `port` (a serial port, or tcp://HOST:PORT).
   * Rejects with a ConsoleError naming what went wrong.
   */
  static open(port: string, baud: number): Promise<ConsoleSession> {
    const boardDir = mkdtempSync(join(tmpdir(), "fota-board-"));
    const boardFile = join(boardDir, "BOARD.json");
    writeFileSync(boardFile, JSON.stringify({ info: { name: "board", builtin_modules: BUILTIN_MODULES } }));
    // Sends at full speed ("Throttle Send: Never"): every line is answered before the next goes, and the tool still keeps to XON/XOFF.
    const args = [CLI, "--no-ble", "--board", boardFile, "--config", "SERIAL_THROTTLE_SEND=2", ...(port.startsWith("tcp://") ? [] : ["-b", String(baud)]), "-p", port];
    const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"] });
    const session = new ConsoleSession(child, port, boardDir);
    child.stdin!.on("error", () => undefined);
    child.stderr!.on("data", (d: Buffer) => (session.toolOutput += d.toString("latin1")));
    child.stdout!.on("data", (d: Buffer) => session.received(d.toString("latin1")));
    return new Promise((resolve, reject) => {
      const fail = (e: ConsoleError) => {
        clearTimeout(timer);
        clearInterval(watch);
        child.kill("SIGKILL");
        reject(e);
      };
      const timer = setTimeout(() => fail(new ConsoleError("tool-failed", `the espruino tool did not connect to ${port} within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
      const watch = setInterval(() => {
        const failure = session.connectFailure();
        if (failure) return fail(failure);
        if (session.connected) {
          clearTimeout(timer);
          clearInterval(watch);
          resolve(session);
        }
      }, 10);
      child.once("exit", () => {
        if (session.connected) return;
        fail(session.connectFailure() ?? new ConsoleError("tool-failed", `the espruino tool stopped before connecting to ${port}: ${lastLine(session.toolOutput)}`));
      });
    });
  }

  /** Sends text to the board as typed. */
  send(text: string): void {
    this.child.stdin!.write(text, "latin1");
  }

  /** True once the console has gone (the tool exited: the port closed or the board dropped the connection). */
  get isClosed(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** The first console line matching `pattern` from line `since` on; rejects on timeout or if the console closes first. */
  expect(pattern: RegExp, timeoutMs: number, since: number): Promise<string> {
    const seen = this.lines.slice(since).find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.off("line", onLine);
        this.off("gone", onGone);
      };
      const onLine = (line: string) => {
        if (!pattern.test(line)) return;
        done();
        resolve(line);
      };
      const onGone = () => {
        done();
        if (this.lines.includes(CONSOLE_BUSY)) reject(busy(this.port));
        else reject(new ConsoleError("closed", `the console at ${this.port} closed`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new ConsoleError("silent", `no answer within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.on("line", onLine);
      this.on("gone", onGone);
      if (this.isClosed) onGone();
    });
  }

  async close(): Promise<void> {
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 2000);
    await this.closed;
    clearTimeout(timer);
  }

  private received(text: string): void {
    if (this.connected) return this.output(text);
    this.toolOutput += text;
    const at = this.toolOutput.search(/Connected\r?\n/);
    if (at < 0) return;
    this.connected = true;
    const rest = this.toolOutput.slice(at).replace(/^Connected\r?\n/, "");
    this.toolOutput = this.toolOutput.slice(0, at);
    if (rest) this.output(rest);
  }

  /** What the tool printed about a connection that failed, as a ConsoleError. */
  private connectFailure(): ConsoleError | undefined {
    const out = this.toolOutput;
    const port = this.port;
    if (/Port ".*" not found/.test(out)) return new ConsoleError("no-such-port", `no serial port ${port} (is the board plugged in? "npx espruino --list" lists the ports)`);
    if (/Cannot lock port|Resource temporarily unavailable|EBUSY/.test(out)) return new ConsoleError("port-busy", `${port} is in use by another program (close the terminal or tool holding it and try again)`);
    if (out.includes(CONSOLE_BUSY)) return busy(port);
    if (/ECONNREFUSED/.test(out)) return new ConsoleError("refused", `nothing is listening at ${port} (start the board's console first, for example "fota sim")`);
    if (/ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ENETUNREACH/.test(out)) return new ConsoleError("refused", `cannot reach ${port}: ${/E[A-Z]+/.exec(out.slice(out.search(/ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ENETUNREACH/)))![0]}`);
    if (/Unable to connect|Permission denied|EACCES/.test(out)) return new ConsoleError("tool-failed", `cannot open ${port}: ${lastLine(out)}`);
    return undefined;
  }
}

function busy(port: string): ConsoleError {
  return new ConsoleError("port-busy", `the console at ${port} is in use by another connection (close it and try again)`);
}

function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  return lines[lines.length - 1] ?? "(no output)";
}
