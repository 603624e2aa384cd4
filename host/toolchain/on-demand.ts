// Modules an image creates only when it needs them: `import { load } from
// "virtual:fota-engine"` gives a function that, called, builds the module's
// functions and returns its exports. The module is bundled on its own (same
// plugins, same gate) and its code is placed inside that function's body,
// where the interpreter keeps it unparsed (in flash, for an image run from
// Storage) until the call. Each call makes a fresh copy; the caller lets go
// of it when done and its functions are garbage collected.
import { rollup, type Plugin } from "rollup";

/** Specifier → entry point, relative to the repository root. */
export const ON_DEMAND: Record<string, string> = {
  "virtual:fota-engine": "firmware/fota/engine.ts",
};

const PREFIX = "\0on-demand:";
/** The name the separate bundle's IIFE is given, stripped again: what is left is an expression. */
const EXPORTS = "__onDemandExports";

export function onDemand(plugins: () => Plugin[], onBundle?: (specifier: string, code: string, map: unknown) => void): Plugin {
  return {
    name: "on-demand",
    resolveId: (source) => (source in ON_DEMAND ? PREFIX + source : null),
    async load(id) {
      if (!id.startsWith(PREFIX)) return null;
      const specifier = id.slice(PREFIX.length);
      const bundle = await rollup({ input: ON_DEMAND[specifier], plugins: plugins() });
      const { output } = await bundle.generate({ format: "iife", name: EXPORTS, strict: false, sourcemap: "hidden" });
      await bundle.close();
      const code = output[0].code.trim();
      onBundle?.(specifier, code, output[0].map);
      return `export function load() {\n  return ${expressionOf(code, EXPORTS, specifier)};\n}\n`;
    },
  };
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
