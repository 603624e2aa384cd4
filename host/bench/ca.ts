// The bench certificate authority: made on first run (host/pki/ca.ts) and kept
// in the data folder, so devices provisioned once keep working across
// restarts. Each thing gets its own key and certificate, written as PEM (for
// Node tools) and as DER-in-base64 (what a device file holds).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { storageFiles } from "../cli/device-config.ts";
import { CertificateAuthority, derBase64, type Identity, identityFromPem, LOCAL_HOSTNAMES } from "../pki/ca.ts";

/** A thing's identity, its AWS IoT certificateId, and the CA that signs the bench's server certificates. */
export interface ThingCredentials extends Identity {
  thingName: string;
  /** SHA-256 of the DER certificate in hex: AWS IoT's certificateId. */
  certificateId: string;
  caPem: string;
  caDer: string;
}

export const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;

export class BenchCa {
  private constructor(
    private readonly dir: string,
    private readonly authority: CertificateAuthority,
    /** The TLS server identity of the broker and object store. */
    readonly server: Identity,
  ) {}

  /** The CA's own key and certificate. */
  get ca(): Identity {
    return this.authority.identity;
  }

  /**
   * Loads the CA from `<dataDir>/ca`, creating it on first run. The server
   * certificate is remade when it does not cover every name in `hostnames`
   * (so a board on the LAN can reach the bench by its address).
   */
  static async open(dataDir: string, hostnames: string[] = [], keyBits = 2048): Promise<BenchCa> {
    const dir = join(dataDir, "ca");
    mkdirSync(dir, { recursive: true });
    const names = [...new Set([...LOCAL_HOSTNAMES, ...hostnames])];
    const kept = readIdentity(dir, "ca");
    const authority = kept ? CertificateAuthority.fromIdentity(kept, keyBits) : await CertificateAuthority.create("FOTA bench CA", keyBits);
    if (!kept) writeIdentity(dir, "ca", authority.identity);
    const sansFile = join(dir, "server-names.json");
    const known: string[] = existsSync(sansFile) ? JSON.parse(readFileSync(sansFile, "utf8")) : [];
    let server = readIdentity(dir, "server");
    if (!server || names.some((n) => !known.includes(n))) {
      server = writeIdentity(dir, "server", await authority.issueServer("FOTA bench server", names));
      writeFileSync(sansFile, JSON.stringify(names));
    }
    return new BenchCa(dataDir, authority, server);
  }

  /** The credentials of `thingName`, issuing them on first request. */
  async thing(thingName: string): Promise<ThingCredentials> {
    if (!THING_NAME.test(thingName)) throw new Error(`invalid thing name "${thingName}"`);
    const dir = join(this.dir, "things", thingName);
    const identity = readIdentity(dir, "thing") ?? writeIdentity(dir, "thing", await this.authority.issueClient(thingName));
    return { thingName, ...identity, certificateId: certificateId(identity), caPem: this.ca.certPem, caDer: this.ca.certDer };
  }
}

/** AWS IoT's certificateId: the SHA-256 of the DER certificate, in hex. */
export function certificateId(identity: Identity): string {
  return createHash("sha256").update(identity.certDer, "latin1").digest("hex");
}

function writeIdentity(dir: string, base: string, identity: Identity): Identity {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${base}-key.pem`), identity.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, `${base}-cert.pem`), identity.certPem);
  writeFileSync(join(dir, `${base}-key.der.b64`), derBase64(identity.keyDer), { mode: 0o600 });
  writeFileSync(join(dir, `${base}-cert.der.b64`), derBase64(identity.certDer));
  return identity;
}

function readIdentity(dir: string, base: string): Identity | undefined {
  const keyFile = join(dir, `${base}-key.pem`);
  const certFile = join(dir, `${base}-cert.pem`);
  if (!existsSync(keyFile) || !existsSync(certFile)) return undefined;
  return identityFromPem(readFileSync(keyFile, "utf8"), readFileSync(certFile, "utf8"));
}

/**
 * The Storage files (firmware/aws/config.ts reads them) of a board provisioned
 * as this thing, reaching the broker at host:port, as byte strings.
 */
export function thingStorageFiles(creds: ThingCredentials, host: string, port: number): Record<string, string> {
  const config = { thingName: creds.thingName, endpoint: host, port, certDerB64: derBase64(creds.certDer), keyDerB64: derBase64(creds.keyDer), caDerB64: derBase64(creds.caDer) };
  return Object.fromEntries(Object.entries(storageFiles(config)).map(([name, bytes]) => [name, bytes.toString("latin1")]));
}
