// The whole power-cut campaign: every flash write and erase of both
// scenarios, cleanly and torn, at each of the record's page alignments.
// Exits 1 on any problem.
import { prepareCampaign, runCampaign, summarize, describePoint, RING_OFFSETS } from "./campaign.ts";
import { scriptArgs } from "../../host/script-args.ts";

const { positionals } = scriptArgs("npm run campaign -- [CONCURRENCY]: runs at once (default 2)", { allowPositionals: true });
const concurrency = Number(positionals[0] ?? 2);
const started = Date.now();
const campaign = await prepareCampaign();
try {
  let done = 0;
  const results = await runCampaign(campaign, { scenarios: ["confirm", "crash"], modes: ["clean", "torn"], stageRingOffsets: RING_OFFSETS, trialRingOffsets: RING_OFFSETS }, concurrency, (r) => {
    if (r.problems.length > 0) console.log(`PROBLEM ${describePoint(r.point)}: ${r.problems.join("; ")}`);
    if (++done % 25 === 0) console.error(`${done} runs, ${Math.round((Date.now() - started) / 1000)} s`);
  });
  console.log(summarize(results));
  console.log(`${results.filter((r) => r.cut).length} cut points, ${results.length} runs, ${Math.round((Date.now() - started) / 1000)} s`);
  process.exitCode = results.some((r) => r.problems.length > 0) ? 1 : 0;
} finally {
  campaign.dispose();
}
