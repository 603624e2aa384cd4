// The build's size breakdown: every byte of an image charged to the module it came from.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rollup } from "rollup";
import { loadBoard } from "../../host/toolchain/board.ts";
import { failOnWarning, firmwarePlugins } from "../../host/toolchain/config.ts";
import type { OutputOptions } from "../../host/toolchain/espruino-output.ts";
import { sizeBreakdown, type ModuleBytes } from "../../host/toolchain/size-breakdown.ts";

/** The Linux board's firmware plugins, as the build uses them. */
function linuxPlugins(onSize?: OutputOptions["onSize"]) {
  return firmwarePlugins({ board: loadBoard("linux"), firmwareVersion: "t", shrink: true, budget: {}, onSize });
}

test("the size breakdown charges every byte of the loader to a module, and names the modules it bundles wherever the image is written", async () => {
  const bundle = await rollup({ input: "firmware/loader/main.ts", onwarn: failOnWarning("loader"), plugins: linuxPlugins() });
  const { output } = await bundle.generate({ format: "iife", strict: false, sourcemap: "hidden" });
  // Written outside the project (fota build --out /tmp/x), its map's sources climb out of that folder first.
  const elsewhere = (await bundle.generate({ format: "iife", strict: false, sourcemap: "hidden", file: join(tmpdir(), "out", "loader.js") })).output[0];
  await bundle.close();
  const modules = sizeBreakdown(output[0].code, output[0].map as never);
  assert.equal(modules.reduce((n, m) => n + m.bytes, 0), output[0].code.length);
  const names = modules.map((m) => m.module);
  for (const m of ["boot/entry", "boot/log", "boot/loader", "loader/main", "image/run-copy"]) assert.ok(names.includes(m), `${m} in ${names}`);
  assert.ok(!names.some((n) => n.startsWith("mqtt/")), "the loader bundles no MQTT code");
  assert.deepEqual(sizeBreakdown(elsewhere.code, elsewhere.map as never), modules, "the same names wherever the image is written");
});

test("the application's breakdown charges the on-demand engine to one line, about the size the engine's own line gives, and leaves almost nothing unmapped", async () => {
  const engineSizes: number[] = [];
  const appModules: ModuleBytes[] = [];
  const plugins = linuxPlugins((file, bytes, _limit, modules) => {
    if (file.startsWith("engine.js")) engineSizes.push(bytes);
    else appModules.push(...modules);
  });
  const bundle = await rollup({ input: "firmware/app/main.ts", onwarn: failOnWarning("app"), plugins });
  await bundle.generate({ format: "iife", strict: false, sourcemap: "hidden" });
  await bundle.close();
  const bytesOf = (name: string) => appModules.find((m) => m.module === name)?.bytes ?? 0;
  const engine = bytesOf("fota/engine (on demand)");
  assert.equal(engineSizes.length, 1);
  assert.ok(Math.abs(engine - engineSizes[0]) < engineSizes[0] * 0.05, `engine charged ${engine} bytes in the app, ${engineSizes[0]} on its own`);
  assert.ok(bytesOf("(unmapped)") < 200, `unmapped ${bytesOf("(unmapped)")} bytes`);
  for (const m of ["crypto/md5-block", "fota/download"]) assert.equal(bytesOf(m), 0, `${m} is the engine's, charged to its line`);
  assert.ok(bytesOf("mqtt/client") > 0);
});
