// Messages between the simulated board's process and its supervisor.

export interface DeviceConfig {
  board: string;
  flashFile: string;
  consolePort?: number;
  /** Arm a power cut before the board even starts (counting flash ops from power-on). */
  powerCut?: { opsFromNow: number; mode: "clean" | "torn" };
}

/** Exit codes of the board's process. */
export const EXIT = { reboot: 3, powerCut: 4 } as const;

export type SupervisorMessage =
  | { type: "power-cut"; opsFromNow: number; mode: "clean" | "torn" }
  | { type: "network-drop" }
  | { type: "network-stall"; on: boolean }
  | { type: "eval"; id: number; code: string };

export type DeviceMessage =
  | { type: "ready"; consolePort?: number }
  | { type: "watchdog"; seconds: number }
  | { type: "kick" }
  | { type: "eval-result"; id: number; value?: string; error?: string };
