// `fota build`: the loader, application and provisioning images for a board.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseFlags } from "./args.ts";
import { fail } from "./errors.ts";
import { boardFlagUsage, listBoards } from "../toolchain/board.ts";

export const BUILD_USAGE = `fota build [${boardFlagUsage()}] [--version X] [--out DIR]`;
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export function build(argv: string[]): void {
  const flags = parseFlags(argv, { values: ["board", "version", "out"] });
  const board = flags.values.board;
  if (board && !listBoards().includes(board)) fail(`unknown board "${board}" (boards: ${listBoards().join(", ")})`);
  const env = { ...process.env, ...(board && { FOTA_BOARD: board }), ...(flags.values.version && { FOTA_VERSION: flags.values.version }), ...(flags.values.out && { FOTA_OUT: flags.values.out }) };
  const rollup = fileURLToPath(new URL("../../node_modules/rollup/dist/bin/rollup", import.meta.url));
  const result = spawnSync(process.execPath, ["--import", "tsx", rollup, "-c", "rollup.config.js", "--silent"], { cwd: ROOT, env, stdio: "inherit" });
  if (result.status !== 0) fail("the build failed (see above)");
}
