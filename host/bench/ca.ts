// The bench certificate authority: made with node-forge on first run and kept
// in the data folder. Everything is RSA because the interpreter's mbedtls build
// only offers RSA and DHE-RSA key exchange (an ECDSA server fails with "no
// shared cipher"). Each thing gets its own key and certificate, written as PEM
// (for Node tools) and as DER-in-base64 (the firmware's TLS takes DER bytes as
// a binary string, i.e. atob(base64)).
import { createHash, generateKeyPair, privateEncrypt, constants, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import forge from "node-forge";

const { pki } = forge;

/** One identity: key and certificate, in both the forms the project uses. */
export interface Credentials {
  keyPem: string;
  certPem: string;
  /** base64 of the DER certificate: `atob` of it is what the firmware's TLS wants. */
  certDerB64: string;
  /** base64 of the DER (PKCS#1) private key. */
  keyDerB64: string;
  /** SHA-256 of the DER certificate in hex: AWS IoT's certificateId. */
  certificateId: string;
}

/** A thing's credentials plus the CA that signs the bench's server certificates. */
export interface ThingCredentials extends Credentials {
  thingName: string;
  caPem: string;
  caDerB64: string;
}

export const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
const DEFAULT_HOSTNAMES = ["localhost", "127.0.0.1"];
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;
// DER prefix of a PKCS#1 v1.5 DigestInfo for SHA-256 (RFC 8017 §9.2 note 1).
const SHA256_DIGEST_INFO = Buffer.from("3031300d060960864801650304020105000420", "hex");

export class BenchCa {
  private constructor(
    private readonly dir: string,
    readonly ca: Credentials,
    /** The TLS server identity of the broker and object store. */
    readonly server: Credentials,
    private readonly keyBits: number,
  ) {}

  /**
   * Loads the CA from `<dataDir>/ca`, creating it on first run. The server
   * certificate is remade when it does not cover every name in `hostnames`
   * (so a board on the LAN can reach the bench by its address).
   */
  static async open(dataDir: string, hostnames: string[] = [], keyBits = 2048): Promise<BenchCa> {
    const dir = join(dataDir, "ca");
    mkdirSync(dir, { recursive: true });
    const names = [...new Set([...DEFAULT_HOSTNAMES, ...hostnames])];
    let ca = readCredentials(dir, "ca");
    if (!ca) {
      const keys = await newKeyPair(keyBits);
      const cert = newCertificate(keys.publicKey, [{ name: "commonName", value: "FOTA bench CA" }]);
      cert.setIssuer(cert.subject.attributes);
      cert.setExtensions([
        { name: "basicConstraints", cA: true, critical: true },
        { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
        { name: "subjectKeyIdentifier" },
      ]);
      cert.sign(keys.privateKey, forge.md.sha256.create());
      ca = writeCredentials(dir, "ca", keys.privateKey, cert);
    }
    const sansFile = join(dir, "server-names.json");
    const known: string[] = existsSync(sansFile) ? JSON.parse(readFileSync(sansFile, "utf8")) : [];
    let server = readCredentials(dir, "server");
    if (!server || names.some((n) => !known.includes(n))) {
      server = await issue(ca, keyBits, dir, "server", "FOTA bench server", [
        { name: "subjectAltName", altNames: names.map(altName) },
        { name: "extKeyUsage", serverAuth: true },
      ]);
      writeFileSync(sansFile, JSON.stringify(names));
    }
    return new BenchCa(dataDir, ca, server, keyBits);
  }

  /** The credentials of `thingName`, issuing them on first request. */
  async thing(thingName: string): Promise<ThingCredentials> {
    if (!THING_NAME.test(thingName)) throw new Error(`invalid thing name "${thingName}"`);
    const dir = join(this.dir, "things", thingName);
    const creds =
      readCredentials(dir, "thing") ??
      (await issue(this.ca, this.keyBits, dir, "thing", thingName, [{ name: "extKeyUsage", clientAuth: true }]));
    return { thingName, ...creds, caPem: this.ca.certPem, caDerB64: this.ca.certDerB64 };
  }
}

/** Makes a key and a certificate signed by `ca`, and writes both to `dir`. */
async function issue(ca: Credentials, keyBits: number, dir: string, base: string, commonName: string, extensions: object[]): Promise<Credentials> {
  mkdirSync(dir, { recursive: true });
  const keys = await newKeyPair(keyBits);
  const cert = newCertificate(keys.publicKey, [{ name: "commonName", value: commonName }]);
  cert.setIssuer(pki.certificateFromPem(ca.certPem).subject.attributes);
  cert.setExtensions([{ name: "basicConstraints", cA: false }, ...extensions]);
  cert.sign(nativeSigner(ca.keyPem), forge.md.sha256.create());
  return writeCredentials(dir, base, keys.privateKey, cert);
}

/** Native key generation runs on libuv's thread pool, so many things can be issued at once. */
async function newKeyPair(bits: number): Promise<{ privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey }> {
  const { privateKey, publicKey } = await new Promise<{ privateKey: string; publicKey: string }>((resolve, reject) =>
    generateKeyPair(
      "rsa",
      { modulusLength: bits, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs1", format: "pem" } },
      (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicKey, privateKey })),
    ),
  );
  return { privateKey: pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey, publicKey: pki.publicKeyFromPem(publicKey) as forge.pki.rsa.PublicKey };
}

function newCertificate(publicKey: forge.pki.PublicKey, subject: forge.pki.CertificateField[]): forge.pki.Certificate {
  const cert = pki.createCertificate();
  cert.publicKey = publicKey;
  // Positive serial: clear the top bit.
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  cert.serialNumber = serial.toString("hex");
  cert.validity.notBefore = new Date(Date.now() - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(Date.now() + TEN_YEARS_MS);
  cert.setSubject(subject);
  return cert;
}

/**
 * forge's certificate signing asks the key to sign the digest; signing with
 * Node's crypto instead of forge's JavaScript RSA keeps issuing hundreds of
 * fleet certificates fast.
 */
function nativeSigner(keyPem: string): forge.pki.rsa.PrivateKey {
  const sign = (md: forge.md.MessageDigest): string => {
    const digestInfo = Buffer.concat([SHA256_DIGEST_INFO, Buffer.from(md.digest().getBytes(), "binary")]);
    return privateEncrypt({ key: keyPem, padding: constants.RSA_PKCS1_PADDING }, digestInfo).toString("binary");
  };
  return { sign } as unknown as forge.pki.rsa.PrivateKey;
}

function altName(name: string): { type: number; value?: string; ip?: string } {
  return /^\d+\.\d+\.\d+\.\d+$/.test(name) ? { type: 7, ip: name } : { type: 2, value: name };
}

function writeCredentials(dir: string, base: string, key: forge.pki.rsa.PrivateKey, cert: forge.pki.Certificate): Credentials {
  const creds = toCredentials(pki.privateKeyToPem(key), pki.certificateToPem(cert));
  writeFileSync(join(dir, `${base}-key.pem`), creds.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, `${base}-cert.pem`), creds.certPem);
  writeFileSync(join(dir, `${base}-key.der.b64`), creds.keyDerB64, { mode: 0o600 });
  writeFileSync(join(dir, `${base}-cert.der.b64`), creds.certDerB64);
  return creds;
}

function readCredentials(dir: string, base: string): Credentials | undefined {
  const keyFile = join(dir, `${base}-key.pem`);
  const certFile = join(dir, `${base}-cert.pem`);
  if (!existsSync(keyFile) || !existsSync(certFile)) return undefined;
  return toCredentials(readFileSync(keyFile, "utf8"), readFileSync(certFile, "utf8"));
}

function toCredentials(keyPem: string, certPem: string): Credentials {
  const certDer = pemBody(certPem);
  return {
    keyPem,
    certPem,
    certDerB64: certDer.toString("base64"),
    keyDerB64: pemBody(keyPem).toString("base64"),
    certificateId: createHash("sha256").update(certDer).digest("hex"),
  };
}

/** The DER bytes inside a single-object PEM. */
export function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
}
