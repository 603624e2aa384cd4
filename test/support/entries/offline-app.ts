// The application image the loader, power-cut and interpreter tests update to and from: it says
// what runs (as the example firmware does, without its network) and confirms
// a trial start at once, so only the campaign's cuts end a trial.
import { layout, firmwareVersion } from "virtual:build";
import { confirm, status } from "../../../firmware/fota/fota";

const s = status();
print("app " + firmwareVersion + " on " + layout.name + ", slot " + s.slot + (s.trial ? " (trial)" : ""));
if (s.lastFailure) print("last failure: " + s.lastFailure.reason + " in slot " + s.lastFailure.slot + ": " + s.lastFailure.detail);
if (s.trial && confirm()) print("confirmed slot " + s.slot);
