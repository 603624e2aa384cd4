// Reads and validates boards/<name>.json: everything the project knows about
// a board, in one file. Anything that could make the firmware write where it
// must not (overlaps, misaligned regions, slots in Storage) is refused here,
// with the field that is wrong. Adding a board is adding its file: the build,
// the simulator and the `fota` command find it by listing boards/.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { type BoardLayout, type Region, overlaps, regionEnd } from "../../firmware/board/layout.ts";

export const BOARDS_DIR = new URL("../../boards/", import.meta.url).pathname;

/** How the example firmware gets online: the ESP32's Wi-Fi, or the network of the host it runs on. */
export const NETWORK_KINDS = ["wifi", "host"] as const;
export type NetworkKind = (typeof NETWORK_KINDS)[number];

/**
 * The interpreter build's own Storage area (FLASH_SAVED_CODE_START/_LENGTH):
 * where require("Storage") walks its files, puts new ones and compacts. The
 * layout's `storage` region is the part of it the project lets Storage fill.
 */
export interface InterpreterStorage {
  start: number;
  size: number;
  /** The build defines ESPR_STORAGE_FILENAME_TABLE (the Linux build does): Storage writes a lookup-table file now and then. */
  filenameTable: boolean;
}

/** What the interpreter itself reports on this board (not the layout we chose): the simulator answers the same. */
export interface InterpreterReport {
  /** process.env.BOARD */
  board: string;
  /** Size of the variable pool, and bytes per variable. */
  variables: number;
  variableBytes: number;
  /**
   * The pool starts small and grows a block at a time, but never for one large
   * contiguous allocation (the Linux build's TLS buffers, 17 KB, come from it):
   * the loader grows it to `variables` at power-on, the size of the ESP32's fixed pool.
   */
  poolGrowsOnDemand: boolean;
  /**
   * TLS buffers come from the variable pool (the Linux build's mbedtls
   * allocates with jsvMalloc; the ESP32 build links ESP-IDF's, which uses the
   * IDF heap). A pool that grows on demand is then grown one step further, so
   * a TLS connection still finds its 17 KB in one piece after the firmware
   * has used the pool for a while.
   */
  tlsFromPool: boolean;
  /** Flash.getFree() as the interpreter answers it (on the ESP32 one area lies inside Storage: never trusted). */
  flashGetFree: Region[];
  /** The rest of process.env. */
  env: Record<string, number>;
  storage: InterpreterStorage;
}

/** One speed figure of a board: its typical value, its worst case where a datasheet gives one, and where it comes from. */
export interface SpeedFigure {
  typical: number;
  max?: number;
  source: string;
}

/**
 * How fast the board does what takes time: the simulator at the board's speed
 * takes the typical figures, `fota flash` derives its timeouts from the worst cases.
 */
export interface BoardSpeed {
  /** Bytes a second its console carries each way. */
  consoleBytesPerSecond: SpeedFigure;
  /** Milliseconds to erase one flash page (pageSize bytes). */
  flashErasePageMs: SpeedFigure;
  /** Milliseconds to program 256 bytes of flash (one program page of SPI flash). */
  flashProgram256Ms: SpeedFigure;
  /** The interpreter's speed: iterations a second of `while (n--) { D0.set(); D0.reset(); }`. */
  interpreterLoopsPerSecond: SpeedFigure;
  /** Native E.CRC32 and require("crypto").SHA256, bytes a second. */
  crc32BytesPerSecond: SpeedFigure;
  sha256BytesPerSecond: SpeedFigure;
}

export const SPEED_FIGURES = ["consoleBytesPerSecond", "flashErasePageMs", "flashProgram256Ms", "interpreterLoopsPerSecond", "crc32BytesPerSecond", "sha256BytesPerSecond"] as const;

/** A board file: the layout plus the build's size limits and the board's other facts. */
export interface BoardFile {
  layout: BoardLayout;
  description: string;
  network: NetworkKind;
  /** Largest allowed size in bytes of each image ("loader", "app"). */
  imageBudget: Record<string, number>;
  interpreter: InterpreterReport;
  speed: BoardSpeed;
}

/**
 * The pool size the loader grows a pool that grows on demand to, at power-on;
 * 0 for a fixed pool. Such a pool doubles when it grows (the Linux build's
 * src/jsvar.c), so one step past `variables` is twice it.
 */
export function poolTarget(report: InterpreterReport): number {
  return report.poolGrowsOnDemand ? report.variables * (report.tlsFromPool ? 2 : 1) : 0;
}

/** The board the `fota` command and the demo assume when no board is given. */
export const DEFAULT_BOARD = "esp32";

/**
 * The board whose interpreter runs on this machine (Espruino's Linux build):
 * device scripts for tests, benchmarks and the conformance suite are built
 * for it unless they name another.
 */
export const HOST_BOARD = "linux";

export class BoardFileError extends Error {}

export function listBoards(dir = BOARDS_DIR): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort();
}

/** The --board flag of a usage line: every board in boards/. */
export function boardFlagUsage(): string {
  return `--board ${listBoards().join("|")}`;
}

export function loadBoard(name: string, dir = BOARDS_DIR): BoardFile {
  const path = join(dir, `${name}.json`);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw new BoardFileError(`unknown board "${name}": no ${path} (boards: ${listBoards(dir).join(", ")})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BoardFileError(`${path}: not valid JSON: ${(e as Error).message}`);
  }
  const board = parseBoard(json, path);
  // Images, signatures and the board's console name it by this field: it must be the name the tools look it up by.
  if (board.layout.name !== name) throw new BoardFileError(`${path}: "name" is "${board.layout.name}", not the file's name "${name}"`);
  return board;
}

/** Validates a parsed board file; `source` names it in error messages. */
export function parseBoard(json: unknown, source: string): BoardFile {
  const fail = (msg: string): never => {
    throw new BoardFileError(`${source}: ${msg}`);
  };
  const obj = asObject(json, "the board file", fail);
  const name = obj.name;
  if (typeof name !== "string" || !/^[a-z0-9][a-z0-9_-]*$/.test(name)) fail(`"name" must be a lower-case identifier`);
  const pageSize = obj.pageSize;
  if (typeof pageSize !== "number" || !Number.isInteger(pageSize) || pageSize < 256 || (pageSize & (pageSize - 1)) !== 0) {
    fail(`"pageSize" must be a power of two of at least 256`);
  }
  const flash = parseRegion(obj.flash, "flash", fail);
  const region = (value: unknown, field: string): Region => {
    const r = parseRegion(value, field, fail);
    if ((r.start - flash.start) % (pageSize as number) !== 0) fail(`${field} starts at 0x${hex(r.start)}, not on a ${pageSize}-byte page boundary`);
    if (r.size % (pageSize as number) !== 0) fail(`${field} size 0x${hex(r.size)} is not a multiple of the page size ${pageSize}`);
    if (r.start < flash.start || regionEnd(r) > regionEnd(flash)) fail(`${field} (0x${hex(r.start)}..0x${hex(regionEnd(r))}) lies outside the flash`);
    return r;
  };
  if (!Array.isArray(obj.slots) || obj.slots.length < 2) fail(`"slots" must list at least two code slots`);
  const slots = (obj.slots as unknown[]).map((s, i) => region(s, `slots[${i}]`));
  const bootRecord = region(obj.bootRecord, "bootRecord");
  if (bootRecord.size < 2 * (pageSize as number)) fail(`bootRecord must span at least two pages, so one survives while the other is erased`);
  const storage = region(obj.storage, "storage");
  const runCopy = region(obj.runCopy, "runCopy");
  // The run copy is the data of the Storage file fota.run, inside Storage (docs/boot-record.md, section 1):
  // its header and the files before it need room below it, and the page after it stays blank.
  if (runCopy.start < storage.start + (pageSize as number) || regionEnd(runCopy) + (pageSize as number) > regionEnd(storage)) {
    fail(`runCopy (0x${hex(runCopy.start)}..0x${hex(regionEnd(runCopy))}) must lie inside storage, at least a page from its start and a page short of its end`);
  }
  for (const slot of slots) if (slot.size > runCopy.size) fail(`runCopy (${runCopy.size} bytes) is smaller than ${slot.name} (${slot.size} bytes): an image must fit it`);
  const signatures = region(obj.signatures, "signatures");
  // Page i is slot i's signed manifest (docs/boot-record.md, section 1).
  if (signatures.size < slots.length * (pageSize as number)) fail(`signatures (${signatures.size} bytes) must hold one ${pageSize}-byte page per slot (${slots.length})`);
  if (!Array.isArray(obj.reserved)) fail(`"reserved" must be a list of regions (may be empty)`);
  const reserved = (obj.reserved as unknown[]).map((r, i) => region(r, `reserved[${i}]`));

  const all = [...slots, bootRecord, signatures, storage, ...reserved];
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      if (overlaps(all[i], all[j])) fail(`${all[i].name} (0x${hex(all[i].start)}..0x${hex(regionEnd(all[i]))}) overlaps ${all[j].name} (0x${hex(all[j].start)}..0x${hex(regionEnd(all[j]))})`);
    }
  }

  const budget = asObject(obj.imageBudget, `"imageBudget"`, fail);
  const imageBudget: Record<string, number> = {};
  for (const [image, bytes] of Object.entries(budget)) {
    if (typeof bytes !== "number" || !Number.isInteger(bytes) || bytes <= 0) fail(`imageBudget.${image} must be a positive number of bytes`);
    imageBudget[image] = bytes as number;
  }
  const smallestSlot = Math.min(...slots.map((s) => s.size));
  if (imageBudget.app !== undefined && imageBudget.app > smallestSlot) fail(`imageBudget.app (${imageBudget.app}) is larger than the smallest slot (${smallestSlot})`);

  const network = obj.network;
  if (!NETWORK_KINDS.includes(network as NetworkKind)) fail(`"network" must be one of ${NETWORK_KINDS.join(", ")}`);

  const interpreter = parseInterpreterReport(obj.interpreter, fail);
  const area = region({ name: "interpreter.storage", start: interpreter.storage.start, size: interpreter.storage.size }, "interpreter.storage");
  // Storage fills its area from the start: the part the project allows is a prefix of it.
  if (storage.start !== area.start || regionEnd(storage) > regionEnd(area)) {
    fail(`storage (0x${hex(storage.start)}..0x${hex(regionEnd(storage))}) must start where the interpreter's Storage area starts and lie inside it (0x${hex(area.start)}..0x${hex(regionEnd(area))})`);
  }
  for (const r of reserved) if (overlaps(r, area)) fail(`${r.name} overlaps the interpreter's Storage area (0x${hex(area.start)}..0x${hex(regionEnd(area))})`);
  if (interpreter.env.STORAGE !== undefined && interpreter.env.STORAGE !== area.size) {
    fail(`interpreter.env.STORAGE (${interpreter.env.STORAGE}) is not interpreter.storage.size (${area.size})`);
  }

  return {
    layout: { name: name as string, flash, pageSize: pageSize as number, slots, bootRecord, signatures, storage, runCopy, reserved },
    description: typeof obj.description === "string" ? obj.description : "",
    network: network as NetworkKind,
    imageBudget,
    interpreter,
    speed: parseSpeed(obj.speed, fail),
  };
}

function parseSpeed(value: unknown, fail: (m: string) => never): BoardSpeed {
  const obj = asObject(value, `"speed"`, fail);
  const speed: Record<string, SpeedFigure> = {};
  for (const name of SPEED_FIGURES) {
    const figure = asObject(obj[name], `speed.${name}`, fail);
    const positive = (n: unknown) => typeof n === "number" && Number.isFinite(n) && n > 0;
    if (!positive(figure.typical)) fail(`speed.${name}.typical must be a positive number`);
    if (figure.max !== undefined && !(positive(figure.max) && (figure.max as number) >= (figure.typical as number))) fail(`speed.${name}.max must be a number no smaller than its typical value`);
    if (typeof figure.source !== "string" || figure.source.trim() === "") fail(`speed.${name}.source must say where the figure comes from`);
    speed[name] = { typical: figure.typical as number, ...(figure.max !== undefined && { max: figure.max as number }), source: figure.source as string };
  }
  return speed as unknown as BoardSpeed;
}

function parseInterpreterReport(value: unknown, fail: (m: string) => never): InterpreterReport {
  const obj = asObject(value, `"interpreter"`, fail);
  if (typeof obj.board !== "string" || obj.board === "") fail(`interpreter.board must be the interpreter's process.env.BOARD`);
  const count = (field: string): number => {
    const n = obj[field];
    if (typeof n !== "number" || !Number.isInteger(n) || n <= 0) fail(`interpreter.${field} must be a positive integer`);
    return n as number;
  };
  if (!Array.isArray(obj.flashGetFree)) fail(`interpreter.flashGetFree must be a list of regions`);
  const env = asObject(obj.env, "interpreter.env", fail);
  for (const [key, n] of Object.entries(env)) if (typeof n !== "number") fail(`interpreter.env.${key} must be a number`);
  if (typeof obj.poolGrowsOnDemand !== "boolean") fail(`interpreter.poolGrowsOnDemand must be true or false`);
  if (typeof obj.tlsFromPool !== "boolean") fail(`interpreter.tlsFromPool must be true or false`);
  const storage = parseRegion(obj.storage, "interpreter.storage", fail);
  const filenameTable = asObject(obj.storage, "interpreter.storage", fail).filenameTable;
  if (typeof filenameTable !== "boolean") fail(`interpreter.storage.filenameTable must be true or false (does the build define ESPR_STORAGE_FILENAME_TABLE?)`);
  return {
    board: obj.board as string,
    variables: count("variables"),
    variableBytes: count("variableBytes"),
    poolGrowsOnDemand: obj.poolGrowsOnDemand as boolean,
    tlsFromPool: obj.tlsFromPool as boolean,
    flashGetFree: (obj.flashGetFree as unknown[]).map((r, i) => parseRegion(r, `interpreter.flashGetFree[${i}]`, fail)),
    env: env as Record<string, number>,
    storage: { start: storage.start, size: storage.size, filenameTable: filenameTable as boolean },
  };
}

function asObject(value: unknown, what: string, fail: (m: string) => never): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(`${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

function parseRegion(value: unknown, field: string, fail: (m: string) => never): Region {
  const obj = asObject(value, field, fail);
  const start = parseAddress(obj.start, `${field}.start`, fail);
  const size = parseAddress(obj.size, `${field}.size`, fail);
  if (size === 0) fail(`${field}.size must not be zero`);
  const name = typeof obj.name === "string" && obj.name ? obj.name : field;
  return { name, start, size };
}

/** Addresses are written as "0x…" strings (JSON has no hex) or plain integers. */
function parseAddress(value: unknown, field: string, fail: (m: string) => never): number {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === "string" && /^0x[0-9a-fA-F]+$/.test(value)) return parseInt(value, 16);
  return fail(`${field} must be a non-negative integer or a "0x…" hex string, got ${JSON.stringify(value)}`);
}

function hex(n: number): string {
  return n.toString(16).toUpperCase();
}
