// rnnkit inspect MODEL [--json]: the architecture inferred from a .pt / .safetensors file, and every tensor.

import { io, nn } from "../src/index.js";
import { RNN_NONLINEARITY_NOTE, readModelFile, recurrentRecord, shapesOf } from "./model.js";

/** One module of a whole model, as inspect shows it. */
export interface InspectedModule {
  readonly path: string;
  readonly className: string;
  /** The options a torch.nn class stored (null for a class rnnkit does not know). */
  readonly options: Record<string, JsonScalar> | null;
  /** `rnnkit run --prefix PATH.` takes it (an nn.RNN, nn.LSTM or nn.GRU). */
  readonly runnable: boolean;
}

export interface InspectReport {
  readonly architecture: (nn.InferredRecurrent & { readonly dtype: string }) | null;
  /** Why there is no architecture (no recurrent module, or several and no prefix). */
  readonly note?: string;
  readonly tensors: { readonly name: string; readonly shape: readonly number[]; readonly dtype: string }[];
  /** For a whole model (torch.save(model)): every module, the root first. */
  readonly modules?: InspectedModule[];
  /** For a checkpoint dict: where the model or state dict is, and what else it holds. */
  readonly checkpoint?: { readonly key: string; readonly leftOut: readonly string[] };
}

type JsonScalar = string | number | boolean | null;

/** An option as JSON can hold it: a scalar as it is, anything else described (never a bigint or a Map). */
function jsonScalar(v: io.PickleValue): JsonScalar {
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (typeof v === "bigint") return String(v);
  return Array.isArray(v) ? "a list or tuple" : "a value rnnkit does not show";
}

function inspectedModules(root: io.ModuleRecord): InspectedModule[] {
  return io.flattenModules(root).map((m) => ({
    path: m.path,
    className: m.className,
    options:
      m.kind === null
        ? null
        : Object.fromEntries(Object.entries(m.options).map(([k, v]) => [k, jsonScalar(v)])),
    runnable: m.kind === "RNN" || m.kind === "LSTM" || m.kind === "GRU",
  }));
}

export async function inspect(model: string, prefix: string | undefined): Promise<InspectReport> {
  const file = await readModelFile(model);
  const tensors = [...file.tensors].map(([name, t]) => ({ name, shape: [...t.shape], dtype: t.dtype }));
  const extra = file.checkpoint ? { checkpoint: file.checkpoint } : {};
  if (file.whole) {
    const modules = inspectedModules(file.whole);
    try {
      const rec = recurrentRecord(file, prefix);
      const a = nn.inferRecurrent(shapesOf(file.tensors), `${rec.path}.`);
      const dtype = file.tensors.get(`${a.prefix}weight_ih_l0`)!.dtype;
      return { architecture: { ...a, dtype }, tensors, modules, ...extra };
    } catch (e) {
      if (prefix !== undefined) throw e;
      return { architecture: null, note: (e as Error).message, tensors, modules, ...extra };
    }
  }
  try {
    const a = nn.inferRecurrent(shapesOf(file.tensors), prefix);
    const dtype = file.tensors.get(`${a.prefix}weight_ih_l0`)!.dtype;
    return { architecture: { ...a, dtype }, tensors, ...extra };
  } catch (e) {
    if (prefix !== undefined) throw e;
    return { architecture: null, note: (e as Error).message, tensors, ...extra };
  }
}

function showOption(v: JsonScalar): string {
  if (v === null) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "string") return `'${v.slice(0, 40)}'`;
  return String(v);
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
    if (a.kind === "RNN" && !r.modules)
      lines.push(RNN_NONLINEARITY_NOTE.replace("assuming", "rnnkit run assumes"));
  } else lines.push(`no recurrent architecture: ${r.note ?? "none found"}`);
  if (r.checkpoint)
    lines.push(
      `a checkpoint: the model is under '${r.checkpoint.key}'` +
        (r.checkpoint.leftOut.length ? `; it also holds ${r.checkpoint.leftOut.join(", ")}` : ""),
    );
  if (r.modules) {
    lines.push(`a whole model (torch.save(model)), read as records: nothing in it was run`);
    for (const m of r.modules) {
      const depth = m.path === "" ? 0 : m.path.split(".").length;
      const name = m.path === "" ? "(root)" : m.path.slice(m.path.lastIndexOf(".") + 1);
      const opts = m.options
        ? ` (${Object.entries(m.options)
            .filter(([k]) => k !== "mode")
            .map(([k, v]) => `${k}=${showOption(v)}`)
            .join(", ")})`
        : "";
      lines.push(
        `${"  ".repeat(depth + 1)}${name}: ${m.className}${opts}${m.runnable ? `  [rnnkit run --prefix ${m.path}.]` : ""}`,
      );
    }
  }
  const width = r.tensors.reduce((w, t) => Math.max(w, t.name.length), 4);
  lines.push("");
  for (const t of r.tensors)
    lines.push(`${t.name.padEnd(width)}  ${t.dtype.padEnd(8)}  [${t.shape.join(", ")}]`);
  lines.push(`${r.tensors.length} tensors`);
  return lines.join("\n");
}
