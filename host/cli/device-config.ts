// The device configuration file `fota device add` writes and `fota flash`
// installs: one JSON file per board with its identity and endpoints. On the
// board it becomes the Storage files firmware/aws/config.ts reads.
import { readFileSync } from "node:fs";
import { fail } from "./errors.ts";
import { AMAZON_ROOT_CA_1 } from "./amazon-root-ca.ts";

export interface DeviceConfigFile {
  thingName: string;
  /** MQTT endpoint host (AWS IoT's ATS endpoint, or the bench's host). */
  endpoint: string;
  port: number;
  /** base64 of the DER certificate and (PKCS#1) key. */
  certDerB64: string;
  keyDerB64: string;
  /** base64 of the DER CA certificate of the MQTT endpoint; absent: Amazon Root CA 1 (AWS IoT's ATS endpoints). */
  caDerB64?: string;
  /** The ESP32's Wi-Fi; fill in before flashing a real board. */
  wifi?: { ssid: string; password: string };
}

export function readDeviceConfig(path: string): DeviceConfigFile {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    fail(`cannot read the device configuration ${path}: ${(e as Error).message}`);
  }
  const c = json as Record<string, unknown>;
  const problems: string[] = [];
  const text = (k: string) => typeof c[k] === "string" && (c[k] as string).length > 0;
  if (typeof json !== "object" || json === null) fail(`${path} must hold a JSON object`);
  for (const k of ["thingName", "endpoint", "certDerB64", "keyDerB64"]) if (!text(k)) problems.push(`${k} is missing`);
  if (!(typeof c.port === "number" && Number.isInteger(c.port) && c.port > 0 && c.port < 65536)) problems.push("port must be a TCP port number");
  if (c.caDerB64 !== undefined && !text("caDerB64")) problems.push("caDerB64 must be base64 text");
  if (problems.length > 0) fail(`${path}: ${problems.join("; ")}`);
  return c as unknown as DeviceConfigFile;
}

/** The Storage files the firmware reads (see firmware/aws/config.ts), as byte strings. */
export function storageFiles(config: DeviceConfigFile): Record<string, Buffer> {
  const settings: Record<string, unknown> = { endpoint: config.endpoint, port: config.port, thingName: config.thingName };
  if (config.wifi && config.wifi.ssid) settings.wifi = config.wifi;
  const files: Record<string, Buffer> = {
    "aws.json": Buffer.from(JSON.stringify(settings)),
    "aws.crt": Buffer.from(config.certDerB64, "base64"),
    "aws.key": Buffer.from(config.keyDerB64, "base64"),
    "aws.ca": Buffer.from(config.caDerB64 ?? AMAZON_ROOT_CA_1, "base64"),
  };
  return files;
}
