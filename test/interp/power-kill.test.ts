// Power cuts on the real interpreter: the board (host/interp/supervisor.ts)
// is killed (SIGKILL, a pulled plug) at moments spread over an update's stage,
// restart, trial and confirm or crash rollback, then powered on again. The
// judge is the simulator campaign's (test/power/campaign.ts): a valid image
// starts, and the record in the interpreter's own flash file tells what
// happened. The simulator cuts at each flash operation; here the moments are
// wall-clock, so this shows the interpreter's real flash file and process
// death agree with the model.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FLASH_FILE, runInFolder, writeStorageFiles } from "../../host/interp/folder.ts";
import { InterpreterBoard } from "../../host/interp/supervisor.ts";
import { APP_LINE, NEXT_IMAGE, buildImages, judgeSettledBoard, signCampaign, stageCode, stagedVersion, type CampaignSigning, type ScenarioName } from "../power/campaign.ts";

const bin = process.env.ESPRUINO_BIN;
const KILLS = 12;
const STAGE_AND_RESTART = `eval(require("Storage").read("stage.js")); setTimeout(function () { E.reboot(); }, 10)`;
let images: Record<string, string>;
let signing: CampaignSigning;

before(async () => {
  if (!bin) return;
  images = await buildImages();
  signing = signCampaign(images);
});

/** A folder whose espruino.flash holds the campaign's board (v1 signed in slot 0, verify at boot on) and, after the run copy, the scenario's stage. */
function provisionedFolder(scenario: ScenarioName): string {
  const dir = mkdtempSync(join(tmpdir(), `interp-kill-${scenario}-`));
  writeStorageFiles(bin!, dir, signing.provisioning);
  const lines = runInFolder(bin!, dir, `global.FOTA_VERSION = "1.0.0";\n${images.provision}`);
  assert.ok(lines.some((l) => l.startsWith("provisioned slot 0")), lines.join("\n"));
  writeStorageFiles(bin!, dir, { [NEXT_IMAGE]: images[stagedVersion(scenario)], "stage.js": stageCode(scenario, images, signing) });
  return dir;
}

/**
 * Line that ends the flow: v2 confirming, v2 running confirmed (the kill came
 * after the confirm), or v1 running (update never reached its trial, or rolled back).
 */
function settledLine(scenario: ScenarioName): RegExp {
  return scenario === "confirm" ? /^confirmed slot 1$|^app 2\.0\.0 on linux, slot 1$|^app 1\.0\.0 on linux, slot 0$/ : /^app 1\.0\.0 on linux, slot 0$/;
}

/** Starts a copy of the template, stages the update and restarts into it; kills the board `killAfterMs` later (never: undefined). */
async function runOnce(template: string, scenario: ScenarioName, killAfterMs: number | undefined): Promise<{ ms: number; outcome: string; problems: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), "interp-kill-run-"));
  copyFileSync(join(template, FLASH_FILE), join(dir, FLASH_FILE));
  const board = InterpreterBoard.start({ bin: bin!, dir });
  try {
    await board.waitFor(/^app 1\.0\.0 on linux, slot 0$/, 20_000);
    const mark = board.lines.length;
    const started = Date.now();
    board.type(STAGE_AND_RESTART);
    let since = mark;
    if (killAfterMs !== undefined) {
      await new Promise((r) => setTimeout(r, killAfterMs));
      since = board.lines.length;
      await board.powerCycle();
    }
    await board.waitFor(settledLine(scenario), 20_000, since);
    const ms = Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
    const flowLines = board.lines.slice(mark);
    const finalMark = board.lines.length;
    await board.powerCycle();
    const appLine = await board.waitFor(APP_LINE, 20_000, finalMark);
    await board.stop();
    return { ms, ...judgeSettledBoard(join(dir, FLASH_FILE), appLine, scenario, true, flowLines, images) };
  } finally {
    await board.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const scenario of ["confirm", "crash"] as ScenarioName[]) {
  test(`the interpreter killed at ${KILLS} moments of an update that ${scenario === "confirm" ? "confirms" : "crashes"}: a valid image starts, the record tells`, { skip: bin ? false : "ESPRUINO_BIN not set", timeout: 300_000 }, async () => {
    const template = provisionedFolder(scenario);
    try {
      const whole = await runOnce(template, scenario, undefined);
      assert.deepEqual(whole.problems, []);
      const tally = new Map<string, number>();
      const problems: string[] = [];
      for (let k = 0; k < KILLS; k++) {
        const at = Math.round((whole.ms * (k + 0.5)) / KILLS);
        const run = await runOnce(template, scenario, at);
        tally.set(run.outcome, (tally.get(run.outcome) ?? 0) + 1);
        problems.push(...run.problems.map((p) => `killed at ${at} ms: ${p}`));
      }
      console.log(`  uninterrupted: ${whole.outcome} after ${whole.ms} ms; killed ${KILLS} times:`);
      for (const [outcome, n] of [...tally].sort()) console.log(`    ${String(n).padStart(3)}  ${outcome}`);
      assert.deepEqual(problems, []);
    } finally {
      rmSync(template, { recursive: true, force: true });
    }
  });
}
