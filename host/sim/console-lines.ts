// A board's console as tools and tests read it: output split into lines
// (across every power-on), optionally echoed with a prefix, and waited on.
// Shared by the simulated board and the real interpreter run as a board.
import { EventEmitter } from "node:events";

/**
 * A line of the interpreter's console as a terminal shows it, without the
 * prompt: carriage return, cursor left and right, and erase to the end are
 * applied, other codes dropped. The interpreter prints output that comes
 * while a line is being typed by moving back over the echoed input, then
 * "\r" and ESC[J (jsiConsoleRemoveInputLine in src/jsinteractive.c), so that
 * output starts its line only once these are applied.
 */
export function withoutPrompt(raw: string): string {
  let line = "";
  let cursor = 0;
  for (let i = 0; i < raw.length; i++) {
    const code = raw[i] === "\x1b" ? /^\x1b\[(\d*)([A-Za-z])/.exec(raw.slice(i)) : null;
    if (code) {
      const n = Number(code[1] || 1);
      if (code[2] === "D") cursor = Math.max(0, cursor - n);
      else if (code[2] === "C") cursor = Math.min(line.length, cursor + n);
      else if (code[2] === "J" || code[2] === "K") line = line.slice(0, cursor);
      i += code[0].length - 1;
    } else if (raw[i] === "\r") {
      cursor = 0;
    } else {
      line = line.slice(0, cursor) + raw[i] + line.slice(cursor + 1);
      cursor++;
    }
  }
  return line.replace(/^>+/, "");
}

export class ConsoleLines extends EventEmitter {
  /** Every console line so far, without line ends. */
  readonly lines: string[] = [];
  private partial = "";

  /**
   * @param where names the console in timeout messages
   * @param clean turns a raw line into what is kept (undefined drops it)
   */
  constructor(private readonly where: string, private readonly echo?: string, private readonly clean: (raw: string) => string | undefined = (raw) => raw) {
    super();
  }

  /**
   * Resolves with the first console line matching, among those printed from
   * line index `since` on (default: all since the board was started).
   */
  waitFor(pattern: RegExp, timeoutMs = 10_000, since = 0): Promise<string> {
    const seen = this.lines.slice(since).find((l) => pattern.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off("line", onLine);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern} on ${this.where}; last lines:\n${this.lines.slice(-15).join("\n")}`));
      }, timeoutMs);
      const onLine = (line: string) => {
        if (!pattern.test(line)) return;
        clearTimeout(timer);
        this.off("line", onLine);
        resolve(line);
      };
      this.on("line", onLine);
    });
  }

  /** Output as it arrives; whole lines are kept, the rest waits for its end. */
  protected output(text: string): void {
    this.partial += text;
    const parts = this.partial.split("\n");
    this.partial = parts.pop() ?? "";
    for (const line of parts) this.addLine(line);
  }

  /** The output ended (the board stopped): a last unterminated line counts too. */
  protected flushOutput(): void {
    const rest = this.partial;
    this.partial = "";
    if (rest) this.addLine(rest);
  }

  private addLine(raw: string): void {
    const line = this.clean(raw.replace(/\r$/, ""));
    if (line === undefined) return;
    this.lines.push(line);
    if (this.echo !== undefined) process.stdout.write(`${this.echo} ${line}\n`);
    this.emit("line", line);
  }
}
