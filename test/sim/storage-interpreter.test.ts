// The simulator's Storage against the interpreter's (Linux build, 2v29):
// files cross over both ways, and the same scripts leave the same console
// output, the same flash bytes and, under strace, the same flash writes and
// erases in the same order. Runs when ESPRUINO_BIN is set.
import { test } from "node:test";
import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { AREA, bytesLiteral, content, DESCRIBE_STORAGE, linuxChip, linuxStorage, runOnInterpreter, runOnSimulator, straceAvailable, type StorageRun } from "./storage-harness.ts";

const bin = process.env.ESPRUINO_BIN;
const skip = bin ? false : "ESPRUINO_BIN is not set";

/** The files both directions exchange: a loader, JSON, a chunked binary image, every byte value, a 28-byte name. */
const FILES: Record<string, string> = {
  ".bootcde": `print("boot");`,
  "img": content(7, 5000),
  "bytes": Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join(""),
  "abcdefghijklmnopqrstuvwxyz01": "long name",
};

/** Writes FILES on the interpreter: the image in 1000-byte chunks into a pre-sized file, plus a JSON file and an erased one. */
const WRITE_FILES = `var S = require("Storage");
S.write(".bootcde", ${bytesLiteral(FILES[".bootcde"])});
var img = ${bytesLiteral(FILES.img)};
for (var o = 0; o < img.length; o += 1000) S.write("img", img.substr(o, 1000), o, img.length);
S.write("gone", "to be erased");
S.write("bytes", ${bytesLiteral(FILES.bytes)});
S.writeJSON("cfg", {period: 2, name: "x", list: [1, 2.5]});
S.erase("gone");
S.write("abcdefghijklmnopqrstuvwxyz01", "long name");
print("stats " + JSON.stringify(S.getStats()));`;

test("files written by the interpreter read back in the simulator with the same names and bytes", { skip }, () => {
  const interp = runOnInterpreter(bin!, WRITE_FILES);
  const { recorder } = linuxChip(interp.flash);
  const storage = linuxStorage(recorder);
  assert.equal(storage.powerOn(), true);
  assert.deepEqual(storage.list(), [".bootcde", "img", "bytes", "cfg", "abcdefghijklmnopqrstuvwxyz01"]);
  for (const [name, bytes] of Object.entries(FILES)) assert.equal(storage.read(name), bytes, name);
  assert.equal(storage.read("cfg"), `{period:2,name:"x",list:[1,2.5]}`);
  assert.equal(storage.read("gone"), undefined);
  assert.deepEqual(interp.lines, [`stats ${JSON.stringify(storage.getStats())}`]);
});

test("files written by the simulator read back by the interpreter", { skip }, () => {
  const { chip, recorder } = linuxChip();
  const storage = linuxStorage(recorder);
  storage.write(".bootcde", FILES[".bootcde"]);
  for (let o = 0; o < FILES.img.length; o += 1000) storage.write("img", FILES.img.slice(o, o + 1000), o, FILES.img.length);
  storage.write("gone", "to be erased");
  storage.write("bytes", FILES.bytes);
  storage.writeJSON("cfg", { period: 2, name: "x", list: [1, 2.5] });
  storage.erase("gone");
  storage.write("abcdefghijklmnopqrstuvwxyz01", "long name");
  const image = Buffer.from(chip.read(AREA.size, AREA.start));
  const interp = runOnInterpreter(bin!, `${DESCRIBE_STORAGE}\nprint(JSON.stringify(S.readJSON("cfg")));`, image);
  const describe = (name: string, bytes: string) => `file ${JSON.stringify(name)} ${bytes.length} ${crc32(Buffer.from(bytes, "latin1"))}`;
  assert.deepEqual(interp.boot, [], "the interpreter finds Storage valid");
  assert.deepEqual(interp.lines, [
    describe(".bootcde", FILES[".bootcde"]),
    describe("img", FILES.img),
    describe("bytes", FILES.bytes),
    describe("cfg", `{period:2,name:"x",list:[1,2.5]}`),
    describe("abcdefghijklmnopqrstuvwxyz01", FILES["abcdefghijklmnopqrstuvwxyz01"]),
    `stats ${JSON.stringify(storage.getStats())}`,
    `{"period":2,"name":"x","list":[1,2.5]}`,
  ]);
});

/** Same console output, same flash, and (traced) the same writes and erases in the same order. */
function assertSameRun(interp: StorageRun, sim: StorageRun): void {
  assert.deepEqual(sim.boot, interp.boot, "printed at power-on");
  assert.deepEqual(sim.lines, interp.lines, "printed by the script");
  const differ = interp.flash.findIndex((b, i) => b !== sim.flash[i]);
  assert.equal(differ, -1, `flash differs first at 0x${(AREA.start + differ).toString(16)}`);
  if (interp.ops.length === 0) return;
  const first = interp.ops.findIndex((op, i) => !sim.ops[i] || sim.ops[i].addr !== op.addr || !sim.ops[i].bytes.equals(op.bytes));
  assert.equal(first, -1, `flash operation ${first} differs: interpreter 0x${interp.ops[first]?.addr.toString(16)}+${interp.ops[first]?.bytes.length}, simulator 0x${sim.ops[first]?.addr.toString(16)}+${sim.ops[first]?.bytes.length}`);
  assert.equal(sim.ops.length, interp.ops.length, "number of flash operations");
}

function compare(t: { diagnostic(msg: string): void }, code: string): void {
  const interp = runOnInterpreter(bin!, code, undefined, straceAvailable);
  const sim = runOnSimulator(code);
  assertSameRun(interp, sim);
  t.diagnostic(straceAvailable ? `${interp.ops.length} flash operations, identical in order and bytes` : "strace is not installed: flash operations not compared");
}

test("the same Storage calls leave byte-identical flash: sizes, chunks, a refused rewrite, erase, compact(), getStats", { skip, timeout: 120_000 }, (t) => {
  compare(t, `var S = require("Storage");
var img = ${bytesLiteral(content(3, 2500))};
print(S.write("img", img.substr(0, 1000), 0, img.length));
print(S.write("img", img.substr(1000, 1000), 1000));
try { S.write("img", "again", 1000); } catch (e) { print(e.message); }
try { S.write("img", img, 1500); } catch (e) { print(e.message); }
try { S.write("nothing", "x", 10); } catch (e) { print(e.message); }
print(S.write("img", img.substr(2000), 2000), E.CRC32(S.read("img")) === E.CRC32(img));
print(S.write("img", img), "identical: skipped");
for (var i = 0; i < 6; i++) S.write("f" + i, ${bytesLiteral(content(4, 700))}.substr(i * 50));
S.erase("f1"); S.erase("f4");
S.write("f2", "replaced at offset 0", 0, 20);
S.writeJSON("cfg", {a: [1, 2], s: "\\xff", f: 0.1});
print(JSON.stringify(S.getStats()), S.getFree());
S.compact();
print(JSON.stringify(S.getStats()), JSON.stringify(S.list()));
var cfg = S.readJSON("cfg");
print(cfg.a.join(), cfg.s === "\xff", cfg.f, S.read("img", 2490, 5) === img.substr(2490, 5));`);
});

test("a write into a full Storage compacts it first: byte-identical, 240 KB of files", { skip, timeout: 300_000 }, (t) => {
  compare(t, `var S = require("Storage");
for (var i = 0; i < 8; i++) S.write("big" + i, String.fromCharCode(65 + i).repeat(30000));
S.erase("big2"); S.erase("big5");
print(S.getFree());
S.write("huge", "Z".repeat(40000));
print(JSON.stringify(S.getStats()), JSON.stringify(S.list()));
S.erase("big0");
try { S.write("toomuch", "Q".repeat(100000)); } catch (e) { print(e.message); }
print(JSON.stringify(S.getStats()));`);
});

test("the filename table of the Linux build: written after 200 files, used, dropped by compact(): byte-identical", { skip, timeout: 300_000 }, (t) => {
  compare(t, `var S = require("Storage");
for (var i = 0; i < 120; i++) S.write("n" + (i % 30), "v" + i);
for (var i = 0; i < 100; i++) S.write("m" + i, "w" + i);
print(JSON.stringify(S.getStats()), S.list().length, S.read("n5"), S.read("m99"));
for (var i = 0; i < 100; i++) S.erase("m" + i);
print(JSON.stringify(S.getStats()), S.list().length);
S.compact();
print(JSON.stringify(S.getStats()), S.list().length);`);
});

test("the interpreter's power-on check: the same verdict and the same erase on a corrupt Storage", { skip }, () => {
  const { chip, recorder } = linuxChip();
  linuxStorage(recorder).write("a", content(1, 1500));
  chip.write(Buffer.from([0x12, 0x34, 0x56, 0x78]), AREA.start + 2048);
  const image = Buffer.from(chip.read(AREA.size, AREA.start));
  const interp = runOnInterpreter(bin!, DESCRIBE_STORAGE, image);
  assert.deepEqual(interp.boot, ["Storage is corrupt.", "Erasing Storage Area...", "Erase complete."]);
  assertSameRun(interp, runOnSimulator(DESCRIBE_STORAGE, image));
});

test("Linux: Storage ending in the last page below the raw slots is corrupt for the interpreter too", { skip }, () => {
  for (const [end, corrupt] of [[0x1fc00 - 64, false], [0x1fc00 + 100, true]] as const) {
    const { chip, recorder } = linuxChip();
    linuxStorage(recorder).write("img", content(1, end - 32));
    chip.write(Buffer.from("(function(){"), AREA.start + 0x20000);
    const image = Buffer.from(chip.read(AREA.size, AREA.start));
    const interp = runOnInterpreter(bin!, DESCRIBE_STORAGE, image);
    assert.equal(interp.boot.includes("Storage is corrupt."), corrupt, `Storage ending at 0x${(AREA.start + end).toString(16)}`);
    assertSameRun(interp, runOnSimulator(DESCRIBE_STORAGE, image));
  }
});

test("a filename table the simulator wrote is found by the interpreter at power-on, and used the same way", { skip }, () => {
  const { chip, recorder } = linuxChip();
  const storage = linuxStorage(recorder);
  for (let i = 0; i < 210; i++) storage.write(`n${i % 40}`, `v${i}`);
  assert.ok(storage.getStats().fileCount > storage.list().length, "a table file exists");
  const image = Buffer.from(chip.read(AREA.size, AREA.start));
  const code = `${DESCRIBE_STORAGE}
for (var i = 0; i < 40; i += 3) S.erase("n" + i);
S.write("n1", "again"); S.write("new", "file");
print(S.read("n1"), S.read("n2"), S.list().length, JSON.stringify(S.getStats()));`;
  assertSameRun(runOnInterpreter(bin!, code, image, straceAvailable), runOnSimulator(code, image));
});
