// A board that downloads one image into a slot and prints what happened,
// with the variables in use at the start and after each stored unit.
// Plain JS (the firmware's tsconfig compiles only firmware/); the settings
// come from a global DL the test prepends: { url, slot, size, md5, ca (base64),
// timeoutMs, maxRetries, backoffMs }.
import { layout } from "virtual:build";
import { download } from "../../../firmware/fota/download";

var slot = layout.slots[DL.slot];
print("DL start " + slot.name + " pool " + process.memory().usage);
var options = {
  timeoutMs: DL.timeoutMs,
  maxRetries: DL.maxRetries,
  backoffMs: DL.backoffMs,
  progress: function (bytes, total) { print("DL progress " + bytes + " " + total + " pool " + process.memory().usage); },
};
if (DL.ca) options.ca = atob(DL.ca);
download(DL.url, slot, DL.size, DL.md5, options).then(function (result) {
  print("DL result " + JSON.stringify(result));
});
