// The boot record (docs/boot-record.md): its entry codec (section 2), its
// state machine (section 3), its page log (section 4), and the power-cut
// campaign that proves it survives losing power at any flash write or erase,
// cleanly or torn, on both boards' layouts (section 7, cases 1 to 7).
import { test } from "node:test";
import assert from "node:assert/strict";
import { crc32 as zlibCrc32 } from "node:zlib";
import { createHash, randomBytes } from "node:crypto";
import { PowerCutError, SimFlash } from "../../host/sim/flash.ts";
import { listBoards, loadBoard } from "../../host/toolchain/board.ts";
import type { BoardLayout } from "../../firmware/board/layout.ts";
import { provideCrc32 } from "../../firmware/crypto/crc32.ts";
import { BootRecord } from "../../firmware/boot/record.ts";
import * as t from "../../firmware/boot/transitions.ts";
import type { ImageInfo } from "../../firmware/boot/transitions.ts";
import { type BootState, decodeEntry, encodeEntry, entrySize } from "../../firmware/boot/entry.ts";
import { emptySlot } from "../../firmware/boot/slot-meta.ts";

provideCrc32((data) => zlibCrc32(data));

const BOARDS = listBoards().map((name) => loadBoard(name).layout);

/** A flash chip covering the slots and the boot record of a board (not its whole flash, to keep tests fast). */
function chipFor(layout: BoardLayout, seed = 1): SimFlash {
  const regions = [...layout.slots, layout.bootRecord];
  const start = Math.min(...regions.map((r) => r.start));
  const end = Math.max(...regions.map((r) => r.start + r.size));
  return new SimFlash({ start, size: end - start, pageSize: layout.pageSize, seed });
}

function md5(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

function imageInfo(bytes: Uint8Array, jobId: string, version: string, counter = 0): ImageInfo {
  return { size: bytes.length, crc32: zlibCrc32(bytes), md5: md5(bytes), counter, version, jobId };
}

function target(bytes: Uint8Array, jobId: string, version = ""): t.WriteTarget {
  return { size: bytes.length, md5: md5(bytes), version, jobId };
}

const ANY_TARGET: t.WriteTarget = { size: 4096, md5: "", version: "", jobId: "job-x" };

function sampleState(): BootState {
  const slots = [emptySlot(), emptySlot()];
  slots[0] = { state: "valid", size: 1234, crc32: 0xdeadbeef, md5: "0123456789abcdef0123456789abcdef", stored: 1234, counter: 7, version: "1.2.3", jobId: "job-0" };
  slots[1] = { state: "pending-verify", size: 99, crc32: 7, md5: "", stored: 99, counter: 0xffffffff, version: "", jobId: "x".repeat(64) };
  return { seq: 41, counterFloor: 7, confirmed: 0, trial: 1, trialStarts: 1, failure: { reason: "crashed", slot: 1, detail: "crashed at start: \xff" }, slots };
}

test("an entry round-trips through its codec (section 2: 336 bytes for two slots)", () => {
  const s = sampleState();
  const bytes = encodeEntry(s);
  assert.equal(bytes.length, entrySize(2));
  assert.equal(bytes.length, 336);
  assert.equal(String.fromCharCode(...bytes.subarray(0, 4)), "FBR2");
  assert.deepEqual(decodeEntry(bytes, 0, 2), s);
});

test("any flipped bit, a wrong slot count or erased bytes make an entry unreadable", () => {
  const bytes = encodeEntry(sampleState());
  for (let bit = 0; bit < bytes.length * 8; bit++) {
    const copy = new Uint8Array(bytes);
    copy[bit >> 3] ^= 1 << (bit & 7);
    assert.equal(decodeEntry(copy, 0, 2), undefined, `bit ${bit}`);
  }
  assert.equal(decodeEntry(bytes, 0, 3), undefined);
  assert.equal(decodeEntry(new Uint8Array(336).fill(0xff), 0, 2), undefined);
});

test("the codec refuses states that break an invariant", () => {
  const bad: [string, (s: BootState) => void][] = [
    ["confirmed slot not valid", (s) => (s.slots[0].state = "aborted")],
    ["trial slot not started but pending", (s) => (s.trialStarts = 0)],
    ["confirmed on trial", (s) => (s.trial = 0)],
    ["slot out of range", (s) => (s.confirmed = 2)],
    ["MD5 not hex", (s) => (s.slots[0].md5 = "XYZ")],
    ["job id too long", (s) => (s.slots[0].jobId = "j".repeat(65))],
    ["more stored than the size", (s) => (s.slots[0].stored = 1235)],
    ["a partly stored slot that is not being written", (s) => (s.slots[0].stored = 1000)],
    ["a counter over 32 bits", (s) => (s.slots[0].counter = 2 ** 32)],
  ];
  for (const [what, edit] of bad) {
    const s = sampleState();
    edit(s);
    assert.throws(() => encodeEntry(s), /invalid state/, what);
  }
});

test("the state machine: provision, update, trial, confirm; refusals name the reason", () => {
  const layout = BOARDS[0];
  const flash = chipFor(layout);
  const record = new BootRecord(flash, layout);
  assert.equal(record.state().confirmed, null);
  const a = imageInfo(randomBytes(100), "", "1.0.0");
  const b = imageInfo(randomBytes(200), "job-7", "1.1.0");
  record.change((s) => t.provision(s, 0, a));
  assert.throws(() => record.change((s) => t.beginWrite(s, 0, ANY_TARGET)), /confirmed image/);
  assert.throws(() => record.change((s) => t.startTrial(s, 1, "job-7")), /empty, not new/);
  record.change((s) => t.beginWrite(s, 1, { size: b.size, md5: b.md5, version: b.version, jobId: b.jobId }));
  assert.throws(() => record.change((s) => t.confirm(s)), /no slot is on trial/);
  record.change((s) => t.imageWritten(s, 1, b));
  record.change((s) => t.startTrial(s, 1, "job-7"));
  assert.throws(() => record.change((s) => t.beginWrite(s, 1, ANY_TARGET)), /on trial/);
  assert.throws(() => record.change((s) => t.confirm(s)), /not been started/);
  record.change((s) => t.countTrialStart(s));
  const confirmed = record.change((s) => t.confirm(s));
  assert.equal(confirmed.confirmed, 1);
  assert.deepEqual(confirmed.slots[1], { state: "valid", stored: b.size, ...b });
  assert.equal(confirmed.slots[0].state, "valid");
  // Re-opened from flash (a reboot), the same state.
  assert.deepEqual(new BootRecord(flash.powerCycle(), layout).state(), confirmed);
});

test("a download's progress is recorded, and survives a restart; the floor rises to the counter of each confirmed image", () => {
  const layout = BOARDS[0];
  const flash = chipFor(layout);
  const record = new BootRecord(flash, layout);
  record.change((x) => t.provision(x, 0, imageInfo(randomBytes(10), "", "1", 3)));
  assert.equal(record.state().counterFloor, 3, "provisioning sets the floor");
  const image = randomBytes(3000);
  record.change((s) => t.beginWrite(s, 1, target(image, "job-r", "2")));
  assert.deepEqual(record.state().slots[1], { state: "writing", size: 3000, crc32: 0, md5: md5(image), stored: 0, counter: 0, version: "2", jobId: "job-r" });
  record.change((s) => t.progress(s, 1, 2048));
  assert.equal(new BootRecord(flash.powerCycle(), layout).state().slots[1].stored, 2048, "after a restart the download resumes at 2048 (case 4)");
  assert.throws(() => record.change((s) => t.progress(s, 0, 1)), /valid, not writing/);
  record.change((s) => t.imageWritten(s, 1, imageInfo(image, "job-r", "2", 9)));
  record.change((s) => t.startTrial(s, 1, "job-r"));
  record.change((s) => t.countTrialStart(s));
  assert.equal(record.state().counterFloor, 3, "a trial does not raise the floor");
  assert.equal(record.change((s) => t.confirm(s)).counterFloor, 9, "confirming does");
});

test("a failed update and a corrupt confirmed image are recorded with their reasons", () => {
  const layout = BOARDS[0];
  const record = new BootRecord(chipFor(layout), layout);
  record.change((x) => t.provision(x, 0, imageInfo(randomBytes(10), "", "1")));
  record.change((s) => t.beginWrite(s, 1, ANY_TARGET));
  let s = record.change((x) => t.markInvalid(x, 1, "update-failed", "HTTP 403 (URL expired)"));
  assert.deepEqual(s.failure, { reason: "update-failed", slot: 1, detail: "HTTP 403 (URL expired)" });
  assert.equal(s.slots[1].state, "invalid");
  s = record.change((x) => t.markInvalid(x, 0, "image-corrupt", "CRC-32 mismatch"));
  assert.equal(s.confirmed, null, "no other valid slot to fall back to");
});

test("appends fill a page before an erase (flash wear)", () => {
  for (const layout of BOARDS) {
    const flash = chipFor(layout);
    const record = new BootRecord(flash, layout);
    record.change((x) => t.provision(x, 0, imageInfo(randomBytes(10), "", "1")));
    const changes = 200;
    const before = flash.opsCount;
    for (let i = 0; i < changes / 2; i++) {
      record.change((s) => t.beginWrite(s, 1, ANY_TARGET));
      record.change((s) => t.markInvalid(s, 1, "update-failed", `attempt ${i}`));
    }
    const perPage = Math.floor(layout.pageSize / entrySize(2));
    const erases = flash.opsCount - before - changes;
    assert.ok(erases <= Math.ceil(changes / perPage), `${layout.name}: ${erases} erases for ${changes} changes (${perPage} entries per page)`);
    assert.equal(new BootRecord(flash.powerCycle(), layout).state().failure?.detail, `attempt ${changes / 2 - 1}`);
  }
});

/**
 * A board as the campaign drives it: the boot record over a flash chip that
 * may lose power, the app's update/test/confirm steps, and the loader's
 * start-up decision (the shipped loader comes later; this is its logic).
 * Operation numbers run on across reboots, so a cut can be armed at any of them.
 */
class Board {
  flash: SimFlash;
  record: BootRecord;
  /** Each durable state, with the global number of the flash operation that wrote it. */
  readonly journal: { op: number; state: BootState }[] = [];
  private opsBefore = 0;
  private cut: { op: number; mode: "clean" | "torn" } | undefined;

  constructor(flash: SimFlash, readonly layout: BoardLayout, cut?: { op: number; mode: "clean" | "torn" }) {
    this.flash = flash;
    this.cut = cut;
    this.armCut();
    this.record = new BootRecord(flash, layout);
  }

  get ops(): number {
    return this.opsBefore + this.flash.opsCount;
  }

  reboot(): void {
    this.opsBefore += this.flash.opsCount;
    this.flash = this.flash.powerCycle();
    this.armCut();
    this.record = new BootRecord(this.flash, this.layout);
  }

  /**
   * update(): the record says "writing" before the slot's first erase, its
   * progress after each page past the first (case 4), "new" once all of it is written.
   */
  /** `counter`: the image's security counter, which confirm() makes the floor (a signed image's). */
  update(slot: number, image: Uint8Array, jobId: string, version: string, counter = 0): void {
    this.note(this.record.change((s) => t.beginWrite(s, slot, target(image, jobId, version))));
    const region = this.layout.slots[slot];
    const page = this.layout.pageSize;
    for (let at = 0; at < image.length; at += page) {
      this.flash.erasePage(region.start + at);
      this.flash.write(image.subarray(at, at + page), region.start + at);
      if (at > 0 && at + page < image.length) this.note(this.record.change((s) => t.progress(s, slot, at + page)));
    }
    this.note(this.record.change((s) => t.imageWritten(s, slot, imageInfo(image, jobId, version, counter))));
  }

  test(slot: number, jobId: string): void {
    this.note(this.record.change((s) => t.startTrial(s, slot, jobId)));
  }

  confirm(): void {
    this.note(this.record.change((s) => t.confirm(s)));
  }

  rollBack(reason: "crashed" | "not-confirmed", detail: string): void {
    this.note(this.record.change((s) => t.rollBack(s, reason, detail)));
  }

  /** The loader: decides which slot runs, updating the record first. Returns the slot. */
  start(): number {
    let s = this.record.state();
    if (s.trial !== null && s.trialStarts > 0) s = this.note(this.record.change((x) => t.rollBack(x, "restarted", "restarted before confirm()")));
    const trial = s.trial;
    if (trial !== null) {
      if (this.imageOk(trial, s)) return this.note(this.record.change((x) => t.countTrialStart(x))).trial!;
      s = this.note(this.record.change((x) => t.markInvalid(x, trial, "image-corrupt", "CRC-32 mismatch")));
    }
    for (let confirmed = s.confirmed; confirmed !== null; confirmed = s.confirmed) {
      if (this.imageOk(confirmed, s)) return confirmed;
      const corrupt = confirmed;
      s = this.note(this.record.change((x) => t.markInvalid(x, corrupt, "image-corrupt", "CRC-32 mismatch")));
    }
    throw new Error("no valid image to start");
  }

  imageOk(slot: number, s = this.record.state()): boolean {
    const meta = s.slots[slot];
    return zlibCrc32(this.flash.read(meta.size, this.layout.slots[slot].start)) === meta.crc32;
  }

  private note(state: BootState): BootState {
    this.journal.push({ op: this.ops, state });
    return state;
  }

  private armCut(): void {
    if (this.cut && this.cut.op > this.opsBefore) this.flash.armPowerCut(this.cut.op - this.opsBefore, this.cut.mode);
  }
}

/** Images for the campaign: sizes that end mid-page, contents fixed for every run. */
function campaignImages(layout: BoardLayout): Uint8Array[] {
  let s = 12345;
  const byte = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 24);
  return [1.5, 2.25, 1.75, 2.5].map((pages) => Uint8Array.from({ length: Math.floor(pages * layout.pageSize) + 3 }, byte));
}

type Scenario = (board: Board, images: Uint8Array[]) => void;

const otherSlot = (s: BootState) => (s.confirmed === 0 ? 1 : 0);

/** update → test → restart into the trial → confirm, three times (crosses pages and erases). */
const updateTrialConfirm: Scenario = (board, images) => {
  for (let cycle = 0; cycle < 3; cycle++) {
    const target = otherSlot(board.record.state());
    board.update(target, images[1 + cycle], `job-${cycle}`, `2.${cycle}`, 10 + cycle);
    board.test(target, `job-${cycle}`);
    board.reboot();
    assert.equal(board.start(), target);
    board.confirm();
  }
};

/** Trials that fail every way: crash at start, hang (watchdog restart), no confirm in time; each rolled back. */
const updateTrialRollBack: Scenario = (board, images) => {
  const failures: ((b: Board) => void)[] = [
    (b) => b.rollBack("crashed", "crashed at start: Error: boom"),
    () => {}, // hangs: the watchdog restarts the board, the loader sees a started, unconfirmed trial
    (b) => b.rollBack("not-confirmed", "not confirmed within 300 s"),
  ];
  failures.forEach((fail, i) => {
    const confirmed = board.record.state().confirmed;
    const target = otherSlot(board.record.state());
    board.update(target, images[1 + i], `job-f${i}`, `3.${i}`, 20 + i);
    board.test(target, `job-f${i}`);
    board.reboot();
    assert.equal(board.start(), target);
    fail(board);
    board.reboot();
    assert.equal(board.start(), confirmed);
    assert.equal(board.record.state().counterFloor, 0, "a rolled-back image never raises the security counter floor");
  });
};

function provisioned(layout: BoardLayout, images: Uint8Array[]): SimFlash {
  const flash = chipFor(layout);
  const slot = layout.slots[0];
  for (let at = 0; at < images[0].length; at += layout.pageSize) flash.write(images[0].subarray(at, at + layout.pageSize), slot.start + at);
  new BootRecord(flash, layout).change((s) => t.provision(s, 0, imageInfo(images[0], "", "1.0")));
  return flash;
}

/** Deep equality without a throw, for "one of these states". */
function sameState(a: BootState, b: BootState): boolean {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

const TORN_SEEDS = [11, 29, 47];
const MODES: { mode: "clean" | "torn"; seed: number }[] = [{ mode: "clean", seed: 1 }, ...TORN_SEEDS.map((seed) => ({ mode: "torn" as const, seed }))];

interface Tally {
  cuts: number;
  readPrevious: number;
  readNew: number;
}

/**
 * Runs `steps` from the flash contents `from` once without a cut (the
 * reference), then once per flash operation and mode with the power cut
 * there. After power returns, the record must read exactly as the reference
 * did before that operation, or (torn writes that got every byte down) as the
 * state being written; then `afterwards` runs on the restarted board.
 */
function cutEverywhere(
  layout: BoardLayout,
  from: SimFlash,
  steps: (b: Board) => void,
  modes: typeof MODES,
  tally: Tally,
  afterwards: (b: Board, where: string) => void,
  label: string,
): number {
  const initial = new BootRecord(from.powerCycle(), layout).state();
  const reference = new Board(from.powerCycle(), layout);
  steps(reference);
  for (let op = 1; op <= reference.ops; op++) {
    for (const { mode, seed } of modes) {
      const board = new Board(from.powerCycle(seed), layout, { op, mode });
      const where = `${label}cut ${mode} (seed ${seed}) at op ${op} of ${reference.ops}`;
      assert.throws(() => steps(board), PowerCutError, where);
      tally.cuts++;
      board.reboot();
      const before = reference.journal.filter((j) => j.op < op).pop()?.state ?? initial;
      const during = reference.journal.find((j) => j.op === op)?.state;
      const found = board.record.state();
      if (sameState(found, before)) tally.readPrevious++;
      else if (during && mode === "torn" && sameState(found, during)) tally.readNew++;
      else assert.fail(`${where}: record reads ${JSON.stringify(found)}, expected ${JSON.stringify(before)}${during ? ` or ${JSON.stringify(during)}` : ""}`);
      afterwards(board, where);
    }
  }
  return reference.ops;
}

/**
 * What a restarted board does: the loader starts a valid image (CRC-32
 * checked, confirmed or on trial), a trial that starts confirms, and then a
 * whole update cycle still works after whatever the cut left in the record's pages.
 */
function recoverAndUpdate(board: Board, images: Uint8Array[], where: string): void {
  const run = board.start();
  const s = board.record.state();
  assert.ok(run === s.confirmed || run === s.trial, `${where}: started slot ${run}, neither confirmed nor on trial`);
  assert.ok(board.imageOk(run), `${where}: slot ${run} fails its CRC`);
  assert.ok(s.confirmed !== null && board.imageOk(s.confirmed), `${where}: no valid confirmed image`);
  if (run === s.trial) board.confirm();
  const target = otherSlot(board.record.state());
  board.update(target, images[3], "job-after", "9.9", 99);
  board.test(target, "job-after");
  board.reboot();
  assert.equal(board.start(), target, where);
  board.confirm();
  const end = board.record.state();
  assert.equal(end.confirmed, target, where);
  assert.equal(end.counterFloor, 99, `${where}: confirming the last image raised the security counter floor to its counter`);
  assert.equal(end.slots[target].jobId, "job-after", where);
  assert.ok(board.imageOk(target), where);
}

const SCENARIOS: [string, Scenario][] = [
  ["update → trial → confirm", updateTrialConfirm],
  ["update → trial → failure → roll back", updateTrialRollBack],
];

for (const [name, scenario] of SCENARIOS) {
  test(`power cut at every flash write and erase, clean and torn (cases 1 to 7): ${name}`, () => {
    const lines: string[] = [];
    let cuts = 0;
    for (const layout of BOARDS) {
      const images = campaignImages(layout);
      const tally: Tally = { cuts: 0, readPrevious: 0, readNew: 0 };
      const ops = cutEverywhere(layout, provisioned(layout, images), (b) => scenario(b, images), MODES, tally, (b, where) => recoverAndUpdate(b, images, where), "");
      cuts += tally.cuts;
      lines.push(`${layout.name}: ${ops} flash ops × ${MODES.length} modes = ${tally.cuts} cuts; record read the previous state ${tally.readPrevious} times, the new one ${tally.readNew}`);
    }
    console.log(`  ${name}: ${cuts} cut points tried, all recovered\n    ${lines.join("\n    ")}`);
  });
}

test("a second power cut during the recovery from the first (every op of the restart and next update)", () => {
  const lines: string[] = [];
  let cuts = 0;
  for (const layout of BOARDS) {
    const images = campaignImages(layout);
    const outer: Tally = { cuts: 0, readPrevious: 0, readNew: 0 };
    const inner: Tally = { cuts: 0, readPrevious: 0, readNew: 0 };
    const torn = [MODES[1]];
    cutEverywhere(layout, provisioned(layout, images), (b) => updateTrialRollBack(b, images), torn, outer, (afterFirst, where) => {
      cutEverywhere(layout, afterFirst.flash, (b) => recoverAndUpdate(b, images, where), MODES, inner,
        (afterSecond, where2) => recoverAndUpdate(afterSecond, images, where2), `${where}, then `);
    }, "");
    cuts += outer.cuts + inner.cuts;
    lines.push(`${layout.name}: ${outer.cuts} first cuts (torn), ${inner.cuts} second cuts; record read the previous state ${inner.readPrevious} times, the new one ${inner.readNew}`);
  }
  console.log(`  double faults: ${cuts} cut points tried, all recovered\n    ${lines.join("\n    ")}`);
});
