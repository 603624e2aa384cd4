// `npm start`, the README's demo, exactly as a user runs it: it must end with
// every outcome (signed v2 SUCCEEDED, a tampered image refused, broken v3
// FAILED and rolled back), say which kind of board it ran on, and exit 0: a
// simulated ESP32, or the real interpreter when ESPRUINO_BIN is set.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";

const bin = process.env.ESPRUINO_BIN;

test("npm start shows a signed update to v2, a tampered image refused and a rollback from a broken v3 on a simulated ESP32, and exits 0", async () => {
  const { ESPRUINO_BIN: _ignored, ...env } = process.env;
  const out = await demo(env);
  assert.match(out, /== outcome, on a simulated esp32 \(as fast as this machine\)/);
});

test("npm start runs on the real interpreter when ESPRUINO_BIN is set", { skip: bin ? false : "ESPRUINO_BIN not set" }, async () => {
  const out = await demo(process.env);
  assert.match(out, /== outcome, on the real Espruino interpreter \(its Linux build, /);
});

/** Runs the demo; asserts its outcomes; returns its output. */
async function demo(env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn("npm", ["start", "--silent"], { stdio: ["ignore", "pipe", "pipe"], env });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  assert.equal(code, 0, out.slice(-3000));
  assert.match(out, /ok {3}v1 provisioned through fota flash with the owner's public key, running and connected/);
  assert.match(out, /ok {3}job demo-v2: demo-board: SUCCEEDED \{"slot":"1","version":"2\.0\.0","signature":"verified with key [0-9a-f]{16}"\}/);
  assert.match(out, /ok {3}job demo-tampered: demo-board: FAILED \{"reason":"digest-mismatch: image [0-9a-f]{64}, signed [0-9a-f]{64}"\}/);
  assert.match(out, /ok {3}job demo-v3: demo-board: FAILED \{"reason":"crashed: crashed at start: boom at start"/);
  assert.match(out, /ok {3}the board rolled back to v2/);
  assert.match(out, /download \[#+\] 100%/, "the download's progress is shown");
  return out;
}
