// Downloads an image over HTTPS straight into a code slot (image/slot-writer.ts
// writes each chunk as it comes and hashes what flash holds). One request at a time;
// a connection that drops or stalls is resumed with `Range: bytes=<stored>-`
// from the last unit stored, a bounded number of times with doubling backoff.
// Every way it can end is a DownloadResult: success with the MD5 and CRC-32 of
// the stored bytes, or a failure whose reason names the cause.
//
// What the interpreter's http client does, and this code relies on (measured on 2v29):
// - `statusCode` is a string ("200"); header names keep the server's spelling.
// - the body ends with `close` (maybe after `end`); a connection cut by the
//   server or the network ends the same way, with no error: only counting bytes tells.
// - a TLS close-notify arrives as an `error` {code: -30848} on the request, after a complete body.
// - `get` throws at once when no socket can be made ("Unable to create socket").
// - there is no way to abort a request: a stalled one is abandoned and its late events ignored.
// - it does not verify the server's certificate (mbedtls VERIFY_NONE), so the
//   MD5 from the job document is what vouches for the image.
import type { Region } from "../board/layout";
import { SlotWriter } from "../image/slot-writer";

export interface DownloadOptions {
  /** CA certificate(s) of the server, DER bytes as a string. */
  ca?: string;
  /** Called after each unit is stored and hashed (image/slot-writer.ts): bytes stored so far, image size. Goes back to 0 if the server restarts the file. */
  progress?: (bytes: number, total: number) => void;
  /** Extra attempts after the first for a connection that fails, drops or stalls, or a 5xx (default 5). */
  maxRetries?: number;
  /** An attempt with no data for this long is given up (default 30 000 ms). */
  timeoutMs?: number;
  /** Wait before the first retry, doubled for each next one up to 30 s (default 1000 ms). */
  backoffMs?: number;
  /** Flash erase unit (default: the page of the slot's first address, from the flash module). */
  pageSize?: number;
  /** The flash to write (default require("Flash")); tests and hosts inject their own. */
  flash?: FlashModule;
  /** Bytes of the image already in the slot, from a download cut by a restart (a unit boundary): hashed again, not fetched. */
  resumeFrom?: number;
  /** Check the stored bytes' MD5 (default true); a board that verifies signatures checks their signed hash list instead. */
  checkMd5?: boolean;
}

/** Where a failure came from, for callers that act on it (the reason is for people). */
export type DownloadFailureCause = "http" | "tls" | "network" | "timeout" | "size" | "md5" | "flash";

export interface DownloadTiming {
  totalSeconds: number;
  /** Erasing, writing and reading back flash. */
  flashSeconds: number;
  /** MD5 and CRC-32 over the bytes read back. */
  hashSeconds: number;
}

export interface DownloadSuccess {
  ok: true;
  size: number;
  /** MD5 of the stored bytes (equals the expected one); "" when not checked (checkMd5 false). */
  md5: string;
  /** CRC-32 of the stored bytes, unsigned: for the slot's metadata, checked by the loader. */
  crc32: number;
  /** Hash list digest of the stored bytes (docs/signing.md): what a signature is checked against. */
  digest: string;
  attempts: number;
  timing: DownloadTiming;
}

export interface DownloadFailure {
  ok: false;
  cause: DownloadFailureCause;
  /** Human-readable, e.g. "HTTP 403 (URL expired?)", "gave up after 6 attempts: timed out after 30 s without data". */
  reason: string;
  attempts: number;
  /** Bytes stored before it failed: the slot holds a partial image and must be marked invalid. */
  stored: number;
  timing: DownloadTiming;
}

export type DownloadResult = DownloadSuccess | DownloadFailure;

interface Attempt {
  /** Offset of the first byte asked for. */
  from: number;
  /** Offset the response's body starts at (0 after a 200). */
  start: number;
  /** Body bytes received. */
  received: number;
  hasResponse: boolean;
  lastData: number;
  timer: number | undefined;
  /** An error reported while the body was arriving, for the reason if it then ends short. */
  error: string;
}

const TLS_CLOSE_NOTIFY = -30848;
const MAX_BACKOFF_MS = 30000;

/**
 * Downloads `size` bytes from `url` into `slot`, checking them against `md5`
 * (32 lower-case hex digits). The arguments come from a checked job document
 * (document.ts) and the board layout (validated on the host): they are not
 * checked again here. Never rejects: failures resolve with ok false and a
 * reason. On failure the slot holds a partial image (the running image is
 * never touched).
 */
export function download(url: string, slot: Region, size: number, md5: string, options?: DownloadOptions): Promise<DownloadResult> {
  return new Promise((resolve) => {
    new Transfer(url, slot, size, md5, options || {}, resolve).request();
  });
}

/** Lower-case header lookup: the interpreter keeps the server's spelling. */
function header(headers: { [name: string]: string } | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const keys = Object.keys(headers);
  for (let i = 0; i < keys.length; i++) if (keys[i].toLowerCase() === name) return String(headers[keys[i]]);
  return undefined;
}

function messageOf(e: unknown): string {
  if (e && typeof e === "object" && "message" in e) return String((e as { message: unknown }).message);
  return String(e);
}

/** The interpreter's TLS error codes: its own (-13 handshake, -14 invalid data) and mbedtls's (below -0x1000). */
function isTlsError(code: number | undefined, message: string): boolean {
  if (code !== undefined && (code === -13 || code === -14 || code <= -0x1000)) return true;
  return /ssl|tls|certificate|handshake|mbedtls/i.test(message);
}

class Transfer {
  private readonly _writer: SlotWriter;
  private readonly _maxRetries: number;
  private readonly _timeoutMs: number;
  private readonly _backoffMs: number;
  private readonly _startedAt = getTime();
  private _attempts = 0;
  /** The attempt in progress; events of earlier (abandoned) attempts are ignored. */
  private _current: Attempt | undefined;
  private _done = false;

  constructor(
    private readonly _url: string,
    private readonly _slot: Region,
    private readonly _size: number,
    private readonly _md5: string,
    private readonly _options: DownloadOptions,
    private readonly _resolve: (result: DownloadResult) => void,
  ) {
    this._maxRetries = this._options.maxRetries !== undefined ? this._options.maxRetries : 5;
    this._timeoutMs = this._options.timeoutMs || 30000;
    this._backoffMs = this._options.backoffMs !== undefined ? this._options.backoffMs : 1000;
    const flash = this._options.flash || require("Flash");
    const pageSize = this._options.pageSize || flash.getPage(this._slot.start)!.length;
    this._writer = new SlotWriter(flash, this._slot, this._size, pageSize, this._options.checkMd5 !== false);
    if (this._options.resumeFrom) this._writer.resumeAfter(this._options.resumeFrom);
  }

  request(): void {
    const writer = this._writer;
    writer.rewind();
    this._attempts++;
    const attempt: Attempt = { from: writer.stored, start: 0, received: 0, hasResponse: false, lastData: getTime(), timer: undefined, error: "" };
    this._current = attempt;
    // Only what the request reads: the request keeps its options until it ends, and
    // url.parse's pathname, search and query are more copies of a presigned URL's long query.
    const parsed = url.parse(this._url);
    const options: HttpGetOptions = { protocol: parsed.protocol, host: parsed.host, port: parsed.port, path: parsed.path };
    options.headers = attempt.from > 0 ? { Range: "bytes=" + attempt.from + "-" } : {};
    if (this._options.ca !== undefined) options.ca = this._options.ca;
    this._watch(attempt);
    let request: EspruinoHttpRequest;
    try {
      request = require("http").get(options, (res) => this._onResponse(attempt, res));
    } catch (e) {
      const message = messageOf(e);
      this._retry(attempt, isTlsError(undefined, message) ? "tls" : "network", (isTlsError(undefined, message) ? "TLS: " : "cannot connect: ") + message);
      return;
    }
    request.on("error", (e: { code?: number; message?: string }) => this._onError(attempt, e));
  }

  private _onResponse(attempt: Attempt, res: EspruinoHttpResponse): void {
    if (attempt !== this._current) return;
    attempt.hasResponse = true;
    attempt.lastData = getTime();
    const status = parseInt(String(res.statusCode), 10);
    const failure = this._checkResponse(attempt, status, res.headers);
    if (failure !== "") {
      // Drain what still comes: the interpreter buffers a body nobody reads until its buffers are full.
      res.on("data", () => undefined);
      const retryable = status >= 500 && status <= 599;
      if (retryable) this._retry(attempt, "http", failure);
      else this._fail(status === 200 || status === 206 ? "size" : "http", failure);
      return;
    }
    if (status === 200 && attempt.from > 0) this._writer.restart();
    res.on("data", (data: string) => this._onData(attempt, data));
    res.on("close", () => this._onClose(attempt));
  }

  /** Why this response cannot be used, or "". */
  private _checkResponse(attempt: Attempt, status: number, headers: { [name: string]: string }): string {
    if (status === 403) return "HTTP 403 (URL expired?)";
    if (status >= 300 && status <= 399) return "HTTP " + status + " (redirects are not followed)";
    if (status !== 200 && status !== 206) return "HTTP " + status;
    let start = 0;
    if (status === 206) {
      const range = header(headers, "content-range") || "";
      // A character class, not (\d+|\*): the interpreter's regex alternation inside a group captures "" (2v29).
      const m = /^bytes ([0-9]+)-([0-9]+)\/([0-9*]+)$/.exec(range);
      if (!m || parseInt(m[1], 10) !== attempt.from || parseInt(m[2], 10) !== this._size - 1 || (m[3] !== "*" && parseInt(m[3], 10) !== this._size)) {
        return "Content-Range \"" + range + "\" does not answer bytes=" + attempt.from + "- of " + this._size + " bytes";
      }
      start = attempt.from;
    }
    attempt.start = start;
    const length = header(headers, "content-length");
    if (length !== undefined && parseInt(length, 10) !== this._size - start) {
      return start === 0
        ? "Content-Length " + length + " disagrees with bc_size " + this._size
        : "Content-Length " + length + " disagrees with the " + (this._size - start) + " bytes left of bc_size " + this._size;
    }
    return "";
  }

  private _onData(attempt: Attempt, data: string): void {
    if (attempt !== this._current) return;
    attempt.lastData = getTime();
    attempt.received += data.length;
    const writer = this._writer;
    if (writer.complete()) return;
    const before = writer.stored;
    try {
      writer.push(data);
    } catch (e) {
      this._fail("flash", "flash: " + messageOf(e));
      return;
    }
    if (writer.stored !== before && this._options.progress) this._options.progress(writer.stored, this._size);
  }

  private _onClose(attempt: Attempt): void {
    if (attempt !== this._current) return;
    const writer = this._writer;
    const sent = attempt.start + attempt.received;
    if (sent > this._size) {
      this._fail("size", "server sent " + sent + " bytes, expected " + this._size);
    } else if (!writer.complete()) {
      this._retry(attempt, "network", "server sent " + sent + " bytes, expected " + this._size + (attempt.error ? " (" + attempt.error + ")" : ""));
    } else {
      const stored = writer.result();
      if (stored.md5 !== "" && stored.md5 !== this._md5) this._fail("md5", "MD5 mismatch: got " + stored.md5 + ", expected " + this._md5);
      else this._finish({ ok: true, size: stored.size, md5: stored.md5, crc32: stored.crc32, digest: stored.digest, attempts: this._attempts, timing: this._timing() });
    }
  }

  private _onError(attempt: Attempt, e: { code?: number; message?: string }): void {
    if (attempt !== this._current || e.code === TLS_CLOSE_NOTIFY) return;
    const message = (e.message || "error") + (e.code !== undefined ? " (" + e.code + ")" : "");
    const tls = isTlsError(e.code, message);
    // With a response under way, `close` follows and counts the bytes; without one, nothing else comes.
    if (attempt.hasResponse) attempt.error = message;
    else this._retry(attempt, tls ? "tls" : "network", (tls ? "TLS: " : "connection failed: ") + message);
  }

  /** Gives up an attempt with no data for timeoutMs: one timer, re-armed only when it fires early. */
  private _watch(attempt: Attempt): void {
    const check = () => {
      attempt.timer = undefined;
      if (attempt !== this._current) return;
      const idleMs = (getTime() - attempt.lastData) * 1000;
      if (idleMs >= this._timeoutMs) this._retry(attempt, "timeout", "timed out after " + this._timeoutMs / 1000 + " s without data");
      else attempt.timer = setTimeout(check, this._timeoutMs - idleMs);
    };
    attempt.timer = setTimeout(check, this._timeoutMs);
  }

  /** Ends an attempt that may succeed if tried again, while attempts are left. */
  private _retry(attempt: Attempt, cause: DownloadFailureCause, reason: string): void {
    this._endAttempt(attempt);
    if (this._attempts > this._maxRetries) {
      this._fail(cause, this._attempts > 1 ? "gave up after " + this._attempts + " attempts: " + reason : reason);
      return;
    }
    let delay = this._backoffMs;
    for (let i = 1; i < this._attempts && delay < MAX_BACKOFF_MS; i++) delay *= 2;
    setTimeout(() => {
      if (!this._done) this.request();
    }, delay < MAX_BACKOFF_MS ? delay : MAX_BACKOFF_MS);
  }

  private _endAttempt(attempt: Attempt): void {
    if (attempt.timer !== undefined) clearTimeout(attempt.timer);
    attempt.timer = undefined;
    if (this._current === attempt) this._current = undefined;
  }

  private _fail(cause: DownloadFailureCause, reason: string): void {
    if (this._current) this._endAttempt(this._current);
    this._finish({ ok: false, cause, reason, attempts: this._attempts, stored: this._writer.stored, timing: this._timing() });
  }

  private _finish(result: DownloadResult): void {
    if (this._done) return;
    this._done = true;
    if (this._current) this._endAttempt(this._current);
    this._resolve(result);
  }

  private _timing(): DownloadTiming {
    return { totalSeconds: getTime() - this._startedAt, flashSeconds: this._writer.flashSeconds, hashSeconds: this._writer.hashSeconds };
  }
}
