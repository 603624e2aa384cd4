// Starting simulated boards in tests: a fresh flash file per board, and a
// device script built from a TypeScript entry with the firmware's pipeline.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimBoard, writeStorage } from "../../host/sim/board.ts";
import { HOST_BOARD } from "../../host/toolchain/board.ts";

export interface TestBoard {
  sim: SimBoard;
  flashFile: string;
  dispose(): Promise<void>;
}

/** Powers on a board whose Storage holds `files` (e.g. a .bootcde). */
export async function startBoard(files: Record<string, string>, options: { board?: string; consolePort?: number; env?: NodeJS.ProcessEnv } = {}): Promise<TestBoard> {
  const board = options.board ?? HOST_BOARD;
  const dir = mkdtempSync(join(tmpdir(), "sim-test-"));
  const flashFile = join(dir, "flash.bin");
  writeStorage(board, flashFile, files);
  const sim = await SimBoard.start({ board, flashFile, consolePort: options.consolePort, env: options.env });
  return {
    sim,
    flashFile,
    async dispose() {
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
