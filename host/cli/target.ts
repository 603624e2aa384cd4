// Where jobs go: the local bench (default) or real AWS (--aws). Both are
// driven through the unmodified AWS SDK; only the endpoints and credentials differ.
import https from "node:https";
import { IoTClient, DescribeEndpointCommand, CreateThingCommand, CreateKeysAndCertificateCommand, AttachThingPrincipalCommand, AttachPolicyCommand } from "@aws-sdk/client-iot";
import { S3Client } from "@aws-sdk/client-s3";
import { BENCH_CREDENTIALS } from "../bench/sigv4.ts";
import { pemToDer } from "../pki/ca.ts";
import { fail } from "./errors.ts";
import type { Flags } from "./args.ts";
import type { DeviceConfigFile } from "./device-config.ts";

export interface Target {
  kind: "bench" | "aws";
  iot: IoTClient;
  s3: S3Client;
  bucket: string;
  roleArn: string;
  /** The https URL of an uploaded object, as the job's presigned-URL placeholder names it. */
  objectUrl(key: string): string;
  /** Bytes the store has served of an object, when it can tell (the bench can). */
  bytesServed(key: string): Promise<number | undefined>;
  registerDevice(thingName: string, policy?: string): Promise<DeviceConfigFile>;
}

export const TARGET_FLAGS = ["bench", "region", "bucket", "role-arn"];
export const BENCH_URL = "http://127.0.0.1:8080";
const BENCH_BUCKET = "fota";
const BENCH_ROLE = "arn:aws:iam::123456789012:role/fota-bench";

export async function openTarget(flags: Flags): Promise<Target> {
  return flags.switches.has("aws") ? awsTarget(flags) : benchTarget(flags.values.bench ?? process.env.FOTA_BENCH ?? BENCH_URL);
}

interface BenchEndpoints {
  mqttHost: string;
  mqttPort: number;
  objectsUrl: string;
  region: string;
  caPem: string;
}

async function benchGet(url: string, path: string, method = "GET"): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url + path, { method });
  } catch {
    fail(`the bench is not running at ${url} (start it with "npm run bench", or pass --bench URL)`);
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) fail(`the bench refused ${method} ${path}: ${(body as { message?: string }).message ?? res.status}`);
  return body;
}

async function benchTarget(url: string): Promise<Target> {
  const endpoints = (await benchGet(url, "/bench/endpoints")) as BenchEndpoints;
  const common = { region: endpoints.region, credentials: BENCH_CREDENTIALS };
  const objectsHost = new URL(endpoints.objectsUrl);
  return {
    kind: "bench",
    iot: new IoTClient({ ...common, endpoint: url }),
    s3: new S3Client({
      ...common,
      endpoint: endpoints.objectsUrl,
      forcePathStyle: true,
      // The bench's object store has a certificate from the bench's own CA.
      requestHandler: { httpsAgent: new https.Agent({ ca: endpoints.caPem }) },
    }),
    bucket: BENCH_BUCKET,
    roleArn: BENCH_ROLE,
    objectUrl: (key) => `${objectsHost.origin}/${BENCH_BUCKET}/${key}`,
    async bytesServed(key) {
      const { objects } = (await benchGet(url, "/bench/objects")) as { objects: { bucket: string; key: string; bytesServed: number }[] };
      return objects.find((o) => o.bucket === BENCH_BUCKET && o.key === key)?.bytesServed;
    },
    async registerDevice(thingName) {
      const device = (await benchGet(url, `/bench/things/${encodeURIComponent(thingName)}/device`, "POST")) as Record<string, string | number>;
      return {
        thingName,
        endpoint: String(device.mqttHost),
        port: Number(device.mqttPort),
        certDerB64: String(device.certDerB64),
        keyDerB64: String(device.keyDerB64),
        caDerB64: String(device.caDerB64),
        wifi: { ssid: "", password: "" },
      };
    },
  };
}

function awsTarget(flags: Flags): Target {
  const region = flags.values.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) fail("--aws needs a region: --region or AWS_REGION");
  const bucket = flags.values.bucket ?? process.env.FOTA_BUCKET ?? "";
  const roleArn = flags.values["role-arn"] ?? process.env.FOTA_ROLE_ARN ?? "";
  const iot = new IoTClient({ region });
  return {
    kind: "aws",
    iot,
    s3: new S3Client({ region }),
    bucket,
    roleArn,
    objectUrl: (key) => `https://s3.${region}.amazonaws.com/${bucket}/${key}`,
    bytesServed: async () => undefined,
    async registerDevice(thingName, policy) {
      if (!policy) fail("--aws device add needs --policy NAME (an IoT policy allowing the thing its MQTT topics)");
      await iot.send(new CreateThingCommand({ thingName }));
      const keys = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
      await iot.send(new AttachThingPrincipalCommand({ thingName, principal: keys.certificateArn! }));
      await iot.send(new AttachPolicyCommand({ policyName: policy, target: keys.certificateArn! }));
      const { endpointAddress } = await iot.send(new DescribeEndpointCommand({ endpointType: "iot:Data-ATS" }));
      return {
        thingName,
        endpoint: endpointAddress!,
        port: 8883,
        certDerB64: pemToDer(keys.certificatePem!).toString("base64"),
        keyDerB64: pemToDer(keys.keyPair!.PrivateKey!).toString("base64"),
        wifi: { ssid: "", password: "" },
      };
    },
  };
}

/** An AWS SDK failure as one line. */
export function describeAwsError(e: unknown): string {
  const err = e as { name?: string; message?: string };
  return `${err.name ?? "Error"}: ${err.message ?? String(e)}`;
}
