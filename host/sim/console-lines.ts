// A board's console as tools and tests read it: output split into lines
// (across every power-on), optionally echoed with a prefix, and waited on.
// Shared by the simulated board and the real interpreter run as a board.
import { EventEmitter } from "node:events";

/** A line of the interpreter's console without its line end, prompt and terminal codes. */
export function withoutPrompt(raw: string): string {
  return raw.replace(/\r/g, "").replace(/\x1b\[J/g, "").replace(/^>+/, "");
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
