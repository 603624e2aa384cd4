// Builds device code for the interpreter the way `npm run build` does (the
// same rollup plugins and terser settings), from an entry written as plain ES5
// JavaScript that imports firmware modules by absolute path.
import { fileURLToPath } from "node:url";
import { rollup } from "rollup";
import typescript from "@rollup/plugin-typescript";
import { espruinoTslib } from "../../host/toolchain/espruino-tslib.ts";
import { espruinoOutput } from "../../host/toolchain/espruino-output.ts";

const ENTRY = "\0mqtt-test-entry";

/** Absolute path of a firmware module, for an entry's import. */
export function firmwarePath(relative: string): string {
  return fileURLToPath(new URL(`../../firmware/${relative}`, import.meta.url));
}

export async function bundleForEspruino(entryCode: string, shrink = true): Promise<string> {
  const bundle = await rollup({
    input: ENTRY,
    onwarn(warning) {
      throw new Error(`bundle: ${warning.message}`);
    },
    plugins: [
      { name: "entry", resolveId: (id) => (id === ENTRY ? id : null), load: (id) => (id === ENTRY ? entryCode : null) },
      espruinoTslib(),
      typescript({ tsconfig: fileURLToPath(new URL("../../firmware/tsconfig.json", import.meta.url)), outputToFilesystem: false, sourceMap: false }),
      espruinoOutput({ shrink, budget: {} }),
    ],
  });
  const { output } = await bundle.generate({ format: "iife", strict: false });
  await bundle.close();
  return output[0].code;
}
