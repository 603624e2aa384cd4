// What the simulated interpreter reports about itself on a board: its
// Flash.getFree() answer, process.env and its variable pool, all taken from
// the board's file (boards/<name>.json, "interpreter").
import type { BoardFile, InterpreterStorage } from "../toolchain/board.ts";

export interface BoardProfile {
  boardName: string;
  /** Flash.getFree() as the interpreter answers it: on the ESP32 one entry lies inside Storage. */
  flashGetFree: { addr: number; length: number }[];
  env: Record<string, unknown>;
  /** The interpreter's own Storage area, which the simulated Storage manages. */
  storage: InterpreterStorage;
  memory(): { free: number; usage: number; total: number; history: number; gc: number; gctime: number; blocksize: number };
}

/**
 * The simulator cannot count the interpreter's variables; it reports the
 * board's pool size and an estimate of use from the V8 heap, at the
 * interpreter's block size (good for trends, not for absolute limits).
 */
function pool(total: number, blocksize: number) {
  const baseline = process.memoryUsage().heapUsed;
  return () => {
    const usage = Math.max(0, Math.min(total, Math.round((process.memoryUsage().heapUsed - baseline) / (blocksize * 8))));
    return { free: total - usage, usage, total, history: 0, gc: 0, gctime: 0, blocksize };
  };
}

export function profileFor(board: BoardFile): BoardProfile {
  const report = board.interpreter;
  return {
    boardName: report.board,
    flashGetFree: report.flashGetFree.map((r) => ({ addr: r.start, length: r.size })),
    env: report.env,
    storage: report.storage,
    memory: pool(report.variables, report.variableBytes),
  };
}
