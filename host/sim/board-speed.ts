// The simulated board at its real speed (boards/<name>.json, "speed"): device
// JavaScript takes as long as the board's interpreter takes, native work
// (flash erase and program, E.CRC32, SHA-256) as long as the board's chip
// takes. The device process blocks for the difference, as the board's single
// JavaScript thread would be busy: timers, sockets and console input wait.
//
// Device JavaScript is timed where it runs (every entry from the event loop and
// every promise reaction) and stretched by one factor: how much slower the
// board runs the calibration workload below than this process does. Host work
// the device calls (Storage, Flash, sockets, printing) is not stretched; the
// native operations among it are charged the board's own time instead.
// The process runs V8 without its optimising compilers (--jitless), so code
// does not speed up as it warms and the factor holds for a whole power-on.
import vm from "node:vm";
import type { BoardSpeed } from "../toolchain/board.ts";

/**
 * Node flags for a device process at the board's speed: no JIT (no WebAssembly,
 * which --jitless would warn about), and functions compiled with their script
 * (compiling is host work, kept out of the device's time).
 */
export const BOARD_SPEED_EXEC_ARGV = ["--no-expose-wasm", "--jitless", "--no-lazy"];

/**
 * The calibration workload, in ES5 so the interpreter runs it too: hashing-style
 * integer work on a typed array, string building, method calls and closures, the
 * mix the firmware spends its time in.
 */
export const CALIBRATION_WORKLOAD = `(function () {
  var words = new Int32Array(64), h = 0x67452301, k, i, s, o, acc = [];
  var counter = { n: 0, add: function (v) { this.n = (this.n + v) | 0; return this; } };
  for (k = 0; k < 16; k++) {
    for (i = 0; i < 64; i++) {
      h = (h + words[i] + (i * 0x5a827999)) | 0;
      h = ((h << 7) | (h >>> 25)) ^ words[(i + 13) & 63];
      words[i] = h;
    }
    s = "";
    for (i = 0; i < 24; i++) s += String.fromCharCode(97 + ((h >>> (i & 15)) & 15));
    for (i = 0; i < s.length; i += 3) counter.add(s.charCodeAt(i));
    o = { id: k, text: s, next: null };
    acc.push(o);
    acc.forEach(function (e) { e.next = o; });
  }
  return (h ^ counter.n ^ acc.length) | 0;
})`;

/**
 * What the calibration workload costs the Espruino interpreter, counted in
 * iterations of the reference loop of boards/*.json (interpreterLoopsPerSecond:
 * `while (n--) { D0.set(); D0.reset(); }`). Measured on the Linux build
 * (2,700 to 3,100 over seven runs); a property of the interpreter, the same on
 * every board. test/interp/board-speed.test.ts measures it again.
 */
export const CALIBRATION_LOOPS = 2800;

/** How the simulated device spends time: full host speed, or the board's. */
export interface DeviceClock {
  /** Runs device JavaScript (outermost call timed), then holds the device for the board's extra time. */
  run<T>(fn: () => T): T;
  /** Runs host work called by device code: not counted as device JavaScript. */
  host<T>(fn: () => T): T;
  /** Runs a compiled script in the device's realm as device code. */
  runScript(script: vm.Script, context: vm.Context): unknown;
  /** The board spends `ms` in a native operation. */
  charge(ms: number): void;
  /** Runs `send` (console output) when the board gets there: after the time its code has taken so far. */
  deliver(send: () => void): void;
  /** The board's time in ms since 1970: inside a long run of device code it runs ahead of the host's by the time still to be held. */
  now(): number;
  /** Milliseconds the board's native operations take. */
  readonly costs: NativeCosts;
}

export interface NativeCosts {
  erasePages(pages: number): number;
  program(bytes: number): number;
  crc32(bytes: number): number;
  sha256(bytes: number): number;
}

const NO_COSTS: NativeCosts = { erasePages: () => 0, program: () => 0, crc32: () => 0, sha256: () => 0 };

/** The simulator at full host speed: nothing is timed or held. */
export const HOST_SPEED: DeviceClock = {
  run: (fn) => fn(),
  host: (fn) => fn(),
  runScript: (script, context) => script.runInContext(context),
  charge: () => undefined,
  deliver: (send) => send(),
  now: () => Date.now(),
  costs: NO_COSTS,
};

/** The board's typical native timings. */
export function nativeCosts(speed: BoardSpeed): NativeCosts {
  return {
    erasePages: (pages) => pages * speed.flashErasePageMs.typical,
    program: (bytes) => Math.ceil(bytes / 256) * speed.flashProgram256Ms.typical,
    crc32: (bytes) => (bytes * 1000) / speed.crc32BytesPerSecond.typical,
    sha256: (bytes) => (bytes * 1000) / speed.sha256BytesPerSecond.typical,
  };
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks this process's only thread, as the board's busy CPU would. */
function hold(ms: number): void {
  if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
}

/**
 * Time this thread spends between start and stop, in ms: the smaller of wall
 * time (which another process's turn on the CPU inflates) and process CPU time
 * (which V8's helper threads and waits inflate or miss).
 */
class Stopwatch {
  private wall = 0;
  private cpu = process.cpuUsage();

  start(): void {
    this.cpu = process.cpuUsage();
    this.wall = performance.now();
  }

  /** Wall time since start, cheaply. */
  running(): number {
    return performance.now() - this.wall;
  }

  stop(): number {
    const wall = performance.now() - this.wall;
    const cpu = process.cpuUsage(this.cpu);
    return Math.min(wall, (cpu.user + cpu.system) / 1000);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

function measure(fn: () => void): number {
  const watch = new Stopwatch();
  watch.start();
  fn();
  return watch.stop();
}

/** Device JavaScript stretched to the board's speed; native operations charged the board's time. */
export class BoardClock implements DeviceClock {
  readonly costs: NativeCosts;
  /** Nesting of device runs, and of host calls inside them. */
  private depth = 0;
  private hostDepth = 0;
  /** Device JavaScript so far in the current outermost run, in host ms: timed in segments between host calls. */
  private jsMs = 0;
  /** Console output of the current run, sent once the run's time has passed. */
  private readonly pending: (() => void)[] = [];
  private readonly segment = new Stopwatch();
  /**
   * What the timing itself costs, taken off: one empty segment, one host call,
   * and entering a realm to run a script (about 50 µs without the JIT).
   */
  private segmentMs = 0;
  private hostCallMs = 0;
  private scriptMs = 0;
  /** Time owed below a millisecond, held once it adds up. */
  private owed = 0;
  /** Board time / host time for the same JavaScript. */
  private stretch = 1;
  /** Code run before each timed entry: after an idle wait or a hold, the host's caches are cold and the first microseconds would be stretched too. */
  private readonly warmContext = vm.createContext({});
  private readonly warmScript = new vm.Script("undefined");
  private readonly warmFunction = vm.runInContext("(function () { var x = 0; for (var i = 0; i < 8; i++) x += i; return x; })", this.warmContext) as () => number;

  private constructor(speed: BoardSpeed) {
    this.costs = nativeCosts(speed);
  }

  get factor(): number {
    return this.stretch;
  }

  /** Measures this process on the calibration workload against the board's figure, and what timing costs. */
  static calibrate(speed: BoardSpeed): BoardClock {
    const clock = new BoardClock(speed);
    const context = vm.createContext({});
    const workload = vm.runInContext(CALIBRATION_WORKLOAD, context) as () => number;
    const runs = (fn: (i: number) => unknown) => median(Array.from({ length: 40 }, (_, i) => (clock.run(() => fn(i)), clock.jsMs)));
    clock.segmentMs = median(Array.from({ length: 40 }, () => measure(() => undefined)));
    clock.hostCallMs = Math.max(0, runs(() => clock.host(() => undefined)) - runs(() => undefined));
    // A script's first run costs more than later ones; the device runs each script once.
    const fresh = Array.from({ length: 40 }, (_, i) => new vm.Script(`undefined; ${i}`));
    clock.scriptMs = runs((i) => fresh[i].runInContext(context));
    for (let i = 0; i < 3; i++) workload();
    const hostMs = median(Array.from({ length: 15 }, () => measure(() => workload())));
    const boardMs = (CALIBRATION_LOOPS * 1000) / speed.interpreterLoopsPerSecond.typical;
    clock.stretch = boardMs / hostMs;
    return clock;
  }

  run<T>(fn: () => T): T {
    if (this.depth > 0 && this.hostDepth === 0) return fn();
    const outermost = this.depth === 0;
    if (outermost) {
      this.jsMs = 0;
      this.warm();
    }
    const hostDepth = this.hostDepth;
    this.hostDepth = 0;
    this.depth++;
    this.segment.start();
    try {
      return fn();
    } finally {
      this.closeSegment();
      this.depth--;
      this.hostDepth = hostDepth;
      if (outermost) {
        this.charge(Math.max(0, this.jsMs) * (this.stretch - 1));
        for (const send of this.pending.splice(0)) send();
      }
    }
  }

  host<T>(fn: () => T): T {
    if (this.depth === 0 || this.hostDepth > 0) return fn();
    this.closeSegment();
    this.hostDepth++;
    try {
      return fn();
    } finally {
      this.hostDepth--;
      this.jsMs -= this.hostCallMs;
      this.segment.start();
    }
  }

  runScript(script: vm.Script, context: vm.Context): unknown {
    return this.run(() => {
      const result = script.runInContext(context);
      this.jsMs -= this.scriptMs;
      return result;
    });
  }

  now(): number {
    const open = this.depth > 0 && this.hostDepth === 0 ? this.segment.running() : 0;
    const ahead = this.depth > 0 ? Math.max(0, this.jsMs + open) * (this.stretch - 1) : 0;
    return Date.now() + ahead + this.owed;
  }

  deliver(send: () => void): void {
    if (this.depth > 0) this.pending.push(send);
    else send();
  }

  charge(ms: number): void {
    this.owed += ms;
    if (this.owed < 1) return;
    const start = performance.now();
    hold(this.owed);
    this.owed = Math.max(0, this.owed - (performance.now() - start));
  }

  private warm(): void {
    this.warmScript.runInContext(this.warmContext);
    this.warmFunction();
  }

  private closeSegment(): void {
    this.jsMs += Math.max(0, this.segment.stop() - this.segmentMs);
  }
}

/**
 * Prepares a device realm for the board's clock: promise reactions (where the
 * firmware's async code runs, tslib's __awaiter over the realm's Promise) are
 * timed as device code, and eval compiles as host work, as the interpreter has
 * no compile step. eval then runs its code in the global scope (an indirect
 * eval); the firmware's only eval, the loader's, runs a self-contained bundle.
 */
export function instrumentRealm(context: vm.Context, clock: DeviceClock): void {
  if (clock === HOST_SPEED) return;
  const install = vm.runInContext(
    `(function (wrap, hostEval) {
      var then = Promise.prototype.then;
      Object.defineProperty(Promise.prototype, "then", { configurable: true, writable: true, value: function (a, b) {
        return then.call(this, typeof a === "function" ? wrap(a) : a, typeof b === "function" ? wrap(b) : b);
      } });
      this.eval = function (code) { return hostEval(code); };
    })`,
    context,
  ) as (wrap: (fn: (v: unknown) => unknown) => (v: unknown) => unknown, hostEval: (code: unknown) => unknown) => void;
  const hostEval = (code: unknown) => (typeof code === "string" ? clock.runScript(clock.host(() => new vm.Script(code, { filename: "eval" })), context) : code);
  install.call(vm.runInContext("this", context), (fn) => (value) => clock.run(() => fn(value)), hostEval);
}

/**
 * Host API handed to the device (modules, globals): each function, also in
 * nested plain objects such as `E` or `process`, runs as host work (not stretched).
 */
export function hostApi<T extends Record<string, unknown>>(api: T, clock: DeviceClock): T {
  if (clock === HOST_SPEED) return api;
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(api)) {
    if (typeof value === "function") wrapped[name] = (...args: unknown[]) => clock.host(() => (value as (...a: unknown[]) => unknown)(...args));
    else if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) wrapped[name] = hostApi(value as Record<string, unknown>, clock);
    else wrapped[name] = value;
  }
  return wrapped as T;
}
