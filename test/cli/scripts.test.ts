// Every npm script and every `fota` subcommand runs, started as a user starts
// it (`npm run <name>`, `npx fota ...`). A project script shows it runs by
// answering --help with its usage and exit 0, without doing its job. The
// three scripts that are a plain tool invocation run for real, on the least
// that shows them working:
// - build: `npm run build` for one board (linux) into a temporary folder,
//   every image of host/toolchain/config.ts written and its size printed;
// - typecheck: `npm run typecheck` in full (both projects);
// - test: `npm test` narrowed to one test file, which also runs the typecheck
//   first, as `npm test` always does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IMAGES } from "../../host/toolchain/config.ts";

const scripts = Object.keys(JSON.parse(readFileSync("package.json", "utf8")).scripts as Record<string, string>);

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): { code: number | null; stdout: string; stderr: string } {
  // A nested test runner that inherits NODE_TEST_CONTEXT would report to this one instead of printing.
  const { NODE_TEST_CONTEXT: _, ...inherited } = process.env;
  const r = spawnSync(command, args, { env: { ...inherited, ...env }, encoding: "utf8", timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertExit0(r: { code: number | null; stdout: string; stderr: string }, what: string): void {
  assert.equal(r.code, 0, `${what} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

/** How the scripts that are a plain tool invocation show they run (see the header). */
const TOOL_RUNS: Record<string, () => void> = {
  build() {
    const out = mkdtempSync(join(tmpdir(), "scripts-build-"));
    try {
      const r = run("npm", ["run", "build"], { FOTA_BOARD: "linux", FOTA_OUT: out }, 180_000);
      assertExit0(r, "npm run build");
      for (const image of Object.keys(IMAGES)) {
        assert.ok(existsSync(join(out, "linux", `${image}.js`)), `${image}.js written`);
        assert.match(r.stdout, new RegExp(`linux/${image}\\.js: \\d+ bytes`), `${image}'s size printed`);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
  typecheck() {
    assertExit0(run("npm", ["run", "typecheck"], {}, 180_000), "npm run typecheck");
  },
  test() {
    const r = run("npm", ["run", "test", "--", "test/toolchain/board.test.ts"], {}, 180_000);
    assertExit0(r, "npm test -- test/toolchain/board.test.ts");
    assert.match(r.stdout, /board file refused/, "the narrowed file's tests ran");
    assert.match(r.stdout, /ℹ fail 0/);
  },
};

for (const name of scripts) {
  const toolRun = TOOL_RUNS[name];
  if (toolRun) {
    test(`npm run ${name} runs (a tool invocation: see the header for what runs means)`, toolRun);
    continue;
  }
  test(`npm run ${name} -- --help prints its usage and exits 0`, () => {
    const r = run("npm", ["run", name, "--", "--help"]);
    assertExit0(r, `npm run ${name} -- --help`);
    assert.match(r.stdout, /^usage: \S/m);
  });
}

test("every script that is a tool invocation is still an npm script", () => {
  for (const name of Object.keys(TOOL_RUNS)) assert.ok(scripts.includes(name), `package.json has no "${name}" script`);
});

// The subcommands as `fota --help` lists them: "fota job create --thing ..." is "job create".
const fotaHelp = run("npx", ["--no-install", "fota", "--help"]);
const subcommands = [...fotaHelp.stdout.matchAll(/^ {2}fota ((?:[a-z]+ ?)+)/gm)].map((m) => m[1].trim());

test("fota --help lists its subcommands", () => {
  assertExit0(fotaHelp, "npx fota --help");
  const usageLines = fotaHelp.stdout.split("\n").filter((l) => l.startsWith("  fota "));
  assert.ok(subcommands.length > 0 && subcommands.length === usageLines.length, `subcommands read: ${subcommands.join(", ")}`);
});

for (const command of subcommands) {
  test(`npx fota ${command} --help prints its usage and exits 0`, () => {
    const r = run("npx", ["--no-install", "fota", ...command.split(" "), "--help"]);
    assertExit0(r, `fota ${command} --help`);
    assert.ok(r.stdout.startsWith(`usage: fota ${command} `) || r.stdout === `usage: fota ${command}\n`, r.stdout);
  });
}
