// The loader image, installed as the board's .bootcde: runs the slot the boot
// record names (see firmware/boot/loader.ts), after settling a failed trial.
import { layout, firmwareVersion } from "virtual:build";
import { BootRecord } from "../boot/record";
import { decideBoot, runSlot, DEFAULT_SETTINGS, type LoaderSettings } from "../boot/loader";

/** Optional overrides in Storage (".fota"): {"confirmWindowS": 60, "watchdogS": 20}. */
function settings(): LoaderSettings {
  const stored = require("Storage").readJSON(".fota", true) || {};
  return {
    confirmWindowS: typeof stored.confirmWindowS === "number" && stored.confirmWindowS > 0 ? stored.confirmWindowS : DEFAULT_SETTINGS.confirmWindowS,
    watchdogS: typeof stored.watchdogS === "number" && stored.watchdogS >= 0 ? stored.watchdogS : DEFAULT_SETTINGS.watchdogS,
  };
}

const flash = require("Flash");
const record = new BootRecord(flash, layout);
const decision = decideBoot(record, flash, layout);
for (let i = 0; i < decision.notes.length; i++) print("loader: " + decision.notes[i]);
if (decision.slot === null) {
  print("loader " + firmwareVersion + ": no valid image in any slot; provision the board (fota flash)");
} else {
  print("loader " + firmwareVersion + ": starting slot " + decision.slot + (decision.trial ? " on trial" : ""));
  // The image is one IIFE: evaluated here, it declares nothing in the loader's scope.
  runSlot(decision, record, flash, layout, settings(), (code) => eval(code));
}
