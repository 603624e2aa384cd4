// The bench MQTT broker: aedes behind TLS with client certificates required,
// holding devices to AWS IoT's rules (mqtt-rules.ts). It enforces what an AWS
// IoT policy using ${iot:Connection.Thing.ThingName} would: the client id must
// be the thing the certificate is attached to, and a thing may only use its
// own $aws/things/<name>/ topics plus ordinary (non-$) topics. Refused
// subscriptions get SUBACK 0x80; whatever AWS answers by hanging up (a refused
// publish or will, QoS 2, an oversized payload) closes the connection.
import { createHash } from "node:crypto";
import tls from "node:tls";
import Aedes, { type AuthenticateError, type Client } from "aedes";
import type { Identity } from "../pki/ca.ts";
import { listen } from "./listen.ts";
import { filterMatches, hasWildcard, publishRefusal, subscribeRefusal, thingMayReceive } from "./mqtt-rules.ts";

export interface BrokerOptions {
  /** TCP port; 0 picks a free one (default 8883). */
  port?: number;
  host?: string;
  server: Identity;
  caPem: string;
  /** The thing a certificate (by its SHA-256 certificateId) is attached to. */
  thingOfCertificate: (certificateId: string) => string | undefined;
}

export interface RunningBroker {
  broker: Aedes;
  port: number;
  close(): Promise<void>;
}

export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const broker = new Aedes({
    // A will is a publish made for the thing when it drops: AWS refuses the CONNECT over it.
    preConnect(_client, packet, done) {
      const will = packet.will;
      const refusal = will && publishRefusal(packet.clientId, { topic: will.topic, qos: will.qos ?? 0, retain: will.retain ?? false, payload: will.payload });
      done(refusal ? new Error(`will refused: ${refusal}`) : null, !refusal);
    },
    authenticate(client, _username, _password, done) {
      const socket = client.conn as tls.TLSSocket;
      const raw = socket.getPeerCertificate?.()?.raw;
      const thing = raw && opts.thingOfCertificate(createHash("sha256").update(raw).digest("hex"));
      if (!thing) return done(refusal("certificate is not attached to any thing", 5), false);
      if (client.id !== thing) return done(refusal(`client id must be the thing name ${thing}`, 2), false);
      done(null, true);
    },
    authorizePublish(client, packet, done) {
      const refused = client && publishRefusal(client.id, packet);
      done(refused ? new Error(refused) : null);
    },
    authorizeSubscribe(client, sub, done) {
      const refused = subscribeRefusal(client.id, sub.topic, sub.qos);
      if (refused === "refused") return done(null, null);
      if (refused) return done(new Error(refused));
      done(null, sub);
    },
    authorizeForward(client, packet) {
      return thingMayReceive(client.id, packet.topic) && subscribedAsAwsMatches(client, packet.topic) ? packet : null;
    },
  });
  retainedOnlyForExactFilters(broker);

  const server = tls.createServer(
    { key: opts.server.keyPem, cert: opts.server.certPem, ca: opts.caPem, requestCert: true, rejectUnauthorized: true },
    (socket) => broker.handle(socket),
  );
  const { port, close } = await listen(server, opts.port ?? 8883, opts.host ?? "0.0.0.0");
  return {
    broker,
    port,
    close: async () => {
      await close();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}

/**
 * aedes matches "a/#" to "a" as MQTT 3.1.1 says; AWS does not. A message is
 * forwarded only if one of the client's filters matches it AWS's way.
 */
function subscribedAsAwsMatches(client: Client, topic: string): boolean {
  // aedes keeps a client's subscriptions by filter; its types leave the map out.
  const filters = Object.keys((client as Client & { subscriptions: Record<string, unknown> }).subscriptions);
  return filters.some((f) => filterMatches(f, topic));
}

/** AWS delivers a retained message on SUBSCRIBE only to a filter naming its topic exactly. */
function retainedOnlyForExactFilters(broker: Aedes): void {
  // aedes looks retained messages up through its persistence, which its types leave out.
  const persistence = (broker as unknown as { persistence: { createRetainedStreamCombi(filters: string[]): unknown } }).persistence;
  const lookUp = persistence.createRetainedStreamCombi.bind(persistence);
  persistence.createRetainedStreamCombi = (filters) => lookUp(filters.filter((f) => !hasWildcard(f)));
}

function refusal(message: string, returnCode: 2 | 5): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}
