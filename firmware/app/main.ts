// The example firmware: connect (Wi-Fi on the ESP32), connect the Thing,
// handle FOTA jobs once with `force`, then publish a random sample to
// dev/sample every period. Jobs are handled as soon as AWS IoT notifies a
// change, and again each period (a notification sent while offline is lost).
// Settings in Storage "app.json": {"samplePeriodS": 10}.
import { layout, network, firmwareVersion } from "virtual:build";
import { loadConfig, type AwsConfig } from "../aws/config";
import { Thing } from "../aws/thing";
import { Jobs, REJECTED, type Job } from "../aws/jobs";
import { handleFotaJobs } from "../fota/handler";
import { status } from "../fota/fota";

const SAMPLE_TOPIC = "dev/sample";

function samplePeriodS(): number {
  const settings = require("Storage").readJSON("app.json", true) || {};
  return typeof settings.samplePeriodS === "number" && settings.samplePeriodS > 0 ? settings.samplePeriodS : 10;
}

/** The network: Wi-Fi on a "wifi" board (the ESP32); a "host" board (Linux build, simulator) is already online. */
function connectNetwork(config: AwsConfig): Promise<void> {
  if (network !== "wifi" || !config.wifi) return Promise.resolve();
  const wifi = config.wifi;
  return new Promise<void>((resolve, reject) => {
    require("Wifi").connect(wifi.ssid, { password: wifi.password }, (err: unknown) => (err ? reject(new Error("Wi-Fi: " + err)) : resolve()));
  });
}

/** Download progress on the console, in quarters. */
let lastQuarter = -1;
function progress(bytes: number, total: number): void {
  const quarter = Math.floor((bytes * 4) / total);
  if (quarter === lastQuarter) return;
  lastQuarter = quarter;
  print("download " + bytes + "/" + total + " bytes");
}

/** Jobs this firmware does not know: said so, not left pending. */
function otherJob(job: Job): void {
  print("job " + job.jobId + " is not a FOTA job: rejected");
  job.update(REJECTED, { reason: "this firmware handles FOTA jobs only" }).then(undefined, (e) => print("job " + job.jobId + ": " + e.message));
}

function report(e: { message?: string }): void {
  print("fota: " + (e && e.message));
}

function main(): void {
  const s = status();
  print("app " + firmwareVersion + " on " + layout.name + ", slot " + s.slot + (s.trial ? " (trial)" : ""));
  if (s.lastFailure) print("last failure: " + s.lastFailure.reason + " in slot " + s.lastFailure.slot + ": " + s.lastFailure.detail);
  const config = loadConfig();
  if (!config) return;
  const thing = new Thing(config);
  thing.on("offline", (reason) => print("mqtt offline: " + reason));
  thing.on("error", (e) => print("mqtt error: " + e.code + " " + e.message));
  const jobs = new Jobs(thing);
  const lookForJobs = () => handleFotaJobs(jobs, { jobCallback: otherJob, progress: progress }).then(undefined, report);
  jobs.onNotify(lookForJobs);
  connectNetwork(config)
    .then(() => thing.connect(60))
    .then(() => {
      print("connected to " + config.endpoint + " as " + config.thingName);
      return handleFotaJobs(jobs, { force: true, jobCallback: otherJob, progress: progress });
    })
    .then(undefined, report)
    .then(() => {
      setInterval(() => {
        if (thing.online) thing.publish(SAMPLE_TOPIC, { asample: Math.round(Math.random() * 10) }).then(undefined, report);
        lookForJobs();
      }, samplePeriodS() * 1000);
    });
}

main();
