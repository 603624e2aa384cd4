// The application image. For now it announces itself and confirms a trial
// start; the example firmware (Thing, Jobs, handleFotaJobs, samples to
// dev/sample) lands with issue 7.
import { layout, firmwareVersion } from "virtual:build";
import { confirm, status } from "../fota/fota";

const s = status();
print("app " + firmwareVersion + " on " + layout.name + ", slot " + s.slot + (s.trial ? " (trial)" : ""));
if (s.lastFailure) print("last failure: " + s.lastFailure.reason + " in slot " + s.lastFailure.slot + ": " + s.lastFailure.detail);
if (s.trial && confirm()) print("confirmed slot " + s.slot);
