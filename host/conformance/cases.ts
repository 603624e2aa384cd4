// The conformance suite: small programs under test/conformance/cases/, each
// exercising one construct or API the firmware relies on, built exactly as
// the firmware is, and run where the interpreter runs. Each file lists the
// output the interpreter must print, one `// expect: <line>` per line.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimBoard, writeStorage } from "../sim/board.ts";
import { HOST_BOARD } from "../toolchain/board.ts";

export const CASES_DIR = new URL("../../test/conformance/cases/", import.meta.url).pathname;

export interface ConformanceCase {
  name: string;
  source: string;
  expected: string[];
}

export function loadCases(dir = CASES_DIR): ConformanceCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .sort()
    .map((f) => {
      const source = join(dir, f);
      const expected = [...readFileSync(source, "utf8").matchAll(/^\/\/ expect: ?(.*)$/gm)].map((m) => m[1]);
      return { name: f.slice(0, -3), source, expected };
    });
}

/**
 * Runs a script as the simulated board's boot code; returns its printed lines
 * once `lastLine` has been printed (or the time is up).
 */
export async function runInSimulator(code: string, lastLine: string, timeoutMs = 20_000, board = HOST_BOARD): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "sim-case-"));
  const flashFile = join(dir, "flash.bin");
  writeStorage(board, flashFile, { ".bootcde": code });
  const sim = await SimBoard.start({ board, flashFile });
  try {
    await sim.waitFor(new RegExp(`^${escapeRegExp(lastLine)}$`), timeoutMs).catch(() => undefined);
    // Let timers that the case leaves running print what they print.
    await new Promise((r) => setTimeout(r, 50));
    return sim.lines.filter((l) => l.length > 0);
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
