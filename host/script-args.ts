// The command line of the project's npm scripts (`npm run bench -- --help`):
// node's parseArgs, plus --help, which prints the script's usage and exits 0
// without doing its job. A mistake prints the reason and the usage on stderr
// and exits 2.
import { parseArgs, type ParseArgsConfig } from "node:util";

export function scriptArgs<T extends ParseArgsConfig>(usage: string, config: T): ReturnType<typeof parseArgs<T>> {
  const args = config.args ?? process.argv.slice(2);
  if (args.includes("--help")) {
    console.log(`usage: ${usage}`);
    process.exit(0);
  }
  try {
    return parseArgs(config);
  } catch (e) {
    console.error(`${(e as Error).message}\nusage: ${usage}`);
    process.exit(2);
  }
}
