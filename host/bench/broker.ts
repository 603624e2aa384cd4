// The bench MQTT broker: aedes behind TLS with client certificates required.
// It enforces what an AWS IoT policy using ${iot:Connection.Thing.ThingName}
// would: the client id must be the thing the certificate is attached to, and a
// thing may only use its own $aws/things/<name>/ topics plus ordinary
// (non-$) topics. Refused subscriptions get SUBACK 0x80; a refused publish
// closes the connection, as AWS IoT does.
import { createHash } from "node:crypto";
import tls from "node:tls";
import Aedes, { type AuthenticateError } from "aedes";
import type { Credentials } from "./ca.ts";
import { listen } from "./listen.ts";

export interface BrokerOptions {
  /** TCP port; 0 picks a free one (default 8883). */
  port?: number;
  host?: string;
  server: Credentials;
  caPem: string;
  /** The thing a certificate (by its SHA-256 certificateId) is attached to. */
  thingOfCertificate: (certificateId: string) => string | undefined;
}

export interface RunningBroker {
  broker: Aedes;
  port: number;
  close(): Promise<void>;
}

/** May `thing` publish to `topic`, or subscribe to the filter `topic`? */
export function thingMayUse(thing: string, topic: string): boolean {
  if (!topic.startsWith("$")) return true;
  return topic.startsWith(`$aws/things/${thing}/`);
}

/** Messages on another thing's reserved topics never reach this thing, whatever it subscribed to. */
function thingMayReceive(thing: string, topic: string): boolean {
  return !topic.startsWith("$aws/") || topic.startsWith(`$aws/things/${thing}/`);
}

export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const broker = new Aedes({
    authenticate(client, _username, _password, done) {
      const socket = client.conn as tls.TLSSocket;
      const raw = socket.getPeerCertificate?.()?.raw;
      const thing = raw && opts.thingOfCertificate(createHash("sha256").update(raw).digest("hex"));
      if (!thing) return done(refusal("certificate is not attached to any thing", 5), false);
      if (client.id !== thing) return done(refusal(`client id must be the thing name ${thing}`, 2), false);
      done(null, true);
    },
    authorizePublish(client, packet, done) {
      if (!client || thingMayUse(client.id, packet.topic)) return done(null);
      done(new Error(`${client.id} may not publish to ${packet.topic}`));
    },
    authorizeSubscribe(client, sub, done) {
      done(null, thingMayUse(client.id, sub.topic) ? sub : null);
    },
    authorizeForward(client, packet) {
      return thingMayReceive(client.id, packet.topic) ? packet : null;
    },
  });

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

function refusal(message: string, returnCode: 2 | 5): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}
