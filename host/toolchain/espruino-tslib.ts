// TypeScript's down-levelling helpers, as the interpreter can run them.
// tslib's own helpers are used where they work once functions are hoisted;
// __spreadArray is replaced because it calls Array.prototype.slice, which the
// interpreter does not expose. Helpers we have not proven are refused, so a new
// language feature fails the build instead of the board.
import { createRequire } from "node:module";
import type { Plugin } from "rollup";

const TSLIB_ID = "\0espruino-tslib";
const tslibPath = createRequire(import.meta.url).resolve("tslib/tslib.es6.mjs");

const FROM_TSLIB = ["__extends", "__assign", "__rest", "__awaiter", "__generator"];

const SAFE_HELPERS = `
export { ${FROM_TSLIB.join(", ")} } from ${JSON.stringify(tslibPath)};
export function __spreadArray(to, from, pack) {
  var out = to.slice();
  for (var i = 0; i < from.length; i++) out.push(from[i]);
  return out;
}
`;

const SUPPORTED = new Set([...FROM_TSLIB, "__spreadArray"]);

export function espruinoTslib(): Plugin {
  return {
    name: "espruino-tslib",
    resolveId(source) {
      return source === "tslib" ? TSLIB_ID : null;
    },
    load(id) {
      return id === TSLIB_ID ? SAFE_HELPERS : null;
    },
    transform(code, id) {
      if (id.startsWith("\0")) return null;
      const match = /import\s*\{([^}]*)\}\s*from\s*["']tslib["']/.exec(code);
      if (!match) return null;
      const unsupported = match[1].split(",").map((s) => s.trim()).filter((s) => s && !SUPPORTED.has(s));
      if (unsupported.length > 0) {
        this.error(`${id}: uses TypeScript helper(s) ${unsupported.join(", ")} that are not proven on Espruino ` +
          `(supported: ${[...SUPPORTED].join(", ")}); rewrite the code without that feature`);
      }
      return null;
    },
  };
}
