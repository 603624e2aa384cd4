// The earlier library's flow on the real interpreter: provision Storage from
// PROVISION (defined ahead of this script by the test), load the configuration,
// connect, list, describe, and update a job, timing the round trips.
import { loadConfig } from "../../../firmware/aws/config";
import { Job, Jobs } from "../../../firmware/aws/jobs";
import { Thing } from "../../../firmware/aws/thing";

declare const PROVISION: { [file: string]: string };
declare function quit(): void;

for (var file in PROVISION) require("Storage").write(file, PROVISION[file]);
var config = loadConfig();
if (config) {
  var thing = new Thing(config, { keepAlive: 30 });
  var jobs = new Jobs(thing, { timeout: 10 });
  var job: Job;
  var t0 = 0;
  var ms = function () {
    return Math.round((getTime() - t0) * 1000);
  };
  thing.connect(20).then(function () {
    print("online");
    return jobs.list();
  }).then(function (l) {
    print("list " + l.inProgress.length + " " + l.queued.map(function (j) { return j.jobId; }).join(","));
    job = l.queued[0];
    t0 = getTime();
    return job.describe();
  }).then(function () {
    print("describe " + job.status + " " + job.version + " " + JSON.stringify(job.document) + " " + ms() + " ms");
    t0 = getTime();
    return job.update(Job.IN_PROGRESS, { step: "started" });
  }).then(function () {
    print("update " + job.status + " " + job.version + " " + ms() + " ms");
    return job.update(Job.SUCCEEDED, { result: "done" });
  }).then(function () {
    print("update " + job.status + " " + job.version);
  }, function (e) {
    print("error " + e.code + " " + e.message);
  }).then(function () {
    // Not thing.disconnect(): the MQTT client's disconnect() calls clearTimeout(undefined), which the interpreter refuses.
    print("done");
    quit();
  });
}
