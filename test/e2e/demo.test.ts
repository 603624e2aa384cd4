// `npm start`, the README's demo, exactly as a user runs it: it must end with
// both outcomes (v2 SUCCEEDED, broken v3 FAILED and rolled back) and exit 0.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";

test("npm start shows an update to v2 and a rollback from a broken v3, and exits 0", async () => {
  const child = spawn("npm", ["start", "--silent"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  assert.equal(code, 0, out.slice(-3000));
  assert.match(out, /ok {3}v1 provisioned through fota flash, running and connected/);
  assert.match(out, /ok {3}job demo-v2: demo-board: SUCCEEDED \{"slot":"1","md5":"[0-9a-f]{32}","version":"2\.0\.0"\}/);
  assert.match(out, /ok {3}job demo-v3: demo-board: FAILED \{"reason":"crashed: crashed at start: boom at start"/);
  assert.match(out, /ok {3}the board rolled back to v2/);
  assert.match(out, /download \[#+\] 100%/, "the download's progress is shown");
});
