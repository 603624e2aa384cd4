// The verification code on the board: the hash list, RSA-2048 and RSA-3072
// verify (signatures made by node:crypto, valid and malformed) and the whole
// verdict on signed documents, built as the firmware is and run in the
// simulator and on the interpreter (ESPRUINO_BIN). Node runs the same verdicts
// with the same code as the reference for the sentences.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildDeviceScript } from "../../host/toolchain/device-script.ts";
import { runInSimulator } from "../../host/conformance/cases.ts";
import { runOnInterpreter } from "../../host/interp/folder.ts";
import { convolve } from "../../host/sim/crypto.ts";
import { provideConvolve } from "../../firmware/crypto/rsa.ts";
import { readTrustAnchor, verifySignature, documentVerdict, type SignedDocument, type TrustAnchor } from "../../firmware/fota/manifest.ts";
import { createKeyPair, trustAnchorFor } from "../../host/signing/keys.ts";
import { signImage } from "../../host/signing/sign.ts";
import { CHUNKS, SIZES, signatureCases, specDigest, testImage, testKey } from "./vectors.ts";

provideConvolve((a, b, offset) => convolve(a, b, offset));
const bin = process.env.ESPRUINO_BIN;
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** What the simulated Linux board's Storage has room for (about 60 KB free). */
const STORAGE_SIZE = 40000;

interface VerifyCase {
  name: string;
  /** Deliberately loose: the cases put wrong types in fields. */
  doc: Record<string, unknown>;
  board: string;
  /** null: checked before the download, without an image digest. */
  digest: string | null;
  min: number;
  refusal: string;
}

let dir: string;
let script: string;
/** The lines the board must print, in order. */
let expected: string[];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "signing-device-"));
  const rsa: { name: string; n: string; s: string; h: string }[] = [];
  const rsaExpected: string[] = [];
  for (const bits of [2048, 3072] as const) {
    const key = testKey(bits), other = testKey(bits);
    const message = Buffer.from(`fota-manifest-1\nboard=linux\nsize=1\n`);
    const hash = (await import("node:crypto")).createHash("sha256").update(message).digest("hex");
    for (const c of signatureCases(key, other, message)) {
      rsa.push({ name: `${bits} ${c.name}`, n: key.modulus.toString("hex"), s: c.signature.toString("hex"), h: hash });
      rsaExpected.push(`rsa ${bits} ${c.name} ${c.expected}`);
    }
  }

  const owner = createKeyPair(join(dir, "owner"));
  const stranger = createKeyPair(join(dir, "stranger"));
  const image = testImage(10000), otherImage = testImage(5000, 99);
  const flipped = image.slice();
  flipped[4321] ^= 1;
  const signed = (img: Uint8Array, counter: number, keyPath = owner.privatePath, version = "2.0.0") => {
    const s = signImage(img, { board: "linux", version, counter, keyPath });
    return { bc_size: img.length, bc_version: version, bc_digest: s.bc_digest, bc_counter: s.bc_counter, bc_key: s.bc_key, "sig-sha256-rsa": s["sig-sha256-rsa"] };
  };
  const good = signed(image, 7);
  const digest = specDigest(image);
  const ok = (name: string, doc: VerifyCase["doc"], extra: Partial<VerifyCase> = {}): VerifyCase => ({ name, doc, board: "linux", digest, min: 5, refusal: "ok", ...extra });
  const refused = (refusal: string, name: string, doc: VerifyCase["doc"], extra: Partial<VerifyCase> = {}): VerifyCase => ({ ...ok(name, doc, extra), refusal });
  const verify: VerifyCase[] = [
    ok("correctly signed", good),
    ok("correctly signed, before the download", good, { digest: null }),
    refused("counter-too-low", "an older signed image, before the download", signed(image, 4), { digest: null }),
    refused("unknown-key", "signed by another key, before the download", signed(image, 7, stranger.privatePath), { digest: null }),
    ok("counter 4294967295 with minimum 4294967295", signed(image, 4294967295), { min: 4294967295 }),
    ok("empty version", signed(image, 7, owner.privatePath, "")),
    refused("digest-mismatch", "one flipped byte in the image", good, { digest: specDigest(flipped) }),
    refused("signature-invalid", "size changed", { ...good, bc_size: 10001 }),
    refused("signature-invalid", "version changed", { ...good, bc_version: "2.0.1" }),
    refused("signature-invalid", "version removed", { ...good, bc_version: undefined }),
    refused("signature-invalid", "counter changed", { ...good, bc_counter: 8 }),
    refused("signature-invalid", "image for another board", good, { board: "esp32" }),
    refused("signature-invalid", "digest of another image", { ...good, bc_digest: specDigest(otherImage) }, { digest: specDigest(otherImage) }),
    refused("signature-invalid", "signature of another image", { ...good, "sig-sha256-rsa": signed(otherImage, 7)["sig-sha256-rsa"] }),
    refused("signature-invalid", "another key's signature under this key's id", { ...good, "sig-sha256-rsa": signed(image, 7, stranger.privatePath)["sig-sha256-rsa"] }),
    refused("unknown-key", "signed by another key", signed(image, 7, stranger.privatePath)),
    refused("counter-too-low", "older signed image replayed", signed(image, 3), { min: 5 }),
    refused("signature-missing", "unsigned document", { ...good, "sig-sha256-rsa": undefined }),
    refused("malformed-field", "bc_digest in upper case", { ...good, bc_digest: good.bc_digest.toUpperCase() }),
    refused("malformed-field", "bc_digest 63 digits", { ...good, bc_digest: good.bc_digest.slice(1) }),
    refused("malformed-field", "bc_digest missing", { ...good, bc_digest: undefined }),
    refused("malformed-field", "bc_counter negative", { ...good, bc_counter: -1 }),
    refused("malformed-field", "bc_counter fractional", { ...good, bc_counter: 7.5 }),
    refused("malformed-field", "bc_counter a string", { ...good, bc_counter: "7" }),
    refused("malformed-field", "bc_counter above 2^32-1", { ...good, bc_counter: 4294967296 }),
    refused("malformed-field", "bc_key 15 digits", { ...good, bc_key: good.bc_key.slice(1) }),
    refused("malformed-field", "signature not base64", { ...good, "sig-sha256-rsa": "@@@@" }),
    refused("malformed-field", "signature base64 cut short", { ...good, "sig-sha256-rsa": good["sig-sha256-rsa"].slice(0, -1) }),
    refused("malformed-field", "signature a number", { ...good, "sig-sha256-rsa": 12345678 }),
    refused("malformed-field", "signature empty", { ...good, "sig-sha256-rsa": "" }),
    refused("signature-invalid", "signature of 255 bytes", { ...good, "sig-sha256-rsa": Buffer.alloc(255, 1).toString("base64") }),
    // Versions the document validator refuses first: past it, they still cannot match a signed manifest.
    refused("signature-invalid", "bc_version of 21 characters", { ...good, bc_version: "v".repeat(21) }),
    refused("signature-invalid", "bc_version with a line feed that forges a counter line", { ...good, bc_version: "2.0.0\ncounter=99" }),
    refused("signature-invalid", "bc_version with a byte above 0x7e", { ...good, bc_version: "2.0.\xe9" }),
  ];
  const anchorText = trustAnchorFor(owner.publicPath);
  const anchorJson = JSON.parse(anchorText);
  const anchors: { name: string; json: unknown }[] = [
    { name: "fota flash's anchor", json: anchorJson },
    { name: "kid of another key", json: { ...anchorJson, kid: stranger.keyId } },
    { name: "n of 255 bytes", json: { ...anchorJson, n: Buffer.from(anchorJson.n, "base64").subarray(1).toString("base64") } },
    { name: "n not base64", json: { ...anchorJson, n: "%%%%" } },
    { name: "no file", json: undefined },
  ];
  const anchor = (readTrustAnchor(anchorJson) as { anchor: TrustAnchor }).anchor;

  // Node, with the simulator's E.convolve: the reference for the sentences.
  const verifyExpected = verify.map((c) => {
    const doc = c.doc as unknown as SignedDocument;
    const verdict = c.digest === null ? documentVerdict(doc, anchor, c.min) : verifySignature(doc, c.board, c.digest, anchor, c.min);
    assert.equal(verdict.ok ? "ok" : verdict.refusal, c.refusal, `Node: ${c.name}`);
    return `verify ${c.name}: ${verdict.ok ? "ok" : verdict.reason}`;
  });
  const anchorExpected = anchors.map((a) => {
    const read = readTrustAnchor(a.json);
    return `anchor ${a.name}: ${read.ok ? "ok " + read.anchor.kid : read.reason}`;
  });
  assert.equal(anchorExpected[0], `anchor fota flash's anchor: ok ${owner.keyId}`);
  assert.ok(anchorExpected.slice(1).every((l) => l.endsWith("unknown-key: fota.pub is unusable")), anchorExpected.join("\n"));

  const hashExpected: string[] = [];
  for (const size of SIZES) {
    const d = specDigest(testImage(size));
    hashExpected.push(`hash ${size} bytes ${d}`, `hash ${size} strings ${d}`);
  }
  hashExpected.push(`hash ${STORAGE_SIZE} storage ${specDigest(testImage(STORAGE_SIZE))}`);
  expected = [...hashExpected, ...rsaExpected, ...verifyExpected, ...anchorExpected, "done"];

  const data = { sizes: SIZES, chunks: CHUNKS, storageSize: STORAGE_SIZE, rsa, verify, anchors, anchorJson };
  const entry = join(dir, "entry.js");
  writeFileSync(
    entry,
    `
import { hashList } from ${JSON.stringify(join(ROOT, "firmware/crypto/hash-list.ts"))};
import { verifyPkcs1Sha256 } from ${JSON.stringify(join(ROOT, "firmware/crypto/rsa.ts"))};
import { readTrustAnchor, verifySignature, documentVerdict } from ${JSON.stringify(join(ROOT, "firmware/fota/manifest.ts"))};
var D = ${JSON.stringify(data)};
function un(h) { var u = new Uint8Array(h.length / 2); for (var i = 0; i < u.length; i++) u[i] = parseInt(h.substr(2 * i, 2), 16); return u; }
function image(size) {
  var out = new Uint8Array(size), s = 2463534242 | 0;
  for (var i = 0; i < size; i++) { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; out[i] = s & 255; }
  return out;
}
D.sizes.forEach(function (size) {
  var data = image(size), asBytes = hashList(), asStrings = hashList();
  for (var at = 0, k = 0; at < size; k++) {
    var end = Math.min(size, at + D.chunks[k % D.chunks.length]);
    asBytes.update(data.subarray(at, end));
    asStrings.update(E.toString(data.subarray(at, end)));
    at = end;
  }
  print("hash " + size + " bytes " + asBytes.digest());
  print("hash " + size + " strings " + asStrings.digest());
});
// Read back from flash as the verifier reads a stored image: Storage strings of a block each.
var S = require("Storage"), stored = image(D.storageSize), fromFlash = hashList();
// (subarray's end within the array: the interpreter does not clamp it and reads past the buffer.)
for (var at = 0; at < D.storageSize; at += 4096) S.write("image", E.toString(stored.subarray(at, Math.min(at + 4096, D.storageSize))), at, D.storageSize);
stored = undefined;
for (at = 0; at < D.storageSize; at += 4096) fromFlash.update(S.read("image", at, Math.min(4096, D.storageSize - at)));
print("hash " + D.storageSize + " storage " + fromFlash.digest());
D.rsa.forEach(function (c) { print("rsa " + c.name + " " + verifyPkcs1Sha256(un(c.n), un(c.s), un(c.h))); });
var anchor = readTrustAnchor(D.anchorJson).anchor;
D.verify.forEach(function (c) {
  var v = c.digest === null ? documentVerdict(c.doc, anchor, c.min) : verifySignature(c.doc, c.board, c.digest, anchor, c.min);
  print("verify " + c.name + ": " + (v.ok ? "ok" : v.reason));
});
D.anchors.forEach(function (a) {
  var r = readTrustAnchor(a.json);
  print("anchor " + a.name + ": " + (r.ok ? "ok " + r.anchor.kid : r.reason));
});
print("done");
`,
  );
  script = await buildDeviceScript(entry);
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** The board's lines that answer a case, in order. */
function answers(lines: string[]): string[] {
  return lines.filter((l) => /^(hash|rsa|verify|anchor) |^done$/.test(l) || l.startsWith("Uncaught"));
}

test("hash list, RSA-2048/3072 verify and signed-document verdicts in the simulator print what the spec and Node say", async () => {
  assert.deepEqual(answers(await runInSimulator(script, "done", 120_000)), expected);
});

test("hash list, RSA-2048/3072 verify and signed-document verdicts on the interpreter print what the spec and Node say", { skip: bin ? false : "ESPRUINO_BIN is not set" }, () => {
  assert.deepEqual(answers(runOnInterpreter(bin!, script, 300_000)), expected);
});
