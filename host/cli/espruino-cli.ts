// Runs the `espruino` command-line tool (npm package espruino) against a
// board's console: a serial port, or tcp://host:port (a network console, as
// the simulator serves). Without network access the tool cannot fetch board
// descriptions, so it is given a local one listing the built-in modules.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fail } from "./errors.ts";

const CLI = createRequire(import.meta.url).resolve("espruino/bin/espruino-cli.js");
const BUILTIN_MODULES = ["Flash", "Storage", "net", "tls", "http", "crypto", "Wifi", "ESP32", "fs"];

export interface EspruinoRun {
  code: number | null;
  /** What the board printed back (the tool's "--] " lines, without the prefix). */
  boardLines: string[];
  output: string;
}

/** A board description file for the tool (it wants one to know which modules are built in). */
export function boardDescription(board: string): string {
  const dir = mkdtempSync(join(tmpdir(), "fota-board-"));
  const file = join(dir, `${board.toUpperCase()}.json`);
  writeFileSync(file, JSON.stringify({ info: { name: board, builtin_modules: BUILTIN_MODULES } }));
  return file;
}

export function runEspruino(port: string, board: string, args: string[], timeoutMs = 120_000): Promise<EspruinoRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, "--no-ble", "--board", boardDescription(board), "-p", port, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d.toString("latin1")));
    child.stderr.on("data", (d) => (output += d.toString("latin1")));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => fail(`cannot run the espruino tool: ${e.message}`));
    child.on("exit", (code) => {
      clearTimeout(timer);
      const boardLines = output
        .split(/\r?\n/)
        .filter((l) => l.startsWith("--] "))
        .map((l) => l.slice(4));
      if (!/Connected/.test(output)) fail(`could not connect to the board at ${port}`);
      resolve({ code, boardLines, output });
    });
  });
}
