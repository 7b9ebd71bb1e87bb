// rnnkit convert IN OUT: between .pt and .safetensors (format by extension); keys, order, dtypes and bytes kept.

import { io } from "../src/index.js";
import { writeBytesAtomic } from "../src/io/node.js";
import { formatOf, readModelFile } from "./model.js";

export async function convert(input: string, output: string): Promise<number> {
  const target = formatOf(output, "OUT");
  const file = await readModelFile(input);
  const bytes =
    target === "safetensors"
      ? io.saveSafetensors(file.tensors, file.metadata ?? undefined)
      : io.saveTorch(file.tensors);
  await writeBytesAtomic(output, bytes);
  return file.tensors.size;
}
