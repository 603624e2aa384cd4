// A board that connects as its configured thing and lets a test drive the Jobs
// client from the console: run(id, f) prints "R <id> ok <json>" or
// "R <id> err <code> <message>" when f's promise settles; notifications print
// "N <topic> <json>", connection changes "C <state>".
import { loadConfig } from "../../../firmware/aws/config";
import { Jobs, Job } from "../../../firmware/aws/jobs";
import { Thing } from "../../../firmware/aws/thing";

declare const global: any;

var config = loadConfig();
if (config) {
  var thing = new Thing(config, { keepAlive: 10, connackTimeout: 5, reconnectMin: 0.2, reconnectMax: 1 });
  var jobs = new Jobs(thing, { timeout: 2, backoff: 0.05 });
  global.thing = thing;
  global.jobs = jobs;
  global.Job = Job;
  global.run = function (id: string, f: () => Promise<unknown>) {
    f().then(function (value) {
      print("R " + id + " ok " + JSON.stringify(value));
    }, function (e) {
      print("R " + id + " err " + e.code + " " + e.message);
    });
    return id;
  };
  jobs.onNotify(function (body) {
    print("N notify " + JSON.stringify(body.jobs));
  });
  jobs.onNotifyNext(function (body) {
    print("N notify-next " + (body.execution ? body.execution.jobId : "none"));
  });
  thing.on("offline", function () {
    print("C offline");
  });
  thing.on("connected", function () {
    print("C online");
  });
  thing.connect();
}
