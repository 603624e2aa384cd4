// A real interpreter (its Linux build) provisioned as a user's board against
// the bench: the loader, the device's configuration and any extra Storage
// files in its flash, v1 copied into slot 0 by the provisioning image, then
// restarted into v1 and connected.
import type { Bench } from "../../host/bench/bench.ts";
import { thingStorageFiles } from "../../host/bench/ca.ts";
import { writeStorageFiles } from "../../host/interp/folder.ts";
import { InterpreterBoard } from "../../host/interp/supervisor.ts";
import { buildDeviceScript } from "../../host/toolchain/device-script.ts";
import { PROVISION_SCRIPT } from "../../firmware/provision/files.ts";

export async function provisionedInterpreter(options: { bin: string; dir: string; bench: Bench; thing: string; v1: string; extraFiles?: Record<string, string>; echo?: string }): Promise<InterpreterBoard> {
  const { bin, dir, bench, thing } = options;
  const creds = await bench.registry.registerDevice(thing);
  const files: Record<string, string> = {
    ".bootcde": await buildDeviceScript("firmware/loader/main.ts", "linux", "interp"),
    "fota.img": options.v1,
    // Named and run as fota flash does (host/cli/board-console.ts, runStored): from a RAM copy, so it erases itself before Storage is laid out.
    [PROVISION_SCRIPT]: `global.FOTA_VERSION = "1.0.0";\n${await buildDeviceScript("firmware/provision/main.ts")}`,
    "app.json": JSON.stringify({ samplePeriodS: 2 }),
    ".fota": JSON.stringify({ confirmWindowS: 60, watchdogS: 0 }),
    ...options.extraFiles,
    ...thingStorageFiles(creds, "localhost", bench.mqtt.port),
  };
  writeStorageFiles(bin, dir, files);
  const board = InterpreterBoard.start({ bin, dir, echo: options.echo });
  await board.waitFor(/no valid image in any slot/, 20_000);
  board.type(`eval(""+require("Storage").read(${JSON.stringify(PROVISION_SCRIPT)}))`);
  await board.waitFor(/^provisioned slot 0: \d+ bytes/, 30_000);
  const mark = board.lines.length;
  board.type("setTimeout(function () { E.reboot(); }, 10)");
  await board.waitFor(/^app 1\.0\.0 on linux, slot 0$/, 20_000, mark);
  await board.waitFor(new RegExp(`^connected to localhost as ${thing}$`), 60_000, mark);
  return board;
}
