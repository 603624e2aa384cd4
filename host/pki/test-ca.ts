// A throwaway certificate authority for tests: RSA keys (the board's TLS only
// does RSA key exchange), a server certificate for 127.0.0.1/localhost and
// client certificates, as PEM for Node and as DER byte strings for the board.
import { generateKeyPairSync } from "node:crypto";
import forge from "node-forge";

export interface Identity {
  keyPem: string;
  certPem: string;
  /** DER as a byte string (one char per byte), as the interpreter's tls takes it. */
  keyDer: string;
  certDer: string;
}

export interface TestCa extends Identity {
  issue(commonName: string, kind: "server" | "client"): Identity;
}

function rsaKey(): { pem: string; der: string } {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    pem: privateKey.export({ format: "pem", type: "pkcs1" }) as string,
    der: (privateKey.export({ format: "der", type: "pkcs1" }) as Buffer).toString("latin1"),
  };
}

function makeCert(subjectCn: string, publicKeyPem: string, issuer: { cn: string; keyPem: string }, kind: "ca" | "server" | "client"): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  cert.serialNumber = "0" + forge.util.bytesToHex(forge.random.getBytesSync(8));
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  cert.setSubject([{ name: "commonName", value: subjectCn }]);
  cert.setIssuer([{ name: "commonName", value: issuer.cn }]);
  const extensions: object[] = [{ name: "basicConstraints", cA: kind === "ca" }];
  if (kind === "server") extensions.push({ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }, { type: 2, value: "localhost" }] });
  if (kind !== "ca") extensions.push({ name: "extKeyUsage", serverAuth: kind === "server", clientAuth: kind === "client" });
  cert.setExtensions(extensions);
  cert.sign(forge.pki.privateKeyFromPem(issuer.keyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

function identity(key: { pem: string; der: string }, certPem: string): Identity {
  const der = forge.asn1.toDer(forge.pki.certificateToAsn1(forge.pki.certificateFromPem(certPem))).getBytes();
  return { keyPem: key.pem, keyDer: key.der, certPem, certDer: der };
}

function publicPem(privatePem: string): string {
  const key = forge.pki.privateKeyFromPem(privatePem);
  return forge.pki.publicKeyToPem(forge.pki.setRsaPublicKey(key.n, key.e));
}

export function createTestCa(name = "Test CA"): TestCa {
  const caKey = rsaKey();
  const caCert = makeCert(name, publicPem(caKey.pem), { cn: name, keyPem: caKey.pem }, "ca");
  return {
    ...identity(caKey, caCert),
    issue(commonName, kind) {
      const key = rsaKey();
      const cert = makeCert(commonName, publicPem(key.pem), { cn: name, keyPem: caKey.pem }, kind);
      return identity(key, cert);
    },
  };
}
