// The simulator's Storage (host/sim/storage.ts) on its own: the on-flash
// format, the write rules and messages, allocation, compaction, the filename
// table and the power-on check, as src/jsflash.c does them. The same
// behaviours are checked byte for byte against the interpreter in
// storage-interpreter.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadBoard } from "../../host/toolchain/board.ts";
import { SimFlash } from "../../host/sim/flash.ts";
import { SimStorage, StorageError, STORAGE_ERRORS, HEADER_SIZE } from "../../host/sim/storage.ts";
import { numberToString, parseStorageJson, storageJson } from "../../host/sim/storage-json.ts";
import { AREA, content, linuxChip, linuxStorage, runOnSimulator } from "./storage-harness.ts";

const START = AREA.start;

function raw(chip: SimFlash, offset: number, length: number): Buffer {
  return Buffer.from(chip.read(length, START + offset));
}

test("format: a 32-byte header (size, then the name padded with zeros), the data, the next file at a 4-byte boundary", () => {
  const { chip, recorder } = linuxChip();
  const s = linuxStorage(recorder);
  s.write("a", "hello");
  s.write("bb", "XY", 0, 14);
  const expectA = Buffer.concat([Buffer.from([5, 0, 0, 0]), Buffer.from("a"), Buffer.alloc(27), Buffer.from("hello")]);
  assert.deepEqual(raw(chip, 0, 37), expectA);
  assert.deepEqual(raw(chip, 37, 3), Buffer.from([0xff, 0xff, 0xff]), "padding to the boundary stays erased");
  assert.deepEqual(raw(chip, 40, 8), Buffer.from([14, 0, 0, 0, 0x62, 0x62, 0, 0]), "the second header at 32 + 8");
  assert.equal(s.read("bb"), "XY" + "\xff".repeat(12), "a pre-sized file reads back 0xFF where nothing was written");
  assert.deepEqual(s.list(), ["a", "bb"]);
});

test("names are cut to 28 bytes; a longer name finds the same file", () => {
  const { recorder } = linuxChip();
  const s = linuxStorage(recorder);
  const long = "abcdefghijklmnopqrstuvwxyz0123456789";
  s.write(long, "x");
  assert.deepEqual(s.list(), [long.slice(0, 28)]);
  assert.equal(s.read(long.slice(0, 28)), "x");
  assert.equal(s.read(long), "x");
});

test("erase zeroes the first 4 bytes of the name only: the file stays on flash as trash", () => {
  const { chip, recorder, ops } = linuxChip();
  const s = linuxStorage(recorder);
  s.write("config", "{}");
  ops.length = 0;
  assert.equal(s.erase("config"), true);
  assert.equal(ops.length, 1, "one flash write");
  assert.deepEqual(raw(chip, 4, 8), Buffer.from([0, 0, 0, 0, 0x69, 0x67, 0, 0]), "'conf' zeroed, 'ig' kept");
  assert.equal(s.read("config"), undefined);
  assert.equal(s.erase("config"), false);
  assert.deepEqual(s.getStats(), { totalBytes: AREA.size, freeBytes: AREA.size - 36, fileBytes: 0, fileCount: 0, trashBytes: 36, trashCount: 1 });
});

test("write with offset and size: chunks fill a pre-sized file in place, each refusal with the interpreter's message", () => {
  const { recorder, ops } = linuxChip();
  const s = linuxStorage(recorder);
  assert.equal(s.write("img", "AB", 0, 6), true);
  assert.equal(s.write("img", "CD", 2), true);
  assert.equal(s.write("img", "EF", 4), true);
  assert.equal(s.read("img"), "ABCDEF");
  const refused = (fn: () => unknown, kind: keyof typeof STORAGE_ERRORS) =>
    assert.throws(fn, (e: unknown) => e instanceof StorageError && e.kind === kind && e.message === STORAGE_ERRORS[kind]);
  refused(() => s.write("img", "zz", 2), "alreadyWritten");
  refused(() => s.write("img", "GHI", 4), "tooMuchData");
  refused(() => s.write("nofile", "x", 3), "noFile");
  refused(() => s.write("empty", ""), "zeroLength");
  assert.equal(s.write("img", "x", -1), false, "a negative offset: false, no exception");
  assert.equal(s.write("img", "x", 0, -1), false, "a negative size: false, no exception");
  assert.equal(s.read("img"), "ABCDEF", "refused writes change nothing");
  ops.length = 0;
  assert.equal(s.write("img", "ABCDEF"), true);
  assert.equal(ops.length, 0, "the same bytes again: nothing written");
});

test("a write at offset 0 replaces a file that is not blank, and fills in place one that is", () => {
  const { recorder } = linuxChip();
  const s = linuxStorage(recorder);
  s.write("slot", "1111", 0, 8);
  s.write("slot", "2222", 0, 8);
  assert.equal(s.read("slot"), "2222" + "\xff".repeat(4));
  assert.equal(s.getStats().trashCount, 1, "the first file became trash");
  s.write("fresh", "\xff\xff", 0, 8);
  s.write("fresh", "ab", 0, 8);
  assert.equal(s.getStats().trashCount, 1, "still blank, same size: written in place");
  s.write("slot", "3", 0, 4);
  assert.equal(s.read("slot"), "3\xff\xff\xff", "another size: a new file");
  assert.equal(s.getStats().trashCount, 2);
});

test("getStats and getFree: every file with its header and padding, trash, and free space to the end of the interpreter's area", () => {
  const { recorder } = linuxChip();
  const s = linuxStorage(recorder);
  s.write("a", "12345");
  s.write("b", content(1, 100));
  s.erase("a");
  assert.deepEqual(s.getStats(), { totalBytes: 262144, freeBytes: 262144 - 40 - 132, fileBytes: 132, fileCount: 1, trashBytes: 40, trashCount: 1 });
  assert.equal(s.getFree(), 262144 - 40 - 132);
});

test("compact: files move down over the trash, the pages left over are erased, the console shows it", () => {
  const { chip, recorder, ops } = linuxChip();
  let printed = "";
  const s = linuxStorage(recorder, (t) => (printed += t));
  const files = ["A", "B", "C", "D"].map((n, i) => [n, content(i, 700)] as const);
  for (const [n, c] of files) s.write(n, c);
  s.erase("B");
  ops.length = 0;
  assert.equal(s.compact(), true);
  assert.equal(printed, "Compacting... \n");
  assert.deepEqual(s.list(), ["A", "C", "D"]);
  for (const [n, c] of files) if (n !== "B") assert.equal(s.read(n), c);
  assert.deepEqual(s.getStats(), { totalBytes: 262144, freeBytes: 262144 - 3 * 732, fileBytes: 3 * 732, fileCount: 3, trashBytes: 0, trashCount: 0 });
  assert.ok(raw(chip, 3 * 732, 4 * 732 - 3 * 732).every((b) => b === 0xff), "the old tail is erased");
  assert.equal(ops[0].addr, START, "rewriting starts at the first page, the one whose file is before the trash");
  assert.equal(s.compact(), false, "nothing left to reclaim");
});

test("compaction starts at the last page that begins with a file before the first trash", () => {
  const { recorder, ops } = linuxChip();
  const s = linuxStorage(recorder);
  s.write("a", content(1, 1024 - HEADER_SIZE)); // ends exactly at the end of page 0
  s.write("b", content(2, 3000)); // starts page 1, runs into page 3
  s.write("c", content(3, 500));
  s.erase("c");
  ops.length = 0;
  s.compact();
  assert.equal(ops[0].addr, START + 1024, "page 0 is not touched");
});

test("a write that does not fit compacts first; one too big for Storage fails after compacting anyway", () => {
  const { recorder } = linuxChip();
  let printed = "";
  const s = linuxStorage(recorder, (t) => (printed += t));
  for (let i = 0; i < 8; i++) s.write(`big${i}`, content(i, 30000));
  s.erase("big2");
  s.write("huge", content(9, 40000));
  assert.match(printed, /^Compacting\.\.\. /);
  assert.deepEqual(s.list(), ["big0", "big1", "big3", "big4", "big5", "big6", "big7", "huge"]);
  assert.equal(s.read("huge"), content(9, 40000));
  assert.equal(s.getStats().trashCount, 0);
  s.erase("huge");
  printed = "";
  // The room check counts the free space of every page it visits again, so it passes whenever the end is free.
  assert.throws(() => s.write("toobig", content(10, 100000)), /Unable to find or create file/);
  assert.match(printed, /^Compacting\.\.\. /, "compacted for nothing");
  assert.equal(s.getStats().trashCount, 0);
  printed = "";
  assert.throws(() => s.write("toobig", content(10, 100000)), /Unable to find or create file/);
  assert.equal(printed, "", "no trash: nothing to compact");
});

test("a new file takes the first gap big enough: the end of a page before a page that starts with a file", () => {
  const { chip, recorder } = linuxChip();
  const s = linuxStorage(recorder);
  s.write("a", content(1, 100));
  // A file at the start of the next page, as a cut compaction can leave: the gap before it is used first.
  const header = Buffer.concat([Buffer.from([8, 0, 0, 0]), Buffer.from("far"), Buffer.alloc(25)]);
  chip.write(Buffer.concat([header, Buffer.from("12345678")]), START + 1024);
  s.write("small", content(2, 200));
  assert.equal(raw(chip, 132 + 4, 5).toString("latin1"), "small", "right after the first file");
  s.write("wide", content(3, 1900));
  assert.equal(raw(chip, 1024 + 40 + 4, 4).toString("latin1"), "wide", "too big for the rest of page 0: after the file on page 1");
  assert.deepEqual(s.list(), ["a", "small", "far", "wide"]);
});

test("filename table (Linux build): after 200 files made or replaced a table file is written; list and read are unchanged", () => {
  const { recorder } = linuxChip();
  const s = linuxStorage(recorder);
  for (let i = 0; i < 120; i++) s.write(`n${i % 30}`, `v${i}`);
  for (let i = 0; i < 100; i++) s.write(`m${i}`, `w${i}`);
  for (let i = 0; i < 100; i++) s.erase(`m${i}`);
  const stats = s.getStats();
  assert.equal(s.list().length, 30);
  assert.equal(stats.fileCount, 31, "the table counts as a file in getStats, not in list()");
  assert.equal(s.read("n5"), "v95");
  const again = linuxStorage(recorder);
  again.powerOn();
  assert.deepEqual(again.list(), s.list(), "found again at power-on");
  s.compact();
  assert.equal(s.getStats().fileCount, 30, "compaction drops the table");
});

test("ESP32 build: its own 896 KB partition of 4 KB pages, no filename table", () => {
  const esp32 = loadBoard("esp32");
  const area = esp32.interpreter.storage;
  assert.deepEqual(area, { start: 0x320000, size: 0xe0000, filenameTable: false });
  const chip = new SimFlash({ start: area.start, size: area.size, pageSize: esp32.layout.pageSize });
  const s = new SimStorage(chip, area);
  for (let i = 0; i < 120; i++) s.write(`n${i % 30}`, `v${i}`);
  for (let i = 0; i < 100; i++) s.write(`m${i}`, `w${i}`);
  for (let i = 0; i < 100; i++) s.erase(`m${i}`);
  assert.equal(s.getStats().fileCount, 30, "no table file");
  assert.equal(s.getStats().totalBytes, 0xe0000);
});

test("power-on: a chain that does not end on a blank header is corrupt: the Linux build erases its whole flash", () => {
  const { chip, recorder } = linuxChip();
  linuxStorage(recorder).write("a", content(1, 1500));
  chip.write(Buffer.from("(function(){"), START + 0x20000);
  assert.equal(linuxStorage(recorder).powerOn(), true, "raw data after a blank page is not Storage's business");
  chip.write(Buffer.from([0x12, 0x34, 0x56, 0x78]), START + 2048); // not a header: its size runs past the end
  let printed = "";
  assert.equal(linuxStorage(recorder, (t) => (printed += t)).powerOn(), false);
  assert.equal(printed, "Storage is corrupt.\nErasing Storage Area...\nErase complete.\n");
  assert.ok(chip.read(0x40000, START).every((b) => b === 0xff), "the whole flash, raw slots included");
});

test("power-on: a corrupt chain on the ESP32 erases its storage partition and nothing else", () => {
  const esp32 = loadBoard("esp32");
  const whole = new SimFlash({ start: 0, size: 0x400000, pageSize: 4096 });
  whole.write(Buffer.from("boot record"), 0x310000);
  new SimStorage(whole, esp32.interpreter.storage).write("a", "x");
  whole.write(Buffer.from([9]), 0x321000);
  assert.equal(new SimStorage(whole, esp32.interpreter.storage).powerOn(), false);
  assert.equal(Buffer.from(whole.read(11, 0x310000)).toString(), "boot record");
  assert.ok(whole.read(0xe0000, 0x320000).every((b) => b === 0xff));
});

test("Linux: a chain ending in the last page below the raw slots is corrupt at the next power-on, which wipes the slots", () => {
  for (const [end, corrupt] of [[0x1fc00 - 64, false], [0x1fc00 + 100, true]] as const) {
    const { chip, recorder } = linuxChip();
    const s = linuxStorage(recorder);
    s.write("img", content(1, end - HEADER_SIZE));
    chip.write(Buffer.from("(function(){"), START + 0x20000); // slot 0 holds an image
    assert.equal(linuxStorage(recorder).powerOn(), !corrupt, `Storage ending at 0x${(START + end).toString(16)}`);
    assert.equal(chip.read(1, START + 0x20000)[0] === 0xff, corrupt);
  }
});

test("power-on: empty Storage with anything written further on is corrupt too", () => {
  const { chip, recorder } = linuxChip();
  chip.write(Buffer.from("raw slot"), START + 0x20000);
  assert.equal(linuxStorage(recorder).powerOn(), false);
  assert.ok(chip.read(8, START + 0x20000).every((b) => b === 0xff));
});

test("writeJSON: the interpreter's JSON (unquoted identifier keys, \\x escapes, its number format); readJSON accepts it", () => {
  const { recorder } = linuxChip();
  const s = linuxStorage(recorder);
  s.writeJSON("j", { a: [1, 2], s: "x\xff\n", "b c": 1.5, u: undefined, f: () => 1, n: null, $y: 2, 7: true });
  assert.equal(s.read("j"), `{7:true,a:[1,2],s:"x\\xFF\\n","b c":1.5,n:null,"$y":2}`);
  assert.deepEqual(parseStorageJson(s.read("j")!), { 7: true, a: [1, 2], s: "x\xff\n", "b c": 1.5, n: null, $y: 2 });
  assert.equal(storageJson({ a: "\xff" }, "stringify"), `{"a":"\\u00FF"}`);
  assert.deepEqual([1 / 3, 1e21, 2.5e-7, 0.1, 12345.678, 2147483648].map(numberToString), ["0.33333333333", "10e+20", "2.5e-7", "0.1", "12345.678", "2147483648"]);
  assert.deepEqual(parseStorageJson("// c\n{/*x*/b:0x1F,c:'\\x41\\101',d:[1,],}"), { b: 31, c: "AA", d: [1] });
  assert.equal(parseStorageJson("-x"), undefined, "gives up without an exception, as the interpreter does");
  assert.throws(() => parseStorageJson("{a:1"), /Got EOF expected ','/);
});

test("in a script: refusals throw Error with the interpreter's message; getStats, readArrayBuffer, list with a filter", () => {
  const run = runOnSimulator(`var S = require("Storage");
S.write("f", "abc", 0, 8);
try { S.write("f", "x", 1); } catch (e) { print(e instanceof Error, e.message); }
print(JSON.stringify(S.getStats()), new Uint8Array(S.readArrayBuffer("f"))[3], S.list(undefined, {sf: false}).join());
print(S.write("o", {a: 1}), S.read("o"), S.readJSON("o").a, S.erase("o"), S.readJSON("nope", true));`);
  assert.deepEqual(run.lines, [
    "true File already written with different data",
    `{"totalBytes":262144,"freeBytes":262104,"fileBytes":40,"fileCount":1,"trashBytes":0,"trashCount":0} 255 f`,
    `true {"a":1} 1 undefined undefined`,
  ]);
});
