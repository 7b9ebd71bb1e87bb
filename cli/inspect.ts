// rnnkit inspect MODEL [--json]: the architecture inferred from a .pt / .safetensors file, and every tensor.

import { nn } from "../src/index.js";
import { RNN_NONLINEARITY_NOTE, readModelFile, shapesOf } from "./model.js";

export interface InspectReport {
  readonly architecture: (nn.InferredRecurrent & { readonly dtype: string }) | null;
  /** Why there is no architecture (no recurrent module, or several and no prefix). */
  readonly note?: string;
  readonly tensors: { readonly name: string; readonly shape: readonly number[]; readonly dtype: string }[];
}

export async function inspect(model: string, prefix: string | undefined): Promise<InspectReport> {
  const file = await readModelFile(model);
  const tensors = [...file.tensors].map(([name, t]) => ({ name, shape: [...t.shape], dtype: t.dtype }));
  try {
    const a = nn.inferRecurrent(shapesOf(file.tensors), prefix);
    const dtype = file.tensors.get(`${a.prefix}weight_ih_l0`)!.dtype;
    return { architecture: { ...a, dtype }, tensors };
  } catch (e) {
    if (prefix !== undefined) throw e;
    return { architecture: null, note: (e as Error).message, tensors };
  }
}

export function formatReport(r: InspectReport): string {
  const lines: string[] = [];
  const a = r.architecture;
  if (a) {
    const opts = [`inputSize ${a.inputSize}`, `hiddenSize ${a.hiddenSize}`, `numLayers ${a.numLayers}`];
    if (a.projSize > 0) opts.push(`projSize ${a.projSize}`);
    if (a.bidirectional) opts.push("bidirectional");
    if (!a.bias) opts.push("no bias");
    lines.push(`${a.kind} (${opts.join(", ")}), ${a.dtype}${a.prefix ? `, prefix '${a.prefix}'` : ""}`);
    if (a.kind === "RNN") lines.push(RNN_NONLINEARITY_NOTE.replace("assuming", "rnnkit run assumes"));
  } else lines.push(`no recurrent architecture: ${r.note ?? "none found"}`);
  const width = r.tensors.reduce((w, t) => Math.max(w, t.name.length), 4);
  lines.push("");
  for (const t of r.tensors)
    lines.push(`${t.name.padEnd(width)}  ${t.dtype.padEnd(8)}  [${t.shape.join(", ")}]`);
  lines.push(`${r.tensors.length} tensors`);
  return lines.join("\n");
}
