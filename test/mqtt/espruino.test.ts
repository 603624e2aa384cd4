// The firmware's MQTT client as the board gets it: bundled by the project's
// build plugins, measured, and run on the real interpreter (ESPRUINO_BIN)
// against mosquitto over mutual TLS with DER certificates.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type mqtt from "mqtt";
import { mosquittoBroker, mosquittoPath } from "./brokers.ts";
import { bundleForEspruino, firmwarePath } from "./bundle.ts";
import { makePki, peer } from "./helpers.ts";

const imports = (names: Record<string, string>) =>
  Object.entries(names).map(([file, list]) => `import { ${list} } from ${JSON.stringify(firmwarePath(file))};`).join("\n");

test("minified size of the MQTT client in an image", async () => {
  const code = await bundleForEspruino(`${imports({
    "mqtt/client.ts": "MqttClient", "mqtt/device.ts": "tlsTransport, deviceClock", "mqtt/utf8.ts": "utf8Encode, utf8Decode",
  })}
print([MqttClient, tlsTransport, deviceClock, utf8Encode, utf8Decode]);
`);
  const codecOnly = await bundleForEspruino(`${imports({ "mqtt/codec.ts": "Decoder, encodePublish" })}
print([Decoder, encodePublish]);
`);
  const bytes = Buffer.byteLength(code, "latin1");
  console.log(`# MQTT code minified: ${bytes} bytes (client + codec + utf8 + device transport); codec alone (decoder + PUBLISH encoder): ${codecOnly.length} bytes`);
  assert.ok(bytes < 20000, `${bytes} bytes`);
});

const ESPRUINO = process.env.ESPRUINO_BIN;

/**
 * mbedtls takes a 16,717-byte buffer for each TLS connection from the
 * interpreter's variable pool as one contiguous block. The Linux build's pool
 * grows in separate chunks, and when no chunk has that much contiguous free
 * space, tls.connect() dies on "ASSERT(jsvIsFlatString(v)) FAILED AT
 * src/jsvar.c:1753" (jsvMalloc returning nothing), depending only on how much
 * memory the script happens to use. Growing the pool once, before anything
 * else, leaves it a large free region (the board's pool is fixed and contiguous).
 */
const GROW_POOL = "var grow = []; for (var i = 0; i < 12000; i++) grow.push(i + ''); grow = undefined; process.memory();\n";
const skip = !ESPRUINO ? "ESPRUINO_BIN is not set" : !mosquittoPath() ? "mosquitto is not installed (apt-get install mosquitto)" : false;

test("on the interpreter: QoS 1 round trip with mosquitto over mutual TLS", { skip, timeout: 60_000 }, async () => {
  const pki = await makePki();
  const broker = await mosquittoBroker(pki);
  const dir = mkdtempSync(join(tmpdir(), "mqtt-espruino-"));
  let far: mqtt.MqttClient | undefined;
  try {
    far = await peer(pki, broker.port);
    await far.subscribeAsync("espruino/out", { qos: 1 });
    const echoes: mqtt.IPublishPacket[] = [];
    far.on("message", (_t, _p, packet) => echoes.push(packet));

    const ROUNDS = 20;
    // Plain ES5: this entry is not compiled, only bundled.
    const script = await bundleForEspruino(`${imports({ "mqtt/client.ts": "MqttClient", "mqtt/device.ts": "tlsTransport, deviceClock" })}
var client = new MqttClient({
  transport: tlsTransport({ host: "127.0.0.1", port: ${broker.port},
    ca: ${JSON.stringify(pki.ca.certDer)}, key: ${JSON.stringify(pki.client.keyDer)}, cert: ${JSON.stringify(pki.client.certDer)} }),
  clientId: "espruino-under-test", clock: deviceClock, keepAlive: 30, reconnectMin: 0.5, reconnectMax: 2
});
var giveUp = setTimeout(function () { print("TIMEOUT"); client.disconnect(); }, 40000);
client.on("error", function (e) { print("ERROR " + e.code + ": " + e.message); });
client.on("connected", function (info) {
  print("CONNECTED " + JSON.stringify(info));
  client.subscribe("espruino/in", 1, function (topic, payload, packet) {
    print("GOT " + topic + " " + payload + " qos " + packet.qos);
    client.publish("espruino/out", "echo:" + payload, 1).then(function () {
      print("PUBACK");
      selfLoop();
    });
  }).then(function (granted) { print("SUBSCRIBED " + granted); });
});
// QoS 1 round trips through the broker and back, one at a time.
function selfLoop() {
  var started = getTime();
  var n = 0;
  client.subscribe("espruino/loop", 1, function () {
    if (++n < ${ROUNDS}) return client.publish("espruino/loop", "" + n, 1);
    print("LOOP " + n + " " + (getTime() - started).toFixed(3) + " s, memory " + process.memory().usage + " vars");
    clearTimeout(giveUp);
    client.disconnect();
  }).then(function () { client.publish("espruino/loop", "0", 1); });
}
client.connect();
`);
    writeFileSync(join(dir, "mqtt-test.js"), GROW_POOL + script);
    const child = spawn(ESPRUINO!, ["mqtt-test.js"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let published = false;
    child.stdout.on("data", (d) => {
      out += d.toString("latin1");
      if (!published && out.includes("SUBSCRIBED")) {
        published = true;
        far!.publish("espruino/in", "ping from node", { qos: 1 });
      }
    });
    child.stderr.on("data", (d) => (out += d.toString("latin1")));
    const kill = setTimeout(() => child.kill("SIGKILL"), 45_000); // it ignores SIGTERM
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    clearTimeout(kill);
    const lines = out.split(/\r?\n/).map((l) => l.replace(/\r?\x1b\[J|^>/g, "").trim()).filter((l) => /^[A-Z]{3,}/.test(l));
    console.log(lines.map((l) => "# espruino: " + l).join("\n"));
    assert.equal(code, 0, out);
    assert.ok(lines.includes("CONNECTED {\"sessionPresent\":false}"), out);
    assert.ok(lines.includes("SUBSCRIBED 1"), out);
    assert.ok(lines.includes("GOT espruino/in ping from node qos 1"), out);
    assert.ok(lines.includes("PUBACK"), out);
    assert.ok(lines.some((l) => l.startsWith(`LOOP ${ROUNDS} `)), out);
    assert.ok(!lines.some((l) => l.startsWith("ERROR") || l.startsWith("TIMEOUT") || l.startsWith("Uncaught")), out);
    assert.equal(echoes.length, 1);
    assert.equal(echoes[0].payload.toString(), "echo:ping from node");
    assert.equal(echoes[0].qos, 1);
  } finally {
    await far?.endAsync(true);
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
