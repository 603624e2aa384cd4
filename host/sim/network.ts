// The interpreter's `net`, `tls` and `http` modules over real Node sockets,
// with the board's habits: DER certificates as byte strings (PEM refused),
// RSA-only TLS 1.2, data as byte strings in chunks of at most 536 bytes,
// `error` {code: -30848} before `close` when a TLS peer closes cleanly, and
// `http.get` bodies that end with `close`. Faults (drop, stall) for tests.
import net from "node:net";
import tls from "node:tls";
import http from "node:http";
import https from "node:https";
import { createPrivateKey } from "node:crypto";

/** What a module needs from the running device (one boot of it). */
export interface DeviceEnv {
  /** Runs a device callback; an exception is printed as Uncaught, as the interpreter does. */
  callback(fn: unknown, ...args: unknown[]): void;
  /** An Error of the device's realm. */
  error(message: string): Error;
  /** Keeps a socket so a reboot or a network drop can destroy it. */
  track(socket: net.Socket): void;
  network: NetworkFaults;
}

const MAX_CHUNK = 536;
const TLS_CLOSE_NOTIFY = -30848;
/** The generic mbedtls build offers RSA and DHE-RSA key exchange only. */
const BOARD_CIPHERS = "AES256-GCM-SHA384:AES128-GCM-SHA256:AES256-SHA256:AES128-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256";
const USER_AGENT = "Espruino 2v29";

/** Network faults shared by every socket of the device. */
export class NetworkFaults {
  private stalled = false;
  private readonly held: (() => void)[] = [];
  private readonly sockets = new Set<net.Socket>();

  add(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
  }

  /** Every open connection breaks at once (Wi-Fi gone, broker host down). */
  drop(): void {
    for (const s of this.sockets) s.destroy(new Error("network dropped"));
  }

  /** Traffic stops flowing both ways, without any error (a dead link). */
  stall(on: boolean): void {
    this.stalled = on;
    if (!on) this.held.splice(0).forEach((f) => f());
  }

  /** Runs `deliver` now, or once the stall ends. */
  pass(deliver: () => void): void {
    if (this.stalled) this.held.push(deliver);
    else deliver();
  }
}

/** The interpreter's event objects: `on(event, cb)`, callbacks run as device code. */
class DeviceEmitter {
  private readonly handlers: Record<string, unknown[]> = {};

  constructor(protected readonly env: DeviceEnv, fields: Record<string, unknown> = {}) {
    Object.assign(this, fields);
  }

  on(event: string, fn: unknown): this {
    (this.handlers[event] ??= []).push(fn);
    return this;
  }

  emit(event: string, ...args: unknown[]): void {
    for (const fn of this.handlers[event] ?? []) this.env.callback(fn, ...args);
  }

  /** Data as the board delivers it: byte strings of at most MAX_CHUNK bytes. */
  emitChunks(event: string, buf: Buffer): void {
    for (let i = 0; i < buf.length; i += MAX_CHUNK) this.emit(event, buf.subarray(i, i + MAX_CHUNK).toString("latin1"));
  }
}

/** An Espruino socket: events, `write`, `end`. */
export class DeviceSocket extends DeviceEmitter {
  constructor(env: DeviceEnv, private readonly socket: net.Socket, tlsSocket: boolean) {
    super(env);
    env.track(socket);
    socket.on("data", (buf: Buffer) => env.network.pass(() => this.emitChunks("data", buf)));
    let failed = false;
    socket.on("error", (err: NodeJS.ErrnoException) => {
      failed = true;
      this.emit("error", { code: -1, message: err.message });
    });
    socket.on("close", () => {
      if (tlsSocket && !failed) this.emit("error", { code: TLS_CLOSE_NOTIFY, message: "TLS close notify" });
      this.emit("close");
    });
  }

  write(data: unknown): boolean {
    const bytes = toBytes(data);
    this.env.network.pass(() => {
      if (!this.socket.destroyed) this.socket.write(bytes);
    });
    return true;
  }

  end(data?: unknown): void {
    if (data !== undefined) this.write(data);
    this.env.network.pass(() => this.socket.end());
  }

}

interface ConnectOptions {
  host: string;
  port: number;
  ca?: string;
  key?: string;
  cert?: string;
}

export function netModule(env: DeviceEnv) {
  return {
    connect(options: ConnectOptions, onConnect?: unknown): DeviceSocket {
      const socket = net.connect({ host: options.host, port: options.port });
      const device = new DeviceSocket(env, socket, false);
      socket.once("connect", () => onConnect && env.callback(onConnect));
      return device;
    },
  };
}

export function tlsModule(env: DeviceEnv) {
  return {
    connect(options: ConnectOptions, onConnect?: unknown): DeviceSocket {
      const secure = boardTlsOptions(env, options);
      // The board calls back once TCP is up, before the handshake; writes made
      // then are held and sent after it.
      const raw = net.connect({ host: options.host, port: options.port });
      const socket = tls.connect({ ...secure, socket: raw, servername: undefined });
      env.track(raw);
      const device = new DeviceSocket(env, socket, true);
      raw.once("connect", () => onConnect && env.callback(onConnect));
      return device;
    },
  };
}

interface HttpGetOptions extends Partial<Omit<ConnectOptions, "port">> {
  port?: number | null;
  protocol?: string;
  hostname?: string;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
}

export function httpModule(env: DeviceEnv, parseUrl: (u: string) => HttpGetOptions) {
  return {
    get(target: string | HttpGetOptions, onResponse: unknown) {
      const options = typeof target === "string" ? parseUrl(target) : target;
      const isTls = options.protocol === "https:";
      const request = new HttpObject(env);
      const hostWithPort = (options.host ?? "").replace(/^.*@/, "");
      const host = hostWithPort.replace(/:\d+$/, "");
      const port = Number(options.port) || (isTls ? 443 : 80);
      const common = {
        host,
        port,
        path: options.path ?? "/",
        method: options.method ?? "GET",
        headers: { "User-Agent": USER_AGENT, Connection: "close", ...(options.headers ?? {}) },
        agent: false as const,
      };
      const req = isTls
        ? https.request({ ...common, ...boardTlsOptions(env, { ...options, host, port }) })
        : http.request(common);
      req.on("socket", (s) => env.track(s));
      req.on("error", (err) => request.emit("error", { code: -1, message: err.message }));
      req.on("response", (res) => {
        const response = new HttpObject(env, {
          statusCode: String(res.statusCode),
          statusMessage: res.statusMessage,
          httpVersion: res.httpVersion,
          headers: rawHeaders(res.rawHeaders),
        });
        env.callback(onResponse, response);
        res.on("data", (buf: Buffer) => {
          res.pause();
          env.network.pass(() => {
            response.emitChunks("data", buf);
            res.resume();
          });
        });
        let closed = false;
        const finish = () => {
          if (closed) return;
          closed = true;
          env.network.pass(() => {
            response.emit("end");
            response.emit("close");
          });
        };
        res.on("end", finish);
        res.on("close", finish);
        res.on("error", finish);
      });
      req.end();
      return request;
    },
  };
}

/** Request and response objects of `http.get`: event emitters with fields. */
class HttpObject extends DeviceEmitter {
  end(): void {}
}

function rawHeaders(raw: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) headers[raw[i]] = raw[i + 1];
  return headers;
}

/** TLS options as the board's mbedtls would use them; PEM and file names are refused as there. */
function boardTlsOptions(env: DeviceEnv, options: ConnectOptions): tls.ConnectionOptions {
  const der = (field: "ca" | "key" | "cert"): Buffer | undefined => {
    const value = options[field];
    if (value === undefined) return undefined;
    if (typeof value !== "string") throw env.error(`tls: ${field} must be a string of DER bytes`);
    if (value.length <= 100) throw env.error(`tls: ${field} of ${value.length} characters is taken as a file name; pass the DER bytes`);
    if (value.startsWith("-----BEGIN")) throw env.error(`mbedtls_x509_crt_parse ${field} failed: Invalid format (PEM given: pass DER bytes, atob of the PEM body)`);
    return Buffer.from(value, "latin1");
  };
  const ca = der("ca");
  const cert = der("cert");
  const key = der("key");
  return {
    ca: ca ? [derToPem(ca, "CERTIFICATE")] : undefined,
    cert: cert ? derToPem(cert, "CERTIFICATE") : undefined,
    key: key ? privateKeyPem(env, key) : undefined,
    rejectUnauthorized: ca !== undefined,
    checkServerIdentity: () => undefined,
    ciphers: BOARD_CIPHERS,
    maxVersion: "TLSv1.2",
    minVersion: "TLSv1.2",
  };
}

function derToPem(der: Buffer, label: string): string {
  const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function privateKeyPem(env: DeviceEnv, der: Buffer): string {
  for (const type of ["pkcs8", "pkcs1", "sec1"] as const) {
    try {
      return createPrivateKey({ key: der, format: "der", type }).export({ format: "pem", type: "pkcs8" }) as string;
    } catch {
      // try the next encoding
    }
  }
  throw env.error("mbedtls_pk_parse_key failed: the key is not DER (PKCS#1, PKCS#8 or SEC1)");
}

function toBytes(data: unknown): Buffer {
  if (typeof data === "string") return Buffer.from(data, "latin1");
  if (data instanceof Uint8Array || ArrayBuffer.isView(data)) {
    const view = data as ArrayBufferView;
    return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  }
  if (Array.isArray(data)) return Buffer.from(data as number[]);
  return Buffer.from(String(data), "latin1");
}
