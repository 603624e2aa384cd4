// A power cut at every flash operation of a Storage compaction: what the
// next power-on finds. The simulator's SimFlash cuts (clean: the operation
// did nothing; torn: part of it), then the board powers on again and Storage
// runs the interpreter's power-on check. With ESPRUINO_BIN set, the
// interpreter compacts the same Storage under strace, each cut state is
// rebuilt from its own writes, and it reads every state as the simulator does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadBoard } from "../../host/toolchain/board.ts";
import { PowerCutError, SimFlash, type PowerCutMode } from "../../host/sim/flash.ts";
import { SimStorage } from "../../host/sim/storage.ts";
import { AREA, content, DESCRIBE_STORAGE, linuxChip, linuxStorage, runOnInterpreter, runOnSimulator, straceAvailable } from "./storage-harness.ts";

const bin = process.env.ESPRUINO_BIN;

interface Scenario {
  name: string;
  image: Buffer;
  /** The live files and their bytes before the compaction. */
  files: Map<string, string>;
}

/** Writes files of the given sizes, erases some, and returns the flash image to compact. */
function scenario(name: string, sizes: [string, number][], erase: string[]): Scenario {
  const { chip, recorder } = linuxChip();
  const storage = linuxStorage(recorder);
  const files = new Map<string, string>();
  sizes.forEach(([file, size], i) => {
    files.set(file, content(i + 1, size));
    storage.write(file, files.get(file)!);
  });
  for (const file of erase) {
    storage.erase(file);
    files.delete(file);
  }
  return { name, image: Buffer.from(chip.read(AREA.size, AREA.start)), files };
}

/** Trash near the start: every later file moves down, across page boundaries. */
const MOVING = scenario("files move down", [["A", 300], ["B", 900], ["C", 1500], ["D", 200], ["E", 2500], ["F", 700]], ["B"]);
/** Trash at the end: the files before it are rewritten where they are, page by page. */
const IN_PLACE = scenario("files rewritten in place", [["f0", 857], ["f1", 1441], ["f2", 1953]], ["f2"]);

/** The flash after a cut at the k-th flash operation of compact(). */
function cutCompaction(image: Buffer, k: number, mode: PowerCutMode, seed = 1): Buffer {
  const { chip, recorder } = linuxChip(image);
  chip.armPowerCut(k, mode);
  assert.throws(() => linuxStorage(recorder).compact(), PowerCutError);
  const after = chip.powerCycle(seed);
  return Buffer.from(after.read(AREA.size, AREA.start));
}

function compactionOps(image: Buffer) {
  const { recorder, ops } = linuxChip(image);
  linuxStorage(recorder).compact();
  return ops;
}

type Outcome = "intact" | "all erased" | "valid, files damaged or lost";

/** What the next power-on finds, file by file. */
function outcome(storage: SimStorage, files: Map<string, string>): { outcome: Outcome; detail: string } {
  if (!storage.powerOn()) return { outcome: "all erased", detail: "Storage is corrupt: erased" };
  const names = storage.list();
  const verdicts = [...files].map(([name, bytes]) => {
    const found = storage.read(name);
    return `${name} ${found === undefined ? "lost" : found === bytes ? "ok" : "wrong bytes"}`;
  });
  const extra = names.filter((n, i) => !files.has(n) || names.indexOf(n) !== i);
  const intact = verdicts.every((v) => v.endsWith(" ok")) && extra.length === 0;
  return { outcome: intact ? "intact" : "valid, files damaged or lost", detail: [...verdicts, ...extra.map((n) => `extra ${JSON.stringify(n)}`)].join(", ") };
}

function survey(s: Scenario, mode: PowerCutMode): { outcome: Outcome; detail: string }[] {
  return compactionOps(s.image).map((_, i) => {
    const state = cutCompaction(s.image, i + 1, mode, i + 1);
    return outcome(linuxStorage(linuxChip(state).recorder), s.files);
  });
}

test("a cut before a compaction's first erase loses nothing; after it, files that move down are all lost at the next power-on", (t) => {
  const cuts = survey(MOVING, "clean");
  cuts.forEach((c, i) => t.diagnostic(`cut at op ${i + 1}/${cuts.length}: ${c.detail}`));
  assert.equal(cuts[0].outcome, "intact");
  assert.deepEqual(new Set(cuts.slice(1).map((c) => c.outcome)), new Set(["all erased"]), "the chain breaks mid-page: the power-on check erases Storage");
});

test("a cut while files are rewritten in place can leave a valid Storage whose file has the wrong bytes", (t) => {
  const cuts = survey(IN_PLACE, "clean");
  cuts.forEach((c, i) => t.diagnostic(`cut at op ${i + 1}/${cuts.length}: ${c.detail}`));
  assert.equal(cuts[0].outcome, "intact");
  assert.ok(cuts.some((c) => c.outcome === "valid, files damaged or lost" && c.detail.includes("f1 wrong bytes")), "only a CRC tells");
  assert.ok(cuts.some((c) => c.outcome === "all erased"));
});

test("survey: random layouts on both builds, a cut at every operation of each compaction", (t) => {
  const esp32 = loadBoard("esp32");
  const builds = [
    { name: "linux", area: AREA, pageSize: 1024, layouts: 60 },
    { name: "esp32", area: esp32.interpreter.storage, pageSize: esp32.layout.pageSize, layouts: 15 },
  ];
  let seed = 12345;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
  for (const build of builds) {
    const tally = new Map<string, number>();
    const chipOf = (image?: Buffer) => {
      const chip = new SimFlash({ start: build.area.start, size: build.area.size, pageSize: build.pageSize });
      if (image) chip.write(image, build.area.start);
      return chip;
    };
    for (let layout = 0; layout < build.layouts; layout++) {
      const setup = chipOf();
      const storage = new SimStorage(setup, build.area);
      const files = new Map<string, string>();
      const count = 3 + random(8);
      for (let i = 0; i < count; i++) {
        files.set(`f${i}`, content(layout * 100 + i, 1 + random(3 * build.pageSize)));
        storage.write(`f${i}`, files.get(`f${i}`)!);
      }
      for (let i = 0; i < count; i++) {
        if (i > 0 && random(3) !== 0) continue;
        storage.erase(`f${i}`);
        files.delete(`f${i}`);
      }
      const image = Buffer.from(setup.read(build.area.size, build.area.start));
      const probe = chipOf(image);
      const before = probe.opsCount;
      new SimStorage(probe, build.area).compact();
      const n = probe.opsCount - before;
      for (const mode of ["clean", "torn"] as const) {
        for (let k = 1; k <= n; k++) {
          const chip = chipOf(image);
          chip.armPowerCut(k, mode);
          assert.throws(() => new SimStorage(chip, build.area).compact(), PowerCutError);
          const found = outcome(new SimStorage(chip.powerCycle(k), build.area), files).outcome;
          const key = `${mode} cut, ${k === 1 ? "first operation (an erase)" : "later operation"}: ${found}`;
          tally.set(key, (tally.get(key) ?? 0) + 1);
        }
      }
    }
    for (const [key, n] of [...tally].sort()) t.diagnostic(`${build.name}: ${key}: ${n}`);
    const count = (prefix: string) => [...tally].filter(([k]) => k.startsWith(prefix)).reduce((a, [, n]) => a + n, 0);
    assert.equal(count("clean cut, first operation (an erase): intact"), build.layouts, `${build.name}: a clean cut before the first erase loses nothing`);
    const later = count("clean cut, later operation");
    assert.ok(count("clean cut, later operation: all erased") > later / 2, `${build.name}: most later cuts erase Storage`);
    assert.ok(count("clean cut, later operation: valid, files damaged or lost") > 0, `${build.name}: some leave damaged files behind a valid chain`);
  }
});

for (const s of [MOVING, IN_PLACE]) {
  test(`interpreter: a cut at every operation of a compaction (${s.name}): the same states, read the same way`, { skip: bin ? false : "ESPRUINO_BIN is not set", timeout: 300_000 }, (t) => {
    const simOps = compactionOps(s.image);
    let ops = simOps;
    if (straceAvailable) {
      const traced = runOnInterpreter(bin!, `require("Storage").compact();`, s.image, true);
      assert.equal(traced.ops.length, simOps.length, "number of flash operations");
      traced.ops.forEach((op, i) => assert.ok(op.addr === simOps[i].addr && op.bytes.equals(simOps[i].bytes), `operation ${i + 1} differs`));
      ops = traced.ops;
    } else {
      t.diagnostic("strace is not installed: cut states come from the simulator's operations");
    }
    const replayed = Buffer.from(s.image);
    for (let k = 1; k <= ops.length; k++) {
      const state = cutCompaction(s.image, k, "clean");
      assert.ok(state.equals(replayed), `a clean cut at operation ${k} leaves what the interpreter had written before it`);
      const interp = runOnInterpreter(bin!, DESCRIBE_STORAGE, state);
      const sim = runOnSimulator(DESCRIBE_STORAGE, state);
      assert.deepEqual([sim.boot, sim.lines], [interp.boot, interp.lines], `cut at operation ${k}`);
      assert.ok(sim.flash.equals(interp.flash), `cut at operation ${k}: flash after the power-on check`);
      ops[k - 1].bytes.copy(replayed, ops[k - 1].addr - AREA.start);
      const torn = cutCompaction(s.image, k, "torn", k);
      const interpTorn = runOnInterpreter(bin!, DESCRIBE_STORAGE, torn);
      const simTorn = runOnSimulator(DESCRIBE_STORAGE, torn);
      assert.deepEqual([simTorn.boot, simTorn.lines], [interpTorn.boot, interpTorn.lines], `torn cut at operation ${k}`);
      assert.ok(simTorn.flash.equals(interpTorn.flash), `torn cut at operation ${k}: flash after the power-on check`);
    }
    t.diagnostic(`${ops.length} cut points, clean and torn, read identically`);
  });
}
