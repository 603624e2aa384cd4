// `npm run bench:signing`: what signed images cost the board, in one script
// built as the firmware is, run in the simulator and, when ESPRUINO_BIN is
// set, on the interpreter: RSA-2048 (and 3072) verify with E.convolve and, for
// comparison, with the same column sums in plain JavaScript; the hash list
// over 64 KB from a RAM Uint8Array and from a Storage file read back as
// strings; MD5 over the same 64 KB (today's check) for scale; and the
// minified size the verification code adds to an image (target: 4 KB).
// Stretch: ECDSA P-256's cost, from measured 256-bit Montgomery multiplications.
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildDeviceScript } from "../host/toolchain/device-script.ts";
import { runInSimulator } from "../host/conformance/cases.ts";
import { runOnInterpreter } from "../host/interp/folder.ts";
import { xorshiftBytes } from "./xorshift.ts";
import { specDigest } from "./hash-list-reference.ts";
import { scriptArgs } from "../host/script-args.ts";

scriptArgs("npm run bench:signing: in the simulator and, when ESPRUINO_BIN names the Espruino Linux binary, on the interpreter", {});

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SIZE = 64 * 1024;
/** Pieces the RAM bytes are fed in: the Linux board's flash page, as the slot writer reads it back. */
const PIECE = 1024;
const MARK = "SIGNINGBENCH ";
const SIZE_TARGET = 4096;
/** P-256's prime, 2^256 - 2^224 + 2^192 + 2^96 - 1. */
const P256 = "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff";
/**
 * The 256-bit exponentiation that firmware/crypto/rsa.ts runs for a 32-byte
 * modulus: 18 Montgomery multiplications and 13 word shifts (a fifth of one
 * each), so about 20.6 multiplications.
 */
const MULTIPLICATIONS_IN_256_BIT_RUN = 18 + 13 / 5;
/**
 * Field multiplications in one ECDSA P-256 verify: u1 G + u2 Q by Shamir's
 * trick in Jacobian coordinates, 256 doublings (8 each) and about 192 mixed
 * additions (11 each), plus three inversions by exponentiation (about 270
 * each; the one mod the group order costs the same).
 */
const MULTIPLICATIONS_IN_ECDSA_P256 = 256 * 8 + 192 * 11 + 3 * 270;

interface Timed {
  seconds: number;
  result: string;
}
interface Result {
  rsa2048: Timed;
  rsa2048js: Timed;
  rsa3072: Timed;
  mont256: Timed;
  hashRam: Timed;
  hashStorage: Timed;
  md5: Timed;
}

function entry(vectors: Record<string, { n: string; s: string; h: string }>): string {
  const module = (path: string) => JSON.stringify(join(ROOT, path));
  return `
import { hashList } from ${module("firmware/crypto/hash-list.ts")};
import { verifyPkcs1Sha256, provideConvolve } from ${module("firmware/crypto/rsa.ts")};
import { Md5 } from ${module("firmware/crypto/md5.ts")};
var V = ${JSON.stringify(vectors)};
function un(h) { var u = new Uint8Array(h.length / 2); for (var i = 0; i < u.length; i++) u[i] = parseInt(h.substr(2 * i, 2), 16); return u; }
function best(runs, fn) {
  var r = { seconds: 1e9, result: "" };
  for (var i = 0; i < runs; i++) { var t0 = getTime(), out = fn(); r.seconds = Math.min(r.seconds, getTime() - t0); r.result = String(out); }
  return r;
}
function verify(v) { return function () { return verifyPkcs1Sha256(un(v.n), un(v.s), un(v.h)); }; }
/** E.convolve's sum in JavaScript, for the comparison. */
function plainConvolve(a, b, offset) {
  var n = b.length, j = offset % n, sum = 0;
  if (j < 0) j += n;
  for (var i = 0; i < a.length; i++) { sum += a[i] * b[j]; if (++j === n) j = 0; }
  return sum;
}
var data = new Uint8Array(${SIZE}), s = 2463534242 | 0;
for (var i = 0; i < data.length; i++) { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; data[i] = s & 255; }
var out = {};
out.rsa2048 = best(3, verify(V.rsa2048));
out.rsa3072 = best(2, verify(V.rsa3072));
out.mont256 = best(3, verify(V.p256));
provideConvolve(plainConvolve);
out.rsa2048js = best(1, verify(V.rsa2048));
provideConvolve(E.convolve);
out.hashRam = best(3, function () {
  var h = hashList();
  for (var at = 0; at < data.length; at += ${PIECE}) h.update(data.subarray(at, at + ${PIECE}));
  return h.digest();
});
var S = require("Storage");
for (var at = 0; at < data.length; at += 4096) S.write("bench.img", E.toString(data.subarray(at, at + 4096)), at, data.length);
out.hashStorage = best(3, function () {
  var h = hashList();
  for (var at = 0; at < ${SIZE}; at += 4096) h.update(S.read("bench.img", at, 4096));
  return h.digest();
});
out.md5 = best(2, function () {
  var m = new Md5();
  for (var at = 0; at < data.length; at += ${PIECE}) m.update(data.subarray(at, at + ${PIECE}));
  return m.digest();
});
print(${JSON.stringify(MARK)} + JSON.stringify(out));
print("done");
`;
}

function vector(bits: number) {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: bits });
  const message = Buffer.from(`fota-manifest-1\nboard=esp32\n`);
  return {
    n: Buffer.from(publicKey.export({ format: "jwk" }).n!, "base64url").toString("hex"),
    s: sign("sha256", message, privateKey).toString("hex"),
    h: createHash("sha256").update(message).digest("hex"),
  };
}

/** Minified bytes the verification code adds to an image that already has MD5 and its byte helpers. */
async function addedSize(dir: string): Promise<{ added: number; parts: Record<string, number> }> {
  const base = `import { Md5 } from ${JSON.stringify(join(ROOT, "firmware/crypto/md5.ts"))}; global.m = Md5;\n`;
  const size = async (name: string, code: string) => {
    const path = join(dir, `${name}.js`);
    writeFileSync(path, base + code);
    return (await buildDeviceScript(path)).length;
  };
  const baseline = await size("baseline", "");
  const parts: Record<string, number> = {
    "hash list": (await size("hash-list", `import { hashList } from ${JSON.stringify(join(ROOT, "firmware/crypto/hash-list.ts"))}; global.x = hashList;`)) - baseline,
    rsa: (await size("rsa", `import { verifyPkcs1Sha256 } from ${JSON.stringify(join(ROOT, "firmware/crypto/rsa.ts"))}; global.x = verifyPkcs1Sha256;`)) - baseline,
  };
  const all = await size(
    "all",
    `import { verifySignature, readTrustAnchor } from ${JSON.stringify(join(ROOT, "firmware/fota/manifest.ts"))};
import { hashList } from ${JSON.stringify(join(ROOT, "firmware/crypto/hash-list.ts"))};
global.x = [verifySignature, readTrustAnchor, hashList];`,
  );
  parts["manifest and verdict"] = all - baseline - parts["hash list"] - parts.rsa;
  return { added: all - baseline, parts };
}

function parse(lines: string[], where: string): Result {
  const line = lines.find((l) => l.startsWith(MARK));
  if (!line) throw new Error(`${where}: no result line in its output:\n${lines.join("\n")}`);
  return JSON.parse(line.slice(MARK.length)) as Result;
}

function report(where: string, r: Result, expected: { digest: string; md5: string }): boolean {
  const rate = (t: Timed) => `${(SIZE / t.seconds / 1e6).toFixed(1)} MB/s`;
  const correct =
    r.rsa2048.result === "valid" && r.rsa2048js.result === "valid" && r.rsa3072.result === "valid" &&
    r.hashRam.result === expected.digest && r.hashStorage.result === expected.digest && r.md5.result === expected.md5;
  console.log(`${where}:`);
  console.log(`  RSA-2048 verify  E.convolve ${r.rsa2048.seconds.toFixed(3)} s, plain JavaScript ${r.rsa2048js.seconds.toFixed(3)} s (${(r.rsa2048js.seconds / r.rsa2048.seconds).toFixed(2)}x the E.convolve time)`);
  console.log(`  RSA-3072 verify  E.convolve ${r.rsa3072.seconds.toFixed(3)} s (${(r.rsa3072.seconds / r.rsa2048.seconds).toFixed(2)}x RSA-2048)`);
  const multiplication = r.mont256.seconds / MULTIPLICATIONS_IN_256_BIT_RUN;
  const ecdsa = multiplication * MULTIPLICATIONS_IN_ECDSA_P256;
  console.log(`  P-256 field      a 256-bit Montgomery multiplication ${(multiplication * 1000).toFixed(2)} ms: an ECDSA P-256 verify (about ${MULTIPLICATIONS_IN_ECDSA_P256} of them) about ${ecdsa.toFixed(2)} s, ${(ecdsa / r.rsa2048.seconds).toFixed(0)}x RSA-2048`);
  console.log(`  hash list 64 KB  RAM Uint8Array in ${PIECE}-byte pieces ${rate(r.hashRam)} (${(r.hashRam.seconds * 1000).toFixed(1)} ms), Storage read back in 4096-byte strings ${rate(r.hashStorage)} (${(r.hashStorage.seconds * 1000).toFixed(1)} ms)`);
  console.log(`  MD5 64 KB (today's check, for scale) ${r.md5.seconds.toFixed(3)} s: hash list + RSA-2048 verify = ${((r.hashRam.seconds + r.rsa2048.seconds) / r.md5.seconds).toFixed(2)}x the MD5 time`);
  if (!correct) console.log(`  WRONG RESULT: ${JSON.stringify(r)} (expected digest ${expected.digest}, MD5 ${expected.md5})`);
  return correct;
}

const dir = mkdtempSync(join(tmpdir(), "signing-bench-"));
try {
  const entryPath = join(dir, "entry.js");
  // The 256-bit run's signature is any number below the prime; its verdict does not matter.
  const p256 = { n: P256, s: "7".repeat(64), h: "00".repeat(32) };
  writeFileSync(entryPath, entry({ rsa2048: vector(2048), rsa3072: vector(3072), p256 }));
  const code = await buildDeviceScript(entryPath);
  const data = xorshiftBytes(SIZE, 2463534242);
  const expected = { digest: specDigest(data), md5: createHash("md5").update(data).digest("hex") };
  const size = await addedSize(dir);
  console.log(`verification code (hash list + RSA + manifest and verdict) adds ${size.added} bytes minified (target ${SIZE_TARGET}): ${Object.entries(size.parts).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  // The simulated ESP32: its Storage has room for the 64 KB file.
  let ok = report("simulator (esp32 board; V8's times say nothing of the board's, the results must match)", parse(await runInSimulator(code, "done", 600_000, "esp32"), "the simulator"), expected);
  const bin = process.env.ESPRUINO_BIN;
  if (bin) ok = report("interpreter", parse(runOnInterpreter(bin, code, 600_000), "the interpreter"), expected) && ok;
  else console.log("interpreter: skipped, set ESPRUINO_BIN to the Espruino Linux binary to measure it");
  if (size.added > SIZE_TARGET) console.log(`size: ${size.added - SIZE_TARGET} bytes over the ${SIZE_TARGET}-byte target`);
  if (!ok) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
