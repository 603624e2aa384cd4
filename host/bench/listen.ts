// Shared plumbing of the bench's servers (and the tests' and benchmarks'):
// listen, track sockets so close() does not wait for idle keep-alive
// connections, and read whole request bodies.
import type { IncomingMessage } from "node:http";
import type { AddressInfo, Server, Socket } from "node:net";

export interface Listening {
  port: number;
  /** Closes the server and every connection it still has. */
  close(): Promise<void>;
}

export async function listen(server: Server, port: number, host: string): Promise<Listening> {
  const sockets = new Set<Socket>();
  // TLS servers announce accepted connections as "secureConnection"; "connection" covers every kind.
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  // A failed handshake (no or foreign client certificate) only concerns that client.
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
