// A real interpreter (its Linux build) provisioned as a user's board against
// the bench: the loader, the device's configuration and any extra Storage
// files in its flash, v1 copied into slot 0 by the provisioning image, then
// restarted into v1 and connected. And how to read its variable pool.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

/**
 * Typed at the console: how much of the variable pool the board uses (the
 * memory budget, docs/interpreter.md), and how many TLS connections are open
 * at that moment, by kind: the interpreter lists its client connections in a
 * hidden global (libs/network/socketserver.c, "HttpCC"), each with its type
 * (libs/network/network.h: ST_TLS 4, ST_HTTP 1): the broker's is a TLS
 * socket (4), a download an HTTPS request (5).
 */
export const MEMORY =
  `(function(){var m=process.memory(),c=global["\\xFF"].HttpCC||[];m.mqttTls=0;m.httpsTls=0;` +
  `c.forEach(function(s){if(s.type===4)m.mqttTls++;if(s.type===5)m.httpsTls++;});print("memory "+JSON.stringify(m));})()`;

export interface Memory {
  usage: number;
  total: number;
  free: number;
  /** TLS sockets open (the broker's) and HTTPS requests open (downloads) when it was read. */
  mqttTls: number;
  httpsTls: number;
}

/**
 * What one TLS connection to the broker takes of the Linux build's pool: its
 * mbedtls buffers come from the variable pool there (libs/crypto/mbedtls/config.h:
 * jsvMalloc), while the ESP32 build links ESP-IDF's mbedtls, which allocates
 * from the IDF heap (make/crypto/ESP32_IDF4.make builds none of its own).
 */
async function tlsCost(board: InterpreterBoard, port: number): Promise<number> {
  const mark = board.lines.length;
  board.type(
    `(function(){var S=require("Storage"),u=process.memory().usage,s=require("tls").connect({host:"localhost",port:${port},ca:S.read("aws.ca"),key:S.read("aws.key"),cert:S.read("aws.crt")},function(){` +
      `setTimeout(function(){print("tls cost "+(process.memory().usage-u));s.end();},1500);});})()`,
  );
  const line = await board.waitFor(/^tls cost -?\d+$/, 20_000, mark);
  return Number(line.slice("tls cost ".length));
}

/**
 * The same for a download's HTTPS request, which carries no client
 * certificate: read when the response starts, less the request and response
 * objects.
 */
async function httpsCost(board: InterpreterBoard, origin: string): Promise<number> {
  const mark = board.lines.length;
  board.type(
    `(function(){var u=process.memory().usage,q=require("http").get(${JSON.stringify(origin + "/")},function(r){` +
      `print("https cost "+(process.memory().usage-u-E.getSizeOf(r)-E.getSizeOf(q)));r.on("data",function(){});});})()`,
  );
  const line = await board.waitFor(/^https cost -?\d+$/, 20_000, mark);
  return Number(line.slice("https cost ".length));
}

/** What each kind of TLS connection takes of this build's pool. */
export interface TlsCosts {
  mqtt: number;
  https: number;
}

/**
 * Both costs, read against the bench's broker and object store on an
 * interpreter of its own, with only a thing's credentials in Storage and no
 * other connection: the interpreter fails ASSERT(net) (libs/network/network.c,
 * ssl_send) when a TLS handshake proceeds while another connection's handler
 * has just used the network, as a board's application can at any moment.
 */
export async function tlsCosts(bin: string, bench: Bench): Promise<TlsCosts> {
  const dir = mkdtempSync(join(tmpdir(), "tls-cost-"));
  const creds = await bench.registry.registerDevice("tls-cost");
  writeStorageFiles(bin, dir, thingStorageFiles(creds, "localhost", bench.mqtt.port));
  const board = InterpreterBoard.start({ bin, dir });
  try {
    return { mqtt: await tlsCost(board, bench.mqtt.port), https: await httpsCost(board, bench.objects.url) };
  } finally {
    await board.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The pool a reading would show without its open TLS connections: what counts on the ESP32. */
export function withoutTls(m: Memory, costs: TlsCosts): number {
  return m.usage - m.mqttTls * costs.mqtt - m.httpsTls * costs.https;
}

/** Asks the board for its MEMORY reading. */
async function memory(board: InterpreterBoard): Promise<Memory> {
  const mark = board.lines.length;
  board.type(MEMORY);
  const line = await board.waitFor(/^memory \{/, 10_000, mark);
  return JSON.parse(line.slice("memory ".length));
}

/**
 * The MEMORY reading once the board is settled: a second after what the test waited for, when the
 * board has had the answer to its last Jobs exchange (read at once, a reading can still hold that
 * exchange: up to 2,728 variables against 2,294 settled, measured once after an update).
 */
export async function settledMemory(board: InterpreterBoard): Promise<Memory> {
  await new Promise((r) => setTimeout(r, 1000));
  return memory(board);
}

/** Every MEMORY reading the board printed at its console, by phase ("v1 IN_PROGRESS", ...). */
export function memoryReadings(board: InterpreterBoard, phase: () => string): Record<string, Memory[]> {
  const readings: Record<string, Memory[]> = {};
  board.on("line", (line: string) => {
    if (!line.startsWith("memory {")) return;
    (readings[phase()] ??= []).push(JSON.parse(line.slice("memory ".length)) as Memory);
  });
  return readings;
}

/** Per phase, the highest reading as the board printed it, and the highest without its open TLS connections. */
export function peaks(readings: Record<string, Memory[]>, costs: TlsCosts): { raw: Record<string, number>; withoutTls: Record<string, number> } {
  const raw: Record<string, number> = {};
  const less: Record<string, number> = {};
  for (const [phase, list] of Object.entries(readings)) {
    raw[phase] = Math.max(...list.map((m) => m.usage));
    less[phase] = Math.max(...list.map((m) => withoutTls(m, costs)));
  }
  return { raw, withoutTls: less };
}
