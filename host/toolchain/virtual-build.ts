// The `virtual:build` module: what an image knows about the board it was
// built for. The layout is compiled in, so a device never reads it at run time.
import type { Plugin } from "rollup";
import { poolTarget, type BoardFile } from "./board.ts";

const ID = "\0virtual:build";

export function virtualBuild(board: BoardFile, firmwareVersion: string): Plugin {
  return {
    name: "virtual-build",
    resolveId: (source) => (source === "virtual:build" ? ID : null),
    load: (id) =>
      id === ID
        ? `export var layout = ${JSON.stringify(board.layout)};\n` +
          `export var network = ${JSON.stringify(board.network)};\n` +
          `export var growPoolTo = ${poolTarget(board.interpreter)};\n` +
          `export var firmwareVersion = ${JSON.stringify(firmwareVersion)};\n`
        : null,
  };
}
