// The firmware's MD5 on the real interpreter (ESPRUINO_BIN): byte strings
// with high bytes, chunks that split blocks, views at odd byte offsets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildDeviceScript } from "../../host/toolchain/device-script.ts";
import { runOnInterpreter } from "../../host/interp/folder.ts";
import { xorshiftBytes } from "../../benchmarks/xorshift.ts";

const bin = process.env.ESPRUINO_BIN;
const MD5 = fileURLToPath(new URL("../../firmware/crypto/md5.ts", import.meta.url));
const SIZE = 5000;
/** Chunk lengths, cycled: block-splitting, odd, and longer than a block. */
const CHUNKS = [1, 63, 64, 65, 3, 200, 7, 130];

const ENTRY = `
import { Md5 } from ${JSON.stringify(MD5)};
var data = new Uint8Array(${SIZE});
var s = 88172645;
for (var i = 0; i < data.length; i++) { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; data[i] = s & 255; }
var chunks = ${JSON.stringify(CHUNKS)};
print("abc " + new Md5().update("abc").digest());
var asStrings = new Md5(), asViews = new Md5();
for (var at = 0, k = 0; at < data.length; k++) {
  var end = Math.min(data.length, at + chunks[k % chunks.length]);
  asStrings.update(E.toString(data.subarray(at, end)));
  asViews.update(data.subarray(at, end));
  at = end;
}
print("strings " + asStrings.digest());
print("views " + asViews.digest());
print("whole " + new Md5().update(data).digest());
`;

test("MD5 on the interpreter matches Node's for strings, split blocks and odd offsets", { skip: bin ? false : "ESPRUINO_BIN not set" }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "md5-interp-"));
  try {
    const entry = join(dir, "entry.js");
    writeFileSync(entry, ENTRY);
    const lines = runOnInterpreter(bin!, await buildDeviceScript(entry));
    const expected = createHash("md5").update(xorshiftBytes(SIZE, 88172645)).digest("hex");
    assert.deepEqual(lines.filter((l) => /^(abc|strings|views|whole) /.test(l)), [
      "abc 900150983cd24fb0d6963f7d28e17f72",
      `strings ${expected}`,
      `views ${expected}`,
      `whole ${expected}`,
    ], lines.join("\n"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
