// The simulator at a board's speed stretches device JavaScript by how much
// slower the board runs its calibration workload (host/sim/board-speed.ts).
// What that workload costs the interpreter, counted in iterations of the
// boards' reference loop (CALIBRATION_LOOPS), was measured on the Linux build:
// the real interpreter is asked again here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CALIBRATION_LOOPS, CALIBRATION_WORKLOAD } from "../../host/sim/board-speed.ts";
import { runOnInterpreter } from "../../host/interp/folder.ts";

const bin = process.env.ESPRUINO_BIN;

test("the calibration workload costs the interpreter about CALIBRATION_LOOPS reference loops", { skip: bin ? false : "ESPRUINO_BIN not set", timeout: 120_000 }, () => {
  const code = `var workload = ${CALIBRATION_WORKLOAD};
function reference(n) { while (n--) { D0.set(); D0.reset(); } }
var loops = [];
for (var r = 0; r < 7; r++) {
  var t0 = getTime(); workload(); var t1 = getTime(); reference(5000); var t2 = getTime();
  loops.push((t1 - t0) * 5000 / (t2 - t1));
}
loops.sort(function (a, b) { return a - b; });
print("loops " + loops[3]);`;
  const line = runOnInterpreter(bin!, code, 100_000).find((l) => l.startsWith("loops "));
  assert.ok(line, "the interpreter ran the workload");
  const loops = Number(line.slice("loops ".length));
  console.log(`  the workload costs ${loops.toFixed(0)} reference loops on the interpreter; the simulator assumes ${CALIBRATION_LOOPS}`);
  assert.ok(loops > CALIBRATION_LOOPS / 1.5 && loops < CALIBRATION_LOOPS * 1.5, `${loops} is within 1.5x of ${CALIBRATION_LOOPS}`);
});
