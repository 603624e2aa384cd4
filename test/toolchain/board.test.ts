// Board layout files: the shipped ones load; bad ones are refused with the field named.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadBoard, parseBoard, BoardFileError, BOARDS_DIR, DEFAULT_BOARD, HOST_BOARD } from "../../host/toolchain/board.ts";

/** What is in boards/, read here rather than through listBoards, which these tests check. */
const boardNames = readdirSync(BOARDS_DIR).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort();

test("every board file in boards/ loads, and the default and host boards are among them", () => {
  for (const name of boardNames) assert.equal(loadBoard(name).layout.name, name);
  assert.ok(boardNames.includes(DEFAULT_BOARD) && boardNames.includes(HOST_BOARD));
});

test("a board file whose name is not its file's name is refused", () => {
  const dir = mkdtempSync(join(tmpdir(), "boards-"));
  try {
    writeFileSync(join(dir, "copy.json"), readFileSync(join(BOARDS_DIR, `${HOST_BOARD}.json`)));
    assert.throws(() => loadBoard("copy", dir), (e: unknown) => e instanceof BoardFileError && e.message.endsWith(`"name" is "${HOST_BOARD}", not the file's name "copy"`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("boards/esp32.json and boards/linux.json load", () => {
  const esp32 = loadBoard("esp32");
  assert.equal(esp32.layout.pageSize, 4096);
  assert.equal(esp32.layout.slots[0].start, 0x190000, "slots live in the unused ota_0 partition");
  assert.equal(esp32.layout.bootRecord.start, 0x310000, "the boot record has the 64 KB flash partition");
  assert.equal(esp32.layout.storage.start, 0x320000);
  assert.deepEqual([esp32.layout.signatures.start, esp32.layout.signatures.size], [0x312000, 0x2000], "signatures: after the boot record, before Storage");
  const linux = loadBoard("linux");
  assert.equal(linux.layout.flash.start, 0x10000000);
  assert.equal(linux.layout.pageSize, 1024);
  assert.deepEqual(linux.interpreter.storage, { start: 0x10000000, size: 0x40000, filenameTable: true }, "Linux: Storage's area is the whole flash");
  assert.deepEqual(esp32.interpreter.storage, { start: 0x320000, size: 0xe0000, filenameTable: false });
});

const base = () => JSON.parse(readFileSync("boards/linux.json", "utf8"));

const bad: [string, (b: any) => void, RegExp][] = [
  ["overlapping slots", (b) => (b.slots[1].start = "0x10020400"), /slot0 .* overlaps slot1/],
  ["slot inside Storage", (b) => (b.slots[0].start = "0x10000000"), /overlaps storage/],
  ["run copy outside Storage", (b) => (b.runCopy.start = "0x10030000"), /runCopy .* must lie inside storage/],
  ["run copy with no blank page after it", (b) => (b.runCopy = { name: "runcopy", start: "0x10011000", size: "0xF000" }), /a page short of its end/],
  ["run copy smaller than a slot", (b) => (b.runCopy.size = "0xE000"), /runCopy \(57344 bytes\) is smaller than slot0/],
  ["boot record overlapping a slot", (b) => (b.bootRecord.start = "0x1002F000"), /overlaps bootrecord|bootrecord .* overlaps/],
  ["misaligned start", (b) => (b.slots[0].start = "0x10020100"), /not on a 1024-byte page boundary/],
  ["size not a page multiple", (b) => (b.slots[0].size = "0xF100"), /not a multiple of the page size/],
  ["region outside the flash", (b) => (b.slots[1].start = "0x1003F000"), /outside the flash/],
  ["one slot only", (b) => b.slots.pop(), /at least two code slots/],
  ["signatures of one page for two slots", (b) => (b.signatures.size = "0x400"), /signatures \(1024 bytes\) must hold one 1024-byte page per slot \(2\)/],
  ["signatures misaligned", (b) => (b.signatures.start = "0x1003E900"), /signatures starts at 0x1003E900, not on a 1024-byte page boundary/],
  ["signatures overlapping the boot record", (b) => (b.signatures.start = "0x1003E400"), /bootrecord .* overlaps signatures/],
  ["signatures overlapping a slot", (b) => (b.signatures.start = "0x1002F000"), /slot1 .* overlaps signatures/],
  ["signatures inside Storage", (b) => (b.signatures.start = "0x10001000"), /signatures .* overlaps storage/],
  ["no signatures region", (b) => delete b.signatures, /signatures must be a JSON object/],
  ["boot record of one page", (b) => (b.bootRecord.size = "0x400"), /at least two pages/],
  ["bad page size", (b) => (b.pageSize = 1000), /power of two/],
  ["bad address", (b) => (b.slots[0].start = "ten"), /slots\[0\]\.start must be/],
  ["app budget over the slot size", (b) => (b.imageBudget.app = 0x20000), /larger than the smallest slot/],
  ["unknown network kind", (b) => (b.network = "lte"), /"network" must be one of wifi, host/],
  ["no interpreter report", (b) => delete b.interpreter, /"interpreter" must be a JSON object/],
  ["interpreter pool size missing", (b) => delete b.interpreter.variables, /interpreter\.variables must be a positive integer/],
  ["reserved region overlap", (b) => b.reserved.push({ name: "rom", start: "0x10020000", size: "0x400" }), /overlaps rom|rom .* overlaps/],
  ["no speed figures", (b) => delete b.speed, /"speed" must be a JSON object/],
  ["a speed figure without its source", (b) => delete b.speed.flashErasePageMs.source, /speed\.flashErasePageMs\.source must say where the figure comes from/],
  ["a worst case below the typical figure", (b) => (b.speed.flashErasePageMs.max = 0.001), /speed\.flashErasePageMs\.max must be a number no smaller than its typical value/],
  ["a speed of zero", (b) => (b.speed.consoleBytesPerSecond.typical = 0), /speed\.consoleBytesPerSecond\.typical must be a positive number/],
  ["no interpreter Storage area", (b) => delete b.interpreter.storage, /interpreter\.storage must be a JSON object/],
  ["filename table not said", (b) => delete b.interpreter.storage.filenameTable, /interpreter\.storage\.filenameTable must be true or false/],
  ["Storage area misaligned", (b) => (b.interpreter.storage.start = "0x10000100"), /interpreter\.storage starts at 0x10000100, not on a 1024-byte page boundary/],
  ["layout storage not at the start of the area", (b) => Object.assign(b.storage, { start: "0x10000400", size: "0x1F000" }), /storage .* must start where the interpreter's Storage area starts/],
  ["layout storage larger than the area", (b) => (b.interpreter.storage.size = "0x10000"), /must start where the interpreter's Storage area starts and lie inside it/],
  ["process.env.STORAGE disagrees", (b) => (b.interpreter.env.STORAGE = 131072), /interpreter\.env\.STORAGE \(131072\) is not interpreter\.storage\.size \(262144\)/],
];

for (const [name, mutate, reason] of bad) {
  test(`board file refused: ${name}`, () => {
    const b = base();
    mutate(b);
    assert.throws(() => parseBoard(b, "fixture.json"), (e: unknown) => e instanceof BoardFileError && reason.test(e.message) && e.message.startsWith("fixture.json: "));
  });
}

test("unknown board names the boards there are", () => {
  assert.throws(() => loadBoard("nope"), (e: unknown) => e instanceof BoardFileError && e.message.endsWith(`(boards: ${boardNames.join(", ")})`));
});
