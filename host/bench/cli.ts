// `npm run bench`: starts the local AWS IoT and prints how to reach it.
import { startBench } from "./bench.ts";
import { scriptArgs } from "../script-args.ts";

const USAGE =
  "npm run bench -- [--data DIR] [--mqtt-port N] [--objects-port N] [--control-port N] [--public-host NAME] [--minute-ms N]\n" +
  "  --public-host: the name or address boards use to reach the bench (it goes into the server certificate)";
const { values } = scriptArgs(USAGE, {
  options: {
    data: { type: "string" },
    "mqtt-port": { type: "string" },
    "objects-port": { type: "string" },
    "control-port": { type: "string" },
    "public-host": { type: "string" },
    "minute-ms": { type: "string" },
  },
});
const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));

const bench = await startBench({
  dataDir: values.data,
  mqttPort: num(values["mqtt-port"]),
  objectsPort: num(values["objects-port"]),
  controlPort: num(values["control-port"]),
  publicHost: values["public-host"],
  minuteMs: num(values["minute-ms"]),
});

const { accessKeyId, secretAccessKey } = bench.credentials;
console.log(`FOTA bench (local AWS IoT) running
  data folder   ${bench.dataDir}
  MQTT (mTLS)   mqtts://${bench.mqtt.host}:${bench.mqtt.port}   CA: ${bench.dataDir}/ca/ca-cert.pem
  objects (S3)  ${bench.objects.url}   (path-style)
  control API   ${bench.control.url}
  region ${bench.region}, credentials ${accessKeyId} / ${secretAccessKey}

Register a device (key, certificate, CA as PEM and DER-base64, endpoints):
  curl -X POST ${bench.control.url}/bench/things/<thingName>/device
Bytes served per object:  curl ${bench.control.url}/bench/objects

Point the AWS SDK at it:
  new IoTClient({ endpoint: "${bench.control.url}", region: "${bench.region}",
    credentials: { accessKeyId: "${accessKeyId}", secretAccessKey: "${secretAccessKey}" } })
  new S3Client({ endpoint: "${bench.objects.url}", forcePathStyle: true, region: "${bench.region}", credentials: …,
    requestHandler: { httpsAgent: new https.Agent({ ca: <ca-cert.pem> }) } })
Ctrl-C stops it; state is kept in the data folder.`);

const stop = async () => {
  await bench.stop();
  process.exit(0);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
