// What the interpreter keeps of a settled promise (docs/interpreter.md, "Speed
// and memory"): the promises chained on it while it was pending, and their
// values, until the settled promise itself is dropped.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runOnInterpreter } from "../../host/interp/folder.ts";
import { loadBoard } from "../../host/toolchain/board.ts";

const bin = process.env.ESPRUINO_BIN;
const STRING_BYTES = 3000;

// Five rounds: a pending promise gets a chain whose first step makes a 3,000-byte
// string, then settles. The same rounds run with the promises dropped and with them held.
const SCRIPT = `
function usage() { return process.memory().usage; }
var held = [];
function round(keep, n, done) {
  var release;
  var p = new Promise(function (r) { release = r; });
  p.then(function () { return E.toString(new Uint8Array(${STRING_BYTES}).fill(65)); }).then(function (t) { return t.length; });
  if (keep) held.push(p);
  release();
  setTimeout(function () { if (n > 1) round(keep, n - 1, done); else done(); }, 5);
}
round(false, 5, function () {
  var dropped = usage();
  round(true, 5, function () {
    var kept = usage() - dropped;
    held = [];
    print("kept " + kept + " freed " + (kept - (usage() - dropped)));
  });
});
`;

test("a settled promise keeps what was chained on it while pending: 5 held results stay in the pool until the promises are dropped", { skip: bin ? false : "ESPRUINO_BIN not set", timeout: 30_000 }, () => {
  const lines = runOnInterpreter(bin!, SCRIPT);
  const line = lines.find((l) => l.startsWith("kept "));
  assert.ok(line, lines.join("\n"));
  const [, kept, freed] = /^kept (\d+) freed (\d+)$/.exec(line)!.map(Number);
  console.log(`  ${line} (variables)`);
  // Each result string alone is STRING_BYTES / variableBytes variables (111 on the Linux build).
  const perResult = Math.floor(STRING_BYTES / loadBoard("linux").interpreter.variableBytes);
  assert.ok(kept >= 5 * perResult, `the settled promises kept their chained results: ${line}`);
  assert.ok(freed >= kept - 20, `dropping the settled promises freed them: ${line}`);
});
