// What the Espruino interpreter offers device code: its globals and built-in
// modules, and the ES2015+ members it does have on top of ES5 (measured; see
// docs/interpreter.md). What it lacks is deliberately not declared.

interface ObjectConstructor {
  assign<T extends object, U>(target: T, source: U): T & U;
  assign(target: object, ...sources: any[]): any;
  keys(o: object): string[];
  values<T>(o: { [key: string]: T }): T[];
  entries<T>(o: { [key: string]: T }): [string, T][];
  setPrototypeOf(o: any, proto: object | null): any;
}
interface Array<T> {
  includes(searchElement: T, fromIndex?: number): boolean;
  find(predicate: (value: T, index: number, obj: T[]) => unknown): T | undefined;
  findIndex(predicate: (value: T, index: number, obj: T[]) => unknown): number;
  fill(value: T, start?: number, end?: number): this;
}
interface String {
  includes(searchString: string, position?: number): boolean;
  startsWith(searchString: string, position?: number): boolean;
  endsWith(searchString: string, endPosition?: number): boolean;
  padStart(maxLength: number, fillString?: string): string;
}
interface Uint8Array {
  fill(value: number, start?: number, end?: number): this;
}
interface Int32Array {
  fill(value: number, start?: number, end?: number): this;
}
interface Uint32Array {
  fill(value: number, start?: number, end?: number): this;
}

declare function setTimeout(callback: (...args: any[]) => void, ms?: number, ...args: any[]): number;
declare function setInterval(callback: (...args: any[]) => void, ms?: number, ...args: any[]): number;
declare function clearTimeout(id?: number): void;
declare function clearInterval(id?: number): void;
declare function getTime(): number;
declare function print(...text: any[]): void;
declare function atob(base64: string): string;
declare function btoa(binary: string): string;
/** Soft reset: clears RAM (not flash) and, unless told otherwise, runs the boot code again. */
declare function reset(clearFlash?: boolean): void;
/** Loads and runs a Storage file, after a soft reset. */
declare function load(filename?: string): void;

declare const console: {
  log(...args: any[]): void;
};

declare const process: {
  env: { VERSION: string; BOARD: string; [key: string]: any };
  memory(): { free: number; usage: number; total: number; history?: number; blocksize?: number };
};

declare const url: {
  parse(u: string, parseQuery?: boolean): EspruinoUrl;
};
interface EspruinoUrl {
  protocol: string;
  host: string;
  hostname?: string;
  port: number | null;
  path: string;
  pathname: string;
  search: string | null;
  method?: string;
}

declare const E: {
  toString(...args: any[]): string;
  toUint8Array(...args: any[]): Uint8Array;
  CRC32(data: string | ArrayLike<number>): number;
  /** Sum of arr1[i] * arr2[(i + offset) mod arr2.length] over arr1, in doubles (docs/interpreter.md). */
  convolve(arr1: string | ArrayLike<number>, arr2: string | ArrayLike<number>, offset: number): number;
  reboot(): void;
  enableWatchdog(timeoutSeconds: number, isAuto?: boolean): void;
  kickWatchdog(): void;
  on(event: string, callback: (...args: any[]) => void): void;
};

interface EspruinoSocket {
  write(data: string | Uint8Array): boolean;
  end(data?: string): void;
  on(event: "data", callback: (data: string) => void): void;
  on(event: "close" | "drain" | "connect", callback: () => void): void;
  on(event: "error", callback: (err: { code?: number; message?: string } | string) => void): void;
  on(event: string, callback: (...args: any[]) => void): void;
}

interface EspruinoHttpResponse {
  statusCode: string | number;
  statusMessage?: string;
  headers: { [name: string]: string };
  on(event: "data", callback: (data: string) => void): void;
  on(event: "close", callback: () => void): void;
  on(event: "error", callback: (err: any) => void): void;
  on(event: string, callback: (...args: any[]) => void): void;
}

interface EspruinoHttpRequest {
  on(event: "error", callback: (err: any) => void): void;
  on(event: string, callback: (...args: any[]) => void): void;
  end(data?: string): void;
}

interface FlashModule {
  getFree(): { addr: number; length: number }[];
  getPage(addr: number): { addr: number; length: number } | undefined;
  erasePage(addr: number): void;
  write(data: string | Uint8Array | number[], addr: number): void;
  read(length: number, addr: number): Uint8Array;
}

interface StorageModule {
  read(name: string, offset?: number, length?: number): string | undefined;
  readJSON(name: string, noExceptions?: boolean): any;
  readArrayBuffer(name: string): ArrayBuffer | undefined;
  write(name: string, data: string | Uint8Array, offset?: number, size?: number): boolean;
  writeJSON(name: string, data: any): boolean;
  erase(name: string): void;
  list(pattern?: RegExp | string): string[];
  getFree(): number;
  /** Bytes from the start of the interpreter's Storage area: total, free (after the last file), in files, in erased files. */
  getStats(): { totalBytes: number; freeBytes: number; fileBytes: number; fileCount: number; trashBytes: number; trashCount: number };
  compact(): void;
  eraseAll(): void;
}

interface TlsConnectOptions {
  host: string;
  port: number;
  ca?: string;
  key?: string;
  cert?: string;
}

/** What http.get reads (libs/network/socketserver.c); it sets `method` to "GET" itself (http/jswrap_http.c). */
interface HttpGetOptions extends Pick<EspruinoUrl, "protocol" | "host" | "port" | "path"> {
  headers?: { [name: string]: string };
  ca?: string;
  key?: string;
  cert?: string;
}

declare function require(name: "Flash"): FlashModule;
declare function require(name: "Storage"): StorageModule;
declare function require(name: "tls"): { connect(options: TlsConnectOptions, callback?: () => void): EspruinoSocket };
declare function require(name: "net"): { connect(options: { host: string; port: number }, callback?: () => void): EspruinoSocket };
declare function require(name: "http"): {
  get(options: HttpGetOptions | string, callback: (res: EspruinoHttpResponse) => void): EspruinoHttpRequest;
};
declare function require(name: "crypto"): { SHA256(message: string | Uint8Array | number[]): ArrayBuffer };
declare function require(name: string): any;

/** The layout and build facts of the board this image is built for (host/toolchain/virtual-build.ts). */
declare module "virtual:build" {
  export const layout: import("../board/layout").BoardLayout;
  /** How the board gets online: "wifi" (the ESP32's Wifi module) or "host" (the network of the host it runs on). */
  export const network: "wifi" | "host";
  /** The variable pool size the loader grows a pool that grows on demand to (0: a fixed pool). */
  export const growPoolTo: number;
  export const firmwareVersion: string;
}

/** The FOTA engine, created when called (host/toolchain/on-demand.ts). */
declare module "virtual:fota-engine" {
  export function load(): typeof import("../fota/engine");
}
