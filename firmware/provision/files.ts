// The Storage files of provisioning, shared by the provisioning image and
// `fota flash` (host/cli/flash.ts), which writes them.

/** The application image, as `fota flash` hands it over; copied into slot 0, then erased. */
export const STAGED_IMAGE = "fota.img";
/** The provisioning image itself; evaluated from a RAM copy, so it may erase its own file. */
export const PROVISION_SCRIPT = "fotaprov.js";
/** Fills Storage from the files written at provisioning up to the run copy's header (docs/boot-record.md, section 5). */
export const PAD = "fota.pad";
