// A real interpreter (its Linux build) provisioned as a user's board against
// the bench: the loader, the device's configuration and any extra Storage
// files in its flash, v1 copied into slot 0 by the provisioning image, then
// restarted into v1 and connected. And how to read its variable pool.
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

/** Typed at the console: how much of the variable pool the board uses (the memory budget, docs/interpreter.md). */
export const MEMORY = `print("memory " + JSON.stringify(process.memory()))`;

export interface Memory {
  usage: number;
  total: number;
  free: number;
}

/**
 * What one TLS connection to the broker takes of the Linux build's pool: its
 * mbedtls buffers come from the variable pool there (libs/crypto/mbedtls/config.h:
 * jsvMalloc), while the ESP32 build links ESP-IDF's mbedtls, which allocates
 * from the IDF heap (make/crypto/ESP32_IDF4.make builds none of its own).
 */
export async function tlsCost(board: InterpreterBoard, port: number): Promise<number> {
  const mark = board.lines.length;
  board.type(
    `(function(){var S=require("Storage"),u=process.memory().usage,s=require("tls").connect({host:"localhost",port:${port},ca:S.read("aws.ca"),key:S.read("aws.key"),cert:S.read("aws.crt")},function(){` +
      `setTimeout(function(){print("tls cost "+(process.memory().usage-u));s.end();},1500);});})()`,
  );
  const line = await board.waitFor(/^tls cost -?\d+$/, 20_000, mark);
  return Number(line.slice("tls cost ".length));
}

/** Asks the board for process.memory(). */
export async function memory(board: InterpreterBoard): Promise<Memory> {
  const mark = board.lines.length;
  board.type(MEMORY);
  const line = await board.waitFor(/^memory \{/, 10_000, mark);
  return JSON.parse(line.slice("memory ".length));
}

/** The highest pool usage the board reported at its console (MEMORY), per phase ("v1 IN_PROGRESS", ...). */
export function peakUsage(board: InterpreterBoard, phase: () => string): Record<string, number> {
  const peaks: Record<string, number> = {};
  board.on("line", (line: string) => {
    if (!line.startsWith("memory {")) return;
    const { usage } = JSON.parse(line.slice("memory ".length)) as Memory;
    peaks[phase()] = Math.max(peaks[phase()] ?? 0, usage);
  });
  return peaks;
}
