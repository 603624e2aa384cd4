// Job documents: at most 32 KB of JSON object text, whose
// ${aws:iot:s3-presigned-url:<url>} placeholders AWS IoT replaces with a
// time-limited signed URL each time it hands the document to a device.
const MAX_DOCUMENT_BYTES = 32768;
const PLACEHOLDER = /\$\{aws:iot:s3-presigned-url:([^}]*)\}/g;

/** Why a job document is refused, or undefined when it is acceptable. */
export function documentProblem(document: string): string | undefined {
  if (Buffer.byteLength(document) > MAX_DOCUMENT_BYTES) return `the job document exceeds ${MAX_DOCUMENT_BYTES} bytes`;
  let json: unknown;
  try {
    json = JSON.parse(document);
  } catch {
    return "the job document is not valid JSON";
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) return "the job document must be a JSON object";
  for (const url of placeholderUrls(document)) {
    if (!/^https:\/\/[^/]+\/.+/.test(url)) return `presigned-URL placeholder "${url}" is not an https URL of an S3 object`;
  }
  return undefined;
}

export function placeholderUrls(document: string): string[] {
  return [...document.matchAll(PLACEHOLDER)].map((m) => m[1]);
}

/** The document as a device receives it: each placeholder replaced by `sign(url)`, parsed. */
export function resolveDocument(document: string, sign: (s3Url: string) => string): unknown {
  return JSON.parse(document.replace(PLACEHOLDER, (_, url: string) => sign(url)));
}
