// The compatibility gate: one fixture per rule it enforces, and the real bundles pass.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { listBoards } from "../../host/toolchain/board.ts";
import { IMAGES } from "../../host/toolchain/config.ts";
import { checkEspruinoCompat } from "../../host/toolchain/gate.ts";
import { fillArrayHoles } from "../../host/toolchain/array-holes.ts";

const refused: [string, string, RegExp][] = [
  ["syntax error", "var = ;", /syntax error/],
  ["destructuring", "var {a} = o;", /destructuring/],
  ["spread", "f(...args);", /spread/],
  ["default parameter", "function f(a = 1) {}", /default parameters/],
  ["async function", "async function f() {}", /async/],
  ["generator", "function* g() {}", /generators/],
  ["optional chaining", "var x = a?.b;", /optional chaining/],
  ["labelled break", "outer: for (;;) { break outer; }", /labelled/],
  ["exponent operator", "var x = 2 ** 8;", /\*\* operator/],
  ["missing global Map", "var m = new Map();", /Map does not exist/],
  ["missing global Symbol", "var s = Symbol('x');", /Symbol does not exist/],
  ["missing static Array.from", "var a = Array.from(x);", /Array\.from does not exist/],
  ["missing static Number.isInteger", "Number.isInteger(1);", /Number\.isInteger/],
  ["missing static Promise.race", "Promise.race([]);", /Promise\.race/],
  ["Promise#finally", "p.finally(function () {});", /Promise#finally/],
  ["built-in prototype access", "var s = Array.prototype.slice.call(arguments);", /Array\.prototype\.slice is undefined/],
  ["Function.prototype.apply", "Function.prototype.apply.call(f, null, []);", /Function\.prototype\.apply/],
  ["array hole", "var a = [0, 2, , 3];", /hole/],
  ["function used before its declaration", "f();\nfunction f() {}", /function f is used before its declaration/],
  ["function used before its declaration in a body", "function g() { var x = h(); function h() { return 1; } }", /function h is used before/],
  ["var used before its declaration", "function g() { x = 1; var x; }", /x is used before its var statement/],
  ["counted regex repetition", "var r = /^a{2}$/;", /counted repetition/],
  ["non-capturing group", "var r = /(?:a)b/;", /groups starting with \(\?/],
  ["unescaped slash in a class", "var r = /[^/]+/;", /unescaped \//],
  ["alternation inside a group", "var r = /^x(a|b)y$/;", /alternation inside a group/],
  ["optional atom", "var r = /^ab?$/;", /\? quantifier/],
  ["optional class", "var r = /^[a-z]+=?$/;", /\? quantifier/],
  ["optional group", "var r = /^(ab)?c$/;", /\? quantifier/],
  ["class with bytes above 0x7f", "var r = /[^\\x00-\\xff]/;", /signed bytes/],
  ["computed key", "var o = { [k]: 1 };", /computed keys/],
  ["missing string method", "s.trimStart();", /trimStart/],
];

for (const [name, code, reason] of refused) {
  test(`gate refuses: ${name}`, () => {
    const findings = checkEspruinoCompat(code);
    assert.ok(findings.some((f) => reason.test(f.reason)), `expected ${reason} in ${JSON.stringify(findings)}`);
    assert.ok(findings.every((f) => f.line >= 1), "every finding has a line");
  });
}

test("gate reports the line and column of what it refuses", () => {
  const [finding] = checkEspruinoCompat("var ok = 1;\nvar m = new Map();");
  assert.equal(finding.line, 2);
  assert.equal(finding.column, 12);
});

test("gate accepts feature-detected code, locals that shadow missing globals, and instance methods", () => {
  const code = `
    var hasSymbol = typeof Symbol === "function" && Symbol.iterator;
    if (typeof Map !== "undefined") { var m = new Map(); }
    function f(Map) { return new Map(); }
    var copy = [].slice.call(arguments, 1);
    var own = Object.prototype.hasOwnProperty.call(o, "k");
    function later() { return helper(); }
    function helper() { return 1; }
    later();
    var r = /^[0-9a-f]+$/i;
    var literalQuestionMarks = /^https:\\/\\/[^\\/?#]+\\?[a-z]*$/;`;
  assert.deepEqual(checkEspruinoCompat(code), []);
});

test("array holes become void 0 and keep their positions", () => {
  const out = fillArrayHoles("x = [0, 2, , 3]; y = [, [1, , 2], ,];");
  assert.equal(out, "x = [0, 2, void 0, 3]; y = [void 0, [1, void 0, 2], void 0,];");
  assert.deepEqual(checkEspruinoCompat(out), []);
});

test("the build passes the gate for every board in boards/ and every image, within budget", () => {
  const dist = mkdtempSync(join(tmpdir(), "gate-build-"));
  try {
    const out = execFileSync("npm", ["run", "-s", "build"], { encoding: "utf8", env: { ...process.env, FOTA_OUT: dist } });
    for (const board of listBoards()) {
      for (const image of Object.keys(IMAGES)) {
        const path = join(dist, board, `${image}.js`);
        assert.ok(existsSync(path), `${path} written`);
        assert.deepEqual(checkEspruinoCompat(readFileSync(path, "latin1")), [], `${path} passes the gate`);
        assert.match(out, new RegExp(`${board}/${image}\\.js: \\d+ bytes`), "its size is printed");
      }
    }
  } finally {
    rmSync(dist, { recursive: true, force: true });
  }
});
