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
      const declaration = `var ${EXPORTS}=`;
      if (!code.startsWith(declaration) || !code.endsWith(";")) throw new Error(`${specifier}: unexpected bundle shape: ${code.slice(0, 40)}`);
      onBundle?.(specifier, code, output[0].map);
      return `export function load() {\n  return ${code.slice(declaration.length, -1)};\n}\n`;
    },
  };
}
