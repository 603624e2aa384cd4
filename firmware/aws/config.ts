// The device's AWS IoT configuration. It lives in Storage, not in the image,
// because one image serves a whole fleet and each board has its own identity:
//   aws.json  {"endpoint": "...-ats.iot.<region>.amazonaws.com", "port": 8883,
//              "thingName": "...", "wifi": {"ssid": "...", "password": "..."}}
//   aws.crt   the thing's certificate, DER bytes
//   aws.key   its private key, DER bytes
//   aws.ca    the server's root CA, DER bytes (fota flash writes Amazon Root CA 1
//             unless the device file names another)
// DER is kept as raw bytes in files of their own: Storage.read returns them
// without copying into RAM, and they go to require("tls") as they are.
export const CONFIG_FILE = "aws.json";
export const CERT_FILE = "aws.crt";
export const KEY_FILE = "aws.key";
export const CA_FILE = "aws.ca";

export interface WifiConfig {
  ssid: string;
  password: string;
}

export interface AwsConfig {
  endpoint: string;
  port: number;
  /** Also the MQTT client id: AWS IoT policies tie the two together. */
  thingName: string;
  /** DER byte strings. */
  cert: string;
  key: string;
  ca: string;
  /** The ESP32's network; absent on boards with a wired or host network. */
  wifi?: WifiConfig;
}

export type ConfigResult = { ok: true; config: AwsConfig } | { ok: false; problems: string[] };

/** What the configuration needs of Storage (require("Storage") on the board). */
export interface StorageReader {
  read(name: string): string | undefined;
}

const HOSTNAME = /^[a-zA-Z0-9.-]+$/;
const THING_NAME = /^[a-zA-Z0-9:_-]+$/;

/** Reads and checks every part of the configuration; lists all problems, not just the first. */
export function parseConfig(storage: StorageReader): ConfigResult {
  const problems: string[] = [];
  const json = storage.read(CONFIG_FILE);
  let settings: any;
  if (json === undefined) {
    problems.push(CONFIG_FILE + " is missing");
  } else {
    try {
      settings = JSON.parse(json);
    } catch (e) {
      problems.push(CONFIG_FILE + " is not JSON");
    }
    if (settings !== undefined && (typeof settings !== "object" || settings === null || settings instanceof Array)) {
      problems.push(CONFIG_FILE + " must hold a JSON object");
      settings = undefined;
    }
  }
  const s = settings || {};
  if (json !== undefined && settings !== undefined) {
    if (typeof s.endpoint !== "string" || !HOSTNAME.test(s.endpoint) || s.endpoint.length > 253) {
      problems.push(s.endpoint === undefined ? "endpoint is missing" : "endpoint must be a host name");
    }
    if (s.port !== undefined && !(typeof s.port === "number" && s.port % 1 === 0 && s.port > 0 && s.port < 65536)) {
      problems.push("port must be a whole number from 1 to 65535");
    }
    if (typeof s.thingName !== "string" || !THING_NAME.test(s.thingName) || s.thingName.length > 128) {
      problems.push(s.thingName === undefined ? "thingName is missing" : "thingName must be 1 to 128 characters of a-z A-Z 0-9 : _ -");
    }
    if (s.wifi !== undefined) {
      const w = s.wifi;
      if (typeof w !== "object" || w === null || typeof w.ssid !== "string" || w.ssid.length < 1 || w.ssid.length > 32) {
        problems.push("wifi.ssid must be 1 to 32 characters");
      } else if (w.password !== undefined && (typeof w.password !== "string" || w.password.length > 64)) {
        problems.push("wifi.password must be a string of at most 64 characters");
      }
    }
  }
  const cert = derFile(CERT_FILE, storage.read(CERT_FILE), problems);
  const key = derFile(KEY_FILE, storage.read(KEY_FILE), problems);
  const ca = derFile(CA_FILE, storage.read(CA_FILE), problems);
  if (problems.length > 0) return { ok: false, problems: problems };
  const config: AwsConfig = {
    endpoint: s.endpoint, port: s.port || 8883, thingName: s.thingName,
    cert: cert as string, key: key as string, ca: ca as string,
  };
  if (s.wifi) config.wifi = { ssid: s.wifi.ssid, password: s.wifi.password || "" };
  return { ok: true, config: config };
}

/** A Storage file that must hold one DER structure; its problem goes to `problems`. */
function derFile(name: string, bytes: string | undefined, problems: string[]): string | undefined {
  const problem = bytes === undefined ? "is missing" : derProblem(bytes);
  if (problem) problems.push(name + " " + problem);
  return bytes;
}

/** Why `bytes` is not one whole DER SEQUENCE (a certificate or an RSA key), or null. */
export function derProblem(bytes: string): string | null {
  if (bytes.substr(0, 10) === "-----BEGIN") return "is PEM; store the DER bytes (atob of the base64 body)";
  // 100 characters or fewer would be taken as a file name by require("tls"); no certificate or key is that short.
  if (bytes.length <= 100) return "is too short for a DER certificate or key (" + bytes.length + " bytes)";
  if (bytes.charCodeAt(0) !== 0x30) return "is not DER (it must start with a SEQUENCE)";
  const first = bytes.charCodeAt(1);
  let header = 2;
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count < 1 || count > 3) return "is not DER (bad length)";
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes.charCodeAt(2 + i);
    header += count;
  }
  if (header + length !== bytes.length) return "is truncated or has trailing bytes (DER says " + (header + length) + ", file has " + bytes.length + ")";
  return null;
}

let reported = false;

/**
 * The configuration from this board's Storage, or null. When it is missing or
 * malformed the problems are printed once per boot, whatever the number of
 * calls, and nothing is thrown: a board without its identity waits to be
 * provisioned instead of crash-looping.
 */
export function loadConfig(): AwsConfig | null {
  const result = parseConfig(require("Storage"));
  if (result.ok) return result.config;
  if (!reported) console.log("AWS IoT configuration unusable: " + result.problems.join("; "));
  reported = true;
  return null;
}
