// rnnkit convert IN OUT: between .pt and .safetensors (format by extension); keys, order, dtypes and bytes kept.

import { io } from "../src/index.js";
import { writeBytesAtomic } from "../src/io/node.js";
import { formatOf, readModelFile } from "./model.js";

/** Converts IN to OUT; returns the number of tensors written. `say` hears what was left out. */
export async function convert(
  input: string,
  output: string,
  say: (line: string) => void = () => {},
): Promise<number> {
  const target = formatOf(output, "OUT");
  const file = await readModelFile(input);
  if (file.whole)
    say(
      `${input} is a whole model (${file.whole.className}): converting its state_dict(), as PyTorch's model.state_dict() gives it`,
    );
  if (file.checkpoint && file.checkpoint.leftOut.length > 0) {
    const left = file.checkpoint.leftOut;
    say(
      `${input} is a checkpoint: converting its state dict '${file.checkpoint.key}' only; ` +
        `left out ${left.slice(0, 8).join(", ")}${left.length > 8 ? ` and ${left.length - 8} more` : ""}`,
    );
  }
  const bytes =
    target === "safetensors"
      ? io.saveSafetensors(file.tensors, file.metadata ?? undefined)
      : io.saveTorch(file.tensors);
  await writeBytesAtomic(output, bytes);
  return file.tensors.size;
}
