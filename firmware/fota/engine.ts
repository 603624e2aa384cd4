// The FOTA engine: what a job needs and the rest of the time does not (the
// document check, the download into a slot, its hashes, the record's update
// transitions). The image does not create its functions at start: the build
// wraps this module's bundle in a function (virtual:fota-engine), which the
// job handler calls when a FOTA job runs and lets go of afterwards, so its
// functions take no variables while the board waits for jobs (each function
// object costs five or more variables, whether its code is in flash or in
// RAM: docs/interpreter.md, "What a function costs").
export { checkDocument, install, resumePoint } from "./update";
