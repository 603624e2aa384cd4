// `fota keys create` as a user runs it: a child process, real exit codes,
// real files: the private key readable by its owner only, never overwritten.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createPrivateKey, createPublicKey, createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const FOTA = fileURLToPath(new URL("../../host/cli/fota.mjs", import.meta.url));
let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), "signing-keys-"))));
after(() => rmSync(dir, { recursive: true, force: true }));

function fota(...args: string[]) {
  const r = spawnSync(process.execPath, [FOTA, ...args], { cwd: dir, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function keyIdOfPem(path: string): string {
  const n = Buffer.from(createPublicKey(readFileSync(path, "utf8")).export({ format: "jwk" }).n!, "base64url");
  return createHash("sha256").update(n).digest("hex").slice(0, 16);
}

test("fota keys create writes an RSA-2048 pair, the private key mode 0600, and prints the key id", () => {
  const r = fota("keys", "create", "--out", "owner");
  assert.equal(r.code, 0, r.stderr);
  const key = createPrivateKey(readFileSync(join(dir, "owner.key.pem"), "utf8"));
  assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
  assert.equal(key.asymmetricKeyDetails?.publicExponent, 65537n);
  assert.equal(statSync(join(dir, "owner.key.pem")).mode & 0o777, 0o600);
  assert.equal(createPublicKey(readFileSync(join(dir, "owner.pub.pem"), "utf8")).type, "public");
  assert.match(r.stdout, new RegExp(`RSA-2048 key ${keyIdOfPem(join(dir, "owner.pub.pem"))}: private key owner\\.key\\.pem \\(mode 0600`));
});

test("fota keys create --bits 3072 makes a 3072-bit key; the default name is fota-signing", () => {
  const r = fota("keys", "create", "--bits", "3072");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(createPrivateKey(readFileSync(join(dir, "fota-signing.key.pem"), "utf8")).asymmetricKeyDetails?.modulusLength, 3072);
  assert.equal(statSync(join(dir, "fota-signing.key.pem")).mode & 0o777, 0o600);
});

test("fota keys create never overwrites a key file: exit 2, one line, both files unchanged", () => {
  writeFileSync(join(dir, "kept.pub.pem"), "an old public key\n");
  const r = fota("keys", "create", "--out", "kept");
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "fota: kept.pub.pem exists: a key is never overwritten (choose another --out)\n");
  assert.equal(readFileSync(join(dir, "kept.pub.pem"), "utf8"), "an old public key\n");
  assert.throws(() => statSync(join(dir, "kept.key.pem")), /ENOENT/);
});

test("fota keys create refuses other key sizes and stray arguments, and --help prints its usage", () => {
  const bits = fota("keys", "create", "--bits", "1024", "--out", "weak");
  assert.equal(bits.code, 2);
  assert.equal(bits.stderr, 'fota: --bits must be 2048 or 3072, got "1024"\n');
  assert.throws(() => statSync(join(dir, "weak.key.pem")), /ENOENT/);
  assert.equal(fota("keys", "create", "extra").code, 2);
  const help = fota("keys", "create", "--help");
  assert.equal(help.code, 0);
  assert.equal(help.stdout, "usage: fota keys create [--bits 2048|3072] [--out NAME]\n");
  assert.match(fota("--help").stdout, /fota keys create \[--bits 2048\|3072\] \[--out NAME\]/);
});
