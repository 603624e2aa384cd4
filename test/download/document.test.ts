// The FOTA job document validator: every field's rule and its named reason.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkFotaDocument, type SlotContext } from "../../firmware/fota/document.ts";
import { loadBoard } from "../../host/toolchain/board.ts";

const slots = loadBoard("linux").layout.slots;
const context: SlotContext = { slots, runningSlot: 0 };
const good = { operation: "fota", bc_idx: 1, bc_size: 1000, bc_crc: "0123456789ABCDEFabcdef0123456789", bc_url: "https://bucket.s3.amazonaws.com/app.js?X-Amz-Signature=1" };

function problems(doc: object, ctx = context): string[] {
  const r = checkFotaDocument(doc, ctx);
  return r.ok ? [] : r.problems.map((p) => `${p.field}: ${p.reason}`);
}

test("a good document passes, normalized (MD5 lower case, numeric strings as numbers)", () => {
  assert.deepEqual(checkFotaDocument(good, context), { ok: true, document: { ...good, bc_crc: good.bc_crc.toLowerCase(), bc_version: "", signature: null } });
  const r = checkFotaDocument({ ...good, bc_idx: "1", bc_size: "1000" }, context);
  assert.ok(r.ok && r.document.bc_idx === 1 && r.document.bc_size === 1000);
});

test("bc_idx: an integer slot of this board, not the running one", () => {
  assert.deepEqual(problems({ ...good, bc_idx: 0 }), ["bc_idx: bc_idx 0 is the running slot"]);
  assert.deepEqual(problems({ ...good, bc_idx: 2 }), ["bc_idx: bc_idx 2 is not a slot of this board (it has 2: 0..1)"]);
  assert.deepEqual(problems({ ...good, bc_idx: -1 }), ["bc_idx: bc_idx -1 is not a slot of this board (it has 2: 0..1)"]);
  assert.deepEqual(problems({ ...good, bc_idx: 1.5 }), ["bc_idx: bc_idx 1.5 is not a slot index (an integer 0..1)"]);
  assert.deepEqual(problems({ ...good, bc_idx: "auto" }), ['bc_idx: bc_idx "auto" is not a slot index (an integer 0..1)']);
});

test('bc_idx "auto" only when the job flow allows it: the first slot not running', () => {
  const r = checkFotaDocument({ ...good, bc_idx: "auto" }, { ...context, allowAutoSlot: true });
  assert.ok(r.ok && r.document.bc_idx === 1);
  const r2 = checkFotaDocument({ ...good, bc_idx: "auto" }, { slots, runningSlot: 1, allowAutoSlot: true });
  assert.ok(r2.ok && r2.document.bc_idx === 0);
});

test("bc_size: a positive integer no larger than the slot", () => {
  assert.deepEqual(problems({ ...good, bc_size: 0 }), ["bc_size: bc_size 0 is not a positive integer"]);
  assert.deepEqual(problems({ ...good, bc_size: 10.5 }), ["bc_size: bc_size 10.5 is not a positive integer"]);
  assert.deepEqual(problems({ ...good, bc_size: slots[1].size + 1 }), [`bc_size: bc_size ${slots[1].size + 1} is larger than slot slot1 (${slots[1].size} bytes)`]);
  assert.deepEqual(problems({ ...good, bc_size: slots[1].size }), []);
});

test("bc_crc: exactly 32 hex digits", () => {
  for (const bad of ["0123", good.bc_crc + "0", good.bc_crc.slice(0, 31) + "g", 12345]) {
    assert.deepEqual(problems({ ...good, bc_crc: bad }), [`bc_crc: bc_crc ${JSON.stringify(bad)} is not an MD5 (32 hex digits)`]);
  }
});

test("bc_url: https only", () => {
  assert.deepEqual(problems({ ...good, bc_url: "http://bucket/app.js" }), ['bc_url: bc_url "http://bucket/app.js" is not an https URL']);
  assert.deepEqual(problems({ ...good, bc_url: "https:///app.js" }), ['bc_url: bc_url "https:///app.js" is not an https URL']);
  assert.deepEqual(problems({ ...good, bc_url: undefined }), ["bc_url: bc_url undefined is not an https URL"]);
});

test("bc_version: absent, or at most 20 printable ASCII characters (what the boot record keeps)", () => {
  const r = checkFotaDocument({ ...good, bc_version: "2.0.0" }, context);
  assert.ok(r.ok && r.document.bc_version === "2.0.0");
  const none = checkFotaDocument(good, context);
  assert.ok(none.ok && none.document.bc_version === "");
  assert.deepEqual(problems({ ...good, bc_version: "x".repeat(20) }), []);
  assert.deepEqual(problems({ ...good, bc_version: "x".repeat(21) }), [`bc_version: bc_version "${"x".repeat(21)}" is longer than 20 characters`]);
  assert.deepEqual(problems({ ...good, bc_version: 2 }), ["bc_version: bc_version 2 is not a string"]);
  assert.deepEqual(problems({ ...good, bc_version: "2.0\n" }), ['bc_version: bc_version "2.0\\n" has a character that is not printable ASCII at 3']);
});

test("every wrong field is named at once; not an object, not fota", () => {
  const r = checkFotaDocument({ operation: "reboot", bc_idx: 0, bc_size: -1, bc_crc: "", bc_url: "ftp://x" }, context);
  assert.ok(!r.ok);
  assert.deepEqual(r.problems.map((p) => p.field), ["operation", "bc_idx", "bc_size", "bc_crc", "bc_url"]);
  assert.match(r.reason, /^operation "reboot" is not "fota"; bc_idx 0 is the running slot; /);
  assert.deepEqual(problems(null as unknown as object), ["document: the job document is not an object"]);
});
