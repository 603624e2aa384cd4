// `npm run bench:md5`: the firmware's MD5 (firmware/crypto/md5.ts) against the
// plain reference (benchmarks/md5-reference.ts) over the same 64 KB, in one
// script built by the same pipeline as the shipped images, run in Node and, when
// ESPRUINO_BIN is set, on the real interpreter: evaluated from RAM (a file
// argument), and from flash (a Storage file, as the loader runs images), with
// and without md5Blocks' "ram" directive. Prints bytes/s and the ratios.
import { rollup, type Plugin } from "rollup";
import typescript from "@rollup/plugin-typescript";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { espruinoTslib } from "../host/toolchain/espruino-tslib.ts";
import { espruinoOutput } from "../host/toolchain/espruino-output.ts";
import { runInFolder, runOnInterpreter } from "../host/interp/folder.ts";
import { xorshiftBytes } from "./xorshift.ts";
import { scriptArgs } from "../host/script-args.ts";

scriptArgs("npm run bench:md5: in Node and, when ESPRUINO_BIN names the Espruino Linux binary, on the interpreter", {});

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SIZE = 64 * 1024;
/** The fast MD5 is fed as the firmware feeds it when checking a slot: one flash page at a time. */
const CHUNK = 1024;
const MARK = "MD5BENCH ";

/**
 * The benchmark, as device code (ES5: it is not compiled, only bundled).
 * Data: xorshift32 bytes, the same in every runtime; the host recomputes them.
 */
const ENTRY_ID = "\0md5-bench-entry";
const ENTRY = `
import { Md5 } from ${JSON.stringify(join(ROOT, "firmware/crypto/md5.ts"))};
import { md5Reference } from ${JSON.stringify(join(ROOT, "benchmarks/md5-reference.ts"))};
var data = new Uint8Array(${SIZE});
var s = 2463534242 | 0;
for (var i = 0; i < data.length; i++) {
  s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
  data[i] = s & 255;
}
var t0 = getTime();
var md5 = new Md5();
for (var at = 0; at < data.length; at += ${CHUNK}) md5.update(data.subarray(at, at + ${CHUNK}));
var fast = md5.digest();
var t1 = getTime();
var reference = md5Reference(data);
var t2 = getTime();
print(${JSON.stringify(MARK)} + JSON.stringify({ fast: fast, fastSeconds: t1 - t0, reference: reference, referenceSeconds: t2 - t1 }));
`;

interface Result {
  fast: string;
  fastSeconds: number;
  reference: string;
  referenceSeconds: number;
}

function benchEntry(): Plugin {
  return {
    name: "md5-bench-entry",
    resolveId: (source) => (source === ENTRY_ID ? ENTRY_ID : null),
    load: (id) => (id === ENTRY_ID ? ENTRY : null),
  };
}

/**
 * The firmware's compiler settings, with the reference MD5 added to the program
 * (the TypeScript plugin compiles only files its tsconfig lists).
 */
function benchTsconfig(dir: string): string {
  const path = join(dir, "tsconfig.json");
  const config = {
    extends: join(ROOT, "firmware/tsconfig.json"),
    include: [join(ROOT, "firmware/**/*.ts"), join(ROOT, "benchmarks/md5-reference.ts")],
  };
  writeFileSync(path, JSON.stringify(config));
  return path;
}

async function build(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "md5-bench-build-"));
  try {
    return await bundleWith(benchTsconfig(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function bundleWith(tsconfig: string): Promise<string> {
  const bundle = await rollup({
    input: ENTRY_ID,
    plugins: [
      benchEntry(),
      espruinoTslib(),
      typescript({ tsconfig, filterRoot: ROOT, outputToFilesystem: false }),
      espruinoOutput({ shrink: true, budget: {} }),
    ],
    onwarn(warning) {
      throw new Error(`md5 bench build: ${warning.message}`);
    },
  });
  const { output } = await bundle.generate({ format: "iife", strict: false, sourcemap: true });
  await bundle.close();
  return output[0].code;
}

function parseResult(lines: string[], where: string): Result {
  const line = lines.find((l) => l.startsWith(MARK));
  if (!line) throw new Error(`${where}: no result line in its output:\n${lines.join("\n")}`);
  return JSON.parse(line.slice(MARK.length)) as Result;
}

/** Node's JIT needs warming up: the best of several runs. */
function runInNode(code: string, runs = 5): Result {
  let best: Result | undefined;
  for (let run = 0; run < runs; run++) {
    let printed = "";
    const context = vm.createContext({
      getTime: () => performance.now() / 1000,
      print: (...args: unknown[]) => (printed += args.join(" ") + "\n"),
    });
    vm.runInContext(code, context);
    const r = parseResult(printed.split("\n"), "Node");
    best = best ? { ...r, fastSeconds: Math.min(best.fastSeconds, r.fastSeconds), referenceSeconds: Math.min(best.referenceSeconds, r.referenceSeconds) } : r;
  }
  return best!;
}

function report(where: string, r: Result, expected: string): boolean {
  const fastRate = SIZE / r.fastSeconds;
  const referenceRate = SIZE / r.referenceSeconds;
  const correct = r.fast === expected && r.reference === expected;
  console.log(
    `${where.padEnd(12)} fast ${Math.round(fastRate).toLocaleString("en")} B/s (${r.fastSeconds.toFixed(3)} s)  ` +
      `reference ${Math.round(referenceRate).toLocaleString("en")} B/s (${r.referenceSeconds.toFixed(3)} s)  ` +
      `ratio ${(fastRate / referenceRate).toFixed(2)}x  ${correct ? "digests correct" : `WRONG DIGEST: fast ${r.fast}, reference ${r.reference}, expected ${expected}`}`,
  );
  return correct;
}

const code = await build();
const expected = createHash("md5").update(xorshiftBytes(SIZE, 2463534242)).digest("hex");
console.log(`MD5 over ${SIZE} bytes (fast MD5 fed ${CHUNK} bytes at a time); bench script ${code.length} bytes`);
let ok = report("Node", runInNode(code), expected);
const bin = process.env.ESPRUINO_BIN;
if (bin) {
  const noRam = code.replace('"ram";', "");
  if (noRam === code) throw new Error('the bench script has no "ram" directive: md5Blocks lost it');
  const fromRam = parseResult(runOnInterpreter(bin, code, 120_000), "the interpreter");
  const fromFlash = parseResult(runFromStorage(bin, code), "the interpreter, from flash");
  const fromFlashNoRam = parseResult(runFromStorage(bin, noRam), "the interpreter, from flash without the directive");
  ok = report("interp RAM", fromRam, expected) && ok;
  ok = report("interp flash", fromFlash, expected) && ok;
  ok = report("flash, no ram", fromFlashNoRam, expected) && ok;
  console.log(
    `fast MD5 from flash: ${(fromRam.fastSeconds / fromFlash.fastSeconds).toFixed(2)}x the speed from RAM with the "ram" directive, ` +
      `${(fromRam.fastSeconds / fromFlashNoRam.fastSeconds).toFixed(2)}x without it`,
  );
} else console.log("interpreter  skipped: set ESPRUINO_BIN to the Espruino Linux binary to measure it");
if (!ok) process.exitCode = 1;

/** Runs the script as the loader runs an image: written to Storage, evaluated from the Storage string (code in flash). */
function runFromStorage(interpreter: string, script: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), "md5-bench-flash-"));
  try {
    const base64 = Buffer.from(script, "latin1").toString("base64");
    return runInFolder(interpreter, dir, `require("Storage").write("bench.js", atob(${JSON.stringify(base64)}));\neval(require("Storage").read("bench.js"));`, 120_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
