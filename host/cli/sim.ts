// `fota sim`: a board for `fota flash --port tcp://127.0.0.1:N` and the FOTA
// flow, with no hardware. By default a simulated board at the board's speed
// (boards/<name>.json "speed"; --fast: as fast as this machine); with
// --interpreter, the real Espruino interpreter (its Linux build) as a linux
// board, restarted after E.reboot(). Either keeps its flash (a file, or the
// interpreter's espruino.flash in --dir), so it can be stopped and started
// again as it was; its console port stays up while the board restarts.
import { accessSync, constants, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseFlags, positiveInteger } from "./args.ts";
import { fail } from "./errors.ts";
import { SimBoard } from "../sim/board.ts";
import { InterpreterBoard } from "../interp/supervisor.ts";
import { boardFlagUsage, DEFAULT_BOARD, listBoards, loadBoard } from "../toolchain/board.ts";

export const SIM_USAGE = `fota sim [${boardFlagUsage()}] [--flash FILE] [--console-port N] [--fast] | fota sim --interpreter [BIN] [--dir DIR] [--console-port N]`;

export async function sim(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, { values: ["board", "flash", "console-port", "dir"], switches: ["fast", "interpreter"] });
  const consolePort = positiveInteger(flags, "console-port") ?? 0;
  if (flags.switches.has("interpreter")) return interpreter(flags.positional[0] ?? process.env.ESPRUINO_BIN, flags.values.dir ?? ".sim/interpreter", consolePort);
  if (flags.positional.length > 0) fail(`unexpected argument "${flags.positional[0]}" (${SIM_USAGE})`);
  const board = flags.values.board ?? DEFAULT_BOARD;
  if (!listBoards().includes(board)) fail(`unknown board "${board}" (boards: ${listBoards().join(", ")})`);
  const flashFile = flags.values.flash ?? `.sim/${board}.flash`;
  mkdirSync(dirname(flashFile), { recursive: true });
  const atBoardSpeed = !flags.switches.has("fast");
  const simBoard = await SimBoard.start({ board, flashFile, consolePort, atBoardSpeed, echo: `[${board}]` });
  const speed = loadBoard(board).speed;
  const pace = atBoardSpeed
    ? `at the board's speed (console ${speed.consoleBytesPerSecond.typical} bytes/s, a flash page erased in ${speed.flashErasePageMs.typical} ms, JavaScript ${Math.round(simBoard.clockFactor ?? 1)}x slower than on this machine)`
    : "as fast as this machine";
  console.log(`simulated ${board} board ${pace}: flash ${flashFile}, console tcp://127.0.0.1:${simBoard.consolePort} (Ctrl-C stops it)`);
  simBoard.on("boot", (reason) => console.log(`[${board}] --- restart (${reason}) ---`));
  stopOnSignals(() => simBoard.stop());
}

async function interpreter(bin: string | undefined, dir: string, consolePort: number): Promise<void> {
  if (!bin) fail("which interpreter? fota sim --interpreter /path/to/espruino (Espruino's Linux build), or set ESPRUINO_BIN");
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    fail(`${bin} is not an executable file (fota sim --interpreter wants Espruino's Linux build)`);
  }
  mkdirSync(dir, { recursive: true });
  const board = await InterpreterBoard.serve({ bin: resolve(bin), dir, consolePort, echo: "[interpreter]" });
  console.log(`the Espruino interpreter ${bin} as a linux board: flash ${dir}/espruino.flash, console tcp://127.0.0.1:${board.consolePort} (Ctrl-C stops it)`);
  board.on("boot", (reason) => console.log(`[interpreter] --- restart (${reason}) ---`));
  // The interpreter ignores SIGTERM and spins once its input closes: it is stopped here, whatever stops us.
  stopOnSignals(() => board.stop());
}

function stopOnSignals(stop: () => Promise<void>): void {
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => void stop().then(() => process.exit(0)));
}
