// `fota flash`: provisions a board through the espruino tool: the loader as
// .bootcde, the application into slot 0 (through the provisioning image) with
// its boot record, the device configuration into Storage; then reads it all
// back to check it, and restarts the board.
import { crc32 } from "node:zlib";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseFlags } from "./args.ts";
import { fail } from "./errors.ts";
import { readDeviceConfig, storageFiles } from "./device-config.ts";
import { runEspruino } from "./espruino-cli.ts";
import { boardFlagUsage, DEFAULT_BOARD } from "../toolchain/board.ts";
import { PROVISION_SCRIPT, STAGED_IMAGE } from "../../firmware/provision/files.ts";

export const FLASH_USAGE = `fota flash --port PORT --config device.json [${boardFlagUsage()}] [--version V] [--dist DIR]`;

const LOADER = ".bootcde";

export async function flash(argv: string[], log: (line: string) => void = console.log): Promise<void> {
  const flags = parseFlags(argv, { values: ["port", "config", "board", "version", "dist"] });
  const port = flags.values.port ?? fail("--port is required (a serial port, or tcp://HOST:PORT for a network console)");
  const config = readDeviceConfig(flags.values.config ?? fail("--config device.json is required (fota device add writes one)"));
  const board = flags.values.board ?? DEFAULT_BOARD;
  const dist = flags.values.dist ?? "dist";
  const image = (name: string) => {
    const path = join(dist, board, `${name}.js`);
    if (!existsSync(path)) fail(`${path} is missing: run "fota build --board ${board}" first`);
    return path;
  };
  const version = flags.values.version ?? "";
  const staging = mkdtempSync(join(tmpdir(), "fota-flash-"));
  const files: Record<string, string> = { [LOADER]: image("loader"), [STAGED_IMAGE]: image("app"), [PROVISION_SCRIPT]: image("provision") };
  for (const [name, bytes] of Object.entries(storageFiles(config))) {
    const path = join(staging, name);
    writeFileSync(path, bytes);
    files[name] = path;
  }
  const storageArgs = Object.entries(files).flatMap(([name, path]) => ["--storage", `${name}:${path}`]);
  // Evaluated from a RAM copy ("" + ...): the script erases its own file, and code
  // run from a Storage file whose file is erased stops there (docs/interpreter.md).
  const provisionCode = `global.FOTA_VERSION=${JSON.stringify(version)};eval(""+require("Storage").read(${JSON.stringify(PROVISION_SCRIPT)}));`;
  log(`writing to ${port}: ${Object.keys(files).filter((f) => f !== PROVISION_SCRIPT).join(", ")}`);
  const written = await runEspruino(port, board, [...storageArgs, "-e", provisionCode]);
  const provisioned = written.boardLines.find((l) => /^provision(ed|ing failed)/.test(l));
  if (!provisioned) fail(`the board did not report provisioning; the espruino tool printed:\n${written.output.trim()}`);
  if (!provisioned.startsWith("provisioned")) fail(`on the board: ${provisioned}`);
  log(`board: ${provisioned}`);

  // Read back: every file's CRC-32 as the board computes it, against ours.
  const expected: Record<string, number> = {};
  for (const [name, path] of Object.entries(files)) if (name !== STAGED_IMAGE && name !== PROVISION_SCRIPT) expected[name] = crc32(readFileSync(path));
  const names = JSON.stringify(Object.keys(expected));
  const check = await runEspruino(port, board, [
    "-e",
    `print("readback "+JSON.stringify(${names}.map(function(n){var d=require("Storage").read(n);return d===undefined?-1:E.CRC32(d);})));setTimeout(function(){E.reboot();},500);`,
  ]);
  const line = check.boardLines.find((l) => l.startsWith("readback "));
  if (!line) fail(`the board did not answer the read-back; the espruino tool printed:\n${check.output.trim()}`);
  const crcs = JSON.parse(line.slice("readback ".length)) as number[];
  const bad = Object.keys(expected).filter((name, i) => crcs[i] !== expected[name]);
  if (bad.length > 0) fail(`read-back mismatch on the board for ${bad.join(", ")}`);
  for (const name of Object.keys(expected)) log(`checked ${name}: CRC-32 ${expected[name].toString(16).padStart(8, "0")}`);
  log("board restarting into slot 0");
}
