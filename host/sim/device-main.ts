// The simulated board's process: one power-on. It ends on a hard reboot, a
// power cut or a watchdog reset (the supervisor, board.ts, kills it), and the
// supervisor starts the next power-on over the same flash file.
import { loadBoard } from "../toolchain/board.ts";
import { Device, describeThrown } from "./device.ts";
import { SimFlash, PowerCutError, type PowerCutMode } from "./flash.ts";
import { profileFor } from "./profiles.ts";
import { ConsoleRepl } from "./console-repl.ts";
import { BoardClock, HOST_SPEED } from "./board-speed.ts";
import { EXIT, type DeviceConfig, type SupervisorMessage, type DeviceMessage } from "./protocol.ts";

const config = JSON.parse(process.env.FOTA_SIM_CONFIG ?? "{}") as DeviceConfig;
const board = loadBoard(config.board);
const { layout } = board;
const send = (msg: DeviceMessage) => process.send?.(msg);

const chip = new SimFlash({ start: layout.flash.start, size: layout.flash.size, pageSize: layout.pageSize, file: config.flashFile });
if (config.powerCut) chip.armPowerCut(config.powerCut.opsFromNow, config.powerCut.mode);
const clock = config.atBoardSpeed ? BoardClock.calibrate(board.speed) : HOST_SPEED;

/** A power cut ends everything at once: nothing after the cut may run. */
function powered<T>(op: () => T): T {
  try {
    return op();
  } catch (e) {
    if (e instanceof PowerCutError) {
      // stdout is a pipe, written synchronously on Linux, so this line is not lost.
      process.stdout.write(`\r\n[sim: power cut at flash op ${chip.opsCount}]\r\n`);
      process.exit(EXIT.powerCut);
    }
    throw e;
  }
}
const flash = {
  read: (length: number, addr: number) => powered(() => chip.read(length, addr)),
  write: (data: Uint8Array, addr: number) => {
    clock.charge(clock.costs.program(data.length));
    powered(() => chip.write(data, addr));
  },
  erasePage: (addr: number) => {
    clock.charge(clock.costs.erasePages(1));
    powered(() => chip.erasePage(addr));
  },
  getPage: (addr: number) => chip.getPage(addr),
};

let autoKick: NodeJS.Timeout | undefined;
const device = new Device({
  layout,
  profile: profileFor(board),
  flash,
  clock,
  // Printed when the board gets there: after the time its code took to print it.
  output: (text) => clock.deliver(() => process.stdout.write(Buffer.from(text, "latin1"))),
  hardReset: () => process.exit(EXIT.reboot),
  watchdog: {
    enable: (seconds, auto) => {
      send({ type: "watchdog", seconds });
      clearInterval(autoKick);
      // An automatic watchdog is kicked whenever the event loop is idle, so only a hang trips it.
      if (auto) autoKick = setInterval(() => send({ type: "kick" }), Math.max(50, (seconds * 1000) / 4));
    },
    kick: () => send({ type: "kick" }),
  },
});

const repl = new ConsoleRepl(device);

process.on("message", (msg: SupervisorMessage) => {
  if (msg.type === "power-cut") chip.armPowerCut(msg.opsFromNow, msg.mode as PowerCutMode);
  else if (msg.type === "network-drop") device.network.drop();
  else if (msg.type === "network-stall") device.network.stall(msg.on);
  else if (msg.type === "console") repl.type(msg.text);
  else if (msg.type === "eval") {
    try {
      send({ type: "eval-result", id: msg.id, value: JSON.stringify(device.evaluate(msg.code)) ?? "undefined" });
    } catch (e) {
      send({ type: "eval-result", id: msg.id, error: describeThrown(e) });
    }
  }
});
process.on("uncaughtException", (e) => device.print(`Uncaught ${describeThrown(e)}`));
process.on("unhandledRejection", (reason) => device.print(`Unhandled promise rejection: ${describeThrown(reason)}`));

device.powerOn();
// Ready once the boot code has run: the supervisor sends nothing before.
send({ type: "ready", ...(clock instanceof BoardClock && { clockFactor: clock.factor }) });
