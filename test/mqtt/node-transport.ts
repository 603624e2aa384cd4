// node:tls dressed as the interpreter's TLS socket, so the firmware's MQTT
// client runs unchanged in Node: data and writes are byte strings (latin1), and
// a clean close by the peer reports error {code: -30848} and then close, as
// mbedtls on the interpreter does.
import tls from "node:tls";
import type { Socket, Transport } from "../../firmware/mqtt/transport.ts";
import { TLS_CLOSE_NOTIFY } from "../../firmware/mqtt/transport.ts";

export interface NodeTlsOptions {
  host: string;
  port: number;
  ca: string;
  key?: string;
  cert?: string;
}

export function nodeTlsTransport(options: NodeTlsOptions): Transport {
  return (ready) => {
    const listeners: Record<string, ((arg?: unknown) => void)[]> = { data: [], error: [], close: [] };
    const emit = (event: string, arg?: unknown) => listeners[event].forEach((f) => f(arg));
    const socket = tls.connect({ host: options.host, port: options.port, ca: options.ca, key: options.key, cert: options.cert });
    // Small packets are sent at once, not held for the peer's delayed ACK.
    socket.setNoDelay(true);
    let peerEnded = false;
    // Like the interpreter: ready once the TCP connection is up; writes wait for the handshake.
    socket.once("connect", () => ready());
    socket.on("data", (b: Buffer) => emit("data", b.toString("latin1")));
    socket.on("end", () => (peerEnded = true));
    socket.on("error", (e: NodeJS.ErrnoException) => emit("error", { code: e.code, message: e.message }));
    socket.on("close", () => {
      if (peerEnded) emit("error", { code: TLS_CLOSE_NOTIFY, message: "peer closed (close notify)" });
      emit("close");
    });
    const shaped: Socket = {
      write: (data: string) => socket.write(Buffer.from(data, "latin1")),
      // Flush what was written, then close without waiting for the peer.
      end: () => socket.end(() => socket.destroy()),
      on: (event, callback) => listeners[event]?.push(callback),
    };
    return shaped;
  };
}
