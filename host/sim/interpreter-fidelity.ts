// Makes a fresh V8 realm look like the Espruino interpreter's language
// (measured on 2v29, see docs/interpreter.md and test/conformance/):
// what it lacks is removed, and built-in methods stop being reachable through
// their prototypes, so code that passes in the simulator runs on the board.
import vm from "node:vm";

const MISSING_GLOBALS = [
  "Map", "Set", "WeakMap", "WeakSet", "WeakRef", "FinalizationRegistry", "Symbol", "Proxy", "Reflect",
  "BigInt", "BigInt64Array", "BigUint64Array", "RangeError", "EvalError", "URIError", "AggregateError",
  "Intl", "escape", "unescape", "SharedArrayBuffer", "Atomics", "WebAssembly",
];

const MISSING_STATICS: Record<string, string[]> = {
  Array: ["from", "of"],
  Number: ["isInteger", "isSafeInteger", "isFinite", "isNaN", "parseFloat", "parseInt", "MAX_SAFE_INTEGER", "MIN_SAFE_INTEGER", "EPSILON"],
  Math: ["imul", "clz32", "fround", "trunc", "log2", "log10", "hypot", "cbrt", "expm1", "log1p", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh"],
  Object: ["freeze", "isFrozen", "seal", "isSealed", "preventExtensions", "is", "getOwnPropertySymbols"],
  Date: ["UTC"],
  String: ["raw", "fromCodePoint"],
  Promise: ["race", "allSettled", "any"],
};

const MISSING_METHODS: Record<string, string[]> = {
  Array: ["reduceRight", "lastIndexOf", "keys", "entries", "flat", "flatMap", "at", "copyWithin", "findLast", "findLastIndex"],
  String: ["trimStart", "trimEnd", "codePointAt", "at", "normalize", "localeCompare", "search"],
  Number: ["toPrecision", "toExponential"],
  Object: ["isPrototypeOf", "propertyIsEnumerable"],
  Promise: ["finally"],
  ArrayBuffer: ["slice"],
};

/** Prototypes whose methods work on instances but read as undefined on the prototype itself. */
const HIDDEN_PROTOTYPES = ["Array", "String", "Function", "Number", "Boolean"];

/** Runs inside the new realm, so it touches only that realm's built-ins. */
const SETUP = `(function (missingGlobals, missingStatics, missingMethods, hiddenPrototypes) {
  var g = this;
  missingGlobals.forEach(function (name) { delete g[name]; });
  Object.keys(missingStatics).forEach(function (ctor) {
    missingStatics[ctor].forEach(function (name) { delete g[ctor][name]; });
  });
  Object.keys(missingMethods).forEach(function (ctor) {
    var proto = g[ctor].prototype;
    missingMethods[ctor].forEach(function (name) {
      delete proto[name];
      if (ctor === "String") {
        // Reading a missing member of a string throws on the interpreter.
        Object.defineProperty(proto, name, { configurable: true, get: function () {
          throw new Error('Field or method "' + name + '" does not already exist, and can\\'t create it on String');
        } });
      }
    });
  });
  hiddenPrototypes.forEach(function (ctor) {
    var proto = g[ctor].prototype;
    Object.getOwnPropertyNames(proto).forEach(function (name) {
      var desc = Object.getOwnPropertyDescriptor(proto, name);
      if (name === "constructor" || typeof desc.value !== "function" || !desc.configurable) return;
      var method = desc.value;
      Object.defineProperty(proto, name, {
        configurable: true,
        get: function () { return this === proto ? undefined : method; },
        set: function (v) { Object.defineProperty(this, name, { value: v, writable: true, configurable: true, enumerable: true }); },
      });
    });
  });
})`;

export function applyInterpreterFidelity(context: vm.Context): void {
  const setup = vm.runInContext(SETUP, context) as (...args: unknown[]) => void;
  // Arguments cross realms as JSON so the realm's own built-ins do the work.
  const args = vm.runInContext(
    `(${JSON.stringify([MISSING_GLOBALS, MISSING_STATICS, MISSING_METHODS, HIDDEN_PROTOTYPES])})`,
    context,
  ) as unknown[];
  setup.call(vm.runInContext("this", context), ...args);
}
