// The simulated flash chip: the interpreter's Flash semantics, its file
// backing, and the power cuts the boot record is tested against.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PowerCutError, SimFlash } from "../../host/sim/flash.ts";

const START = 0x10000000;
const PAGE = 1024;
const chip = (extra: { file?: string; seed?: number } = {}) => new SimFlash({ start: START, size: 4 * PAGE, pageSize: PAGE, ...extra });

test("a new chip is erased (all 0xFF)", () => {
  assert.deepEqual(chip().read(8, START + 100), new Uint8Array(8).fill(0xff));
});

test("a write stores old AND new at any alignment; bits never go back to 1 without an erase", () => {
  const f = chip();
  f.write(new Uint8Array([0x0f, 0xf0, 0x55]), START + 3);
  assert.deepEqual(f.read(5, START + 2), new Uint8Array([0xff, 0x0f, 0xf0, 0x55, 0xff]));
  f.write([0xf3, 0xff, 0x1aa], START + 3); // arrays keep the low 8 bits
  assert.deepEqual(f.read(3, START + 3), new Uint8Array([0x03, 0xf0, 0x00]));
});

test("strings are byte strings", () => {
  const f = chip();
  f.write("A\u00ff\u0080", START + PAGE - 1); // crosses a page boundary
  assert.deepEqual(f.read(3, START + PAGE - 1), new Uint8Array([0x41, 0xff, 0x80]));
  assert.throws(() => f.write("\u0100", START), /not a byte/);
});

test("erasePage sets the whole page holding the address to 0xFF and nothing else", () => {
  const f = chip();
  f.write(new Uint8Array(3 * PAGE).fill(0), START);
  f.erasePage(START + PAGE + 517);
  assert.deepEqual(f.read(PAGE, START + PAGE), new Uint8Array(PAGE).fill(0xff));
  assert.equal(f.read(1, START + PAGE - 1)[0], 0);
  assert.equal(f.read(1, START + 2 * PAGE)[0], 0);
  assert.throws(() => f.erasePage(START + 0.5), /must be an integer/);
  assert.throws(() => f.erasePage("0x10000000" as unknown as number), /must be an integer/);
});

test("getPage names the page holding an address, undefined outside the chip", () => {
  const f = chip();
  assert.deepEqual(f.getPage(START + 2 * PAGE + 5), { addr: START + 2 * PAGE, length: PAGE });
  assert.equal(f.getPage(START - 1), undefined);
  assert.equal(f.getPage(START + 4 * PAGE), undefined);
});

test("reads, writes and erases outside the chip throw, naming the address", () => {
  const f = chip();
  assert.throws(() => f.read(4, START - 2), /0xffffffe/);
  assert.throws(() => f.read(2, START + 4 * PAGE - 1), /0x10000fff/);
  assert.throws(() => f.write("ab", START + 4 * PAGE - 1), /0x10000fff/);
  assert.throws(() => f.erasePage(START + 4 * PAGE), /0x10001000/);
});

test("read returns a copy, not a window onto the chip", () => {
  const f = chip();
  const r = f.read(4, START);
  r[0] = 0;
  assert.equal(f.read(1, START)[0], 0xff);
});

test("a file-backed chip starts erased and keeps its bytes across instances (reboots)", () => {
  const dir = mkdtempSync(join(tmpdir(), "simflash-"));
  try {
    const file = join(dir, "flash.bin");
    const a = chip({ file });
    assert.equal(statSync(file).size, 4 * PAGE);
    a.write("hello", START + 10);
    a.erasePage(START + 3 * PAGE);
    const b = chip({ file });
    assert.equal(Buffer.from(b.read(5, START + 10)).toString("latin1"), "hello");
    assert.equal(readFileSync(file)[10], "h".charCodeAt(0));
    assert.throws(() => new SimFlash({ start: START, size: 8 * PAGE, pageSize: PAGE, file }), /holds 4096 bytes/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("opsCount counts writes and erases, not reads", () => {
  const f = chip();
  f.write("x", START);
  f.read(1, START);
  f.erasePage(START);
  assert.equal(f.opsCount, 2);
});

test("a clean power cut: the N-th op does nothing, then the chip is dead until power comes back", () => {
  const f = chip();
  f.armPowerCut(2, "clean");
  f.write("a", START);
  assert.throws(() => f.write("b", START + 1), PowerCutError);
  assert.equal(f.dead, true);
  assert.throws(() => f.read(1, START), PowerCutError);
  assert.throws(() => f.erasePage(START), PowerCutError);
  const g = f.powerCycle();
  assert.equal(g.dead, false);
  assert.equal(Buffer.from(g.read(2, START)).toString("latin1"), "a\xff");
});

test("a torn write programs only part of what was asked, and nothing outside it", () => {
  let partial = 0;
  for (let seed = 1; seed <= 50; seed++) {
    const f = chip({ seed });
    f.write(new Uint8Array(PAGE).fill(0xaa), START); // old contents: 0xAA everywhere
    f.armPowerCut(1, "torn");
    assert.throws(() => f.write(new Uint8Array(64).fill(0x00), START + 100), PowerCutError);
    const after = f.powerCycle().read(PAGE, START);
    for (let i = 0; i < PAGE; i++) {
      if (i < 100 || i >= 164) assert.equal(after[i], 0xaa, `byte ${i} outside the write changed`);
      else assert.equal(after[i] & ~0xaa & 0xff, 0, `byte ${i} gained bits`);
    }
    const region = after.subarray(100, 164);
    if (region.some((b) => b !== 0) && region.some((b) => b !== 0xaa)) partial++;
  }
  assert.ok(partial >= 40, `only ${partial} of 50 torn writes were partial`);
});

test("a torn erase leaves part of the page erased and the rest as it was", () => {
  let partial = 0;
  for (let seed = 1; seed <= 50; seed++) {
    const f = chip({ seed });
    f.write(new Uint8Array(4 * PAGE).fill(0x12), START);
    f.armPowerCut(1, "torn");
    assert.throws(() => f.erasePage(START + PAGE), PowerCutError);
    const after = f.powerCycle().read(4 * PAGE, START);
    for (let i = 0; i < 4 * PAGE; i++) {
      const inPage = i >= PAGE && i < 2 * PAGE;
      if (!inPage) assert.equal(after[i], 0x12);
      else assert.ok(after[i] === 0x12 || after[i] === 0xff);
    }
    const page = after.subarray(PAGE, 2 * PAGE);
    if (page.some((b) => b === 0xff) && page.some((b) => b === 0x12)) partial++;
  }
  assert.ok(partial >= 40, `only ${partial} of 50 torn erases were partial`);
});

test("a torn op on a file-backed chip is what the next boot finds in the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "simflash-"));
  try {
    const file = join(dir, "flash.bin");
    const f = chip({ file, seed: 7 });
    f.write(new Uint8Array(PAGE).fill(0), START);
    f.armPowerCut(1, "torn");
    assert.throws(() => f.erasePage(START), PowerCutError);
    const inMemory = f.powerCycle().read(PAGE, START);
    assert.deepEqual(chip({ file }).read(PAGE, START), inMemory);
    assert.ok(inMemory.some((b) => b === 0xff) && inMemory.some((b) => b === 0));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
