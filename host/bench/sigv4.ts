// AWS Signature Version 4: presigning URLs (for job documents) and checking
// signed requests, both in the Authorization header (SDK calls) and in the
// query string (presigned URLs). One canonical-request builder serves all.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** What the bench accepts unless told otherwise; tools and tests sign with these. */
export const BENCH_CREDENTIALS: AwsCredentials = { accessKeyId: "AKIABENCHTESTKEY0001", secretAccessKey: "bench/secret/key/for/tests/only/000000000" };

const ALGORITHM = "AWS4-HMAC-SHA256";
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export interface SignedRequest {
  method: string;
  /** The path as it came on the wire (still percent-encoded), without the query. */
  rawPath: string;
  /** The query string as it came on the wire, without "?". */
  rawQuery: string;
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>;
  body?: Buffer;
}

/** Why a request's signature was refused: an S3/AWS error code, HTTP 403. */
export interface SignatureError {
  code: "AccessDenied" | "SignatureDoesNotMatch" | "AuthorizationQueryParametersError" | "RequestTimeTooSkewed" | "InvalidAccessKeyId" | "MissingAuthenticationToken";
  message: string;
}

const rfc3986 = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");
const hmac = (key: Buffer | string, data: string): Buffer => createHmac("sha256", key).update(data).digest();

function queryPairs(rawQuery: string): [string, string][] {
  if (!rawQuery) return [];
  return rawQuery.split("&").map((part) => {
    const i = part.indexOf("=");
    const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, "%20"));
    return i < 0 ? [decode(part), ""] : [decode(part.slice(0, i)), decode(part.slice(i + 1))];
  });
}

function canonicalQuery(pairs: [string, string][]): string {
  return pairs
    .map(([k, v]) => [rfc3986(k), rfc3986(v)])
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

/** S3 signs the path as sent; other services sign it encoded once more. */
function canonicalUri(rawPath: string, service: string): string {
  if (service === "s3") return rawPath || "/";
  return (rawPath || "/").split("/").map(rfc3986).join("/");
}

function headerValue(headers: SignedRequest["headers"], name: string): string {
  const v = headers[name];
  return (Array.isArray(v) ? v.join(",") : (v ?? "")).trim().replace(/\s+/g, " ");
}

function stringToSign(req: SignedRequest, service: string, pairs: [string, string][], signedHeaders: string[], payloadHash: string, amzDate: string, scope: string): string {
  const canonical = [
    req.method,
    canonicalUri(req.rawPath, service),
    canonicalQuery(pairs),
    signedHeaders.map((h) => `${h}:${headerValue(req.headers, h)}\n`).join(""),
    signedHeaders.join(";"),
    payloadHash,
  ].join("\n");
  return [ALGORITHM, amzDate, scope, sha256(canonical)].join("\n");
}

function signature(secret: string, scope: string, toSign: string): string {
  const [date, region, service, terminator] = scope.split("/");
  const key = [date, region, service, terminator].reduce<Buffer | string>((k, part) => hmac(k, part), `AWS4${secret}`);
  return createHmac("sha256", key).update(toSign).digest("hex");
}

const amzDateOf = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");

function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : undefined;
}

/** A presigned GET URL for `url` (path-style), valid for `expiresInSec`. */
export function presignGetUrl(url: string, creds: AwsCredentials, region: string, expiresInSec: number, now = Date.now()): string {
  const u = new URL(url);
  const amzDate = amzDateOf(now);
  const scope = `${amzDate.slice(0, 8)}/${region}/s3/aws4_request`;
  const params: [string, string][] = [
    ["X-Amz-Algorithm", ALGORITHM],
    ["X-Amz-Credential", `${creds.accessKeyId}/${scope}`],
    ["X-Amz-Date", amzDate],
    ["X-Amz-Expires", String(expiresInSec)],
    ["X-Amz-SignedHeaders", "host"],
  ];
  const req: SignedRequest = { method: "GET", rawPath: u.pathname, rawQuery: "", headers: { host: u.host } };
  const sig = signature(creds.secretAccessKey, scope, stringToSign(req, "s3", params, ["host"], "UNSIGNED-PAYLOAD", amzDate, scope));
  return `${u.origin}${u.pathname}?${canonicalQuery([...params, ["X-Amz-Signature", sig]])}`;
}

/** Does the request carry a SigV4 signature, in the query string or the Authorization header? */
export const isPresigned = (req: SignedRequest): boolean => /(^|&)X-Amz-Signature=/.test(req.rawQuery);

/** Checks a presigned URL: algorithm, credential, signature and expiry. */
export function verifyPresigned(req: SignedRequest, creds: AwsCredentials, service: string, now = Date.now()): SignatureError | undefined {
  const pairs = queryPairs(req.rawQuery);
  const param = (name: string) => pairs.find(([k]) => k === name)?.[1];
  const [alg, credential, amzDate, expires, signedHeaders, sig] = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"].map(param);
  if (alg !== ALGORITHM || !credential || !amzDate || !expires || !signedHeaders || !sig) {
    return { code: "AuthorizationQueryParametersError", message: "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters." };
  }
  const signedAt = parseAmzDate(amzDate);
  const lifetime = Number(expires);
  if (signedAt === undefined || !Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_PRESIGN_SECONDS) {
    return { code: "AuthorizationQueryParametersError", message: "X-Amz-Date or X-Amz-Expires is malformed" };
  }
  if (now > signedAt + lifetime * 1000) return { code: "AccessDenied", message: "Request has expired" };
  const unsigned = pairs.filter(([k]) => k !== "X-Amz-Signature");
  return check(req, creds, service, credential, signedHeaders.split(";"), amzDate, sig, unsigned, "UNSIGNED-PAYLOAD");
}

/** Checks an Authorization-header signature (what the AWS SDK sends). */
export function verifyAuthorization(req: SignedRequest, creds: AwsCredentials, service: string, now = Date.now()): SignatureError | undefined {
  const auth = headerValue(req.headers, "authorization");
  const m = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return { code: "MissingAuthenticationToken", message: "Missing or malformed SigV4 Authorization header" };
  const amzDate = headerValue(req.headers, "x-amz-date");
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === undefined) return { code: "AccessDenied", message: "missing or malformed X-Amz-Date" };
  if (Math.abs(now - signedAt) > MAX_CLOCK_SKEW_MS) return { code: "RequestTimeTooSkewed", message: "The difference between the request time and the current time is too large." };
  const payloadHash = headerValue(req.headers, "x-amz-content-sha256") || sha256(req.body ?? Buffer.alloc(0));
  return check(req, creds, service, m[1], m[2].split(";"), amzDate, m[3], queryPairs(req.rawQuery), payloadHash);
}

function check(
  req: SignedRequest,
  creds: AwsCredentials,
  service: string,
  credential: string,
  signedHeaders: string[],
  amzDate: string,
  given: string,
  pairs: [string, string][],
  payloadHash: string,
): SignatureError | undefined {
  const [accessKeyId, ...scopeParts] = credential.split("/");
  const scope = scopeParts.join("/");
  if (accessKeyId !== creds.accessKeyId) return { code: "InvalidAccessKeyId", message: "The AWS Access Key Id you provided does not exist in our records." };
  if (scopeParts.length !== 4 || scopeParts[0] !== amzDate.slice(0, 8) || scopeParts[2] !== service || scopeParts[3] !== "aws4_request") {
    return { code: "AuthorizationQueryParametersError", message: `credential scope ${scope} does not match the request` };
  }
  if (!signedHeaders.includes("host")) return { code: "AccessDenied", message: "the host header must be signed" };
  const expected = signature(creds.secretAccessKey, scope, stringToSign(req, service, pairs, signedHeaders, payloadHash, amzDate, scope));
  const same = given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
  return same ? undefined : { code: "SignatureDoesNotMatch", message: "The request signature we calculated does not match the signature you provided." };
}
