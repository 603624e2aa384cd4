// The `fota` command as a user runs it in tests: a child process, real exit codes.
import { spawn } from "node:child_process";

export interface FotaResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface FotaRun {
  done: Promise<FotaResult>;
  /** Resolves once stdout matches. */
  printed(pattern: RegExp): Promise<void>;
}

export function startFota(args: string[], timeoutMs = 120_000): FotaRun {
  const child = spawn(process.execPath, ["host/cli/fota.mjs", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const watchers: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout.on("data", (d) => {
    stdout += d;
    for (const w of watchers.filter((w) => w.pattern.test(stdout))) w.resolve();
  });
  child.stderr.on("data", (d) => (stderr += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const done = new Promise<FotaResult>((resolve) =>
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
  return {
    done,
    printed: (pattern) => (pattern.test(stdout) ? Promise.resolve() : new Promise((resolve) => watchers.push({ pattern, resolve }))),
  };
}

export function fota(args: string[], timeoutMs?: number): Promise<FotaResult> {
  return startFota(args, timeoutMs).done;
}
