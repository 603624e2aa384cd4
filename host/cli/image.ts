// A built application image as a job needs it: bytes, size and MD5.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fail } from "./errors.ts";

export interface ImageFile {
  path: string;
  bytes: Buffer;
  size: number;
  md5: string;
}

export function readImage(path: string): ImageFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    fail(`cannot read the image ${path} (run "fota build" first?)`);
  }
  if (bytes.length === 0) fail(`the image ${path} is empty`);
  return { path, bytes, size: bytes.length, md5: createHash("md5").update(bytes).digest("hex") };
}
