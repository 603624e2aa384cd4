// The board's Jobs client in the simulator against the bench's broker and Jobs
// service over mutual TLS: every call's accepted and rejected answers,
// concurrency, notifications, throttling, timeouts, a broker restart and the
// version guard of Job.update.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { TestBoard } from "../support/sim.ts";
import { call, harnessBoard, start, startJobsBench, until, type JobsBench } from "./support.ts";

let bench: JobsBench;
before(async () => {
  bench = await startJobsBench();
});
after(async () => {
  await bench.stop();
});

let things = 0;
/** A fresh thing on a fresh board for each test, so tests do not see each other's jobs. */
async function withBoard(fn: (b: TestBoard, thing: string) => Promise<void>): Promise<void> {
  const thing = `jobs-thing-${++things}`;
  const b = await harnessBoard(bench, thing);
  try {
    await fn(b, thing);
  } finally {
    bench.faults.throttle = 0;
    bench.faults.holdMs = 0;
    await b.dispose();
  }
}

describe("Jobs API calls", () => {
  test("get pending: empty, then in-progress and queued; list() wraps them as Jobs", () =>
    withBoard(async (b, thing) => {
      const empty = await call(b.sim, "jobs.getPending()");
      assert.deepEqual(empty, { ok: true, value: { inProgressJobs: [], queuedJobs: [] } });
      bench.createJob(`${thing}-a`, [thing]);
      bench.createJob(`${thing}-b`, [thing]);
      bench.service.update(thing, `${thing}-a`, { status: "IN_PROGRESS" });
      const pending = await call(b.sim, "jobs.getPending()");
      assert.ok(pending.ok);
      assert.deepEqual(pending.value.inProgressJobs.map((j: any) => [j.jobId, j.versionNumber]), [[`${thing}-a`, 2]]);
      assert.deepEqual(pending.value.queuedJobs.map((j: any) => j.jobId), [`${thing}-b`]);
      const list = await call(b.sim, `jobs.list().then(function (l) {
        function f(j) { return [j.jobId, j.version, j.document === undefined, j instanceof Job]; }
        return [l.inProgress.map(f), l.queued.map(f)]; })`);
      assert.deepEqual(list, { ok: true, value: [[[`${thing}-a`, 2, true, true]], [[`${thing}-b`, 1, true, true]]] });
    }));

  test("get pending: RequestThrottled is retried with backoff; past the retries it is the error", () =>
    withBoard(async (b) => {
      bench.faults.throttle = 3;
      const t0 = Date.now();
      const retried = await call(b.sim, "jobs.getPending()");
      assert.equal(retried.ok, true);
      assert.equal(bench.faults.throttle, 0);
      // Backoff 0.05 s doubling: at least 0.025 + 0.05 + 0.1 s of waiting.
      assert.ok(Date.now() - t0 >= 175, `waited ${Date.now() - t0} ms`);
      bench.faults.throttle = 5;
      const gaveUp = await call(b.sim, "jobs.getPending()");
      assert.deepEqual(gaveUp, { ok: false, code: "RequestThrottled", message: "Rate exceeded" });
    }));

  test("describe: by id and $next, with and without the document, by execution number; unknown job rejected", () =>
    withBoard(async (b, thing) => {
      const none = await call(b.sim, `jobs.describe("$next")`);
      assert.deepEqual(none, { ok: true, value: null });
      bench.createJob(`${thing}-d`, [thing], { operation: "fota", bc_idx: 1 });
      const full = await call(b.sim, `jobs.describe("${thing}-d")`);
      assert.ok(full.ok);
      assert.equal(full.value.jobId, `${thing}-d`);
      assert.equal(full.value.status, "QUEUED");
      assert.equal(full.value.versionNumber, 1);
      assert.deepEqual(full.value.jobDocument, { operation: "fota", bc_idx: 1 });
      const next = await call(b.sim, `jobs.describe("$next", { includeJobDocument: false })`);
      assert.ok(next.ok);
      assert.equal(next.value.jobId, `${thing}-d`);
      assert.equal("jobDocument" in next.value, false);
      const byNumber = await call(b.sim, `jobs.describe("${thing}-d", { executionNumber: ${full.value.executionNumber} })`);
      assert.equal(byNumber.ok && byNumber.value.jobId, `${thing}-d`);
      const wrongNumber = await call(b.sim, `jobs.describe("${thing}-d", { executionNumber: 99 })`);
      assert.equal(!wrongNumber.ok && wrongNumber.code, "ResourceNotFound");
      const unknown = await call(b.sim, `jobs.describe("no-such-job")`);
      assert.equal(!unknown.ok && unknown.code, "ResourceNotFound");
      const badId = await call(b.sim, `jobs.describe("a/b")`);
      assert.equal(!badId.ok && badId.code, "InvalidJobId");
      const job = await call(b.sim, `new Job(jobs, "${thing}-d").describe().then(function (j) { return [j.status, j.version, j.document]; })`);
      assert.deepEqual(job, { ok: true, value: ["QUEUED", 1, { operation: "fota", bc_idx: 1 }] });
    }));

  test("start-next: nothing pending, then starts the next job with statusDetails; a bad step timeout is rejected", () =>
    withBoard(async (b, thing) => {
      assert.deepEqual(await call(b.sim, "jobs.startNext()"), { ok: true, value: null });
      bench.createJob(`${thing}-s`, [thing]);
      const bad = await call(b.sim, "jobs.startNext({ stepTimeoutInMinutes: 0 })");
      assert.equal(!bad.ok && bad.code, "InvalidRequest");
      const started = await call(b.sim, `jobs.startNext({ statusDetails: { step: "download" }, stepTimeoutInMinutes: 5 })`);
      assert.ok(started.ok);
      assert.equal(started.value.jobId, `${thing}-s`);
      assert.equal(started.value.status, "IN_PROGRESS");
      assert.deepEqual(started.value.statusDetails, { step: "download" });
      assert.deepEqual(started.value.jobDocument, { operation: "test", jobId: `${thing}-s` });
      assert.equal(bench.service.getExecution(`${thing}-s`, thing)?.status, "IN_PROGRESS");
    }));

  test("update: every field sent; invalid transitions and bad versions rejected with AWS's code and execution state", () =>
    withBoard(async (b, thing) => {
      bench.createJob(`${thing}-u`, [thing]);
      const updated = await call(b.sim, `jobs.update("${thing}-u", "IN_PROGRESS", { statusDetails: { pct: "10" }, expectedVersion: 1,
        executionNumber: 1, stepTimeoutInMinutes: 3, includeJobExecutionState: true, includeJobDocument: true })`);
      assert.deepEqual(updated, {
        ok: true,
        value: { executionState: { status: "IN_PROGRESS", statusDetails: { pct: "10" }, versionNumber: 2 }, jobDocument: { operation: "test", jobId: `${thing}-u` } },
      });
      const e = bench.service.getExecution(`${thing}-u`, thing)!;
      assert.ok(e.stepDeadline && e.stepDeadline > Date.now() + 2 * 60_000);
      assert.deepEqual(await call(b.sim, `jobs.update("${thing}-u", "SUCCEEDED")`), { ok: true, value: {} });
      const again = await call(b.sim, `jobs.update("${thing}-u", "FAILED").then(undefined, function (e) { throw e; })`);
      assert.equal(!again.ok && again.code, "InvalidStateTransition");
      const state = await call(b.sim, `jobs.update("${thing}-u", "FAILED").then(undefined, function (e) { return [e.code, e.executionState]; })`);
      assert.deepEqual(state, { ok: true, value: ["InvalidStateTransition", { status: "SUCCEEDED", statusDetails: { pct: "10" }, versionNumber: 3 }] });
      const unknown = await call(b.sim, `jobs.update("no-such-job", "IN_PROGRESS")`);
      assert.equal(!unknown.ok && unknown.code, "ResourceNotFound");
    }));

  test("statusDetails are checked on the board: a bad one never makes a round trip", () =>
    withBoard(async (b, thing) => {
      bench.createJob(`${thing}-v`, [thing]);
      const before = bench.seen.length;
      const cases: [string, RegExp][] = [
        [`{ "bad key": "x" }`, /key "bad key"/],
        [`{ k: 1 }`, /must be a string/],
        [`{ k: "" }`, /1 to 1024/],
        [`{ k: new Array(1026).join("x") }`, /1 to 1024/],
        [`{ k: "line\\nbreak" }`, /control or format character at 4/],
        [`{ k: "zero\\u200bwidth" }`, /control or format character at 4/],
        [`{ k: "lone \\ud800" }`, /control or format character at 5/],
        [`["x"]`, /object of strings/],
        [`{ ${"k".repeat(129)}: "x" }`, /must be 1 to 128/],
      ];
      for (const [details, message] of cases) {
        const r = await call(b.sim, `jobs.update("${thing}-v", "IN_PROGRESS", { statusDetails: ${details} })`);
        assert.equal(!r.ok && r.code, "InvalidStatusDetails", details);
        assert.match(!r.ok ? r.message : "", message, details);
        const n = await call(b.sim, `jobs.startNext({ statusDetails: ${details} })`);
        assert.equal(!n.ok && n.code, "InvalidStatusDetails", details);
      }
      assert.equal(bench.seen.length, before, "no request reached the broker");
      const fine = await call(b.sim, `jobs.update("${thing}-v", "IN_PROGRESS", { statusDetails: { "a:b_c-1": "ünïcödé ✓ 😀", k: new Array(1025).join("x") } })`);
      assert.equal(fine.ok, true);
      assert.deepEqual(bench.service.getExecution(`${thing}-v`, thing)?.statusDetails, { "a:b_c-1": "ünïcödé ✓ 😀", k: "x".repeat(1024) });
    }));
});

describe("requests in flight", () => {
  test("concurrent requests each get their own answer, even two of the same topic", () =>
    withBoard(async (b, thing) => {
      bench.createJob(`${thing}-1`, [thing], { n: 1 });
      bench.createJob(`${thing}-2`, [thing], { n: 2 });
      bench.faults.holdMs = 100;
      const r = await call(b.sim, `Promise.all([
        jobs.describe("${thing}-1"), jobs.describe("${thing}-2"), jobs.getPending(), jobs.describe("${thing}-1", { includeJobDocument: false }),
        jobs.update("${thing}-2", "IN_PROGRESS", { includeJobExecutionState: true }), jobs.describe("nope").then(undefined, function (e) { return e.code; })
      ]).then(function (a) { return [a[0].jobDocument, a[1].jobDocument, a[2].queuedJobs.length, "jobDocument" in a[3], a[4].executionState.status, a[5]]; })`);
      assert.deepEqual(r, { ok: true, value: [{ n: 1 }, { n: 2 }, 2, false, "IN_PROGRESS", "ResourceNotFound"] });
    }));

  test("a notification while a request is in flight: both arrive, changed() reports it once", () =>
    withBoard(async (b, thing) => {
      assert.deepEqual(await call(b.sim, "Promise.resolve(jobs.changed())"), { ok: true, value: false });
      bench.faults.holdMs = 600;
      const since = b.sim.lines.length;
      const requests = bench.seen.length;
      const pending = start(b.sim, "jobs.getPending()");
      await until(() => bench.seen.length > requests);
      bench.createJob(`${thing}-n`, [thing]);
      const notified = await b.sim.waitFor(/^N notify /, 5000, since);
      assert.equal(notified, `N notify {"QUEUED":[${JSON.stringify(summaryOf(thing, `${thing}-n`))}]}`);
      await b.sim.waitFor(/^N notify-next /, 5000, since);
      const r = await pending;
      assert.ok(r.ok);
      const answerLine = b.sim.lines.findIndex((l, i) => i >= since && l.startsWith("R "));
      const notifyLine = b.sim.lines.findIndex((l, i) => i >= since && l.startsWith("N notify "));
      assert.ok(notifyLine >= 0 && notifyLine < answerLine, `the notification came while the request was in flight:\n${b.sim.lines.slice(since).join("\n")}`);
      assert.deepEqual(await call(b.sim, "Promise.resolve([jobs.changed(), jobs.changed()])"), { ok: true, value: [true, false] });
    }));

  test("a request that times out rejects with Timeout; its late answer is ignored and the next request works", () =>
    withBoard(async (b, thing) => {
      bench.createJob(`${thing}-t`, [thing], { n: "late" });
      bench.faults.holdMs = 2600; // the harness waits 2 s
      const late = await call(b.sim, `jobs.describe("${thing}-t")`);
      assert.deepEqual(late, { ok: false, code: "Timeout", message: `no answer to ${thing}-t/get within 2 s` });
      bench.faults.holdMs = 0;
      await new Promise((r) => setTimeout(r, 800)); // the late answer arrives meanwhile
      const fresh = await call(b.sim, `jobs.describe("${thing}-t")`);
      assert.deepEqual(fresh.ok && fresh.value.jobDocument, { n: "late" });
      assert.equal(b.sim.lines.filter((l) => l.startsWith("Uncaught") || l.includes("Unhandled")).length, 0);
    }));

  test("broker restart mid-request: the request times out, the board reconnects, subscriptions and requests work again", () =>
    withBoard(async (b, thing) => {
      bench.faults.holdMs = 5000;
      const since = b.sim.lines.length;
      const requests = bench.seen.length;
      const pending = start(b.sim, "jobs.getPending()");
      await until(() => bench.seen.length > requests);
      await bench.stopBroker();
      await b.sim.waitFor(/^C offline$/, 5000, since);
      const r = await pending;
      assert.equal(!r.ok && r.code, "Timeout");
      bench.faults.holdMs = 0;
      await bench.startBroker();
      await b.sim.waitFor(/^C online$/, 10_000, since);
      // Notifications may have been missed while offline: changed() says to look again.
      assert.deepEqual(await call(b.sim, "Promise.resolve([jobs.changed(), jobs.changed()])"), { ok: true, value: [true, false] });
      // A round trip first: the resubscription went out before it, so the broker has it by the answer.
      assert.deepEqual(await call(b.sim, "jobs.getPending()"), { ok: true, value: { inProgressJobs: [], queuedJobs: [] } });
      const after = b.sim.lines.length;
      bench.createJob(`${thing}-r`, [thing]);
      await b.sim.waitFor(/^N notify-next /, 5000, after);
      const list = await call(b.sim, "jobs.getPending()");
      assert.deepEqual(list.ok && list.value.queuedJobs.map((j: any) => j.jobId), [`${thing}-r`]);
    }));
});

describe("Job.update", () => {
  test("sends the known version; after a VersionMismatch the job holds the new state and the next update succeeds", () =>
    withBoard(async (b, thing) => {
      bench.createJob(`${thing}-m`, [thing]);
      await call(b.sim, `jobs.list().then(function (l) { global.job = l.queued[0]; return job.describe(); }).then(function () { return job.version; })`);
      // Someone else moves the execution on.
      bench.service.update(thing, `${thing}-m`, { status: "IN_PROGRESS", statusDetails: { by: "operator" } });
      const mismatch = await call(b.sim, `job.update(Job.IN_PROGRESS, { step: "download" }).then(undefined, function (e) {
        return [e.code, job.status, job.version, job.statusDetails]; })`);
      assert.deepEqual(mismatch, { ok: true, value: ["VersionMismatch", "IN_PROGRESS", 2, { by: "operator" }] });
      const ok = await call(b.sim, `job.update(Job.SUCCEEDED, { result: "done" }).then(function (j) { return [j.status, j.version]; })`);
      assert.deepEqual(ok, { ok: true, value: ["SUCCEEDED", 3] });
      assert.deepEqual(bench.service.getExecution(`${thing}-m`, thing)?.statusDetails, { result: "done" });
      const terminal = await call(b.sim, `job.update(Job.FAILED, { reason: "late" })`);
      assert.equal(!terminal.ok && terminal.code, "InvalidStateTransition");
    }));
});

/** A pending execution as notify sends it. */
function summaryOf(thing: string, jobId: string): Record<string, number | string> {
  const e = bench.service.getExecution(jobId, thing)!;
  const s = (ms: number) => Math.floor(ms / 1000);
  return { jobId, queuedAt: s(e.queuedAt), lastUpdatedAt: s(e.lastUpdatedAt), versionNumber: e.versionNumber, executionNumber: e.executionNumber };
}
