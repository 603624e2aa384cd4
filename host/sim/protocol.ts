// Messages between the simulated board's process and its supervisor.

export interface DeviceConfig {
  board: string;
  flashFile: string;
  /** Run at the board's speed (boards/<name>.json "speed") rather than the host's. */
  atBoardSpeed?: boolean;
  /** Arm a power cut before the board even starts (counting flash ops from power-on). */
  powerCut?: { opsFromNow: number; mode: "clean" | "torn" };
}

/** Exit codes of the board's process. */
export const EXIT = { reboot: 3, powerCut: 4 } as const;

export type SupervisorMessage =
  | { type: "power-cut"; opsFromNow: number; mode: "clean" | "torn" }
  | { type: "network-drop" }
  | { type: "network-stall"; on: boolean }
  | { type: "eval"; id: number; code: string }
  | { type: "console"; text: string };

export type DeviceMessage =
  /** The boot code has run; `clockFactor`: how much slower device JavaScript runs than on the host (at the board's speed). */
  | { type: "ready"; clockFactor?: number }
  | { type: "watchdog"; seconds: number }
  | { type: "kick" }
  | { type: "eval-result"; id: number; value?: string; error?: string };
