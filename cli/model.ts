// Reading a recurrent model from a .pt or .safetensors file (CLI): the file's bytes, then the
// library's io.loadModelFile / io.buildRecurrent (which the playground page calls too). The
// library's argument errors about what to run (--prefix, --batch-first, --nonlinearity) are bad
// usage here (exit 2).

import { extname } from "node:path";
import { ArgumentError } from "../src/errors.js";
import { io } from "../src/index.js";
import { readBytes } from "../src/io/node.js";
import { UsageError } from "./usage.js";

export type ModelFormat = io.ModelFormat;
export type ModelFile = io.ModelFile;
export type Recurrent = io.Recurrent;
export type LoadedModel = io.LoadedRecurrent;
export type BuildOptions = io.BuildRecurrentOptions;
export const shapesOf = io.shapesOf;
export const RNN_NONLINEARITY_NOTE = io.RNN_NONLINEARITY_NOTE;

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

/** The flags that choose or configure the module: the library names them by option. */
const FLAGS: Record<string, string> = {
  prefix: "--prefix",
  batchFirst: "--batch-first",
  nonlinearity: "--nonlinearity",
};

function asUsage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ArgumentError && e.where === "io.buildRecurrent" && e.argument in FLAGS)
      throw new UsageError(
        `${FLAGS[e.argument]} ${e.message.slice(e.message.indexOf(e.argument) + e.argument.length + 1)}`,
      );
    throw e;
  }
}

/** The recurrent module of a whole model that --prefix names (or the only one). */
export function recurrentRecord(file: ModelFile, prefix: string | undefined): io.ModuleRecord {
  return asUsage(() => io.recurrentRecord(file, prefix));
}

/** Builds the module the file describes and loads its weights, converting dtypes where needed. */
export function buildModule(file: ModelFile, options: BuildOptions = {}): LoadedModel {
  return asUsage(() => io.buildRecurrent(file, options));
}
