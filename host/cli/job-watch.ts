// `fota job watch ID`: each thing's execution as it moves, with download
// progress where the store can tell, then every final status and its details.
import { DescribeJobCommand, DescribeJobExecutionCommand, GetJobDocumentCommand, ListJobExecutionsForJobCommand } from "@aws-sdk/client-iot";
import { parseFlags, positiveInteger } from "./args.ts";
import { fail, UserError } from "./errors.ts";
import { describeAwsError, openTarget, TARGET_FLAGS, type Target } from "./target.ts";
import { isTerminal } from "../bench/jobs.ts";

export const JOB_WATCH_USAGE = "fota job watch ID [--timeout SECONDS] [--aws --region R] [--bench URL]";

export interface ExecutionOutcome {
  thingName: string;
  status: string;
  statusDetails: Record<string, string>;
}

export async function jobWatch(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, { values: ["timeout", ...TARGET_FLAGS], switches: ["aws"] });
  const jobId = flags.positional[0] ?? fail("which job? fota job watch ID");
  const timeoutS = positiveInteger(flags, "timeout") ?? 3600;
  const target = await openTarget(flags);
  const outcomes = await watchJob(target, jobId, timeoutS * 1000, (line) => console.log(line));
  for (const o of outcomes) console.log(`${o.thingName}: ${o.status} ${JSON.stringify(o.statusDetails)}`);
  if (outcomes.some((o) => o.status !== "SUCCEEDED")) process.exitCode = 1;
}

/** Follows a job until every execution has ended; reports each change through `log`. */
export async function watchJob(target: Target, jobId: string, timeoutMs: number, log: (line: string) => void): Promise<ExecutionOutcome[]> {
  const deadline = Date.now() + timeoutMs;
  const seen = new Map<string, string>();
  let lastBytes = -1;
  try {
    const { job } = await target.iot.send(new DescribeJobCommand({ jobId }));
    const document = JSON.parse((await documentOf(target, jobId)) ?? "{}");
    const size: number | undefined = typeof document.bc_size === "number" ? document.bc_size : undefined;
    const key = objectKey(document.bc_url);
    log(`job ${jobId}: ${job?.status}`);
    for (;;) {
      const list = await target.iot.send(new ListJobExecutionsForJobCommand({ jobId }));
      const executions = (list.executionSummaries ?? []).map((e) => ({
        thingName: (e.thingArn ?? "").split("/").pop() ?? "",
        status: e.jobExecutionSummary?.status ?? "UNKNOWN",
      }));
      for (const e of executions) {
        if (seen.get(e.thingName) !== e.status) log(`${e.thingName}: ${e.status}`);
        seen.set(e.thingName, e.status);
      }
      const bytes = key ? await target.bytesServed(key) : undefined;
      if (bytes !== undefined && bytes !== lastBytes && size) {
        lastBytes = bytes;
        log(`download ${progressBar(bytes, size)} ${bytes}/${size} bytes served`);
      }
      if (executions.length > 0 && executions.every((e) => isTerminal(e.status))) {
        return Promise.all(executions.map((e) => outcome(target, jobId, e.thingName)));
      }
      if (Date.now() > deadline) fail(`job ${jobId} still running after ${Math.round(timeoutMs / 1000)} s`);
      await new Promise((r) => setTimeout(r, 500));
    }
  } catch (e) {
    if ((e as { name?: string }).name === "ResourceNotFoundException") fail(`unknown job "${jobId}"`);
    if (e instanceof UserError) throw e;
    fail(describeAwsError(e));
  }
}

async function documentOf(target: Target, jobId: string): Promise<string | undefined> {
  return (await target.iot.send(new GetJobDocumentCommand({ jobId }))).document;
}

async function outcome(target: Target, jobId: string, thingName: string): Promise<ExecutionOutcome> {
  const { execution } = await target.iot.send(new DescribeJobExecutionCommand({ jobId, thingName }));
  return { thingName, status: execution?.status ?? "UNKNOWN", statusDetails: (execution?.statusDetails?.detailsMap ?? {}) as Record<string, string> };
}

function objectKey(url: unknown): string | undefined {
  const m = typeof url === "string" ? /\$\{aws:iot:s3-presigned-url:https:\/\/[^/]+\/[^/]+\/(.+)\}$/.exec(url) : null;
  return m ? m[1] : undefined;
}

function progressBar(done: number, total: number): string {
  const width = 30;
  const filled = Math.min(width, Math.round((done / total) * width));
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${Math.min(100, Math.round((100 * done) / total))}%`;
}
