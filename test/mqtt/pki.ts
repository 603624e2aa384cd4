// Certificates made at test time with node-forge: an RSA CA, a server
// certificate for 127.0.0.1/localhost and client certificates. RSA because the
// interpreter's generic mbedtls build offers no ECDSA key exchange.
import forge from "node-forge";

export interface KeyPair {
  /** PEM */
  cert: string;
  key: string;
}

export interface Pki {
  ca: KeyPair;
  server: KeyPair;
  client: KeyPair;
  /** A client certificate from a CA the broker does not trust. */
  stranger: KeyPair;
}

let serial = 1;

function issue(subject: string, issuer: { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey } | null,
  extensions: object[]): { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey; pem: KeyPair } {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = (serial++).toString(16).padStart(2, "0");
  cert.validity.notBefore = new Date(Date.now() - 86_400_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: "commonName", value: subject }]);
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : [{ name: "commonName", value: subject }]);
  cert.setExtensions(extensions);
  cert.sign(issuer ? issuer.key : keys.privateKey, forge.md.sha256.create());
  return { cert, key: keys.privateKey, pem: { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) } };
}

const CA_EXTENSIONS = [{ name: "basicConstraints", cA: true }, { name: "keyUsage", keyCertSign: true, cRLSign: true }];

export function makePki(): Pki {
  const ca = issue("test MQTT CA", null, CA_EXTENSIONS);
  const server = issue("localhost", ca, [
    { name: "basicConstraints", cA: false },
    { name: "extKeyUsage", serverAuth: true },
    { name: "subjectAltName", altNames: [{ type: 2, value: "localhost" }, { type: 7, ip: "127.0.0.1" }] },
  ]);
  const client = issue("test-device", ca, [{ name: "basicConstraints", cA: false }, { name: "extKeyUsage", clientAuth: true }]);
  const otherCa = issue("untrusted CA", null, CA_EXTENSIONS);
  const stranger = issue("stranger", otherCa, [{ name: "basicConstraints", cA: false }, { name: "extKeyUsage", clientAuth: true }]);
  return { ca: ca.pem, server: server.pem, client: client.pem, stranger: stranger.pem };
}

/** DER bytes of a PEM block as a byte string: what the interpreter's tls module takes. */
export function pemToDer(pem: string): string {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64").toString("latin1");
}
