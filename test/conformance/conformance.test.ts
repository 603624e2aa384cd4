// Every conformance case in the simulator, and on the real interpreter when
// ESPRUINO_BIN points at a Linux build of Espruino.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildDeviceScript } from "../../host/toolchain/device-script.ts";
import { loadCases, runInSimulator } from "../../host/conformance/cases.ts";
import { runOnInterpreter } from "../../host/interp/folder.ts";

const bin = process.env.ESPRUINO_BIN;

for (const c of loadCases()) {
  test(`conformance ${c.name}`, async (t) => {
    assert.ok(c.expected.length > 0, "the case says what it must print");
    const code = await buildDeviceScript(c.source);
    await t.test("simulator", async () => {
      assert.deepEqual(await runInSimulator(code, c.expected[c.expected.length - 1]), c.expected);
    });
    await t.test("interpreter", { skip: bin ? false : "ESPRUINO_BIN is not set" }, () => {
      assert.deepEqual(runOnInterpreter(bin!, code), c.expected);
    });
  });
}
