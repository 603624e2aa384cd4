// Flags of the form --name value and --switch, checked against what a command accepts.
import { fail } from "./errors.ts";

export interface Flags {
  positional: string[];
  values: Record<string, string>;
  switches: Set<string>;
}

export function parseFlags(argv: string[], accepts: { values: string[]; switches?: string[] }): Flags {
  const flags: Flags = { positional: [], values: {}, switches: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) {
      flags.positional.push(arg);
      continue;
    }
    const name = arg.slice(2);
    if (accepts.switches?.includes(name)) flags.switches.add(name);
    else if (accepts.values.includes(name)) {
      const value = argv[++i];
      if (value === undefined || value.startsWith("--")) fail(`--${name} needs a value`);
      flags.values[name] = value;
    } else {
      const known = [...accepts.values, ...(accepts.switches ?? [])].map((f) => `--${f}`).join(", ");
      fail(`unknown flag ${arg}${known ? ` (this command takes ${known})` : ""}`);
    }
  }
  return flags;
}

export function positiveInteger(flags: Flags, name: string): number | undefined {
  const raw = flags.values[name];
  if (raw === undefined) return undefined;
  if (!/^[0-9]+$/.test(raw) || Number(raw) <= 0) fail(`--${name} must be a positive whole number, got "${raw}"`);
  return Number(raw);
}
