// Reading a recurrent model from a .pt or .safetensors file (CLI): the file's bytes, then the
// library's io.loadModelFile / io.buildRecurrent (which the playground page calls too).

import { extname } from "node:path";
import { io, nn } from "../src/index.js";
import { readBytes } from "../src/io/node.js";
import { UsageError } from "./usage.js";

export type ModelFormat = io.ModelFormat;
export type ModelFile = io.ModelFile;
export type Recurrent = io.Recurrent;
export type LoadedModel = io.LoadedRecurrent;
export type BuildOptions = io.BuildRecurrentOptions;
export const shapesOf = io.shapesOf;

export function formatOf(path: string, what: string): ModelFormat {
  const format = io.modelFormatOf(extname(path));
  if (format) return format;
  throw new UsageError(
    `${what} '${path}' must end in .pt, .pth or .safetensors (the format follows the extension)`,
  );
}

export async function readModelFile(path: string): Promise<ModelFile> {
  const format = formatOf(path, "MODEL");
  return io.loadModelFile(await readBytes(path), { name: path, format });
}

/** Builds the module the file's tensors describe and loads them, converting dtypes where needed. */
export function buildModule(file: ModelFile, options: BuildOptions = {}): LoadedModel {
  if (options.nonlinearity !== undefined) {
    const a = nn.inferRecurrent(shapesOf(file.tensors), options.prefix);
    if (a.kind !== "RNN")
      throw new UsageError(`--nonlinearity applies to an RNN only; ${file.name} holds an ${a.kind}`);
  }
  return io.buildRecurrent(file, options);
}
