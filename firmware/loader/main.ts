// The loader image, installed as the board's .bootcde: runs the slot the boot
// record names (see firmware/boot/loader.ts), after settling a failed trial.
import { layout, firmwareVersion, growPoolTo } from "virtual:build";
import { BootRecord } from "../boot/record";
import { decideBoot, readySlot, DEFAULT_SETTINGS, type BootCheck, type LoaderSettings, type ReadyImage } from "../boot/loader";
import { READY_IMAGE } from "./root-run";
import { LOADER_SETTINGS_FILE, VERIFIER_FILE } from "../provision/files";

declare const global: Record<string, ReadyImage | undefined>;

/** Optional overrides in Storage (LOADER_SETTINGS_FILE): {"confirmWindowS": 60, "watchdogS": 20, "verifyAtBoot": true}. */
function settings(): LoaderSettings {
  const stored = require("Storage").readJSON(LOADER_SETTINGS_FILE, true) || {};
  return {
    confirmWindowS: typeof stored.confirmWindowS === "number" && stored.confirmWindowS > 0 ? stored.confirmWindowS : DEFAULT_SETTINGS.confirmWindowS,
    watchdogS: typeof stored.watchdogS === "number" && stored.watchdogS >= 0 ? stored.watchdogS : DEFAULT_SETTINGS.watchdogS,
    verifyAtBoot: stored.verifyAtBoot === true,
  };
}

/**
 * The boot verifier, evaluated from its Storage file (its code stays in
 * flash) only when verify at boot is on; a sentence when it cannot be had.
 */
function bootCheck(flash: FlashModule): BootCheck | string {
  const code = require("Storage").read(VERIFIER_FILE);
  if (code === undefined) return "no " + VERIFIER_FILE;
  const made = (0, eval)(code).bootVerifier(flash);
  return made.ok === false ? made.reason : made;
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

/**
 * Settles the record and picks the image to run. A function, so that what it
 * decided (and the boot verifier's functions) are let go of when it returns:
 * what the image keeps of the loader is its boot context, record and timers.
 */
function prepare(record: BootRecord, flash: FlashModule): ReadyImage | undefined {
  const loaderSettings = settings();
  const check = loaderSettings.verifyAtBoot ? bootCheck(flash) : undefined;
  if (typeof check === "string") {
    // Verify at boot with no way to verify: no slot is at fault, so none is marked invalid; none runs unchecked.
    print("loader " + firmwareVersion + ": verify at boot is on, but " + check + ": nothing runs; provision the board again (fota flash --verify-at-boot)");
    return undefined;
  }
  const decision = decideBoot(record, flash, layout, check);
  for (let i = 0; i < decision.notes.length; i++) print("loader: " + decision.notes[i]);
  if (decision.slot === null) {
    print("loader " + firmwareVersion + ": no valid image in any slot; provision the board (fota flash)");
    return undefined;
  }
  const image = decision.image!;
  if (image.from === "new run copy") print("loader: copied slot " + decision.slot + " into Storage to run it from flash");
  if (image.from === "ram") print("loader: the run copy could not be made (" + image.note + "): running from RAM");
  print("loader " + firmwareVersion + ": starting slot " + decision.slot + (decision.trial ? " on trial" : ""));
  return readySlot(decision, record, loaderSettings);
}

if (growPoolTo) growPool(growPoolTo);
const flash = require("Flash");
// Evaluated by the root statement after this bundle (root-run.ts), not here.
global[READY_IMAGE] = prepare(new BootRecord(flash, layout), flash);
