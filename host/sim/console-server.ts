// The board's console on a TCP port, as the interpreter's telnet console:
// what it prints goes to every client; lines typed are evaluated in the
// device. A line starting with \x10 is not echoed (the espruino CLI's way of
// sending code quietly); \x03 clears the line being typed.
import net from "node:net";
import { describeThrown } from "./device.ts";

export interface ConsoleTarget {
  evaluate(code: string): unknown;
  print(text: string): void;
}

export class ConsoleServer {
  private readonly clients = new Set<net.Socket>();
  private readonly server: net.Server;

  constructor(private readonly device: ConsoleTarget) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => resolve((this.server.address() as net.AddressInfo).port));
    });
  }

  broadcast(text: string): void {
    for (const c of this.clients) c.write(Buffer.from(text, "latin1"));
  }

  private accept(socket: net.Socket): void {
    this.clients.add(socket);
    socket.on("close", () => this.clients.delete(socket));
    socket.on("error", () => socket.destroy());
    let pending = "";
    socket.on("data", (buf) => {
      for (const ch of buf.toString("latin1")) {
        if (ch === "\x03") {
          pending = "";
          continue;
        }
        if (ch !== "\n" && ch !== "\r") {
          pending += ch;
          continue;
        }
        if (pending.length === 0 || !balanced(pending)) {
          if (pending.length > 0) pending += "\n";
          continue;
        }
        this.run(pending);
        pending = "";
      }
    });
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
