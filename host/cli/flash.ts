// `fota flash`: provisions a board over its console, judged by the board's own
// answers. The console is the espruino tool's (a serial port or a network
// console); the files go through it in chunks the board checks (board-console.ts).
// The sequence, with the device side's part of it (firmware/provision):
//   1. the board answers as Espruino, and as the board named by --board
//   2. reset(): whatever it runs stops
//   3. require("Storage").eraseAll()
//   4. written in this order, each chunk read back by the board:
//      .bootcde (the loader), the configuration files, the trust anchor
//      (fota.pub, with --trust-key), with --verify-at-boot the loader's
//      setting (.fota), the boot verifier (fota.vfy) and slot 0's signature
//      record (fota.sig, copied into its raw page and erased by the script),
//      the provisioning script (fotaprov.js), the application image (fota.img)
//   5. the provisioning script runs (from a RAM copy) and prints one line,
//      "provisioned ..." or "provisioning failed: <reason>", possibly after
//      seconds of work and other output; it erases fota.img and itself
//   6. read back: the CRC-32 of each file still expected in Storage
//   7. restart (E.reboot()), and the board is heard starting again
// Every failure is one line saying what happened and what was written.
import { crc32 } from "node:zlib";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseFlags, positiveInteger } from "./args.ts";
import { fail, UserError } from "./errors.ts";
import { readDeviceConfig, storageFiles } from "./device-config.ts";
import { ConsoleError, ConsoleSession } from "./console-session.ts";
import { BoardConsole, BoardError, type WrittenFile } from "./board-console.ts";
import { boardFlagUsage, DEFAULT_BOARD, listBoards, loadBoard, type BoardFile } from "../toolchain/board.ts";
import { PROVISION_SCRIPT, STAGED_IMAGE, STAGED_SIGNATURE } from "../../firmware/provision/files.ts";
import { bootVerifyFiles } from "../signing/boot-verify.ts";
import { TRUST_ANCHOR_FILE } from "../../firmware/fota/manifest.ts";
import { readPublicKey, SigningError, trustAnchorFor } from "../signing/keys.ts";

export const FLASH_USAGE = `fota flash --port PORT --config device.json [${boardFlagUsage()}] [--version V] [--trust-key KEY.pub.pem [--verify-at-boot --sign KEY.key.pem --counter N]] [--dist DIR] [--baud N]`;

/** The loader's Storage name: the interpreter runs it at power-on. */
const LOADER = ".bootcde";
/** The provisioning script's verdict: exactly one line starting so. */
const VERDICT = /^(provisioned |provisioning failed: )/;
/** A serial console's speed when --baud is not given: Espruino's ESP32 build. */
const DEFAULT_BAUD = 115200;
/** How long a board may take to answer again after E.reboot(), beyond checking its image. */
const RESTART_MS = 30_000;

interface StorageFile {
  name: string;
  bytes: Buffer;
}

export async function flash(argv: string[], log: (line: string) => void = console.log): Promise<void> {
  const flags = parseFlags(argv, { values: ["port", "config", "board", "version", "dist", "baud", "trust-key", "sign", "counter"], switches: ["verify-at-boot"] });
  const verifyAtBoot = flags.switches.has("verify-at-boot");
  if (verifyAtBoot && (flags.values["trust-key"] === undefined || flags.values.sign === undefined || flags.values.counter === undefined)) {
    fail("--verify-at-boot needs --trust-key KEY.pub.pem, --sign KEY.key.pem and --counter N: slot 0 is signed here, and the board checks it at every start");
  }
  if (!verifyAtBoot && (flags.values.sign !== undefined || flags.values.counter !== undefined)) fail("--sign and --counter sign slot 0 for --verify-at-boot, which is not given");
  const port = flags.values.port ?? fail("--port is required (a serial port, or tcp://HOST:PORT for a network console)");
  const config = readDeviceConfig(flags.values.config ?? fail("--config device.json is required (fota device add writes one)"));
  const boardName = flags.values.board ?? DEFAULT_BOARD;
  if (!listBoards().includes(boardName)) fail(`unknown board "${boardName}" (boards: ${listBoards().join(", ")})`);
  const board = loadBoard(boardName);
  const dist = flags.values.dist ?? "dist";
  const image = (name: string): Buffer => {
    const path = join(dist, boardName, `${name}.js`);
    if (!existsSync(path)) fail(`${path} is missing: run "fota build --board ${boardName}" first`);
    return readFileSync(path);
  };
  const anchor = flags.values["trust-key"] === undefined ? [] : [trustAnchorFile(flags.values["trust-key"], log)];
  const app = image("app");
  const version = flags.values.version ?? "";
  const verify = verifyAtBoot ? verifyAtBootFiles(app, image("verifier"), board, version, flags.values, log) : [];
  // The order the device side expects (see the top of this file).
  const files: StorageFile[] = [
    { name: LOADER, bytes: image("loader") },
    ...Object.entries(storageFiles(config)).map(([name, bytes]) => ({ name, bytes })),
    ...anchor,
    ...verify,
    { name: PROVISION_SCRIPT, bytes: image("provision") },
    { name: STAGED_IMAGE, bytes: app },
  ];
  const baud = positiveInteger(flags, "baud") ?? DEFAULT_BAUD;

  let session: ConsoleSession;
  try {
    session = await ConsoleSession.open(port, baud);
  } catch (e) {
    throw e instanceof ConsoleError ? new UserError(e.message) : e;
  }
  const written: WrittenFile[] = [];
  const boardConsole = new BoardConsole(session, board);
  try {
    await provision(boardConsole, board, port, files, version, written, log);
  } catch (e) {
    if (e instanceof UserError) throw e;
    if (e instanceof ConsoleError || e instanceof BoardError) throw new UserError(`${e.message}; ${progressNote(written, files, boardConsole.lines)}`);
    throw e;
  } finally {
    await session.close();
  }
}

async function provision(board: BoardConsole, boardFile: BoardFile, port: string, files: StorageFile[], version: string, written: WrittenFile[], log: (line: string) => void): Promise<void> {
  const started = Date.now();
  const expectedBoard = boardFile.interpreter.board;

  // 1. Who is there.
  board.interrupt();
  // Asked twice: a board that was starting up may miss the first question.
  const who = (await board.hello()) ?? (await board.hello());
  if (!who) {
    const heard = board.lines.filter((l) => l.trim() !== "");
    if (heard.length > 0) fail(`the device at ${port} answered, but not as Espruino: "${heard[0].slice(0, 80)}"`);
    fail(`the board at ${port} did not answer (is it powered and running Espruino? a serial console runs at --baud, default ${DEFAULT_BAUD})`);
  }
  if (who.board !== expectedBoard) {
    const other = listBoards().find((b) => loadBoard(b).interpreter.board === who.board);
    fail(`the board at ${port} is an Espruino ${who.board} board, not ${expectedBoard}${other ? ` (pass --board ${other})` : ""}`);
  }
  log(`board at ${port}: Espruino ${who.version} on ${who.board}`);

  // 2, 3. Stop what runs, erase Storage.
  await board.reset();
  log(`erasing Storage (${boardFile.layout.storage.size / 1024} KB, about ${seconds(board.typicalEraseMs())} s on this board)`);
  const eraseStart = Date.now();
  await board.eraseStorage();
  const eraseMs = Date.now() - eraseStart;

  // 4. The files, in order.
  const writeStart = Date.now();
  for (const file of files) {
    const result = await board.upload(file.name, file.bytes);
    written.push(result);
    log(`wrote ${file.name}: ${file.bytes.length} bytes, CRC-32 ${hex(result.crc32)}, each chunk read back by the board`);
  }
  const writeMs = Date.now() - writeStart;
  const bytes = written.reduce((n, f) => n + f.bytes, 0);

  // 5. The provisioning script's verdict.
  const imageBytes = files.find((f) => f.name === STAGED_IMAGE)!.bytes.length;
  log(`running ${PROVISION_SCRIPT}: waiting for the board's verdict`);
  const runStart = Date.now();
  const verdict = await board.runStored(`global.FOTA_VERSION=${JSON.stringify(version)};`, PROVISION_SCRIPT, VERDICT, imageBytes);
  const runMs = Date.now() - runStart;
  if (!verdict.startsWith("provisioned ")) fail(`on the board: ${verdict}`);
  log(`board: ${verdict}`);

  // 6. Read back what stays in Storage.
  const kept = files.filter((f) => f.name !== STAGED_IMAGE && f.name !== PROVISION_SCRIPT && f.name !== STAGED_SIGNATURE);
  const crcs = await board.readBack(kept.map((f) => f.name));
  const bad = kept.filter((f, i) => crcs[i] !== crc32(f.bytes));
  if (bad.length > 0) fail(`read-back mismatch on the board for ${bad.map((f) => `${f.name} (${crcs[kept.indexOf(f)] === -1 ? "missing" : "different"})`).join(", ")}; run fota flash again`);
  for (const f of kept) log(`checked ${f.name}: CRC-32 ${hex(crc32(f.bytes))}`);

  const lineRate = boardFile.speed.consoleBytesPerSecond.typical;
  log(
    `provisioned in ${seconds(Date.now() - started)} s: Storage erased in ${seconds(eraseMs)} s; ${bytes} bytes in ${files.length} files written in ${seconds(writeMs)} s ` +
      `(${Math.round(bytes / (writeMs / 1000))} bytes/s; the console carries ${lineRate}); the board provisioned in ${seconds(runMs)} s`,
  );

  // 7. Restart into the new image.
  log("restarting the board");
  const restartMs = RESTART_MS + (imageBytes * 1000 * 3) / boardFile.speed.crc32BytesPerSecond.typical;
  const startup = await board.restart(restartMs);
  if (startup === "closed") log("the board's console closed as it restarted (a network console goes away with its board)");
  else if (startup === "silent") log(`the board said nothing within ${seconds(restartMs)} s of its restart and did not answer; watch its console`);
  else {
    for (const line of startup) log(`board: ${line}`);
    log("board restarted");
  }
}

/** What was written before a failure, what the board last said, and what to do. */
function progressNote(written: WrittenFile[], files: StorageFile[], lines: string[]): string {
  const last = lines.filter((l) => !l.startsWith("FOTA ")).slice(-3);
  const said = last.length > 0 ? `; the board's last lines: ${last.map((l) => JSON.stringify(l.slice(0, 100))).join(" ")}` : "";
  if (written.length === 0) return `nothing was written${said}; run fota flash again`;
  const missing = files.slice(written.length).map((f) => f.name);
  return `written and checked: ${written.map((f) => f.name).join(", ")}${missing.length ? `; not written: ${missing.join(", ")}` : ""}${said}; the board will not run the new image until fota flash completes: run it again`;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

/** fota.pub for the key in `path` (docs/signing.md): from then on the board installs only what that key signed. */
function trustAnchorFile(path: string, log: (line: string) => void): StorageFile {
  try {
    const bytes = Buffer.from(trustAnchorFor(path), "latin1");
    log(`the board will trust key ${readPublicKey(path).keyId} (${path}): it installs only images signed by it`);
    return { name: TRUST_ANCHOR_FILE, bytes };
  } catch (e) {
    if (e instanceof SigningError) fail(`--trust-key: ${e.message}`);
    throw e;
  }
}

/**
 * --verify-at-boot: slot 0 signed here with the owner's key (which must be the
 * one the board trusts), the boot verifier and the loader's setting
 * (docs/signing.md, "Verify at boot").
 */
function verifyAtBootFiles(app: Buffer, verifier: Buffer, board: BoardFile, version: string, values: Record<string, string>, log: (line: string) => void): StorageFile[] {
  if (!/^[0-9]+$/.test(values.counter)) fail(`--counter must be a whole number, got "${values.counter}"`);
  try {
    const made = bootVerifyFiles(app, { board: board.layout.name, version, counter: Number(values.counter), keyPath: values.sign }, verifier);
    const trusted = readPublicKey(values["trust-key"]).keyId;
    if (made.keyId !== trusted) fail(`--sign ${values.sign} is key ${made.keyId}, not the --trust-key ${trusted}: the board would refuse slot 0 at its first start`);
    log(`the board will verify each slot's signature at every start (verifier ${verifier.length} bytes); slot 0 signed with key ${made.keyId}, security counter ${values.counter}`);
    return Object.entries(made.files).map(([name, bytes]) => ({ name, bytes }));
  } catch (e) {
    if (e instanceof SigningError) fail(`--sign: ${e.message}`);
    throw e;
  }
}
