// The build takes TypeScript's ES5 class wrappers away (host/toolchain/flat-classes.ts):
// the class behaves the same, every other character keeps its place, and a
// wrapper holding anything but the class is left alone.
import { test } from "node:test";
import assert from "node:assert/strict";
import vm from "node:vm";
import ts from "typescript";
import type { Plugin, TransformPluginContext } from "rollup";
import { flatClasses } from "../../host/toolchain/flat-classes.ts";

function es5(source: string): string {
  return ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES5, module: ts.ModuleKind.ESNext } }).outputText;
}

function flatten(code: string): string | undefined {
  const transform = flatClasses().transform as Exclude<Plugin["transform"], undefined | { handler: unknown }>;
  const result = transform.call({} as TransformPluginContext, code, "/src/x.ts") as { code: string; map: null } | null;
  return result ? result.code : undefined;
}

/** Runs the module's code (its export statement dropped), then `probe`, a function body: what it returns. */
function run(code: string, probe: string): unknown {
  return JSON.parse(vm.runInNewContext(`${code.replace(/^export .*$/m, "")}\nJSON.stringify((function () { ${probe} })())`) as string);
}

const CLASS = `
export class Counter {
  static readonly START = 10;
  private _n: number;
  constructor(step: number) { this._n = Counter.START; this.step = step; }
  step: number;
  next(): number { this._n += this.step; return this._n; }
  get value(): number { return this._n; }
}
`;

test("a class's ES5 wrapper is taken away; the class works the same and nothing else moves", () => {
  const wrapped = es5(CLASS);
  assert.match(wrapped, /var Counter = \/\*\* @class \*\/ \(function \(\) \{/);
  const flat = flatten(wrapped);
  assert.ok(flat, "the wrapper was recognised");
  assert.doesNotMatch(flat!, /\(function \(\) \{|return Counter;|\}\(\)\);/);
  assert.equal(flat!.length, wrapped.length);
  for (let i = 0; i < flat!.length; i++) if (flat![i] !== " ") assert.equal(flat![i], wrapped[i], `character ${i} kept its place`);
  const probe = `var c = new Counter(5); return [c.next(), c.next(), c.value, Counter.START, typeof Counter.prototype.next];`;
  assert.deepEqual(run(flat!, probe), run(wrapped, probe));
  assert.deepEqual(run(flat!, probe), [15, 20, 20, 10, "function"]);
});

test("a wrapper that holds more than the class (a base class, a helper) is left as it is", () => {
  const derived = es5(`class Base { a() { return 1; } }\nexport class Derived extends Base { b() { return 2; } }`);
  const flat = flatten(derived);
  assert.ok(flat, "Base is flattened");
  assert.match(flat!, /var Derived = \/\*\* @class \*\/ \(function \(_super\) \{/, "Derived, with its base as a parameter, keeps its wrapper");
  assert.deepEqual(run(flat!, `var d = new Derived(); return [d.a(), d.b()];`), [1, 2]);
  const helper = `var Pair = (function () {\n  function Pair() {}\n  var shared = 1;\n  Pair.prototype.get = function () { return shared; };\n  return Pair;\n}());\n`;
  assert.equal(flatten(helper), undefined, "a wrapper with its own variable keeps it in scope");
});
