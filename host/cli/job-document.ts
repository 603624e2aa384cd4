// The FOTA job document `fota job create` writes: the firmware's own type
// (firmware/fota/document.ts), with the image URL as AWS IoT's presigned-URL
// placeholder (replaced per device by a signed, expiring URL when the device
// receives the document). The fields it writes are checked by the firmware's
// own rules, so the host never creates a job every board would fail.
import { type FotaJobDocument, versionProblem } from "../../firmware/fota/document.ts";
import { fail } from "./errors.ts";

export function fotaDocument(image: { md5: string; size: number }, objectUrl: string, slot: number | "auto", version?: string): FotaJobDocument {
  const problem = versionProblem(version);
  if (problem) fail(`--version: ${problem}`);
  const doc: FotaJobDocument = {
    operation: "fota",
    bc_idx: slot,
    bc_crc: image.md5,
    bc_size: image.size,
    bc_url: `\${aws:iot:s3-presigned-url:${objectUrl}}`,
  };
  if (version) doc.bc_version = version;
  return doc;
}
