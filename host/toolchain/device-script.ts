// One device entry point built into a script exactly as the shipped images
// are (same plugins, same terser settings, same gate), for any board: what
// tests, benchmarks, the conformance suite and the demo run on a board.
import { rollup } from "rollup";
import { HOST_BOARD, loadBoard } from "./board.ts";
import { EXPRESSION_IMAGES, IMAGES, failOnWarning, firmwarePlugins, imageOutput } from "./config.ts";

export async function buildDeviceScript(input: string, board = HOST_BOARD, firmwareVersion = "dev"): Promise<string> {
  const image = Object.keys(IMAGES).find((name) => IMAGES[name] === input);
  const expression = image ? EXPRESSION_IMAGES[image] : undefined;
  const bundle = await rollup({
    input,
    onwarn: failOnWarning(input),
    plugins: firmwarePlugins({ board: loadBoard(board), firmwareVersion, shrink: true, budget: {}, expression }),
  });
  const { output } = await bundle.generate(imageOutput(image));
  await bundle.close();
  return output[0].code;
}
