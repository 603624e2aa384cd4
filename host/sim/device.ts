// One simulated board from power-on to power-off: a fresh JavaScript realm
// with the interpreter's globals and modules, the boot code from Storage, and
// soft resets (`reset()`, `load()`). A hard reboot, a watchdog reset and a
// power cut end the process; the supervisor (board.ts) starts a new one over
// the same flash file, exactly as a board comes back with only flash kept.
import vm from "node:vm";
import { crc32 } from "node:zlib";
import type { BoardLayout } from "../../firmware/board/layout.ts";
import { overlaps } from "../../firmware/board/layout.ts";
import { checkEspruinoCompat } from "../toolchain/gate.ts";
import { applyInterpreterFidelity } from "./interpreter-fidelity.ts";
import { SimStorage, StorageError, type FlashChip } from "./storage.ts";
import { JsonSyntaxError, parseStorageJson, storageJson } from "./storage-json.ts";
import { NetworkFaults, httpModule, netModule, tlsModule, type DeviceEnv } from "./network.ts";
import { convolve, cryptoModule } from "./crypto.ts";
import type { BoardProfile } from "./profiles.ts";
import { HOST_SPEED, hostApi, instrumentRealm, type DeviceClock } from "./board-speed.ts";

export interface DeviceOptions {
  layout: BoardLayout;
  profile: BoardProfile;
  flash: FlashChip;
  /** Console output (already formatted, with \r\n line ends as the interpreter prints). */
  output(text: string): void;
  /** The board restarts: the process must end and a new power-on follow. */
  hardReset(reason: "reboot"): never;
  watchdog: { enable(seconds: number, auto: boolean): void; kick(): void };
  network?: NetworkFaults;
  /** The board's speed (default: full host speed). */
  clock?: DeviceClock;
}

const BOOT_FILES = [".boot0", ".boot1", ".boot2", ".boot3", ".bootcde"];

/** Host resources of one realm, all released at a soft reset. */
interface Realm {
  context: vm.Context;
  timers: Map<number, NodeJS.Timeout>;
  sockets: Set<{ destroy(): void }>;
  alive: boolean;
}

export class Device {
  readonly storage: SimStorage;
  readonly network: NetworkFaults;
  private realm!: Realm;
  private nextTimerId = 1;
  private readonly clock: DeviceClock;

  constructor(private readonly options: DeviceOptions) {
    this.storage = new SimStorage(options.flash, options.profile.storage, (text) => options.output(text.replace(/\n/g, "\r\n")));
    this.network = options.network ?? new NetworkFaults();
    this.clock = options.clock ?? HOST_SPEED;
  }

  /** Power-on: a fresh realm, then the boot code from Storage. */
  powerOn(): void {
    this.storage.powerOn();
    this.realm = this.createRealm();
    this.runBootCode();
  }

  /** Runs a script in the device as the interpreter would, refusing what it cannot run. */
  runScript(code: string, name: string): unknown {
    const findings = checkEspruinoCompat(code);
    if (findings.length > 0) {
      const f = findings[0];
      this.print(`Uncaught SyntaxError: ${f.reason}\r\n    at ${name}:${f.line}:${f.column + 1}`);
      return undefined;
    }
    return this.guard(() => this.clock.runScript(this.compile(code, name), this.realm.context));
  }

  /** Evaluates console input (no gate: the REPL takes whatever is typed). */
  evaluate(code: string): unknown {
    return this.clock.runScript(this.compile(code, "console"), this.realm.context);
  }

  /** require("crypto") taking the board's time for SHA-256. */
  private timedCrypto(crypto: ReturnType<typeof cryptoModule>, toBytes: (args: unknown[]) => number[]): ReturnType<typeof cryptoModule> {
    if (this.clock === HOST_SPEED) return crypto;
    return {
      SHA256: (message?: unknown) => {
        const digest = crypto.SHA256(message);
        if (message !== undefined) this.clock.charge(this.clock.costs.sha256(toBytes([message]).length));
        return digest;
      },
    };
  }

  /** Compiling is host work: the interpreter has no compile step (it runs from source). */
  private compile(code: string, filename: string): vm.Script {
    return this.clock.host(() => new vm.Script(code, { filename }));
  }

  print(text: string): void {
    this.options.output(text.replace(/\r?\n/g, "\r\n") + "\r\n");
  }

  /** `reset()` / `load()`: clears RAM (timers, sockets, variables), keeps flash. */
  softReset(then?: () => void): void {
    this.disposeRealm();
    this.realm = this.createRealm();
    then?.();
  }

  private runBootCode(): void {
    for (const name of BOOT_FILES) {
      const code = this.storage.read(name);
      if (code !== undefined) this.runScript(code, name);
    }
  }

  private disposeRealm(): void {
    const realm = this.realm;
    realm.alive = false;
    for (const t of realm.timers.values()) clearTimeout(t);
    realm.timers.clear();
    for (const s of realm.sockets) s.destroy();
    realm.sockets.clear();
  }

  /** Runs device code; an exception is printed, as the interpreter's event loop does, and swallowed. */
  private guard<T>(fn: () => T): T | undefined {
    try {
      return this.clock.run(fn);
    } catch (e) {
      this.print(`Uncaught ${describeThrown(e)}`);
      return undefined;
    }
  }

  private createRealm(): Realm {
    const context = vm.createContext({});
    applyInterpreterFidelity(context);
    instrumentRealm(context, this.clock);
    const realm: Realm = { context, timers: new Map(), sockets: new Set(), alive: true };
    const g = vm.runInContext("this", context) as Record<string, unknown>;
    const RealmUint8Array = g.Uint8Array as Uint8ArrayConstructor;
    const RealmError = g.Error as ErrorConstructor;
    const env: DeviceEnv = {
      callback: (fn, ...args) => {
        if (realm.alive && typeof fn === "function") this.guard(() => fn(...args));
      },
      error: (message) => new RealmError(message),
      track: (socket) => {
        realm.sockets.add(socket);
        socket.once("close", () => realm.sockets.delete(socket));
        this.network.add(socket);
      },
      network: this.network,
    };
    const toBytes = (args: unknown[]): number[] => {
      const out: number[] = [];
      const add = (v: unknown): void => {
        if (typeof v === "string") for (let i = 0; i < v.length; i++) out.push(v.charCodeAt(i) & 255);
        else if (typeof v === "number") out.push(v & 255);
        else if (Array.isArray(v)) v.forEach(add);
        else if (ArrayBuffer.isView(v)) new Uint8Array(v.buffer, v.byteOffset, v.byteLength).forEach((b) => out.push(b));
        else if (v instanceof ArrayBuffer || (v && (v as object).constructor?.name === "ArrayBuffer")) new Uint8Array(v as ArrayBuffer).forEach((b) => out.push(b));
        else if (v !== undefined && v !== null) add(String(v));
      };
      args.forEach(add);
      return out;
    };
    const layout = this.options.layout;
    const flash = this.options.flash;
    const checkRawWrite = (addr: number, length: number) => {
      for (const r of layout.reserved) {
        if (overlaps(r, { name: "write", start: addr, size: Math.max(length, 1) })) {
          throw new RealmError(`sim: raw flash access at 0x${addr.toString(16)} touches ${r.name}: on the board this destroys the interpreter itself`);
        }
      }
      if (addr < layout.flash.start || addr + length > layout.flash.start + layout.flash.size) {
        throw new RealmError(`Flash address 0x${addr.toString(16)} is outside the flash`);
      }
    };
    const flashModule = {
      getFree: () => this.options.profile.flashGetFree.map((r) => ({ addr: r.addr, length: r.length })),
      getPage: (addr: number) => flash.getPage(addr),
      erasePage: (addr: unknown) => {
        if (typeof addr !== "number" || !Number.isInteger(addr)) throw new RealmError("Flash.erasePage: the address must be an integer");
        const page = flash.getPage(addr);
        if (!page) throw new RealmError(`Flash address 0x${addr.toString(16)} is outside the flash`);
        checkRawWrite(page.addr, page.length);
        flash.erasePage(addr);
      },
      write: (data: unknown, addr: number) => {
        const bytes = new Uint8Array(toBytes([data]));
        checkRawWrite(addr, bytes.length);
        flash.write(bytes, addr);
      },
      read: (length: number, addr: number) => {
        checkRawWrite(addr, length);
        return new RealmUint8Array(flash.read(length, addr));
      },
    };
    const storage = this.storage;
    // The interpreter's exceptions from Storage, as realm errors with its messages.
    const storageCall = <T>(fn: () => T): T => {
      try {
        return fn();
      } catch (e) {
        if (e instanceof StorageError) throw new RealmError(e.message);
        if (e instanceof JsonSyntaxError) throw new (g.SyntaxError as ErrorConstructor)(e.message);
        throw e;
      }
    };
    const toRealm = (v: unknown) => (v === undefined ? undefined : (g.JSON as JSON).parse(JSON.stringify(v)));
    const storageData = (data: unknown): string | Uint8Array => (typeof data === "string" ? data : new Uint8Array(toBytes([data])));
    const isPlainObject = (v: unknown) => typeof v === "object" && v !== null && Object.prototype.toString.call(v) === "[object Object]";
    const storageModule = {
      read: (name: string, offset?: number, length?: number) => storage.read(name, offset, length),
      readJSON: (name: string, noExceptions?: boolean) =>
        storageCall(() => {
          const text = storage.read(name);
          if (text === undefined) return undefined;
          try {
            return toRealm(parseStorageJson(text));
          } catch (e) {
            if (noExceptions && e instanceof JsonSyntaxError) return undefined;
            throw e;
          }
        }),
      readArrayBuffer: (name: string) => {
        const bytes = storage.readBytes(name);
        return bytes === undefined ? undefined : new RealmUint8Array(bytes).buffer;
      },
      // An object is written as JSON.stringify writes it, whatever the offset and size.
      write: (name: string, data: unknown, offset?: number, size?: number) =>
        storageCall(() => (isPlainObject(data) ? storage.write(name, storageJson(data, "stringify")) : storage.write(name, storageData(data), offset, size))),
      writeJSON: (name: string, data: unknown) => storageCall(() => storage.writeJSON(name, data)),
      erase: (name: string) => void storage.erase(name),
      eraseAll: () => storage.eraseAll(),
      list: (pattern?: RegExp | string, filter?: { sf?: boolean }) => toRealm(storage.list(pattern, filter)),
      getFree: () => storage.getFree(),
      getStats: () => toRealm(storage.getStats()),
      compact: () => void storage.compact(),
    };
    const modules: Record<string, unknown> = hostApi({
      Flash: flashModule,
      Storage: storageModule,
      net: netModule(env),
      tls: tlsModule(env),
      http: httpModule(env, espruinoUrlParse),
      crypto: this.timedCrypto(cryptoModule({ ArrayBuffer: g.ArrayBuffer as ArrayBufferConstructor, error: env.error, toBytes }), toBytes),
    }, this.clock);
    const addTimer = (fn: unknown, ms: unknown, repeat: boolean, args: unknown[]): number => {
      const id = this.nextTimerId++;
      const delay = Math.max(0, Number(ms) || 0);
      const run = () => {
        if (!repeat) realm.timers.delete(id);
        env.callback(fn, ...args);
      };
      realm.timers.set(id, repeat ? setInterval(run, delay) : setTimeout(run, delay));
      return id;
    };
    // As the interpreter: clearTimeout(undefined) throws, clearTimeout() clears every timer.
    const clearTimer = (name: string) => (...args: unknown[]) => {
      if (args.length === 0) {
        for (const t of realm.timers.values()) clearTimeout(t);
        realm.timers.clear();
        return;
      }
      if (args[0] === undefined) throw new RealmError(`${name}(undefined) not allowed. Use ${name}() instead`);
      const t = realm.timers.get(Number(args[0]));
      if (t) {
        clearTimeout(t);
        realm.timers.delete(Number(args[0]));
      }
    };
    const profile = this.options.profile;
    const globals: Record<string, unknown> = {
      global: g,
      print: (...args: unknown[]) => this.print(args.map(formatValue).join(" ")),
      console: { log: (...args: unknown[]) => this.print(args.map(formatValue).join(" ")) },
      setTimeout: (fn: unknown, ms?: unknown, ...args: unknown[]) => addTimer(fn, ms, false, args),
      setInterval: (fn: unknown, ms?: unknown, ...args: unknown[]) => addTimer(fn, ms, true, args),
      clearTimeout: clearTimer("clearTimeout"),
      clearInterval: clearTimer("clearInterval"),
      getTime: () => this.clock.now() / 1000,
      atob: (s: string) => Buffer.from(String(s), "base64").toString("latin1"),
      btoa: (s: string) => Buffer.from(String(s), "latin1").toString("base64"),
      require: (name: string) => {
        if (name in modules) return modules[name];
        throw new RealmError(`Module ${name} not found`);
      },
      reset: () => setImmediate(() => this.softReset()),
      load: (file?: string) =>
        setImmediate(() =>
          this.softReset(() => {
            if (file === undefined) this.runBootCode();
            else {
              const code = storage.read(file);
              if (code === undefined) this.print(`ERROR: file ${file} not found`);
              else this.runScript(code, file);
            }
          }),
        ),
      url: { parse: espruinoUrlParse },
      process: {
        env: { VERSION: "2v29", BOARD: profile.boardName, ...profile.env },
        memory: () => profile.memory(),
      },
      E: {
        toString: (...args: unknown[]) => Buffer.from(toBytes(args)).toString("latin1"),
        toUint8Array: (...args: unknown[]) => new RealmUint8Array(toBytes(args)),
        CRC32: (data: unknown) => {
          const bytes = Buffer.from(toBytes([data]));
          this.clock.charge(this.clock.costs.crc32(bytes.length));
          return crc32(bytes);
        },
        convolve: (arr1: unknown, arr2: unknown, offset?: unknown) => convolve(arr1, arr2, offset, env.error),
        reboot: () => this.options.hardReset("reboot"),
        enableWatchdog: (seconds: number, isAuto?: boolean) => this.options.watchdog.enable(seconds, isAuto !== false),
        kickWatchdog: () => this.options.watchdog.kick(),
        on: () => undefined,
        getErrorFlags: () => [],
      },
    };
    for (const [name, value] of Object.entries(hostApi(globals, this.clock))) g[name] = value;
    return realm;
  }
}

/** The interpreter's global `url.parse`: host includes any user@ and :port. */
export function espruinoUrlParse(u: string) {
  const m = /^([a-z]+:)\/\/([^/?#]*)([^?#]*)(\?[^#]*)?/i.exec(String(u));
  if (!m) return { protocol: undefined, method: "GET", host: undefined, path: u, pathname: u, search: null, port: null, query: null };
  const [, protocol, authority, pathname, search] = m;
  const portMatch = /:(\d+)$/.exec(authority);
  return {
    protocol,
    method: "GET",
    host: portMatch ? authority.slice(0, portMatch.index) : authority,
    path: (pathname || "/") + (search ?? ""),
    pathname: pathname || "/",
    search: search ?? null,
    port: portMatch ? Number(portMatch[1]) : null,
    query: search ? search.slice(1) : null,
  };
}

function formatValue(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === undefined) return "undefined";
  if (typeof v === "function") return "function () { ... }";
  if (typeof v === "object" && v !== null) {
    try {
      return JSON.stringify(v);
    } catch {
      return String(v);
    }
  }
  return String(v);
}

export function describeThrown(e: unknown): string {
  if (e && typeof e === "object" && "message" in e) {
    const err = e as { name?: string; message: string; stack?: string };
    return `${err.name ?? "Error"}: ${err.message}`;
  }
  return formatValue(e);
}
