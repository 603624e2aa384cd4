// How a console line is read from the interpreter's raw output: as a terminal
// shows it, so output printed while a line is being typed starts its line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withoutPrompt } from "../../host/sim/console-lines.ts";

test("output printed while a line is being typed: the interpreter moves back over the echo, returns and erases, then prints", () => {
  // As the Linux build wrote it during test/interp/fota.test.ts: 12 characters of a typed line echoed, then an application's print.
  const typed = "(function(){";
  const raw = typed + "\x1b[D".repeat(typed.length) + "\r\x1b[J" + "connected to localhost as interp-board\r";
  assert.equal(withoutPrompt(raw), "connected to localhost as interp-board");
});

test("plain lines keep their text; the prompt, line end and erase codes go", () => {
  assert.equal(withoutPrompt("app 1.0.0 on linux, slot 0\r"), "app 1.0.0 on linux, slot 0");
  assert.equal(withoutPrompt(">=undefined\r"), "=undefined");
  assert.equal(withoutPrompt("\x1b[J>print(1)\r"), "print(1)");
});

test("cursor moves overwrite as on a terminal: back over text, then new text", () => {
  assert.equal(withoutPrompt("abcdef\x1b[3DXY\r"), "abcXYf");
  assert.equal(withoutPrompt("abcdef\x1b[3D\x1b[KXY"), "abcXY");
  assert.equal(withoutPrompt("ab\x1b[D\x1b[CZ"), "abZ");
});
