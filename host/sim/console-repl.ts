// The interpreter's REPL as its console feeds it: characters typed become
// lines, and a line runs once its brackets close (the interpreter waits for
// more lines otherwise). A line starting with \x10 runs without its result
// being printed (the espruino tool's way of sending code quietly); \x03 clears
// the line being typed.
import { describeThrown } from "./device.ts";

export interface ConsoleTarget {
  evaluate(code: string): unknown;
  print(text: string): void;
}

export class ConsoleRepl {
  private pending = "";

  constructor(private readonly device: ConsoleTarget) {}

  /** Characters from the console, in any pieces. */
  type(text: string): void {
    for (const ch of text) {
      if (ch === "\x03") {
        this.pending = "";
        continue;
      }
      if (ch !== "\n" && ch !== "\r") {
        this.pending += ch;
        continue;
      }
      if (this.pending.length === 0 || !balanced(this.pending)) {
        if (this.pending.length > 0) this.pending += "\n";
        continue;
      }
      const line = this.pending;
      this.pending = "";
      this.run(line);
    }
  }

  private run(line: string): void {
    const quiet = line.startsWith("\x10");
    const code = line.replace(/^\x10+/, "");
    try {
      const result = this.device.evaluate(code);
      if (!quiet) this.device.print(`=${result === undefined ? "undefined" : JSON.stringify(result) ?? String(result)}`);
    } catch (e) {
      this.device.print(`Uncaught ${describeThrown(e)}`);
    }
  }
}

/** True when brackets close (the interpreter waits for more lines otherwise). */
function balanced(code: string): boolean {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'" || c === "`") quote = c;
    else if ("{([".includes(c)) depth++;
    else if ("})]".includes(c)) depth--;
  }
  return depth <= 0 && quote === null;
}
