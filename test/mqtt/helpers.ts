// Shared pieces of the MQTT client tests: their certificates, a client wired to
// Node, an MQTT.js peer on the other side of the broker, and waiting for events.
import mqtt from "mqtt";
import * as mqttPacket from "mqtt-packet";
import { MqttClient, type ClientEvents, type ClientOptions } from "../../firmware/mqtt/client.ts";
import type { Transport } from "../../firmware/mqtt/transport.ts";
import { nodeTlsTransport } from "./node-transport.ts";
import { CertificateAuthority, type Identity } from "../../host/pki/ca.ts";

/** The tests' certificates: a CA, the broker's server identity, a device, and a device of a CA the broker does not trust. */
export interface Pki {
  ca: Identity;
  server: Identity;
  client: Identity;
  stranger: Identity;
}

export async function makePki(): Promise<Pki> {
  const ca = await CertificateAuthority.create("test MQTT CA");
  const untrusted = await CertificateAuthority.create("untrusted CA");
  return { ca: ca.identity, server: await ca.issueServer("localhost"), client: await ca.issueClient("test-device"), stranger: await untrusted.issueClient("stranger") };
}

export const nodeClock = () => Date.now() / 1000;

/** Our client, over node:tls to 127.0.0.1:port with the given client certificate (none: null). */
export function deviceClient(pki: Pki, port: number, extra: Partial<ClientOptions> = {}, identity: Identity | null = pki.client): MqttClient {
  return new MqttClient({
    transport: nodeTlsTransport({ host: "127.0.0.1", port, ca: pki.ca.certPem, key: identity?.keyPem, cert: identity?.certPem }),
    clientId: "device-" + Math.random().toString(16).slice(2, 10),
    clock: nodeClock,
    keepAlive: 10,
    connackTimeout: 5,
    reconnectMin: 0.05,
    reconnectMax: 0.5,
    ...extra,
  });
}

/** A transport that also keeps every packet the client writes, decoded by mqtt-packet. */
export function recording(transport: Transport, sent: mqttPacket.Packet[]): Transport {
  return (ready) => {
    const socket = transport(ready);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on("packet", (p) => sent.push(p));
    return { ...socket, write: (data: string) => { parser.parse(Buffer.from(data, "latin1")); return socket.write(data); } };
  };
}

/** The next time `event` fires, with its first argument; fails after timeoutMs. */
export function next<E extends keyof ClientEvents>(client: MqttClient, event: E, timeoutMs = 5000): Promise<Parameters<ClientEvents[E]>[0]> {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => { done = true; reject(new Error(`no "${event}" within ${timeoutMs} ms`)); }, timeoutMs);
    client.on(event, ((arg: never) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(arg);
    }) as never);
  });
}

export async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The far end: an MQTT.js client with its own certificate. */
export async function peer(pki: Pki, port: number, options: mqtt.IClientOptions = {}): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(`mqtts://127.0.0.1:${port}`, {
    ca: pki.ca.certPem, key: pki.client.keyPem, cert: pki.client.certPem, rejectUnauthorized: true,
    protocolVersion: 4, reconnectPeriod: 100, connectTimeout: 5000, ...options,
  });
}
