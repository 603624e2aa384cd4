// Turns a rollup chunk into a script the interpreter runs: minified with the
// terser options the conformance suite proves, holes filled, then checked by
// the gate and measured against the size budget. Any finding fails the build.
import { minify, type MinifyOptions } from "terser";
import { TraceMap, originalPositionFor } from "@jridgewell/trace-mapping";
import type { Plugin, OutputChunk } from "rollup";
import { fillArrayHoles } from "./array-holes.ts";
import { checkEspruinoCompat } from "./gate.ts";
import { sizeBreakdown, type ModuleBytes } from "./size-breakdown.ts";
import { onDemandSpans } from "./on-demand.ts";

/**
 * Private members are spelled with a leading underscore in firmware/ (the
 * style in the README): the minifier renames them, as it renames local
 * names. Two underscores (globals such as __fotaBoot, shared between images)
 * are left alone.
 */
export const PRIVATE_MEMBER = /^_[a-zA-Z]/;

/**
 * The terser settings every shipped image and every conformance case is built
 * with. `hoist_funs` is not optional: the interpreter does not hoist function
 * declarations, and tslib's async helpers call functions declared below.
 * `inline: 1` because deeper inlining turns parameters into `var`s declared
 * after their first use, and the interpreter does not hoist `var` either.
 * `directives: false` keeps the interpreter's own directives, such as "ram"
 * (copy this function's text into RAM when it is created). `unsafe_arrows`
 * writes a function expression that uses neither `this` nor `arguments` as an
 * arrow: fewer bytes, and no more variables, since the interpreter keeps `this`
 * only for an arrow that reads it (docs/interpreter.md, "Speed and memory").
 */
export function terserOptions(shrink: boolean): MinifyOptions {
  return {
    ecma: 2015,
    compress: shrink ? { hoist_funs: true, inline: 1, passes: 2, directives: false, unsafe_arrows: true } : { defaults: false, hoist_funs: true },
    mangle: shrink ? { properties: { regex: PRIVATE_MEMBER } } : false,
    format: { ascii_only: true, beautify: !shrink, comments: false },
    sourceMap: true,
  };
}

/** Makes finished code safe for the interpreter; shared by the build and the conformance runner. */
export async function espruinoSafe(code: string, shrink: boolean): Promise<{ code: string; map: string }> {
  const result = await minify(code, terserOptions(shrink));
  return { code: fillArrayHoles(result.code!), map: result.map as string };
}

export interface OutputOptions {
  /** Minify (default); off gives readable output that still has hoisting applied. */
  shrink: boolean;
  /** Largest allowed size in bytes of each named output file (e.g. "app.js"). */
  budget: Record<string, number>;
  /** Called once per written image with its size, and what each source module adds to it. */
  onSize?: (fileName: string, bytes: number, budget: number | undefined, modules: ModuleBytes[]) => void;
}

export function espruinoOutput(options: OutputOptions): Plugin {
  return {
    name: "espruino-output",
    async renderChunk(code) {
      return espruinoSafe(code, options.shrink);
    },
    generateBundle(_output, bundle) {
      for (const file of Object.values(bundle)) {
        if (file.type !== "chunk") continue;
        const findings = checkEspruinoCompat(file.code);
        if (findings.length > 0) {
          const lines = findings.map((f) => `  ${describeLocation(file, f.line, f.column)}: ${f.reason}`);
          this.error(`Espruino compatibility gate refused ${file.fileName}:\n${lines.join("\n")}`);
        }
        const bytes = Buffer.byteLength(file.code, "latin1");
        const limit = options.budget[file.fileName];
        options.onSize?.(file.fileName, bytes, limit, file.map ? sizeBreakdown(file.code, file.map as never, onDemandSpans(file.code)) : []);
        if (limit !== undefined && bytes > limit) {
          this.error(`${file.fileName} is ${bytes} bytes, over its budget of ${limit} bytes`);
        }
      }
    },
  };
}

/** "src.ts:line:col (bundle.js:line:col)" when a source map can tell, else the bundle position. */
function describeLocation(chunk: OutputChunk, line: number, column: number): string {
  const where = `${chunk.fileName}:${line}:${column + 1}`;
  if (!chunk.map) return where;
  const original = originalPositionFor(new TraceMap(chunk.map as never), { line, column });
  if (!original.source) return where;
  return `${original.source}:${original.line}:${(original.column ?? 0) + 1} (${where})`;
}
