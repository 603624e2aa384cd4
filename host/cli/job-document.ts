// The FOTA job document, as the earlier library's boards expect it, with the
// image URL as AWS IoT's presigned-URL placeholder (replaced per device by a
// signed, expiring URL when the device receives the document).

export interface FotaJobDocument {
  operation: "fota";
  /** The code slot to write; "auto": the board's slot that is not running. */
  bc_idx: number | "auto";
  /** MD5 of the image, 32 hex digits. */
  bc_crc: string;
  bc_size: number;
  bc_url: string;
  /** Version of the image, reported back in the job's statusDetails (optional). */
  bc_version?: string;
}

export function fotaDocument(image: { md5: string; size: number }, objectUrl: string, slot: number | "auto", version?: string): FotaJobDocument {
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
