// A real HTTPS server for download tests (RSA test certificates, as the
// board's TLS needs): each request is answered by the test's handler, and
// every request's Range header is kept.
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { CertificateAuthority } from "../../host/pki/ca.ts";
import { listen } from "../../host/bench/listen.ts";

export type Handler = (req: IncomingMessage, res: ServerResponse, index: number) => void;

export interface ImageServer {
  url: string;
  /** Range header of each request, in order (undefined: none). */
  ranges: (string | undefined)[];
  /** Serves the next requests with this handler. */
  handle(handler: Handler): void;
  close(): Promise<void>;
}

/** An HTTPS server on 127.0.0.1 with a certificate from `ca`. */
export async function startImageServer(ca: CertificateAuthority): Promise<ImageServer> {
  const identity = await ca.issueServer("localhost");
  const ranges: (string | undefined)[] = [];
  let handler: Handler = (_req, res) => res.writeHead(500).end();
  const server = https.createServer({ key: identity.keyPem, cert: identity.certPem }, (req, res) => {
    ranges.push(req.headers.range);
    handler(req, res, ranges.length - 1);
  });
  const { port, close } = await listen(server, 0, "127.0.0.1");
  return {
    url: `https://127.0.0.1:${port}/images/app.js?X-Amz-Signature=abc`,
    ranges,
    handle: (h) => (handler = h),
    close,
  };
}

/** The offset a `Range: bytes=N-` asks for (0 without one). */
export function rangeStart(req: IncomingMessage): number {
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  return m ? Number(m[1]) : 0;
}

/**
 * Answers as S3 does: 200 with the whole image, or 206 with the rest from a
 * Range. With `cutAt`, the connection is destroyed once the body reaches that
 * offset of the image (a dropped connection: no error reaches the board).
 */
export function serveImage(image: Buffer, req: IncomingMessage, res: ServerResponse, cutAt?: number): void {
  const from = rangeStart(req);
  if (from > 0) res.writeHead(206, { "Content-Length": String(image.length - from), "Content-Range": `bytes ${from}-${image.length - 1}/${image.length}` });
  else res.writeHead(200, { "Content-Length": String(image.length) });
  if (cutAt === undefined || cutAt >= image.length) {
    res.end(image.subarray(from));
    return;
  }
  res.write(image.subarray(from, Math.max(from, cutAt)), () => setTimeout(() => res.socket?.destroy(), 30));
}
