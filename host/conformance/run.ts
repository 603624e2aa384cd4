// `npm run conformance`: every case in the simulator and, when ESPRUINO_BIN
// points at a Linux build of the interpreter, on the interpreter too.
import { loadCases, runInSimulator } from "./cases.ts";
import { buildDeviceScript } from "../toolchain/device-script.ts";
import { runOnInterpreter } from "../interp/folder.ts";
import { scriptArgs } from "../script-args.ts";

const { positionals } = scriptArgs(
  "npm run conformance -- [NAME]: the cases whose name contains NAME (default all), in the simulator and, when ESPRUINO_BIN names the Espruino Linux binary, on the interpreter",
  { allowPositionals: true },
);
const bin = process.env.ESPRUINO_BIN;
const filter = positionals[0];
let failures = 0;
let ran = { sim: 0, interpreter: 0 };
for (const c of loadCases().filter((c) => !filter || c.name.includes(filter))) {
  const code = await buildDeviceScript(c.source);
  const last = c.expected[c.expected.length - 1];
  const results: [string, string[]][] = [["sim", await runInSimulator(code, last)]];
  ran.sim++;
  if (bin) {
    results.push(["interpreter", runOnInterpreter(bin, code)]);
    ran.interpreter++;
  }
  for (const [where, lines] of results) {
    const ok = JSON.stringify(lines) === JSON.stringify(c.expected);
    if (!ok) failures++;
    console.log(`${ok ? "pass" : "FAIL"}  ${c.name.padEnd(24)} ${where}`);
    if (!ok) console.log(`  expected: ${JSON.stringify(c.expected)}\n  printed:  ${JSON.stringify(lines)}`);
  }
}
console.log(`\ncases run: ${ran.sim} in the simulator, ${ran.interpreter} on the interpreter${bin ? ` (${bin})` : " (ESPRUINO_BIN not set)"}; ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
