// The bench object store: path-style S3 on HTTPS (server certificate from the
// bench CA) with PutObject, GetObject (Range → 206) and HeadObject. Requests
// must be SigV4-signed in the Authorization header or be presigned URLs; an
// expired or altered URL gets 403 with S3's XML error. Bytes served are counted
// per object as they go out, so tools can show download progress.
import { createHash, randomBytes } from "node:crypto";
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Identity } from "../pki/ca.ts";
import { type AwsCredentials, type SignedRequest, isPresigned, presignGetUrl, verifyAuthorization, verifyPresigned } from "./sigv4.ts";
import type { Store, StoredObject } from "./store.ts";
import { listen, readBody } from "./listen.ts";

export interface ObjectStoreOptions {
  port?: number;
  host?: string;
  /** The name devices use to reach the store (must be in the server certificate). */
  publicHost?: string;
  server: Identity;
  store: Store;
  credentials: AwsCredentials;
  region: string;
}

export interface RunningObjectStore {
  port: number;
  /** https://<publicHost>:<port> */
  url: string;
  /**
   * A presigned GET URL of this store for an S3 URL in a job document
   * (path-style https://host/bucket/key or virtual-hosted https://bucket.s3….amazonaws.com/key).
   */
  presign(s3Url: string, expiresInSec: number): string;
  close(): Promise<void>;
}

const CHUNK = 16 * 1024;
const VIRTUAL_HOSTED = /^(.+)\.s3[.-]([a-z0-9-]+\.)?amazonaws\.com$/;

export async function startObjectStore(opts: ObjectStoreOptions): Promise<RunningObjectStore> {
  const server = https.createServer({ key: opts.server.keyPem, cert: opts.server.certPem }, (req, res) => {
    handle(req, res, opts).catch((err: Error) => {
      if (!res.headersSent) sendError(res, 500, "InternalError", err.message);
      else res.destroy();
    });
  });
  const { port, close } = await listen(server, opts.port ?? 0, opts.host ?? "0.0.0.0");
  const url = `https://${opts.publicHost ?? "localhost"}:${port}`;
  return {
    port,
    url,
    presign(s3Url, expiresInSec) {
      const { bucket, key } = s3Location(s3Url);
      return presignGetUrl(`${url}/${bucket}/${key}`, opts.credentials, opts.region, expiresInSec);
    },
    close,
  };
}

/** Bucket and (still percent-encoded) key of an S3 URL. */
export function s3Location(s3Url: string): { bucket: string; key: string } {
  const u = new URL(s3Url);
  const hosted = VIRTUAL_HOSTED.exec(u.hostname);
  const path = u.pathname.slice(1);
  if (hosted) return { bucket: hosted[1], key: path };
  const slash = path.indexOf("/");
  if (slash <= 0 || slash === path.length - 1) throw new Error(`not an S3 object URL: ${s3Url}`);
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1) };
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: ObjectStoreOptions): Promise<void> {
  const [rawPath, rawQuery = ""] = (req.url ?? "/").split(/\?(.*)/s, 2);
  const body = await readBody(req);
  const signed: SignedRequest = { method: req.method ?? "GET", rawPath, rawQuery, headers: req.headers, body };
  const denied = isPresigned(signed) ? verifyPresigned(signed, opts.credentials, "s3") : verifyAuthorization(signed, opts.credentials, "s3");
  if (denied) return sendError(res, 403, denied.code, denied.message, req.method === "HEAD");

  const path = rawPath.slice(1);
  const slash = path.indexOf("/");
  if (slash <= 0 || slash === path.length - 1) return sendError(res, 400, "InvalidRequest", "only path-style object requests (/bucket/key) are supported");
  const bucket = decodeURIComponent(path.slice(0, slash));
  const key = decodeURIComponent(path.slice(slash + 1));

  if (req.method === "PUT") {
    const content = isAwsChunked(req) ? decodeAwsChunked(body) : body;
    const etag = `"${createHash("md5").update(content).digest("hex")}"`;
    opts.store.putObject({ bucket, key, body: content, etag, contentType: String(req.headers["content-type"] ?? "binary/octet-stream"), lastModified: Date.now() });
    res.writeHead(200, { ETag: etag, "Content-Length": 0, "x-amz-request-id": requestId() });
    return void res.end();
  }
  if (req.method !== "GET" && req.method !== "HEAD") return sendError(res, 405, "MethodNotAllowed", `${req.method} is not allowed against this resource`);

  const object = opts.store.getObject(bucket, key);
  if (!object) return sendError(res, 404, "NoSuchKey", "The specified key does not exist.", req.method === "HEAD");
  const range = parseRange(req.headers.range, object.body.length);
  if (range === "unsatisfiable") {
    res.setHeader("Content-Range", `bytes */${object.body.length}`);
    return sendError(res, 416, "InvalidRange", "The requested range is not satisfiable", req.method === "HEAD");
  }
  const [start, end] = range ?? [0, object.body.length - 1];
  res.writeHead(range ? 206 : 200, {
    ...objectHeaders(object),
    "Content-Length": end - start + 1,
    ...(range && { "Content-Range": `bytes ${start}-${end}/${object.body.length}` }),
  });
  if (req.method === "HEAD") return void res.end();
  await sendCounted(res, object.body.subarray(start, end + 1), (n) => opts.store.addBytesServed(bucket, key, n));
}

function objectHeaders(o: StoredObject): Record<string, string> {
  return {
    ETag: o.etag,
    "Last-Modified": new Date(o.lastModified).toUTCString(),
    "Content-Type": o.contentType,
    "Accept-Ranges": "bytes",
    "x-amz-request-id": requestId(),
  };
}

/** Writes `data` in chunks, reporting each chunk once the socket took it. */
async function sendCounted(res: ServerResponse, data: Buffer, served: (bytes: number) => void): Promise<void> {
  for (let i = 0; i < data.length && !res.destroyed; i += CHUNK) {
    const chunk = data.subarray(i, i + CHUNK);
    // The write callback fires once the chunk is flushed: natural backpressure.
    await new Promise<void>((resolve) => res.write(chunk, () => resolve()));
    if (!res.destroyed) served(chunk.length);
  }
  res.end();
}

/** [first, last] of a single "bytes=" range, undefined for none/ignored, or "unsatisfiable". */
export function parseRange(header: string | undefined, size: number): [number, number] | undefined | "unsatisfiable" {
  const m = header && /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined; // S3 ignores ranges it cannot parse
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) return "unsatisfiable";
    return [Math.max(0, size - suffix), size - 1];
  }
  const first = Number(m[1]);
  const last = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (first >= size || last < first) return "unsatisfiable";
  return [first, last];
}

const isAwsChunked = (req: IncomingMessage): boolean =>
  String(req.headers["content-encoding"] ?? "").includes("aws-chunked") || String(req.headers["x-amz-content-sha256"] ?? "").startsWith("STREAMING-");

/** The payload of an aws-chunked body (hex size[;chunk-signature]\r\n data \r\n … 0\r\n trailers). */
function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf("\r\n", at);
    if (eol < 0) throw new Error("truncated aws-chunked body");
    const size = parseInt(body.subarray(at, eol).toString("latin1").split(";")[0], 16);
    if (!Number.isFinite(size)) throw new Error("malformed aws-chunked body");
    if (size === 0) return Buffer.concat(parts);
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

const requestId = (): string => randomBytes(8).toString("hex").toUpperCase();
const xmlEscape = (s: string): string => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function sendError(res: ServerResponse, status: number, code: string, message: string, headOnly = false): void {
  const id = requestId();
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>${id}</RequestId></Error>`;
  res.writeHead(status, { "Content-Type": "application/xml", "Content-Length": headOnly ? 0 : Buffer.byteLength(xml), "x-amz-request-id": id });
  res.end(headOnly ? undefined : xml);
}
