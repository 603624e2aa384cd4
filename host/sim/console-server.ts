// A board's console on a local TCP port, as a USB-serial adapter stands in
// front of a real board: it stays up while the board restarts, carries one
// connection at a time (a second one is told the console is busy and closed),
// passes what the board prints to the connection and what the connection sends
// to the board, optionally at the board's line rate in each direction.
import net from "node:net";

/** The line a second connection reads before it is closed (`fota flash` recognises it). */
export const CONSOLE_BUSY = "console busy: another connection is using this board's console";

export class ConsoleServer {
  private readonly server: net.Server;
  private client: net.Socket | undefined;
  private readonly toClient: LineRate;
  private readonly toBoard: LineRate;

  /**
   * @param input receives what the connection sends, for the board
   * @param bytesPerSecond the board's line rate (undefined: no limit)
   */
  constructor(input: (text: string) => void, bytesPerSecond?: number) {
    this.toBoard = new LineRate(input, bytesPerSecond);
    this.toClient = new LineRate((text) => this.client?.write(Buffer.from(text, "latin1")), bytesPerSecond);
    this.server = net.createServer((socket) => this.accept(socket));
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => resolve((this.server.address() as net.AddressInfo).port));
    });
  }

  /** What the board prints; lost when nobody is connected, as on a serial line. */
  write(text: string): void {
    if (this.client) this.toClient.push(text);
  }

  close(): Promise<void> {
    this.client?.destroy();
    this.toBoard.clear();
    this.toClient.clear();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    socket.on("error", () => socket.destroy());
    if (this.client) {
      socket.end(`${CONSOLE_BUSY}\r\n`);
      return;
    }
    this.client = socket;
    socket.setNoDelay(true);
    socket.on("close", () => {
      if (this.client !== socket) return;
      this.client = undefined;
      this.toClient.clear();
    });
    socket.on("data", (buf) => this.toBoard.push(buf.toString("latin1")));
  }
}

/** Text passed on no faster than a serial line carries it. */
class LineRate {
  private queue = "";
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private credit = 0;

  constructor(private readonly deliver: (text: string) => void, private readonly bytesPerSecond?: number) {}

  push(text: string): void {
    if (this.bytesPerSecond === undefined) return this.deliver(text);
    this.queue += text;
    if (!this.timer) {
      this.last = performance.now();
      this.credit = 0;
      this.timer = setInterval(() => this.drain(), 5);
    }
  }

  clear(): void {
    this.queue = "";
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private drain(): void {
    const now = performance.now();
    this.credit += ((now - this.last) * this.bytesPerSecond!) / 1000;
    this.last = now;
    const n = Math.min(this.queue.length, Math.floor(this.credit));
    if (n > 0) {
      const text = this.queue.slice(0, n);
      this.queue = this.queue.slice(n);
      this.credit -= n;
      this.deliver(text);
    }
    if (this.queue.length === 0) this.clear();
  }
}
