// The Storage files of provisioning, shared by the provisioning image, the
// loader and `fota flash` (host/cli/flash.ts), which writes them.

/** The application image, as `fota flash` hands it over; copied into slot 0, then erased. */
export const STAGED_IMAGE = "fota.img";
/** The provisioning image itself; evaluated from a RAM copy, so it may erase its own file. */
export const PROVISION_SCRIPT = "fotaprov.js";
/** Fills Storage from the files written at provisioning up to the run copy's header (docs/boot-record.md, section 5). */
export const PAD = "fota.pad";
/** Slot 0's signature record (firmware/image/signature-page.ts), staged by fota flash --verify-at-boot; copied raw into its page, then erased. */
export const STAGED_SIGNATURE = "fota.sig";
/** The boot verifier image (firmware/verifier/main.ts), kept for the loader when verify at boot is on. */
export const VERIFIER_FILE = "fota.vfy";
/** The loader's settings (firmware/loader/main.ts): {"confirmWindowS", "watchdogS", "verifyAtBoot"}. */
export const LOADER_SETTINGS_FILE = ".fota";
