// The pure Jobs state machine: every device transition from every state,
// timers, rollout pacing and abort criteria.
import assert from "node:assert/strict";
import { test } from "node:test";
import { EXECUTION_STATUSES, type Execution, type ExecutionStatus, applyUpdate, cancel, expire, nextPending, startNext } from "../../host/bench/jobs.ts";
import { type Job, abortTriggered, countByStatus, dueReleases, isComplete, withThingJoined } from "../../host/bench/job.ts";

const MINUTE = 1000;
const clock = (now: number) => ({ now, minuteMs: MINUTE });
const exec = (status: ExecutionStatus, extra: Partial<Execution> = {}): Execution => ({
  jobId: "j",
  thingName: "t",
  executionNumber: 1,
  status,
  statusDetails: {},
  versionNumber: 1,
  queuedAt: 0,
  lastUpdatedAt: 0,
  ...extra,
});

test("device updates: allowed from QUEUED and IN_PROGRESS to IN_PROGRESS/SUCCEEDED/FAILED/REJECTED, refused otherwise", () => {
  for (const from of EXECUTION_STATUSES) {
    for (const to of EXECUTION_STATUSES) {
      const r = applyUpdate(exec(from), { status: to }, clock(5));
      const allowed = (from === "QUEUED" || from === "IN_PROGRESS") && ["IN_PROGRESS", "SUCCEEDED", "FAILED", "REJECTED"].includes(to);
      assert.equal(r.ok, allowed, `${from} -> ${to}`);
      if (r.ok) {
        assert.equal(r.value.status, to);
        assert.equal(r.value.versionNumber, 2);
        assert.equal(r.value.lastUpdatedAt, 5);
      } else {
        assert.equal(r.error.code, "InvalidStateTransition");
        assert.deepEqual(r.error.executionState, { status: from, statusDetails: {}, versionNumber: 1 });
      }
    }
  }
});

test("expectedVersion and executionNumber are checked before the transition", () => {
  const e = exec("IN_PROGRESS", { versionNumber: 3, executionNumber: 7 });
  const v = applyUpdate(e, { status: "SUCCEEDED", expectedVersion: 2 }, clock(0));
  assert.equal(!v.ok && v.error.code, "VersionMismatch");
  assert.equal(!v.ok && v.error.executionState?.versionNumber, 3);
  const n = applyUpdate(e, { status: "SUCCEEDED", executionNumber: 6 }, clock(0));
  assert.equal(!n.ok && n.error.code, "ResourceNotFound");
  assert.ok(applyUpdate(e, { status: "SUCCEEDED", expectedVersion: 3, executionNumber: 7 }, clock(0)).ok);
});

test("statusDetails replace the old ones when given and stay otherwise", () => {
  const e = exec("IN_PROGRESS", { statusDetails: { a: "1" } });
  const kept = applyUpdate(e, { status: "IN_PROGRESS" }, clock(0));
  assert.deepEqual(kept.ok && kept.value.statusDetails, { a: "1" });
  const replaced = applyUpdate(e, { status: "IN_PROGRESS", statusDetails: { b: "2" } }, clock(0));
  assert.deepEqual(replaced.ok && replaced.value.statusDetails, { b: "2" });
});

test("step timeout, its reset and cancel (-1), and the in-progress timeout lead to TIMED_OUT", () => {
  const started = applyUpdate(exec("QUEUED"), { status: "IN_PROGRESS", stepTimeoutInMinutes: 2 }, clock(100), 5);
  assert.ok(started.ok);
  const e = started.value;
  assert.equal(e.startedAt, 100);
  assert.equal(e.stepDeadline, 100 + 2 * MINUTE);
  assert.equal(e.inProgressDeadline, 100 + 5 * MINUTE);
  assert.equal(expire(e, 100 + 2 * MINUTE - 1), undefined);
  assert.equal(expire(e, 100 + 2 * MINUTE)?.status, "TIMED_OUT");
  const reset = applyUpdate(e, { status: "IN_PROGRESS", stepTimeoutInMinutes: 3 }, clock(1000));
  assert.ok(reset.ok && reset.value.stepDeadline === 1000 + 3 * MINUTE);
  const canceled = applyUpdate(e, { status: "IN_PROGRESS", stepTimeoutInMinutes: -1 }, clock(1000));
  assert.ok(canceled.ok && canceled.value.stepDeadline === undefined);
  assert.equal(canceled.ok && expire(canceled.value, 100 + 5 * MINUTE)?.status, "TIMED_OUT");
  const done = applyUpdate(e, { status: "SUCCEEDED" }, clock(200));
  assert.ok(done.ok && expire(done.value, 10 ** 9) === undefined);
});

test("start-next takes IN_PROGRESS first, then the oldest QUEUED; cancel spares IN_PROGRESS unless forced", () => {
  const a = exec("QUEUED", { jobId: "a", queuedAt: 2, executionNumber: 2 });
  const b = exec("QUEUED", { jobId: "b", queuedAt: 1, executionNumber: 1 });
  assert.equal(nextPending([a, b])?.jobId, "b");
  const started = startNext([a, b], { statusDetails: { step: "x" } }, clock(9), () => undefined);
  assert.equal(started?.jobId, "b");
  assert.equal(started?.status, "IN_PROGRESS");
  assert.deepEqual(started?.statusDetails, { step: "x" });
  const c = exec("IN_PROGRESS", { jobId: "c", queuedAt: 5 });
  assert.equal(startNext([a, b, c], {}, clock(9), () => undefined), c);
  assert.equal(startNext([exec("SUCCEEDED")], {}, clock(9), () => undefined), undefined);
  assert.equal(cancel(c, false, 1), undefined);
  assert.equal(cancel(c, true, 1)?.status, "CANCELED");
  assert.equal(cancel(a, false, 1)?.status, "CANCELED");
});

const job = (extra: Partial<Job> = {}): Job => ({
  jobId: "j",
  document: "{}",
  targets: [],
  thingNames: Array.from({ length: 10 }, (_, i) => `t${i}`),
  abortCriteria: [],
  status: "IN_PROGRESS",
  createdAt: 0,
  lastUpdatedAt: 0,
  ...extra,
});

test("rollout releases one thing every 1/maximumPerMinute minute from creation", () => {
  const j = job({ maximumPerMinute: 4 });
  const due = (released: number, now: number, at: Job = j) => dueReleases(at, released, now, MINUTE).count;
  assert.equal(due(0, 0), 1);
  assert.equal(due(0, MINUTE - 1), 4);
  assert.equal(due(0, MINUTE), 5);
  assert.equal(due(4, MINUTE), 1, "four out already: the fifth is due at one minute");
  assert.equal(due(0, 10 * MINUTE), 10);
  assert.equal(due(0, 0, job()), 10, "without a rate every thing goes at once");
  assert.equal(due(0, 10 * MINUTE, job({ status: "CANCELED" })), 0);
  assert.deepEqual(dueReleases(j, 0, MINUTE / 2, MINUTE), { count: 3, nextReleaseAt: 3 * (MINUTE / 4) });
});

test("a thing joining an idle continuous job is released now, the next one a 1/rate minute later: no burst after idling", () => {
  const idle = job({ targetSelection: "CONTINUOUS", thingNames: ["t0"], maximumPerMinute: 2, released: 1, nextReleaseAt: MINUTE / 2 });
  const now = 10 * MINUTE;
  const joined = withThingJoined(withThingJoined(idle, 1, "t1", now), 1, "t2", now);
  assert.deepEqual(joined.thingNames, ["t0", "t1", "t2"]);
  assert.deepEqual(dueReleases(joined, 1, now, MINUTE), { count: 1, nextReleaseAt: now + MINUTE / 2 });
  const busy = job({ targetSelection: "CONTINUOUS", thingNames: ["t0", "t1"], maximumPerMinute: 2, released: 1, nextReleaseAt: now + 100 });
  assert.equal(withThingJoined(busy, 1, "t2", now).nextReleaseAt, now + 100, "a rollout under way keeps its pace");
});

test("abort criteria trigger once enough things were notified and the failure share reaches the threshold", () => {
  const j = job({ abortCriteria: [{ failureType: "FAILED", action: "CANCEL", thresholdPercentage: 50, minNumberOfExecutedThings: 4 }] });
  const execs = (statuses: ExecutionStatus[]) => statuses.map((s, i) => exec(s, { thingName: `t${i}` }));
  assert.equal(abortTriggered(j, countByStatus(execs(["FAILED", "FAILED", "QUEUED"]))), undefined); // only 3 notified
  assert.equal(abortTriggered(j, countByStatus(execs(["FAILED", "QUEUED", "QUEUED", "SUCCEEDED"]))), undefined); // 25 %
  assert.ok(abortTriggered(j, countByStatus(execs(["FAILED", "FAILED", "QUEUED", "SUCCEEDED"])))); // 50 %
  const all = job({ abortCriteria: [{ failureType: "ALL", action: "CANCEL", thresholdPercentage: 60, minNumberOfExecutedThings: 1 }] });
  assert.ok(abortTriggered(all, countByStatus(execs(["FAILED", "REJECTED", "TIMED_OUT", "SUCCEEDED", "SUCCEEDED"]))));
  assert.ok(!isComplete(j, 1, execs(["SUCCEEDED"])), "nine things still to release");
  assert.ok(isComplete(job({ thingNames: ["t0", "t1"] }), 2, execs(["SUCCEEDED", "FAILED"])));
  assert.ok(!isComplete(job({ thingNames: ["t0", "t1"], targetSelection: "CONTINUOUS" }), 2, execs(["SUCCEEDED", "FAILED"])), "a continuous job never completes");
});
