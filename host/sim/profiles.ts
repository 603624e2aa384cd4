// What the interpreter itself reports on each board (not the layout we chose):
// its Flash.getFree() answer, process.env, and its variable pool.

export interface BoardProfile {
  boardName: string;
  /** Flash.getFree() as the interpreter answers it: on the ESP32 one entry lies inside Storage. */
  flashGetFree: { addr: number; length: number }[];
  env: Record<string, unknown>;
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

export const PROFILES: Record<string, BoardProfile> = {
  esp32: {
    boardName: "ESP32",
    flashGetFree: [
      { addr: 0xe000, length: 0x2000 },
      { addr: 0x310000, length: 0x10000 },
      { addr: 0x360000, length: 0xa0000 },
    ],
    env: { RAM: 16383 * 14, FLASH: 0x400000, STORAGE: 0xe0000 },
    memory: pool(16383, 14),
  },
  linux: {
    boardName: "LINUX",
    flashGetFree: [{ addr: 0x10000000, length: 0x40000 }],
    env: { RAM: 0, FLASH: 0x40000, STORAGE: 0x40000 },
    memory: pool(4096, 27),
  },
};

export function profileFor(board: string): BoardProfile {
  const p = PROFILES[board];
  if (!p) throw new Error(`the simulator has no profile for board "${board}" (have: ${Object.keys(PROFILES).join(", ")})`);
  return p;
}
