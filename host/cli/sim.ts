// `fota sim`: a simulated board with its console on a TCP port, ready for
// `fota flash --port tcp://127.0.0.1:N --board <board>`. Its flash is kept in
// a file, so it can be stopped and started again as it was.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { parseFlags, positiveInteger } from "./args.ts";
import { SimBoard } from "../sim/board.ts";
import { boardFlagUsage, DEFAULT_BOARD } from "../toolchain/board.ts";

export const SIM_USAGE = `fota sim [${boardFlagUsage()}] [--flash FILE] [--console-port N]`;

export async function sim(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, { values: ["board", "flash", "console-port"] });
  const board = flags.values.board ?? DEFAULT_BOARD;
  const flashFile = flags.values.flash ?? `.sim/${board}.flash`;
  mkdirSync(dirname(flashFile), { recursive: true });
  const consolePort = positiveInteger(flags, "console-port") ?? 0;
  const simBoard = await SimBoard.start({ board, flashFile, consolePort, echo: `[${board}]` });
  console.log(`simulated ${board} board: flash ${flashFile}, console tcp://127.0.0.1:${simBoard.consolePort} (Ctrl-C stops it)`);
  simBoard.on("boot", (reason) => console.log(`[${board}] --- restart (${reason}) ---`));
  process.on("SIGINT", () => void simBoard.stop().then(() => process.exit(0)));
}
