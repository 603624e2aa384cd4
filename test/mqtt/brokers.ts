// Real MQTT brokers for the client's tests, both requiring a client
// certificate: aedes in this process, mosquitto as a child process. Each can be
// stopped (every connection cut) and started again on the same port.
import net from "node:net";
import tls from "node:tls";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import Aedes from "aedes";
import { listen, type Listening } from "../../host/bench/listen.ts";
import type { Pki } from "./helpers.ts";

export interface TestBroker {
  name: string;
  port: number;
  start(): Promise<void>;
  /** Cuts every connection and stops listening; sessions of clean-session=false clients survive. */
  stop(): Promise<void>;
  /** Stops and frees everything. */
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once something accepts TCP connections on the port. */
async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => { s.destroy(); resolve(true); });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// aedes' own default store, taken from where aedes finds it (it is aedes' dependency, not ours).
const memoryPersistence: () => unknown = createRequire(createRequire(import.meta.url).resolve("aedes"))("aedes-persistence");

export async function aedesBroker(pki: Pki): Promise<TestBroker> {
  const port = await freePort();
  // One store for every start, as a broker restarted with its database would have.
  const persistence = memoryPersistence();
  let broker: InstanceType<typeof Aedes> | undefined;
  let server: Listening | undefined;
  const self: TestBroker = {
    name: "aedes",
    port,
    async start() {
      broker = new Aedes({ persistence });
      const b = broker;
      const tlsServer = tls.createServer({ key: pki.server.keyPem, cert: pki.server.certPem, ca: pki.ca.certPem, requestCert: true, rejectUnauthorized: true },
        (socket) => {
          socket.setNoDelay(true); // as mosquitto does; otherwise each reply waits for a delayed ACK
          b.handle(socket);
        });
      // listen() ignores refused clients' handshake errors: a refused client is what some tests want.
      server = await listen(tlsServer, port, "127.0.0.1");
    },
    async stop() {
      if (!server) return;
      const s = server;
      server = undefined;
      await s.close();
      await new Promise<void>((resolve) => broker!.close(() => resolve()));
    },
    async close() {
      await self.stop();
    },
  };
  await self.start();
  return self;
}

export function mosquittoPath(): string | null {
  for (const p of ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"]) if (existsSync(p)) return p;
  const which = spawnSync("sh", ["-c", "command -v mosquitto"], { encoding: "utf8" });
  return which.status === 0 ? which.stdout.trim() : null;
}

export async function mosquittoBroker(pki: Pki): Promise<TestBroker> {
  const bin = mosquittoPath();
  if (!bin) throw new Error("mosquitto is not installed");
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "mqtt-mosquitto-"));
  for (const [name, pem] of [["ca.pem", pki.ca.certPem], ["server.pem", pki.server.certPem], ["server.key", pki.server.keyPem]]) {
    writeFileSync(join(dir, name), pem, { mode: 0o644 });
  }
  writeFileSync(join(dir, "mosquitto.conf"), [
    // Started as root it would switch to the user "mosquitto" and lose access to the key.
    ...(process.getuid?.() === 0 ? ["user root"] : []),
    "per_listener_settings false",
    "allow_anonymous true",
    "persistence true",
    `persistence_location ${dir}/`,
    "log_dest stderr",
    "log_type error",
    "log_type warning",
    `listener ${port} 127.0.0.1`,
    `cafile ${join(dir, "ca.pem")}`,
    `certfile ${join(dir, "server.pem")}`,
    `keyfile ${join(dir, "server.key")}`,
    "require_certificate true",
    "",
  ].join("\n"));
  let child: ChildProcess | undefined;
  let log = "";
  const self: TestBroker = {
    name: "mosquitto",
    port,
    async start() {
      child = spawn(bin, ["-c", join(dir, "mosquitto.conf")], { stdio: ["ignore", "ignore", "pipe"] });
      child.stderr!.on("data", (d) => (log += d));
      const exited = new Promise<never>((_, reject) => child!.once("exit", (code) => reject(new Error(`mosquitto exited (${code}): ${log}`))));
      await Promise.race([waitForPort(port, 5000), exited]);
      exited.catch(() => {});
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      const c = child;
      const exited = new Promise((resolve) => c.once("exit", resolve));
      c.kill("SIGTERM"); // it saves its persistence file on the way out
      await exited;
    },
    async close() {
      await self.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await self.start();
  return self;
}

/**
 * A TCP relay in front of a broker. silence() makes every open connection stop
 * forwarding in both directions while staying open (a dead link the OS does not
 * notice); connections made afterwards are relayed normally.
 */
export async function silenceableProxy(targetPort: number): Promise<{ port: number; silence(): void; close(): Promise<void> }> {
  const links: { silent: boolean; a: net.Socket; b: net.Socket }[] = [];
  const server = net.createServer((a) => {
    const b = net.connect(targetPort, "127.0.0.1");
    const link = { silent: false, a, b };
    links.push(link);
    a.on("data", (d) => { if (!link.silent) b.write(d); });
    b.on("data", (d) => { if (!link.silent) a.write(d); });
    // While silent, a close is not passed on either.
    a.on("close", () => { if (!link.silent) b.destroy(); });
    b.on("close", () => { if (!link.silent) a.destroy(); });
    a.on("error", () => {});
    b.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    silence() {
      for (const l of links) l.silent = true;
    },
    async close() {
      for (const l of links) { l.a.destroy(); l.b.destroy(); }
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
