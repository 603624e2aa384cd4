// Modules an image creates only when it needs them: `import { load } from
// "virtual:fota-engine"` gives a function that, called, builds the module's
// functions and returns its exports. The module is bundled on its own (same
// plugins, same gate) and its code is the body of a function declared at the
// image's root, before the image's own IIFE, where the interpreter keeps it
// unparsed (in flash, for an image run from Storage) until the call. Each
// call makes a fresh copy; the caller lets go of it when done and its
// functions are garbage collected.
//
// At the root, not inside the image's IIFE: the loader evaluates the image in
// the root scope (firmware/loader/root-run.ts), so a function declared there
// has no enclosing scope, and the module's functions are made in a scope chain
// one scope long, which the interpreter does not copy into each of them
// (docs/interpreter.md, "What a function costs"). The declaration is a global of
// the image, named like the loader's own (__fotaBoot).
import * as acorn from "acorn";
import { rollup, type Plugin } from "rollup";
import { shortName, type NamedSpan } from "./size-breakdown.ts";

/** Specifier → the module's entry point (relative to the repository root) and its root function's name. */
export const ON_DEMAND: Record<string, { entry: string; global: string }> = {
  "virtual:fota-engine": { entry: "firmware/fota/engine.ts", global: "__fotaEngine" },
};

const PREFIX = "\0on-demand:";
/** The name the separate bundle's IIFE is given, stripped again: what is left is an expression. */
const EXPORTS = "__onDemandExports";

export function onDemand(plugins: () => Plugin[], onBundle?: (specifier: string, code: string, map: unknown) => void): Plugin {
  /** The root declarations of the modules this image imports, by specifier. */
  const declarations = new Map<string, string>();
  return {
    name: "on-demand",
    resolveId: (source) => (source in ON_DEMAND ? PREFIX + source : null),
    async load(id) {
      if (!id.startsWith(PREFIX)) return null;
      const specifier = id.slice(PREFIX.length);
      const { entry, global } = ON_DEMAND[specifier];
      const bundle = await rollup({ input: entry, plugins: plugins() });
      const { output } = await bundle.generate({ format: "iife", name: EXPORTS, strict: false, sourcemap: "hidden" });
      await bundle.close();
      const code = output[0].code.trim();
      onBundle?.(specifier, code, output[0].map);
      declarations.set(specifier, `function ${global}() {\n  return ${expressionOf(code, EXPORTS, specifier)};\n}\n`);
      return `export function load() {\n  return ${global}();\n}\n`;
    },
    banner: () => [...declarations.values()].join(""),
  };
}

/**
 * Where the finished image declares its on-demand modules, for the size
 * breakdown: "fota/engine (on demand)" for virtual:fota-engine's declaration.
 */
export function onDemandSpans(code: string): NamedSpan[] {
  const names = new Map(Object.values(ON_DEMAND).map((m) => [m.global, shortName(m.entry) + " (on demand)"]));
  const program = acorn.parse(code, { ecmaVersion: "latest" });
  const spans: NamedSpan[] = [];
  for (const statement of program.body) {
    const module = statement.type === "FunctionDeclaration" ? names.get(statement.id.name) : undefined;
    if (module) spans.push({ module, start: statement.start, end: statement.end });
  }
  return spans;
}

/** A bundle generated as an iife named `name` ("var name=...;") as the expression whose value is its exports. */
export function expressionOf(code: string, name: string, what: string): string {
  const declaration = `var ${name}=`;
  const trimmed = code.trim();
  if (!trimmed.startsWith(declaration) || !trimmed.endsWith(";")) throw new Error(`${what}: unexpected bundle shape: ${trimmed.slice(0, 40)}`);
  return trimmed.slice(declaration.length, -1);
}

/**
 * For an image that is an expression (EXPRESSION_IMAGES in config.ts): the
 * bundle, generated as an iife named `name`, rewritten to "(<expression>)",
 * whose value eval returns. Placed before espruinoOutput, so its size and
 * gate see the file as written (the breakdown's module boundaries then sit
 * the stripped declaration's few bytes early).
 */
export function asExpression(name: string): Plugin {
  return {
    name: "as-expression",
    generateBundle(_output, bundle) {
      for (const file of Object.values(bundle)) if (file.type === "chunk") file.code = `(${expressionOf(file.code, name, file.fileName)})`;
    },
  };
}
