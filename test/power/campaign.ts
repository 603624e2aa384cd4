// The power-cut campaign on a simulated board running the real loader image,
// every image signed and the board verifying each at boot: an update (its
// signature page and its security counter) is staged into slot 1, started on
// trial, and either confirms (the record's counter floor rises to it) or
// crashes; power is cut at one flash write or erase (cleanly or torn), the
// board comes back on its own, and once it settles it is powered on again.
// Each cut point then checks that the board started a valid image and that
// the boot record, decoded in Node from the board's flash file, tells what
// happened. Shared by campaign.test.ts (a stride of cut points, for `npm test`)
// and full-campaign.ts (every cut point).
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 as zlibCrc32 } from "node:zlib";
import { buildDeviceScript } from "../../host/toolchain/device-script.ts";
import { HOST_BOARD, loadBoard } from "../../host/toolchain/board.ts";
import { SimBoard, writeStorage } from "../../host/sim/board.ts";
import { SimFlash, type PowerCutMode } from "../../host/sim/flash.ts";
import { provideCrc32 } from "../../firmware/crypto/crc32.ts";
import { BootRecord } from "../../firmware/boot/record.ts";
import type { BootState } from "../../firmware/boot/entry.ts";
import { beginWrite } from "../../firmware/boot/transitions.ts";
import { recordInFlashFile, slotInFlashFile } from "../support/interp.ts";
import { createKeyPair, trustAnchorFor } from "../../host/signing/keys.ts";
import { signedDocument } from "../../host/signing/sign.ts";
import { bootVerifyFiles } from "../../host/signing/boot-verify.ts";
import { TRUST_ANCHOR_FILE, type SignedDocument } from "../../firmware/fota/manifest.ts";
import { STAGED_IMAGE } from "../../firmware/provision/files.ts";

provideCrc32((data) => zlibCrc32(data));

// The flash files are read back as the host board's (test/support/interp.ts).
const BOARD = HOST_BOARD;
const layout = loadBoard(BOARD).layout;

/** (a) ends with v2 confirmed in slot 1; (b) with the crashing image rolled back to v1. */
export type ScenarioName = "confirm" | "crash";

/**
 * Where a cut falls: "stage" counts the flash operations of update()+test()
 * (the stand-in copies Storage "next.img" into slot 1) in the running board;
 * "trial-boot" counts from the power-on that starts the trial (the loader's
 * writes, then the trial image's confirm() or the crash guard's rollback).
 */
export type Phase = "stage" | "trial-boot";

export interface CutPoint {
  scenario: ScenarioName;
  /**
   * Record entries written after provisioning, before the stage (0..2; a
   * 1 KB page holds 3): moves the record's page erases to other places in
   * the flow, so cuts meet each of them.
   */
  ringOffset: number;
  phase: Phase;
  /** 1 = the first write or erase of the phase. */
  op: number;
  mode: PowerCutMode;
}

/** What one cut point showed. `cut` is false when the phase had fewer operations than `op`. */
export interface CutResult {
  point: CutPoint;
  cut: boolean;
  /** "app 1.0.0 slot 0, update never started its trial", ... (for the tally). */
  outcome: string;
  /** Empty when every check held. */
  problems: string[];
}

export interface FlashOp {
  kind: "write" | "erase";
  addr: number;
}

export const RING_OFFSETS = [0, 1, 2];

export interface Campaign {
  images: Record<string, string>;
  run(point: CutPoint): Promise<CutResult>;
  /** Flash operations the stage phase makes, with the address each touches, from a pass without a cut. */
  stageOps(scenario: ScenarioName, ringOffset: number): Promise<FlashOp[]>;
  dispose(): void;
}

export const APP_LINE = /^app (\S+) on linux, slot (\d+)( \(trial\))?$/;
/** The trial image's first line: v2 on trial, or the crashing image. */
const TRIAL_START = /^app 2\.0\.0 on linux, slot 1 \(trial\)$|^crashing app starting$/;
const CUT_LINE = /^\[sim: power cut at flash op \d+\]$/;
/** Generous: a trial boot is a few process starts on a shared CI machine. */
const SETTLE_MS = 30_000;

/** The images of both scenarios, keyed by role (loader, provision, stage, verifier) or version (1.0.0, 2.0.0, crash). */
export async function buildImages(loaderEntry = "firmware/loader/main.ts"): Promise<Record<string, string>> {
  return {
    loader: await buildDeviceScript(loaderEntry, BOARD, "campaign"),
    provision: await buildDeviceScript("firmware/provision/main.ts"),
    stage: await buildDeviceScript("test/loader/entries/stage-trial.ts"),
    "1.0.0": await buildDeviceScript("test/support/entries/offline-app.ts", BOARD, "1.0.0"),
    "2.0.0": await buildDeviceScript("test/support/entries/offline-app.ts", BOARD, "2.0.0"),
    crash: await buildDeviceScript("firmware/examples/crash-at-start.ts"),
    verifier: await buildDeviceScript("firmware/verifier/main.ts", BOARD),
  };
}

/** Security counters: v1's at provisioning; the floor rises to a staged image's exactly when it is confirmed. */
const COUNTER: Record<string, number> = { "1.0.0": 1, "2.0.0": 7, crash: 5 };

/** What signing gives the campaign; the owner's key is made for it and deleted once everything is signed. */
export interface CampaignSigning {
  /** Storage files before provisioning: the loader, its settings with verify at boot on, the trust anchor, the verifier, v1 and its signature record. */
  provisioning: Record<string, string>;
  /** The signed fields of each image the stage installs, by version. */
  signed: Record<string, SignedDocument>;
}

export function signCampaign(images: Record<string, string>): CampaignSigning {
  const keyDir = mkdtempSync(join(tmpdir(), "campaign-owner-"));
  try {
    const owner = createKeyPair(join(keyDir, "owner"));
    const request = (version: string) => ({ board: BOARD, version, counter: COUNTER[version], keyPath: owner.privatePath });
    const bytes = (text: string) => Buffer.from(text, "latin1");
    // A long confirm window: only the campaign's cuts end a trial, never a slow machine.
    const verify = bootVerifyFiles(bytes(images["1.0.0"]), request("1.0.0"), bytes(images.verifier), { confirmWindowS: 60, watchdogS: 10 });
    const provisioning: Record<string, string> = { ".bootcde": images.loader, [STAGED_IMAGE]: images["1.0.0"], [TRUST_ANCHOR_FILE]: trustAnchorFor(owner.publicPath) };
    for (const [name, content] of Object.entries(verify.files)) provisioning[name] = content.toString("latin1");
    const signed: Record<string, SignedDocument> = {};
    for (const version of ["2.0.0", "crash"]) {
      signed[version] = signedDocument(bytes(images[version]), request(version));
    }
    return { provisioning, signed };
  } finally {
    rmSync(keyDir, { recursive: true, force: true });
  }
}

/** `loaderEntry`: another loader to put through the campaign (e.g. a deliberately broken one). */
export async function prepareCampaign(loaderEntry?: string): Promise<Campaign> {
  const images = await buildImages(loaderEntry);
  const signing = signCampaign(images);
  const root = mkdtempSync(join(tmpdir(), "power-campaign-"));
  const templates: Record<string, string> = {};
  for (const scenario of ["confirm", "crash"] as const) {
    const provisioned = await provisionTemplate(root, scenario, images, signing);
    for (const offset of RING_OFFSETS) templates[`${scenario}-${offset}`] = shiftRing(provisioned, offset, join(root, `template-${scenario}-${offset}.bin`));
  }

  async function bootTemplate(scenario: ScenarioName, ringOffset: number): Promise<{ sim: SimBoard; dir: string }> {
    const dir = mkdtempSync(join(root, "run-"));
    copyFileSync(templates[`${scenario}-${ringOffset}`], join(dir, "flash.bin"));
    const sim = await SimBoard.start({ board: BOARD, flashFile: join(dir, "flash.bin") });
    await sim.waitFor(/^app 1\.0\.0 on linux, slot 0$/, SETTLE_MS);
    return { sim, dir };
  }

  return {
    images,
    async stageOps(scenario, ringOffset) {
      const { sim, dir } = await bootTemplate(scenario, ringOffset);
      try {
        // The board's own Flash module, wrapped in the board, records every write and erase of the stage.
        await sim.evaluate(`(function () {
          var F = require("Flash"), w = F.write, e = F.erasePage;
          global.OPS = [];
          F.write = function (d, a) { global.OPS.push(["write", a]); return w.call(F, d, a); };
          F.erasePage = function (a) { global.OPS.push(["erase", a]); return e.call(F, a); };
        })(), 0`);
        await sim.evaluate(stageCode(scenario, images, signing));
        const ops = (await sim.evaluate(`global.OPS`)) as ["write" | "erase", number][];
        return ops.map(([kind, addr]) => ({ kind, addr }));
      } finally {
        await sim.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
    async run(point) {
      const { sim, dir } = await bootTemplate(point.scenario, point.ringOffset);
      try {
        return await runCutPoint(sim, join(dir, "flash.bin"), point, images, signing);
      } finally {
        await sim.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    },
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * v1 provisioned into slot 0 the real way (the provisioning image), signed,
 * with verify at boot on; then the image the stage installs, written after
 * the run copy, as an application's own file would be.
 */
async function provisionTemplate(root: string, scenario: ScenarioName, images: Record<string, string>, signing: CampaignSigning): Promise<string> {
  const flashFile = join(root, `template-${scenario}.bin`);
  writeStorage(BOARD, flashFile, signing.provisioning);
  const sim = await SimBoard.start({ board: BOARD, flashFile });
  try {
    await sim.waitFor(/no valid image in any slot/);
    await sim.evaluate(`global.FOTA_VERSION = "1.0.0"`);
    await sim.evaluate(images.provision);
    await sim.waitFor(/^provisioned slot 0/);
  } finally {
    await sim.stop();
  }
  writeStorage(BOARD, flashFile, { [NEXT_IMAGE]: images[stagedVersion(scenario)] });
  return flashFile;
}

/**
 * A copy of a provisioned flash file whose record page holds `offset` more
 * entries (beginWrite of slot 1, which the stage writes first anyway), written
 * by the record's own code in Node.
 */
function shiftRing(provisioned: string, offset: number, file: string): string {
  copyFileSync(provisioned, file);
  const chip = new SimFlash({ start: layout.flash.start, size: layout.flash.size, pageSize: layout.pageSize, file });
  const record = new BootRecord(chip, layout);
  for (let i = 0; i < offset; i++) record.change((s) => beginWrite(s, 1, { size: 1, md5: "", version: "", jobId: "shift" }));
  return file;
}

/** The Storage file the stage installs from. */
export const NEXT_IMAGE = "next.img";

/** The version each scenario stages: v2, or the image that crashes at start. */
export const stagedVersion = (scenario: ScenarioName): string => (scenario === "confirm" ? "2.0.0" : "crash");

/** The update()+test() stand-in for a scenario: Storage NEXT_IMAGE into slot 1 with its signature page, on trial. */
export function stageCode(scenario: ScenarioName, images: Record<string, string>, signing: CampaignSigning): string {
  const version = stagedVersion(scenario);
  const job = { file: NEXT_IMAGE, slot: 1, jobId: `job-${scenario}`, version, signed: signing.signed[version] };
  return `global.STAGE = ${JSON.stringify(job)};\n${images.stage}`;
}

async function runCutPoint(sim: SimBoard, flashFile: string, point: CutPoint, images: Record<string, string>, signing: CampaignSigning): Promise<CutResult> {
  const mark = sim.lines.length;
  const cutBoot = new Promise<void>((resolve) => sim.once("boot", () => resolve()));
  if (point.phase === "stage") {
    sim.cutPowerAfter(point.op, point.mode);
    // A cut ends the board's process in the middle of the evaluation, which then never answers.
    await Promise.race([sim.evaluate(stageCode(point.scenario, images, signing)), cutBoot]);
    if (!sim.lines.slice(mark).some((l) => CUT_LINE.test(l))) {
      await sim.waitFor(/^staged slot 1/, SETTLE_MS, mark);
      // Disarm the cut that did not happen: the phase had fewer operations.
      return { point, cut: false, outcome: "no cut", problems: [] };
    }
  } else {
    await sim.evaluate(stageCode(point.scenario, images, signing));
    await sim.waitFor(/^staged slot 1/, SETTLE_MS, mark);
    sim.cutPowerOnNextBoot(point.op, point.mode);
    await sim.evaluate(`setTimeout(function () { E.reboot(); }, 10), 0`);
  }
  // The flow settles on v2 confirmed or on v1 running (the stage never reached its trial, or a rollback).
  const settled = point.scenario === "confirm" ? /^confirmed slot 1$|^app 1\.0\.0 on linux, slot 0$/ : /^app 1\.0\.0 on linux, slot 0$/;
  await sim.waitFor(settled, SETTLE_MS, mark);
  await new Promise((r) => setTimeout(r, 100));
  const flowLines = sim.lines.slice(mark);
  const cut = flowLines.some((l) => CUT_LINE.test(l));
  if (point.phase === "trial-boot" && !cut) return { point, cut: false, outcome: "no cut", problems: [] };

  // Power back on once more. A settled board writes nothing while it starts:
  // any write or erase in this boot would be cut and show on the console.
  const finalMark = sim.lines.length;
  sim.cutPowerOnNextBoot(1, "clean");
  await sim.powerCycle();
  const appLine = await sim.waitFor(APP_LINE, SETTLE_MS, finalMark);
  await new Promise((r) => setTimeout(r, 100));
  const finalLines = sim.lines.slice(finalMark);
  await sim.stop();

  const verdict = judgeSettledBoard(flashFile, appLine, point.scenario, point.phase === "stage", flowLines, images);
  if (finalLines.some((l) => CUT_LINE.test(l))) verdict.problems.push("the boot after the flow settled wrote to flash");
  const { outcome, problems } = verdict;
  return { point, cut: true, outcome, problems };
}

/**
 * A board that settled after a cut, as it starts again (`appLine`) and as its
 * flash file holds it: it started a valid image, and the record tells what
 * happened. `cutBeforeTrial`: the cut may have stopped the update before its
 * trial was marked. Returns the outcome for the tally and every problem.
 */
export function judgeSettledBoard(flashFile: string, appLine: string, scenario: ScenarioName, cutBeforeTrial: boolean, flowLines: string[], images: Record<string, string>): { outcome: string; problems: string[] } {
  const problems: string[] = [];
  const state = recordInFlashFile(flashFile);
  const app = APP_LINE.exec(appLine);
  if (!app) return { outcome: "no application started", problems: [`not an application's line: ${appLine}`] };
  const [, version, slotText, trialMark] = app;
  if (trialMark) problems.push(`after settling the board still starts a trial: ${appLine}`);
  problems.push(...checkRunningImage(flashFile, state, Number(slotText), version, images));
  const outcome = describeOutcome(state);
  problems.push(...checkOutcome(scenario, cutBeforeTrial, state, outcome, flowLines));
  return { outcome, problems };
}

/** The image the board started is the record's confirmed slot, valid, its bytes matching both the record and the build. */
function checkRunningImage(flashFile: string, s: BootState, slot: number, version: string, images: Record<string, string>): string[] {
  const problems: string[] = [];
  if (s.confirmed !== slot) problems.push(`the board runs slot ${slot}, the record confirms ${s.confirmed}`);
  const meta = s.slots[slot];
  if (!meta) return [...problems, `no slot ${slot}`];
  if (meta.state !== "valid") problems.push(`slot ${slot} runs but is ${meta.state}`);
  if (meta.version !== version) problems.push(`slot ${slot} prints version ${version}, the record says ${meta.version}`);
  const bytes = slotInFlashFile(flashFile, slot, meta.size);
  if (zlibCrc32(bytes) !== meta.crc32) problems.push(`slot ${slot}'s bytes fail the CRC-32 the record keeps`);
  const built = images[version];
  if (built === undefined || Buffer.from(built, "latin1").compare(bytes) !== 0) problems.push(`slot ${slot} does not hold the build of ${version}`);
  return problems;
}

function describeOutcome(s: BootState): string {
  if (s.confirmed === 1) return "v2 confirmed in slot 1";
  if (s.failure) return `v1 in slot 0, trial rolled back: ${s.failure.reason}`;
  return `v1 in slot 0, update stopped before its trial (slot 1 ${s.slots[1].state})`;
}

/** The record tells what happened: an outcome the cut's place allows, with the reason and the old image saying it. */
function checkOutcome(scenario: ScenarioName, cutBeforeTrial: boolean, s: BootState, outcome: string, flowLines: string[]): string[] {
  const problems: string[] = [];
  if (s.trial !== null || s.trialStarts !== 0) problems.push(`a trial is still pending: slot ${s.trial}, ${s.trialStarts} starts`);
  if (s.slots[0].state !== "valid" || s.slots[0].version !== "1.0.0") problems.push(`slot 0 (v1) is ${s.slots[0].state} ${s.slots[0].version}, not valid 1.0.0`);
  const f = s.failure;
  const allowed: string[] = [];
  if (scenario === "confirm") {
    allowed.push("v2 confirmed in slot 1", "v1 in slot 0, trial rolled back: restarted");
    if (cutBeforeTrial) allowed.push(...beforeTrial());
    if (s.confirmed === 1 && (f !== null || s.slots[1].jobId !== "job-confirm")) problems.push(`v2 confirmed, but the record says failure ${JSON.stringify(f)}, job ${s.slots[1].jobId}`);
  } else {
    allowed.push("v1 in slot 0, trial rolled back: crashed", "v1 in slot 0, trial rolled back: restarted");
    if (cutBeforeTrial) allowed.push(...beforeTrial());
  }
  const staged = COUNTER[stagedVersion(scenario)];
  const floor = s.confirmed === 1 ? staged : COUNTER["1.0.0"];
  if (s.counterFloor !== floor) problems.push(`the security counter floor is ${s.counterFloor}, not ${floor}`);
  if (s.slots[1].state !== "empty" && s.slots[1].state !== "writing" && s.slots[1].counter !== staged) problems.push(`slot 1 keeps counter ${s.slots[1].counter}, not ${staged}`);
  if (!allowed.includes(outcome)) problems.push(`outcome "${outcome}" cannot follow this cut${cutBeforeTrial ? "" : " after the trial was marked"}`);
  // Verify at boot: every start checked its slot, and no cut made a slot fail the check.
  const refusals = flowLines.filter((l) => /^loader: slot \d+ refused at boot|^loader .*: verify at boot is on, but/.test(l));
  if (refusals.length > 0) problems.push(`verify at boot refused: ${refusals.join("; ")}`);
  if (!flowLines.some((l) => /^loader: slot \d+ signature verified at boot/.test(l))) problems.push("no start verified its slot");
  // A trial runs once: a restart after it started rolls it back, whatever cut it.
  const trialStarts = flowLines.filter((l) => TRIAL_START.test(l)).length;
  if (trialStarts > 1) problems.push(`the trial image started ${trialStarts} times`);
  if (trialStarts === 0 && (s.confirmed === 1 || f?.reason === "crashed")) problems.push(`outcome "${outcome}" without the trial image starting`);
  if (f) {
    const details: Record<string, string> = { crashed: "crashed at start: boom at start", restarted: "restarted before confirm() (watchdog reset or power loss)" };
    if (f.slot !== 1 || f.detail !== details[f.reason]) problems.push(`failure ${JSON.stringify(f)} does not name slot 1 and its cause`);
    if (s.slots[1].state !== "aborted") problems.push(`slot 1 failed its trial but is ${s.slots[1].state}, not aborted`);
    if (s.slots[1].jobId !== `job-${scenario}`) problems.push(`slot 1 names job ${s.slots[1].jobId}`);
    const reported = `last failure: ${f.reason} in slot 1: ${f.detail}`;
    if (!flowLines.includes(reported)) problems.push(`the old image did not report "${reported}"`);
  }
  return problems;
}

/** A cut during update()+test() that left the trial unmarked: slot 1 as far as its writing got. */
function beforeTrial(): string[] {
  return ["empty", "writing", "new"].map((state) => `v1 in slot 0, update stopped before its trial (slot 1 ${state})`);
}

/** Which cut points to run. */
export interface PlanOptions {
  scenarios: ScenarioName[];
  modes: PowerCutMode[];
  /** Record alignments at which the stage's operations are cut. */
  stageRingOffsets: number[];
  /** Picks which stage operations (1-based, of `ops`) to cut; default: all. */
  stageStride?: (ops: FlashOp[]) => number[];
  /** Record alignments at which every operation of the trial boot is cut. */
  trialRingOffsets: number[];
}

/**
 * Runs a campaign with `concurrency` boards at once. Stage operations are
 * counted first by a pass without a cut; the trial boot's are found by cutting
 * at 1, 2, ... until a cut no longer happens.
 */
export async function runCampaign(c: Campaign, plan: PlanOptions, concurrency: number, onResult: (r: CutResult) => void): Promise<CutResult[]> {
  const queue: CutPoint[] = [];
  for (const scenario of plan.scenarios) {
    for (const mode of plan.modes) {
      for (const ringOffset of plan.trialRingOffsets) queue.push({ scenario, ringOffset, phase: "trial-boot", op: 1, mode });
    }
    for (const ringOffset of plan.stageRingOffsets) {
      const ops = await c.stageOps(scenario, ringOffset);
      const picked = plan.stageStride ? plan.stageStride(ops) : ops.map((_, i) => i + 1);
      for (const mode of plan.modes) for (const op of picked) queue.push({ scenario, ringOffset, phase: "stage", op, mode });
    }
  }
  const results: CutResult[] = [];
  async function worker(): Promise<void> {
    for (let point = queue.shift(); point; point = queue.shift()) {
      const result = await c.run(point);
      results.push(result);
      onResult(result);
      // A trial boot that made its cut has another operation to try.
      if (result.cut && point.phase === "trial-boot" && point.op < 16) queue.unshift({ ...point, op: point.op + 1 });
      if (!result.cut && point.phase === "stage") result.problems.push(`stage operation ${point.op} was counted but not cut`);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** Cut points per scenario and phase, outcomes tallied, and every problem. */
export function summarize(results: CutResult[]): string {
  const lines: string[] = [];
  for (const scenario of ["confirm", "crash"] as const) {
    const mine = results.filter((r) => r.point.scenario === scenario && r.cut);
    if (mine.length === 0) continue;
    const perPhase = (phase: Phase) => mine.filter((r) => r.point.phase === phase).length;
    lines.push(`${scenario}: ${mine.length} cut points (stage ${perPhase("stage")}, trial boot ${perPhase("trial-boot")}), ${mine.filter((r) => r.problems.length > 0).length} with problems`);
    const tally = new Map<string, number>();
    for (const r of mine) tally.set(r.outcome, (tally.get(r.outcome) ?? 0) + 1);
    for (const [outcome, n] of [...tally].sort()) lines.push(`  ${String(n).padStart(4)}  ${outcome}`);
  }
  for (const r of results.filter((x) => x.problems.length > 0)) lines.push(`PROBLEM ${describePoint(r.point)}: ${r.problems.join("; ")}`);
  return lines.join("\n");
}

export function describePoint(p: CutPoint): string {
  return `${p.scenario} ring+${p.ringOffset} ${p.phase} op ${p.op} ${p.mode}`;
}
