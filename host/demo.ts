// `npm start`: builds the images and boots a simulated board with them, the
// way a flashed board boots (loader as .bootcde, application beside it).
// Exits 0 once the application has started on the board.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimBoard, writeStorage } from "./sim/board.ts";

const board = process.env.FOTA_BOARD ?? "linux";
execFileSync("npm", ["run", "-s", "build"], { stdio: "inherit", env: { ...process.env, FOTA_BOARD: board } });
const dir = mkdtempSync(join(tmpdir(), "fota-demo-"));
const flashFile = join(dir, "flash.bin");
writeStorage(board, flashFile, {
  ".bootcde": readFileSync(`dist/${board}/loader.js`, "latin1"),
  "app.js": readFileSync(`dist/${board}/app.js`, "latin1"),
});
console.log(`\nsimulated ${board} board powering on (flash: ${flashFile})`);
const sim = await SimBoard.start({ board, flashFile, echo: `[${board}]` });
let ok = false;
try {
  await sim.waitFor(/^app .* on /, 15_000);
  ok = true;
} catch (e) {
  console.error((e as Error).message);
} finally {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(ok ? "\nthe board booted the application" : "\nthe board did not start the application");
process.exit(ok ? 0 : 1);
