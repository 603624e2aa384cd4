// The conformance suite: small programs under test/conformance/cases/, each
// exercising one construct or API the firmware relies on, built exactly as
// the firmware is, and run where the interpreter runs. Each file lists the
// output the interpreter must print, one `// expect: <line>` per line.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { rollup } from "rollup";
import { loadBoard } from "../build/board.ts";
import { failOnWarning, firmwarePlugins } from "../build/config.ts";
import { SimBoard, writeStorage } from "../sim/board.ts";

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

/** Builds a program with the firmware's own pipeline (Linux board layout). */
export async function buildForInterpreter(input: string, board = "linux", firmwareVersion = "conformance"): Promise<string> {
  const bundle = await rollup({
    input,
    onwarn: failOnWarning(input),
    plugins: firmwarePlugins({ layout: loadBoard(board).layout, firmwareVersion, shrink: true, budget: {} }),
  });
  const { output } = await bundle.generate({ format: "iife", strict: false, sourcemap: "hidden" });
  await bundle.close();
  return output[0].code;
}

/** Runs a script on the real interpreter in a fresh folder; returns its printed lines. */
export function runOnInterpreter(espruinoBin: string, code: string, timeoutMs = 20_000): string[] {
  const dir = mkdtempSync(join(tmpdir(), "espruino-case-"));
  try {
    writeFileSync(join(dir, "case.js"), code, "latin1");
    const result = spawnSync(espruinoBin, ["case.js"], { cwd: dir, input: "", timeout: timeoutMs, encoding: "latin1" });
    return interpreterLines(result.stdout ?? "");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The interpreter's stdout without its banner, prompts and terminal codes. */
export function interpreterLines(stdout: string): string[] {
  const text = stdout.replace(/\r/g, "").replace(/\x1b\[J/g, "");
  const lines = text.split("\n");
  const donate = lines.findIndex((l) => l.includes("espruino.com/Donate"));
  return lines
    .slice(donate >= 0 ? donate + 1 : 0)
    .map((l) => l.replace(/^>+/, ""))
    // Stack lines and their caret markers follow every Uncaught error; the simulator prints only the error.
    .filter((l) => l.length > 0 && !/^\s+at /.test(l) && !/^\s*\^$/.test(l) && l !== "Uncaught undefined");
}

/**
 * Runs a script as the simulated board's boot code; returns its printed lines
 * once `lastLine` has been printed (or the time is up).
 */
export async function runInSimulator(code: string, lastLine: string, timeoutMs = 20_000, board = "linux"): Promise<string[]> {
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
