// `fota device add NAME`: registers a thing and writes its device configuration file.
import { writeFileSync, existsSync } from "node:fs";
import { parseFlags } from "./args.ts";
import { fail, UserError } from "./errors.ts";
import { describeAwsError, openTarget, TARGET_FLAGS } from "./target.ts";
import type { DeviceConfigFile } from "./device-config.ts";

export const DEVICE_ADD_USAGE = "fota device add NAME [--out device.json] [--wifi-ssid S --wifi-password P] [--aws --region R --policy NAME] [--bench URL]";

export async function deviceAdd(argv: string[], log: (line: string) => void = console.log): Promise<DeviceConfigFile> {
  const flags = parseFlags(argv, { values: ["out", "wifi-ssid", "wifi-password", "policy", ...TARGET_FLAGS], switches: ["aws", "force"] });
  const name = flags.positional[0] ?? fail("which thing? fota device add NAME");
  if (!/^[a-zA-Z0-9:_-]{1,128}$/.test(name)) fail(`"${name}" is not a valid thing name (1 to 128 characters of a-z A-Z 0-9 : _ -)`);
  const out = flags.values.out ?? `${name}.device.json`;
  if (existsSync(out) && !flags.switches.has("force")) fail(`${out} exists (its key would be lost): pass --force to overwrite it`);
  const target = await openTarget(flags);
  let config: DeviceConfigFile;
  try {
    config = await target.registerDevice(name, flags.values.policy);
  } catch (e) {
    if (e instanceof UserError) throw e;
    fail(describeAwsError(e));
  }
  if (flags.values["wifi-ssid"]) config.wifi = { ssid: flags.values["wifi-ssid"], password: flags.values["wifi-password"] ?? "" };
  writeFileSync(out, JSON.stringify(config, null, 2) + "\n", { mode: 0o600 });
  log(`registered ${name} (${target.kind}); device configuration written to ${out} (endpoint ${config.endpoint}:${config.port})`);
  return config;
}
