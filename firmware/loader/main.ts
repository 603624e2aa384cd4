// The loader image, installed as the board's .bootcde: runs the slot the boot
// record names (see firmware/boot/loader.ts), after settling a failed trial.
import { layout, firmwareVersion, growPoolTo } from "virtual:build";
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

/**
 * A pool that grows on demand (the Linux build) never grows for one large
 * contiguous block such as a TLS connection's buffers, which that build takes
 * from the pool: grown here (host/toolchain/board.ts, poolTarget) and freed at
 * once, it has room for them in one piece.
 */
function growPool(variables: number): void {
  const filler: number[] = [];
  // Each element takes at least one variable, so `variables` of them are sure to have grown the pool.
  while (process.memory().total < variables && filler.length < variables) for (let i = 0; i < 1024; i++) filler.push(0);
}

if (growPoolTo) growPool(growPoolTo);
const flash = require("Flash");
const record = new BootRecord(flash, layout);
const decision = decideBoot(record, flash, layout);
for (let i = 0; i < decision.notes.length; i++) print("loader: " + decision.notes[i]);
if (decision.slot === null) {
  print("loader " + firmwareVersion + ": no valid image in any slot; provision the board (fota flash)");
} else {
  const image = decision.image!;
  if (image.from === "new run copy") print("loader: copied slot " + decision.slot + " into Storage to run it from flash");
  if (image.from === "ram") print("loader: the run copy could not be made (" + image.note + "): running from RAM");
  print("loader " + firmwareVersion + ": starting slot " + decision.slot + (decision.trial ? " on trial" : ""));
  // The image is one IIFE: evaluated here, it declares nothing in the loader's
  // scope. Indirect, so the minifier may still rename the loader's own names.
  runSlot(decision, record, settings(), (code) => (0, eval)(code));
}
