// The manifest byte for byte as docs/signing.md states it, and the host's
// signer: what it signs is that manifest, verifiable by node:crypto alone,
// and it refuses what the board would refuse.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "../../host/signing/host-crypto.ts";
import { manifestText, readTrustAnchor, signatureFieldsProblem } from "../../firmware/fota/manifest.ts";
import { createKeyPair, SigningError, trustAnchorFor, type CreatedKeyPair } from "../../host/signing/keys.ts";
import { signImage } from "../../host/signing/sign.ts";
import { specDigest, testImage } from "./vectors.ts";

let dir: string;
let key: CreatedKeyPair;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "signing-manifest-"));
  key = createKeyPair(join(dir, "owner"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("the manifest is six ASCII lines in the spec's order, each ending in one line feed", () => {
  const digest = "ab".repeat(32);
  const text = manifestText("esp32", 53871, digest, "2.0.0", 4294967295);
  assert.equal(text, `fota-manifest-1\nboard=esp32\nsize=53871\ndigest=${digest}\nversion=2.0.0\ncounter=4294967295\n`);
  assert.deepEqual([...Buffer.from(text, "latin1")].filter((b) => b < 0x20 || b > 0x7e), [10, 10, 10, 10, 10, 10]);
  assert.equal(manifestText("linux", 1, digest, "", 0).split("\n")[4], "version=");
});

test("a malformed signature field is refused naming the field and its rule; a missing signature is signature-missing", () => {
  const fields = { bc_digest: "ab".repeat(32), bc_counter: 1, bc_key: "0123456789abcdef", "sig-sha256-rsa": "AAAA" };
  assert.equal(signatureFieldsProblem(fields), undefined);
  assert.deepEqual(signatureFieldsProblem({ ...fields, bc_counter: -1 }), { ok: false, refusal: "malformed-field", reason: "malformed-field: bc_counter is not an integer 0..4294967295", field: "bc_counter" });
  assert.equal(signatureFieldsProblem({ ...fields, "sig-sha256-rsa": "AAA=A" })?.field, "sig-sha256-rsa");
  assert.equal(signatureFieldsProblem({ ...fields, "sig-sha256-rsa": "A===" })?.field, "sig-sha256-rsa");
  assert.deepEqual(signatureFieldsProblem({ ...fields, "sig-sha256-rsa": undefined }), { ok: false, refusal: "signature-missing", reason: "signature-missing: no sig-sha256-rsa" });
});

test("signImage signs the spec's manifest of the image: node:crypto verifies it with the public key alone", () => {
  const image = testImage(12345);
  const s = signImage(image, { board: "esp32", version: "1.2.3", counter: 9, keyPath: key.privatePath });
  assert.equal(s.bc_digest, specDigest(image));
  assert.equal(s.manifest, `fota-manifest-1\nboard=esp32\nsize=12345\ndigest=${specDigest(image)}\nversion=1.2.3\ncounter=9\n`);
  const publicKey = createPublicKey(readFileSync(key.publicPath, "utf8"));
  assert.ok(verify("sha256", Buffer.from(s.manifest), publicKey, Buffer.from(s["sig-sha256-rsa"], "base64")));
  assert.equal(Buffer.from(s["sig-sha256-rsa"], "base64").length, 256);
  assert.equal(s.bc_key, key.keyId);
  assert.equal(s.bc_counter, 9);
  assert.equal(signatureFieldsProblem({ ...s }), undefined);
});

test("the key id is the first 8 bytes of SHA-256 over the modulus, and fota.pub carries it with the modulus", () => {
  const n = Buffer.from(createPublicKey(readFileSync(key.publicPath, "utf8")).export({ format: "jwk" }).n!, "base64url");
  assert.equal(key.keyId, createHash("sha256").update(n).digest("hex").slice(0, 16));
  const anchor = JSON.parse(trustAnchorFor(key.publicPath));
  assert.deepEqual(Object.keys(anchor), ["kid", "n"]);
  assert.equal(anchor.kid, key.keyId);
  assert.deepEqual(Buffer.from(anchor.n, "base64"), n);
  const read = readTrustAnchor(anchor);
  assert.ok(read.ok && read.anchor.kid === key.keyId);
  // A private key file also holds the public key: fota flash may be given either.
  assert.equal(trustAnchorFor(key.privatePath), trustAnchorFor(key.publicPath));
});

test("signImage refuses what no board accepts: long or non-ASCII versions, counters out of range, empty images", () => {
  const sign = (image: Uint8Array, version: string, counter: number) => () => signImage(image, { board: "esp32", version, counter, keyPath: key.privatePath });
  assert.throws(sign(testImage(10), "v".repeat(21), 1), (e: Error) => e instanceof SigningError && /cannot sign: bc_version "v+" is longer than 20 characters/.test(e.message));
  assert.throws(sign(testImage(10), "1.0\n", 1), /cannot sign: bc_version .* not printable ASCII/);
  assert.throws(sign(testImage(10), "1.0", -1), /security counter -1 is not an integer 0..4294967295/);
  assert.throws(sign(testImage(10), "1.0", 4294967296), SigningError);
  assert.throws(sign(testImage(10), "1.0", 1.5), SigningError);
  assert.throws(sign(new Uint8Array(0), "1.0", 1), /the image is empty/);
});

test("signImage and trustAnchorFor refuse keys the board cannot use, naming the file", () => {
  const write = (name: string, pem: string) => {
    const path = join(dir, name);
    writeFileSync(path, pem);
    return path;
  };
  const pem = (k: ReturnType<typeof generateKeyPairSync>["privateKey"]) => k.export({ format: "pem", type: "pkcs8" }) as string;
  const small = write("small.key.pem", pem(generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey));
  const e3 = write("e3.key.pem", pem(generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 3 }).privateKey));
  const ec = write("ec.key.pem", pem(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey));
  const garbage = write("garbage.key.pem", "not a key");
  const request = (keyPath: string) => () => signImage(testImage(10), { board: "esp32", version: "1", counter: 1, keyPath });
  assert.throws(request(small), /small\.key\.pem: the key must be RSA-2048 or RSA-3072, not 1024 bits/);
  assert.throws(request(e3), /e3\.key\.pem: the public exponent must be 65537/);
  assert.throws(request(ec), /ec\.key\.pem is not an RSA key \(it is ec\)/);
  assert.throws(request(garbage), /garbage\.key\.pem is not a PEM private key/);
  assert.throws(request(join(dir, "missing.key.pem")), /cannot read the key .*missing\.key\.pem: ENOENT/);
  assert.throws(() => trustAnchorFor(garbage), /garbage\.key\.pem is not a PEM public key/);
});
