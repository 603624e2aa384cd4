// The AWS IoT configuration in Storage, checked at boot on a simulated board:
// what is missing or malformed is listed in one line, printed once however
// often the application asks, and the board keeps running (no crash loop).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startBoard } from "../support/sim.ts";
import { entryScript, startJobsBench, type JobsBench } from "./support.ts";
import { thingStorageFiles } from "../../host/bench/ca.ts";

let bench: JobsBench;
before(async () => {
  bench = await startJobsBench();
});
after(async () => {
  await bench.stop();
});

async function boot(files: Record<string, string>): Promise<string[]> {
  const b = await startBoard({ ".bootcde": await entryScript("config-report"), ...files });
  try {
    await b.sim.waitFor(/^checked /);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(b.sim.boots, 1, "the board did not restart");
    return b.sim.lines.filter((l) => l.length > 0);
  } finally {
    await b.dispose();
  }
}

test("nothing provisioned: one line naming every missing file", async () => {
  assert.deepEqual(await boot({}), [
    "AWS IoT configuration unusable: aws.json is missing; aws.crt is missing; aws.key is missing; aws.ca is missing",
    "checked true true",
  ]);
});

test("malformed settings and DER files: each problem named, once", async () => {
  const creds = await bench.registry.registerDevice("config-thing");
  const good = thingStorageFiles(creds, "localhost", bench.port);
  const lines = await boot({
    "aws.json": JSON.stringify({ endpoint: "bad host!", port: 70000, thingName: "a/b", wifi: { ssid: "" } }),
    "aws.crt": creds.certPem,
    "aws.key": good["aws.key"].slice(0, -10),
    "aws.ca": "short",
  });
  assert.deepEqual(lines, [
    "AWS IoT configuration unusable: endpoint must be a host name; port must be a whole number from 1 to 65535; " +
      "thingName must be 1 to 128 characters of a-z A-Z 0-9 : _ -; wifi.ssid must be 1 to 32 characters; " +
      "aws.crt is PEM; store the DER bytes (atob of the base64 body); " +
      `aws.key is truncated or has trailing bytes (DER says ${good["aws.key"].length}, file has ${good["aws.key"].length - 10}); ` +
      "aws.ca is too short for a DER certificate or key (5 bytes)",
    "checked true true",
  ]);
  assert.deepEqual((await boot({ ...good, "aws.json": "{not json" }))[0], "AWS IoT configuration unusable: aws.json is not JSON");
  assert.deepEqual((await boot({ ...good, "aws.json": "[1]" }))[0], "AWS IoT configuration unusable: aws.json must hold a JSON object");
  assert.deepEqual((await boot({ ...good, "aws.json": "{}" }))[0], "AWS IoT configuration unusable: endpoint is missing; thingName is missing");
});

test("a complete configuration is silent", async () => {
  const creds = await bench.registry.registerDevice("config-ok");
  assert.deepEqual(await boot(thingStorageFiles(creds, "localhost", bench.port)), ["checked false false"]);
});

test("fota flash writes Amazon Root CA 1, the RSA root of AWS IoT's ATS endpoints, when the device file names no CA", async () => {
  const { X509Certificate } = await import("node:crypto");
  const { rootCertificates } = await import("node:tls");
  const { storageFiles } = await import("../../host/cli/device-config.ts");
  const files = storageFiles({ thingName: "t", endpoint: "x-ats.iot.eu-west-1.amazonaws.com", port: 8883, certDerB64: "", keyDerB64: "" });
  const ca = new X509Certificate(files["aws.ca"]);
  assert.equal(ca.subject, "C=US\nO=Amazon\nCN=Amazon Root CA 1");
  assert.ok(rootCertificates.some((pem) => new X509Certificate(pem).fingerprint256 === ca.fingerprint256), "the same certificate as Node's root store");
});
