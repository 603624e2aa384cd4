// Reads and validates boards/<name>.json. Anything that could make the
// firmware write where it must not (overlaps, misaligned regions, slots in
// Storage) is refused here, with the field that is wrong.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { type BoardLayout, type Region, overlaps, regionEnd } from "../../firmware/board/layout.ts";

export const BOARDS_DIR = new URL("../../boards/", import.meta.url).pathname;

/** A board file: the layout plus the build's size limits. */
export interface BoardFile {
  layout: BoardLayout;
  description: string;
  /** Largest allowed size in bytes of each image ("loader", "app"). */
  imageBudget: Record<string, number>;
}

export class BoardFileError extends Error {}

export function listBoards(dir = BOARDS_DIR): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort();
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
  return parseBoard(json, path);
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
  if (!Array.isArray(obj.reserved)) fail(`"reserved" must be a list of regions (may be empty)`);
  const reserved = (obj.reserved as unknown[]).map((r, i) => region(r, `reserved[${i}]`));

  const all = [...slots, bootRecord, storage, ...reserved];
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

  return {
    layout: { name: name as string, flash, pageSize: pageSize as number, slots, bootRecord, storage, reserved },
    description: typeof obj.description === "string" ? obj.description : "",
    imageBudget,
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
