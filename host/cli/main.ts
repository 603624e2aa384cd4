// The `fota` command: build images, register devices, create and watch FOTA
// jobs (on the local bench or real AWS IoT), provision boards, run a simulator.
import { UserError } from "./errors.ts";
import { build, BUILD_USAGE } from "./build.ts";
import { deviceAdd, DEVICE_ADD_USAGE } from "./device-add.ts";
import { jobCreate, JOB_CREATE_USAGE } from "./job-create.ts";
import { jobWatch, JOB_WATCH_USAGE } from "./job-watch.ts";
import { flash, FLASH_USAGE } from "./flash.ts";
import { sim, SIM_USAGE } from "./sim.ts";
import { keysCreate, KEYS_CREATE_USAGE } from "./keys-create.ts";

const COMMANDS: Record<string, { usage: string; run: (argv: string[]) => unknown }> = {
  build: { usage: BUILD_USAGE, run: build },
  "device add": { usage: DEVICE_ADD_USAGE, run: deviceAdd },
  "job create": { usage: JOB_CREATE_USAGE, run: jobCreate },
  "job watch": { usage: JOB_WATCH_USAGE, run: jobWatch },
  flash: { usage: FLASH_USAGE, run: flash },
  sim: { usage: SIM_USAGE, run: sim },
  "keys create": { usage: KEYS_CREATE_USAGE, run: keysCreate },
};

function usage(): string {
  return "usage:\n" + Object.values(COMMANDS).map((c) => "  " + c.usage).join("\n");
}

async function main(argv: string[]): Promise<void> {
  const two = argv.slice(0, 2).join(" ");
  const name = COMMANDS[two] ? two : argv[0];
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    if (argv.length === 0 || argv[0] === "help" || argv[0] === "--help") {
      console.log(usage());
      return;
    }
    throw new UserError(`unknown command "${argv.join(" ")}"\n${usage()}`);
  }
  const rest = argv.slice(name.split(" ").length);
  if (rest.includes("--help")) {
    console.log("usage: " + command.usage);
    return;
  }
  await command.run(rest);
}

main(process.argv.slice(2)).catch((e) => {
  if (e instanceof UserError) {
    console.error(`fota: ${e.message}`);
    process.exit(2);
  }
  console.error(`fota: internal error: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
