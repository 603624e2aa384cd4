// The project's certificate authority, made with node-forge: the bench keeps
// one in its data folder (host/bench/ca.ts), tests and benchmarks make
// throwaway ones. Everything is RSA because the interpreter's mbedtls build
// only offers RSA and DHE-RSA key exchange (an ECDSA server fails with "no
// shared cipher"). Keys and certificates come as PEM for Node and as DER byte
// strings (one char per byte, i.e. atob of the PEM body): what the
// interpreter's tls module takes.
import { generateKeyPair, privateEncrypt, constants, randomBytes } from "node:crypto";
import forge from "node-forge";

const { pki } = forge;

export interface Certificate {
  certPem: string;
  /** DER as a byte string. */
  certDer: string;
}

/** A key and its certificate. */
export interface Identity extends Certificate {
  /** PKCS#1 RSA private key. */
  keyPem: string;
  keyDer: string;
}

/** What a server certificate names when no host names are given. */
export const LOCAL_HOSTNAMES: readonly string[] = ["localhost", "127.0.0.1"];

const DAY_MS = 24 * 3600 * 1000;
const TEN_YEARS_MS = 3650 * DAY_MS;
// DER prefix of a PKCS#1 v1.5 DigestInfo for SHA-256 (RFC 8017 §9.2 note 1).
const SHA256_DIGEST_INFO = Buffer.from("3031300d060960864801650304020105000420", "hex");

export class CertificateAuthority {
  private constructor(
    /** The CA's own key and self-signed certificate. */
    readonly identity: Identity,
    /** RSA size of the keys this CA makes. */
    private readonly keyBits: number,
  ) {}

  /** A new CA with a new key. */
  static async create(commonName: string, keyBits = 2048): Promise<CertificateAuthority> {
    const key = await newKeyPem(keyBits);
    const subject = [{ name: "commonName", value: commonName }];
    const certPem = signCertificate(key, subject, { subject, keyPem: key.privatePem }, [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
      { name: "subjectKeyIdentifier" },
    ]);
    return new CertificateAuthority(identityFromPem(key.privatePem, certPem), keyBits);
  }

  /** A CA kept elsewhere (the bench's data folder). */
  static fromIdentity(identity: Identity, keyBits = 2048): CertificateAuthority {
    return new CertificateAuthority(identity, keyBits);
  }

  /** A TLS server identity for these host names or IPv4 addresses. */
  issueServer(commonName: string, hostnames: readonly string[] = LOCAL_HOSTNAMES): Promise<Identity> {
    return this.issue(commonName, [
      { name: "subjectAltName", altNames: hostnames.map(altName) },
      { name: "extKeyUsage", serverAuth: true },
    ]);
  }

  /** A TLS client identity (a device's, for mutual TLS). */
  issueClient(commonName: string): Promise<Identity> {
    return this.issue(commonName, [{ name: "extKeyUsage", clientAuth: true }]);
  }

  private async issue(commonName: string, extensions: object[]): Promise<Identity> {
    const key = await newKeyPem(this.keyBits);
    const issuer = { subject: pki.certificateFromPem(this.identity.certPem).subject.attributes, keyPem: this.identity.keyPem };
    const certPem = signCertificate(key, [{ name: "commonName", value: commonName }], issuer, [{ name: "basicConstraints", cA: false }, ...extensions]);
    return identityFromPem(key.privatePem, certPem);
  }
}

/** Both forms of a key and certificate given as PEM. */
export function identityFromPem(keyPem: string, certPem: string): Identity {
  return { keyPem, certPem, keyDer: pemToDer(keyPem).toString("latin1"), certDer: pemToDer(certPem).toString("latin1") };
}

/** The DER bytes inside a single-object PEM. */
export function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
}

/** A DER byte string in base64: how device files and the bench's device API carry it. */
export function derBase64(der: string): string {
  return Buffer.from(der, "latin1").toString("base64");
}

/** Native key generation runs on libuv's thread pool, so many identities can be made at once. */
function newKeyPem(bits: number): Promise<{ privatePem: string; publicPem: string }> {
  return new Promise((resolve, reject) =>
    generateKeyPair(
      "rsa",
      { modulusLength: bits, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs1", format: "pem" } },
      (err, publicPem, privatePem) => (err ? reject(err) : resolve({ privatePem, publicPem })),
    ),
  );
}

function signCertificate(
  key: { publicPem: string },
  subject: forge.pki.CertificateField[],
  issuer: { subject: forge.pki.CertificateField[]; keyPem: string },
  extensions: object[],
): string {
  const cert = pki.createCertificate();
  cert.publicKey = pki.publicKeyFromPem(key.publicPem);
  // Positive serial: clear the top bit.
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  cert.serialNumber = serial.toString("hex");
  cert.validity.notBefore = new Date(Date.now() - DAY_MS);
  cert.validity.notAfter = new Date(Date.now() + TEN_YEARS_MS);
  cert.setSubject(subject);
  cert.setIssuer(issuer.subject);
  cert.setExtensions(extensions);
  cert.sign(nativeSigner(issuer.keyPem), forge.md.sha256.create());
  return pki.certificateToPem(cert);
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
