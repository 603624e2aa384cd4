// What `fota flash` says to a board over its console, and how long it waits
// for each answer. Every command is one line sent quietly (\x10: no echo, no
// "=result"); the board answers with a line starting "FOTA ". Files go into
// Storage in chunks of at most CHUNK bytes, each line a string literal
// (printable bytes as they are, the rest escaped) or atob("...") when that is
// shorter; one chunk at a time, so the board's input never overflows whatever
// it is doing, and each chunk is answered with the CRC-32 of what the board
// then reads back from its Storage. Timeouts follow from the board's speed
// figures (boards/<name>.json "speed", worst cases) and the amount of work.
import { crc32 } from "node:zlib";
import type { BoardFile } from "../toolchain/board.ts";
import { ConsoleError, type ConsoleSession } from "./console-session.ts";

/** File bytes per console line: about 0.35 s of a 115200-baud line, and a few hundred of the ESP32's variables. */
export const CHUNK = 4096;

/**
 * The firmware's MD5 in JavaScript costs about this many iterations of the
 * reference loop per byte (Linux build: 100 KB/s where the loop runs 191,000
 * times a second): what hashing an image takes on a board, from its loop speed.
 */
const HASH_LOOPS_PER_BYTE = 1.9;
/** Timeouts allow this many times the worst-case estimate, plus slack for the link. */
const MARGIN = 3;
const SLACK_MS = 3000;
/** A restarting board has finished its first words once it has been quiet this long. */
const QUIET_MS = 1500;

export interface WrittenFile {
  name: string;
  bytes: number;
  crc32: number;
}

/** An answer that is not the expected one, or none: what the board did, for the user. */
export class BoardError extends Error {}

export class BoardConsole {
  private sequence = 0;
  private receiverReady = false;

  constructor(private readonly session: ConsoleSession, private readonly board: BoardFile) {}

  /** Lines the board printed so far (for messages). */
  get lines(): string[] {
    return this.session.lines;
  }

  /**
   * Asks the board who it is: the interpreter's process.env.BOARD and VERSION.
   * Resolves undefined when nothing answers within `timeoutMs`.
   */
  async hello(timeoutMs = this.lineTimeout(200)): Promise<{ board: string; version: string } | undefined> {
    try {
      const line = await this.command(`print("FOTA hello "+JSON.stringify([process.env.BOARD,process.env.VERSION]))`, /^FOTA hello /, timeoutMs);
      const [board, version] = JSON.parse(line.slice("FOTA hello ".length)) as [string, string];
      return { board, version };
    } catch (e) {
      if (e instanceof ConsoleError && e.failure === "silent") return undefined;
      throw e;
    }
  }

  /** Clears a half-typed line (and interrupts running code), as Ctrl-C at a terminal. */
  interrupt(): void {
    this.session.send("\x03");
  }

  /** Stops whatever the board runs: its RAM is cleared, Storage kept (the interpreter's reset()). */
  async reset(): Promise<void> {
    this.session.send("\x10reset()\n");
    this.receiverReady = false;
    if (!(await this.hello())) throw new BoardError("the board did not answer after reset()");
  }

  /** Erases the whole of Storage (eraseAll(): page by page on the board). */
  async eraseStorage(): Promise<void> {
    const { layout, speed } = this.board;
    const pages = layout.storage.size / layout.pageSize;
    const worstMs = pages * (speed.flashErasePageMs.max ?? speed.flashErasePageMs.typical);
    await this.command(`require("Storage").eraseAll();print("FOTA erased")`, /^FOTA erased$/, MARGIN * worstMs + SLACK_MS);
  }

  /** Time an eraseAll() usually takes on this board, in ms. */
  typicalEraseMs(): number {
    const { layout, speed } = this.board;
    return (layout.storage.size / layout.pageSize) * speed.flashErasePageMs.typical;
  }

  /** Writes a file into Storage chunk by chunk, each checked by the board; `progress` after each chunk. */
  async upload(name: string, bytes: Buffer, progress?: (done: number) => void): Promise<WrittenFile> {
    if (!this.receiverReady) await this.defineReceiver();
    for (let offset = 0; offset < bytes.length || offset === 0; offset += CHUNK) {
      const chunk = bytes.subarray(offset, offset + CHUNK);
      const q = ++this.sequence;
      const data = encode(chunk);
      const code = `FOTA_W(${q},${JSON.stringify(name)},${offset},${data},${bytes.length})`;
      const line = await this.command(code, new RegExp(`^FOTA (ack|fail) ${q} `), this.chunkTimeout(code.length + 2, chunk.length), `writing ${name} at ${offset}`);
      const [, verdict, , detail] = /^FOTA (ack|fail) (\d+) (.*)$/.exec(line)!;
      if (verdict === "fail") throw new BoardError(`the board could not write ${name} at offset ${offset}: ${detail}`);
      const expected = crc32(chunk);
      if (Number(detail) !== expected) {
        throw new BoardError(`the board stored different bytes for ${name} at offset ${offset} (CRC-32 ${hex(Number(detail))}, sent ${hex(expected)}): a noisy line? run fota flash again`);
      }
      progress?.(offset + chunk.length);
      if (bytes.length === 0) break;
    }
    return { name, bytes: bytes.length, crc32: crc32(bytes) };
  }

  /**
   * Runs a script stored in Storage and waits for its one-line verdict
   * (`answer`), allowing for work on `imageBytes`: erasing and programming
   * that much flash and hashing it twice in JavaScript, at the board's worst case.
   * It runs from a RAM copy ("" + ...): a script may erase its own file, and
   * code run from a Storage file that is erased stops there (docs/interpreter.md).
   */
  async runStored(preamble: string, file: string, answer: RegExp, imageBytes: number): Promise<string> {
    const { layout, speed } = this.board;
    const pages = Math.ceil(imageBytes / layout.pageSize);
    const worstMs =
      pages * (speed.flashErasePageMs.max ?? speed.flashErasePageMs.typical) +
      Math.ceil(imageBytes / 256) * (speed.flashProgram256Ms.max ?? speed.flashProgram256Ms.typical) +
      (2 * imageBytes * HASH_LOOPS_PER_BYTE * 1000) / speed.interpreterLoopsPerSecond.typical +
      (imageBytes * 1000) / speed.crc32BytesPerSecond.typical;
    return this.command(`${preamble}eval(""+require("Storage").read(${JSON.stringify(file)}))`, answer, MARGIN * worstMs + SLACK_MS, `running ${file}`);
  }

  /** The CRC-32 the board computes over each named Storage file (-1: no such file). */
  async readBack(names: string[]): Promise<number[]> {
    const code = `print("FOTA readback "+JSON.stringify(${JSON.stringify(names)}.map(function(n){var d=require("Storage").read(n);return d===undefined?-1:E.CRC32(d);})))`;
    const line = await this.command(code, /^FOTA readback /, this.lineTimeout(code.length) + SLACK_MS);
    return JSON.parse(line.slice("FOTA readback ".length)) as number[];
  }

  /**
   * Restarts the board (E.reboot()) and listens: the lines it prints as it
   * starts again (until it has been quiet a moment); if it prints nothing
   * within `timeoutMs`, asks it once. "closed" if its console went away (a
   * network console goes with its board); "silent" if nothing answers.
   * Listening first matters on the Linux build: its console input races the
   * network events of the application starting up (docs/flashing.md).
   */
  async restart(timeoutMs: number): Promise<string[] | "closed" | "silent"> {
    const mark = this.session.lines.length;
    this.session.send("\x10E.reboot()\n");
    this.receiverReady = false;
    try {
      await this.session.expect(/^(?!FOTA )/, timeoutMs, mark);
      for (let seen = -1; seen !== this.session.lines.length && this.session.lines.length - mark < 50; ) {
        seen = this.session.lines.length;
        await new Promise((r) => setTimeout(r, QUIET_MS));
      }
      return this.session.lines.slice(mark).filter((l) => !l.startsWith("FOTA "));
    } catch (e) {
      if (!(e instanceof ConsoleError)) throw e;
      if (e.failure === "closed") return "closed";
      if (e.failure !== "silent") throw e;
    }
    return (await this.hello()) ? [] : "silent";
  }

  /** Timeout for the board's answer to a line of `bytes` that does little work. */
  lineTimeout(bytes: number): number {
    return MARGIN * this.lineMs(bytes) + SLACK_MS;
  }

  /** Time the console line takes to carry `bytes`, in ms. */
  lineMs(bytes: number): number {
    return (bytes * 1000) / this.board.speed.consoleBytesPerSecond.typical;
  }

  /** The receiver every chunk line calls: writes, reads the bytes back from Storage, answers their CRC-32. */
  private async defineReceiver(): Promise<void> {
    const receiver =
      `global.FOTA_W=function(q,n,o,d,s){var S=require("Storage"),ok;` +
      `try{ok=o===0&&d.length===s?S.write(n,d):(o===0?S.write(n,d,0,s):S.write(n,d,o));}catch(e){print("FOTA fail "+q+" "+e.message);return;}` +
      `print(ok?"FOTA ack "+q+" "+E.CRC32(S.read(n,o,d.length)):"FOTA fail "+q+" Storage.write returned false");};print("FOTA receiver")`;
    await this.command(receiver, /^FOTA receiver$/, this.lineTimeout(receiver.length));
    this.receiverReady = true;
  }

  /** Allows for the line, the board reading it (its lexer walks every byte), programming and checking the chunk. */
  private chunkTimeout(lineBytes: number, dataBytes: number): number {
    const { speed } = this.board;
    const boardMs =
      (lineBytes * 1000) / speed.interpreterLoopsPerSecond.typical +
      Math.ceil(dataBytes / 256) * (speed.flashProgram256Ms.max ?? speed.flashProgram256Ms.typical) +
      (dataBytes * 1000) / speed.crc32BytesPerSecond.typical;
    return MARGIN * (this.lineMs(lineBytes) + boardMs) + SLACK_MS;
  }

  /** Sends one quiet line and waits for the board's answer; `what` names the step in a timeout message. */
  private async command(code: string, answer: RegExp, timeoutMs: number, what?: string): Promise<string> {
    const mark = this.session.lines.length;
    this.session.send(`\x10${code}\n`);
    try {
      return await this.session.expect(answer, timeoutMs, mark);
    } catch (e) {
      if (e instanceof ConsoleError && e.failure === "silent" && what) {
        throw new BoardError(`the board did not answer within ${Math.round(timeoutMs / 1000)} s while ${what}`);
      }
      throw e;
    }
  }
}

/** Bytes as a JavaScript expression for the board: a string literal, or atob() when escaping would make it longer. */
export function encode(bytes: Uint8Array): string {
  let literal = '"';
  for (const b of bytes) {
    if (b === 0x22) literal += '\\"';
    else if (b === 0x5c) literal += "\\\\";
    else if (b >= 0x20 && b < 0x7f) literal += String.fromCharCode(b);
    else literal += `\\x${b.toString(16).padStart(2, "0")}`;
  }
  literal += '"';
  const base64 = `atob("${Buffer.from(bytes).toString("base64")}")`;
  return base64.length < literal.length ? base64 : literal;
}

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, "0")}`;
}
