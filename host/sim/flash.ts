// The simulated flash chip behind the simulator's require("Flash") and the
// flash tests. It behaves as the interpreter's Flash module does (see
// docs/interpreter.md): an erase sets a whole page to 0xFF, a write can
// only clear bits (the stored byte is old AND new) at any alignment, and any
// access outside the chip throws. It can also lose power in the middle of a
// write or an erase, as a board does, so power-safe code can be proven here.
import { closeSync, existsSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from "node:fs";

export interface SimFlashOptions {
  /** Address of the first byte. */
  start: number;
  /** Size in bytes; a multiple of pageSize. */
  size: number;
  /** Erase unit in bytes. */
  pageSize: number;
  /** Keep the image in this file, so it outlives the process (a new file starts all 0xFF). */
  file?: string;
  /** Seed for the choice of what a torn operation leaves behind (default 1), so every run repeats. */
  seed?: number;
}

/** "clean": the interrupted operation did nothing. "torn": it was partly done. */
export type PowerCutMode = "clean" | "torn";

/** Thrown by every operation once the power is cut: the code running on the chip is gone. */
export class PowerCutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PowerCutError";
  }
}

const ERASED = 0xff;

export class SimFlash {
  private readonly start: number;
  private readonly size: number;
  private readonly pageSize: number;
  private readonly file: string | undefined;
  private readonly seed: number;
  private readonly bytes: Uint8Array;
  private ops = 0;
  private cut: { atOp: number; mode: PowerCutMode } | undefined;
  private isDead = false;
  private random: () => number;

  constructor(opts: SimFlashOptions) {
    if (!Number.isInteger(opts.pageSize) || opts.pageSize <= 0) throw new Error(`SimFlash: bad page size ${opts.pageSize}`);
    if (!Number.isInteger(opts.size) || opts.size <= 0 || opts.size % opts.pageSize !== 0) {
      throw new Error(`SimFlash: size ${opts.size} is not a positive multiple of the page size ${opts.pageSize}`);
    }
    this.start = opts.start;
    this.size = opts.size;
    this.pageSize = opts.pageSize;
    this.file = opts.file;
    this.seed = opts.seed ?? 1;
    this.random = xorshift32(this.seed);
    this.bytes = this.file ? loadImage(this.file, this.size) : new Uint8Array(this.size).fill(ERASED);
  }

  /**
   * The same chip after the board restarts: power back on, same contents, no
   * armed cut, the operation count from zero; `seed` varies later torn results.
   */
  powerCycle(seed = this.seed): SimFlash {
    const next = new SimFlash({ start: this.start, size: this.size, pageSize: this.pageSize, file: this.file, seed });
    if (!this.file) next.bytes.set(this.bytes);
    return next;
  }

  /** Number of writes and erases attempted so far (the one a power cut interrupted included). */
  get opsCount(): number {
    return this.ops;
  }

  /** True once a power cut happened: every operation throws PowerCutError until powerCycle(). */
  get dead(): boolean {
    return this.isDead;
  }

  /**
   * The `opsFromNow`-th write or erase from now (1 = the next one) loses power:
   * "clean" leaves flash as it was before that operation, "torn" leaves it
   * partly done. Either way that operation and every later one throws.
   */
  armPowerCut(opsFromNow: number, mode: PowerCutMode): void {
    if (!Number.isInteger(opsFromNow) || opsFromNow < 1) throw new Error(`armPowerCut: opsFromNow must be 1 or more, got ${opsFromNow}`);
    this.cut = { atOp: this.ops + opsFromNow, mode };
  }

  getPage(addr: number): { addr: number; length: number } | undefined {
    if (!(addr >= this.start && addr < this.start + this.size)) return undefined;
    const offset = Math.floor((addr - this.start) / this.pageSize) * this.pageSize;
    return { addr: this.start + offset, length: this.pageSize };
  }

  read(length: number, addr: number): Uint8Array {
    this.checkAlive();
    const offset = this.offsetOf(addr, length, "read");
    return this.bytes.slice(offset, offset + length);
  }

  write(data: Uint8Array | string | number[], addr: number): void {
    this.checkAlive();
    const bytes = toBytes(data);
    const offset = this.offsetOf(addr, bytes.length, "write");
    const cut = this.countOp();
    if (cut === "clean") this.die(`write of ${bytes.length} bytes at 0x${hex(addr)}`);
    const program = cut === "torn" ? this.tornWrite(bytes) : bytes;
    for (let i = 0; i < program.length; i++) this.bytes[offset + i] &= program[i];
    this.persist(offset, program.length);
    if (cut === "torn") this.die(`write of ${bytes.length} bytes at 0x${hex(addr)}`);
  }

  erasePage(addr: number): void {
    this.checkAlive();
    if (typeof addr !== "number" || !Number.isInteger(addr)) throw new Error(`Flash.erasePage: address must be an integer, got ${String(addr)}`);
    const page = this.getPage(addr);
    if (!page) throw new Error(`Flash.erasePage: address 0x${hex(addr)} is outside the flash (0x${hex(this.start)}..0x${hex(this.start + this.size)})`);
    const offset = page.addr - this.start;
    const cut = this.countOp();
    if (cut === "clean") this.die(`erase of the page at 0x${hex(page.addr)}`);
    if (cut === "torn") {
      this.tornErase(offset);
      this.persist(offset, this.pageSize);
      this.die(`erase of the page at 0x${hex(page.addr)}`);
    }
    this.bytes.fill(ERASED, offset, offset + this.pageSize);
    this.persist(offset, this.pageSize);
  }

  /** Counts one write or erase; says whether the power goes during it. */
  private countOp(): PowerCutMode | undefined {
    this.ops++;
    if (this.cut && this.cut.atOp === this.ops) return this.cut.mode;
    return undefined;
  }

  private die(during: string): never {
    this.isDead = true;
    this.cut = undefined;
    throw new PowerCutError(`power cut during the ${during}`);
  }

  private checkAlive(): void {
    if (this.isDead) throw new PowerCutError("the power is off (a power cut happened): restart the board");
  }

  /**
   * What an interrupted write programs: either a prefix of the bytes with the
   * byte being programmed half done, or a scattering of bits over all of them
   * (the chip programs in bursts whose order we do not know).
   */
  private tornWrite(bytes: Uint8Array): Uint8Array {
    const out = new Uint8Array(bytes.length).fill(ERASED);
    if (bytes.length === 0) return out;
    if (this.random() < 0.5) {
      const done = Math.floor(this.random() * bytes.length);
      out.set(bytes.subarray(0, done));
      out[done] = bytes[done] | this.randomByte();
    } else {
      for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] | this.randomByte();
    }
    return out;
  }

  /** An interrupted erase: part of the page (a prefix, or scattered bytes) is 0xFF, the rest as it was. */
  private tornErase(offset: number): void {
    if (this.random() < 0.5) {
      const done = Math.floor(this.random() * this.pageSize);
      this.bytes.fill(ERASED, offset, offset + done);
    } else {
      for (let i = 0; i < this.pageSize; i++) if (this.random() < 0.5) this.bytes[offset + i] = ERASED;
    }
  }

  private randomByte(): number {
    return Math.floor(this.random() * 256);
  }

  private offsetOf(addr: number, length: number, op: string): number {
    if (typeof addr !== "number" || !Number.isInteger(addr)) throw new Error(`Flash.${op}: address must be an integer, got ${String(addr)}`);
    if (!Number.isInteger(length) || length < 0) throw new Error(`Flash.${op}: bad length ${length} at 0x${hex(addr)}`);
    if (addr < this.start || addr + length > this.start + this.size) {
      throw new Error(`Flash.${op}: ${length} bytes at 0x${hex(addr)} lie outside the flash (0x${hex(this.start)}..0x${hex(this.start + this.size)})`);
    }
    return addr - this.start;
  }

  private persist(offset: number, length: number): void {
    if (!this.file || length === 0) return;
    const fd = openSync(this.file, "r+");
    try {
      writeSync(fd, this.bytes, offset, length, offset);
    } finally {
      closeSync(fd);
    }
  }
}

function loadImage(file: string, size: number): Uint8Array {
  if (!existsSync(file)) {
    const blank = new Uint8Array(size).fill(ERASED);
    writeFileSync(file, blank);
    return blank;
  }
  const actual = statSync(file).size;
  if (actual !== size) throw new Error(`SimFlash: ${file} holds ${actual} bytes, but this flash is ${size} bytes`);
  return new Uint8Array(readFileSync(file));
}

/** Flash data as bytes: strings are byte strings (one char = one byte), arrays take the low 8 bits. */
function toBytes(data: Uint8Array | string | number[]): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data === "string") {
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const c = data.charCodeAt(i);
      if (c > 0xff) throw new Error(`Flash.write: character ${c} at index ${i} is not a byte (strings are byte strings)`);
      out[i] = c;
    }
    return out;
  }
  if (Array.isArray(data)) return Uint8Array.from(data, (n) => n & 0xff);
  throw new Error(`Flash.write: data must be a Uint8Array, a byte string or an array of numbers`);
}

function hex(n: number): string {
  return n.toString(16);
}

/** A small seeded generator: torn results must repeat from run to run. */
function xorshift32(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}
