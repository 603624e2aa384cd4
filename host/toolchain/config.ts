// The rollup configuration for every board and image: one self-contained,
// Espruino-safe script per entry point under dist/<board>/.
import typescript from "@rollup/plugin-typescript";
import type { OutputOptions as RollupOutputOptions, Plugin, RollupLog, RollupOptions } from "rollup";
import { type BoardFile, loadBoard, listBoards } from "./board.ts";
import { espruinoTslib } from "./espruino-tslib.ts";
import { espruinoOutput, type OutputOptions } from "./espruino-output.ts";
import { virtualBuild } from "./virtual-build.ts";
import { formatBreakdown } from "./size-breakdown.ts";
import { asExpression, onDemand } from "./on-demand.ts";
import { flatClasses } from "./flat-classes.ts";
import { ROOT_RUN } from "../../firmware/loader/root-run.ts";

/** Device entry points: image name → source. */
export const IMAGES: Record<string, string> = {
  loader: "firmware/loader/main.ts",
  app: "firmware/app/main.ts",
  provision: "firmware/provision/main.ts",
  verifier: "firmware/verifier/main.ts",
};

/**
 * Images that are one expression, whose value (the entry's exports) eval
 * returns: the boot verifier, which the loader evaluates from its Storage
 * file only when verify at boot is on (docs/signing.md, "Verify at boot").
 */
export const EXPRESSION_IMAGES: Record<string, string> = { verifier: "__fotaVerifier" };

/** Root-level statements after an image's bundle: the loader's runs the image it chose (firmware/loader/root-run.ts). */
export const IMAGE_FOOTERS: Record<string, string> = { loader: ROOT_RUN };

export interface BuildSettings {
  boards: string[];
  firmwareVersion: string;
  shrink: boolean;
  outDir: string;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv, defaultVersion: string): BuildSettings {
  return {
    boards: env.FOTA_BOARD ? env.FOTA_BOARD.split(",") : listBoards(),
    firmwareVersion: env.FOTA_VERSION || defaultVersion,
    shrink: env.FOTA_MINIFY !== "0",
    outDir: env.FOTA_OUT || "dist",
  };
}

/** The loader runs the application image with eval, by design. */
const EVAL_ALLOWED_IN = "firmware/loader/main.ts";

/** A rollup warning hides a real problem on a board we cannot debug: the build fails on it. */
export function failOnWarning(what: string): (warning: RollupLog) => void {
  return (warning) => {
    if (warning.code === "EVAL" && warning.id?.endsWith(EVAL_ALLOWED_IN)) return;
    throw new Error(`${what}: ${warning.message}`);
  };
}

/** The plugins that turn device TypeScript into a script the interpreter runs. */
export function firmwarePlugins(options: { board: BoardFile; firmwareVersion: string; expression?: string } & OutputOptions): Plugin[] {
  // Modules built on demand go through the same plugins; their sizes are reported as part of the image.
  const onDemandOptions: OutputOptions = {
    shrink: options.shrink,
    budget: {},
    onSize: (file, bytes, _limit, modules) => options.onSize?.(`${file} (on demand)`, bytes, undefined, modules),
  };
  return [
    espruinoTslib(),
    virtualBuild(options.board, options.firmwareVersion),
    typescript({ tsconfig: "firmware/tsconfig.json", outputToFilesystem: false }),
    flatClasses(),
    onDemand(() => firmwarePlugins({ ...options, ...onDemandOptions, expression: undefined })),
    ...(options.expression ? [asExpression(options.expression)] : []),
    espruinoOutput(options),
  ];
}

/** How an image's bundle is written: one IIFE (or expression), its footer, a source map for the size breakdown. */
export function imageOutput(image: string | undefined): RollupOutputOptions {
  return {
    format: "iife",
    name: image ? EXPRESSION_IMAGES[image] : undefined,
    footer: image ? IMAGE_FOOTERS[image] : undefined,
    strict: false,
    sourcemap: "hidden",
  };
}

export function rollupConfigs(settings: BuildSettings): RollupOptions[] {
  const configs: RollupOptions[] = [];
  for (const boardName of settings.boards) {
    const board = loadBoard(boardName);
    for (const [image, input] of Object.entries(IMAGES)) {
      configs.push({
        input,
        onwarn: failOnWarning(`${boardName}/${image}`),
        plugins: firmwarePlugins({
          board,
          firmwareVersion: settings.firmwareVersion,
          expression: EXPRESSION_IMAGES[image],
          shrink: settings.shrink,
          budget: board.imageBudget[image] ? { [`${image}.js`]: board.imageBudget[image] } : {},
          onSize: (file, bytes, limit, modules) =>
            console.log(
              `${boardName}/${file}: ${bytes} bytes${limit ? ` (budget ${limit}, ${Math.round((100 * bytes) / limit)}%)` : ""}\n` +
                `  ${formatBreakdown(modules)}`,
            ),
        }),
        output: { file: `${settings.outDir}/${boardName}/${image}.js`, ...imageOutput(image) },
      });
    }
  }
  return configs;
}
