// The power-cut campaign in the simulator with the real loader image (see
// campaign.ts), on a stride of cut points that keeps `npm test` short: every
// write and erase of the trial boot (the loader's and confirm()'s or the crash
// guard's) at each of the record's page alignments; in the stage, every write
// and erase of the record and one in the middle of the slot copy (the ones
// around it are alike), at one alignment. All cleanly and torn. Every cut
// point of every alignment: `npx tsx test/power/full-campaign.ts`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { loadBoard } from "../../host/toolchain/board.ts";
import { prepareCampaign, runCampaign, summarize, RING_OFFSETS, type Campaign, type FlashOp, type ScenarioName } from "./campaign.ts";

const { bootRecord: record, signatures } = loadBoard("linux").layout;
let campaign: Campaign;

before(async () => {
  campaign = await prepareCampaign();
});
after(() => campaign?.dispose());

/** The boot record's and the signature page's operations, and one in the middle of the slot copy. */
function recordSignatureAndMidCopy(ops: FlashOp[]): number[] {
  const within = (op: FlashOp, r: { start: number; size: number }) => op.addr >= r.start && op.addr < r.start + r.size;
  const inRecordOrSignature = (op: FlashOp) => within(op, record) || within(op, signatures);
  const numbers = ops.map((_, i) => i + 1);
  const copy = numbers.filter((n) => !inRecordOrSignature(ops[n - 1]));
  const picked = numbers.filter((n) => inRecordOrSignature(ops[n - 1]));
  if (copy.length > 0) picked.push(copy[copy.length >> 1]);
  return picked.sort((a, b) => a - b);
}

for (const scenario of ["confirm", "crash"] as ScenarioName[]) {
  const flow = scenario === "confirm" ? "stage → trial → confirm" : "stage → trial → crash → rollback";
  test(`power cut at the flash operations of ${flow}: a valid image always starts and the record tells what happened`, { timeout: 600_000 }, async () => {
    const results = await runCampaign(campaign, { scenarios: [scenario], modes: ["clean", "torn"], stageRingOffsets: [0], stageStride: recordSignatureAndMidCopy, trialRingOffsets: RING_OFFSETS }, 2, () => undefined);
    console.log(summarize(results).replace(/^/gm, "  "));
    const cuts = results.filter((r) => r.cut);
    assert.ok(cuts.filter((r) => r.point.phase === "trial-boot").length >= 12, "every trial boot has two writes or more, an erase at two alignments");
    assert.deepEqual(results.filter((r) => r.problems.length > 0).map((r) => r.problems), []);
  });
}
