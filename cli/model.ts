// Reading a recurrent model from a .pt or .safetensors file (CLI): the file's tensors, the
// architecture inferred from their names and shapes, and the module with PyTorch's weights loaded.

import { extname } from "node:path";
import { io, nn, type Tensor } from "../src/index.js";
import { readBytes } from "../src/io/node.js";
import { UsageError } from "./usage.js";

export type ModelFormat = "pt" | "safetensors";

export function formatOf(path: string, what: string): ModelFormat {
  const ext = extname(path).toLowerCase();
  if (ext === ".safetensors") return "safetensors";
  if (ext === ".pt" || ext === ".pth" || ext === ".bin") return "pt";
  throw new UsageError(
    `${what} '${path}' must end in .pt, .pth or .safetensors (the format follows the extension)`,
  );
}

export interface ModelFile {
  readonly path: string;
  readonly format: ModelFormat;
  /** The state dict's tensors in the file's order. */
  readonly tensors: Map<string, io.StoredTensor>;
  readonly metadata: Record<string, string> | null;
  /** For a checkpoint such as {"model": state_dict, "epoch": 3}: the key of the state dict, and the rest. */
  readonly checkpoint: { readonly key: string; readonly leftOut: readonly string[] } | null;
  /** A whole model (torch.save(model)), read as inert records: its module tree. `tensors` is its state dict. */
  readonly whole: io.ModuleRecord | null;
}

/** Checkpoint keys that hold the model, in the order a whole model is preferred by. */
const MODEL_KEYS = ["model", "module", "net", "network", "encoder_decoder"];

export async function readModelFile(path: string): Promise<ModelFile> {
  const format = formatOf(path, "MODEL");
  const bytes = await readBytes(path);
  if (format === "safetensors") {
    const f = io.loadSafetensors(bytes, { name: path });
    return { path, format, tensors: new Map(f.tensors), metadata: f.metadata, checkpoint: null, whole: null };
  }
  // Objects of any class are read as inert records (nothing runs): torch.save(model) files read too.
  const value = io.loadTorch(bytes, { name: path, objects: "records" });
  const name = (k: unknown) => (typeof k === "string" ? k.slice(0, 60) : "(a key that is not a string)");
  const models = io.findModels(value, { name: path });
  if (models.length > 0) {
    const chosen =
      models.find((m) => m.key === null) ??
      MODEL_KEYS.map((k) => models.find((m) => m.key === k)).find((m) => m !== undefined) ??
      models.find((m) => io.recurrentModules(m.root).length > 0) ??
      models[0]!;
    const checkpoint =
      chosen.key === null || !(value instanceof Map)
        ? chosen.key === null
          ? null
          : { key: chosen.key, leftOut: models.filter((m) => m !== chosen).map((m) => name(m.key)) }
        : { key: chosen.key, leftOut: [...value.keys()].filter((k) => k !== chosen.key).map(name) };
    return {
      path,
      format,
      tensors: io.moduleStateDict(chosen.root),
      metadata: null,
      checkpoint,
      whole: chosen.root,
    };
  }
  const tensors = io.pickStateDict(value, { name: path });
  let checkpoint: ModelFile["checkpoint"] = null;
  if (value instanceof Map && value !== tensors) {
    const keys = [...value.keys()];
    const key = keys.find((k) => value.get(k) === tensors);
    checkpoint = { key: name(key), leftOut: keys.filter((k) => k !== key).map(name) };
  }
  return { path, format, tensors, metadata: null, checkpoint, whole: null };
}

/**
 * The recurrent module of a whole model that `prefix` names ("rnn." → module 'rnn'), or the only
 * one when no prefix is given; a UsageError lists the candidates otherwise.
 */
export function recurrentRecord(file: ModelFile, prefix: string | undefined): io.ModuleRecord {
  const candidates = io.recurrentModules(file.whole!);
  const list = candidates.map((m) => `--prefix ${m.path}.`).join(", ");
  if (prefix === undefined) {
    if (candidates.length === 1) return candidates[0]!;
    throw new UsageError(
      candidates.length === 0
        ? `${file.path} holds a whole model (${file.whole!.className}) with no nn.RNN, nn.LSTM or nn.GRU in it`
        : `${file.path} holds ${candidates.length} recurrent modules; choose one with ${list}`,
    );
  }
  const found = candidates.find((m) => `${m.path}.` === prefix || m.path === prefix);
  if (found) return found;
  const other = io.flattenModules(file.whole!).find((m) => `${m.path}.` === prefix || m.path === prefix);
  throw new UsageError(
    other
      ? `--prefix ${prefix}: module '${other.path}' is a ${other.className}, which rnnkit run does not take (${list || "no recurrent module in the file"})`
      : `--prefix ${prefix}: no module '${prefix.replace(/\.$/, "")}' in ${file.path} (${list || "no recurrent module in the file"})`,
  );
}

export const shapesOf = (tensors: ReadonlyMap<string, io.StoredTensor>) =>
  new Map([...tensors].map(([k, v]) => [k, v.shape] as const));

export type Recurrent = nn.RNN | nn.LSTM | nn.GRU;

/** Said every time an nn.RNN's state dict is used without --nonlinearity: the file cannot tell. */
export const RNN_NONLINEARITY_NOTE =
  "nn.RNN: a state dict does not record the nonlinearity; assuming tanh (give --nonlinearity relu for a ReLU RNN)";

export interface LoadedModel {
  readonly module: Recurrent;
  readonly architecture: nn.InferredRecurrent;
  /** The weights' dtype as stored (float16 and bfloat16 run in float32). */
  readonly storedDType: io.TorchDType;
  readonly notes: string[];
  /** Whether input and output are batch-first: the flag for a state dict, the record for a whole model. */
  readonly batchFirst: boolean;
}

/** Builds the module the file's tensors describe and loads them, converting dtypes where needed. */
export interface BuildOptions {
  readonly prefix?: string | undefined;
  /** Not recorded in a state dict: tanh unless told. */
  readonly nonlinearity?: "tanh" | "relu" | undefined;
  /** A module option in PyTorch, not recorded in a state dict. */
  readonly batchFirst?: boolean;
}

export function buildModule(
  file: ModelFile,
  { prefix, nonlinearity, batchFirst = false }: BuildOptions = {},
): LoadedModel {
  if (file.whole) return buildRecorded(file, { prefix, nonlinearity, batchFirst });
  const a = nn.inferRecurrent(shapesOf(file.tensors), prefix);
  const notes: string[] = [];
  const first = file.tensors.get(`${a.prefix}weight_ih_l0`)!;
  const storedDType = first.dtype;
  let dtype: "float32" | "float64";
  if (storedDType === "float64") dtype = "float64";
  else if (storedDType === "float32") dtype = "float32";
  else if (storedDType === "float16" || storedDType === "bfloat16") {
    dtype = "float32";
    notes.push(`weights are ${storedDType}: computing in float32 (exact conversion)`);
  } else throw new Error(`${file.path}: weights of dtype ${storedDType} are not floating point`);
  if (a.kind !== "RNN" && nonlinearity !== undefined)
    throw new UsageError(`--nonlinearity applies to an RNN only; ${file.path} holds an ${a.kind}`);
  if (a.kind === "RNN" && nonlinearity === undefined) notes.push(RNN_NONLINEARITY_NOTE);
  const options = {
    inputSize: a.inputSize,
    hiddenSize: a.hiddenSize,
    numLayers: a.numLayers,
    bias: a.bias,
    bidirectional: a.bidirectional,
    batchFirst,
    dtype,
  };
  const module: Recurrent =
    a.kind === "LSTM"
      ? new nn.LSTM({ ...options, projSize: a.projSize })
      : a.kind === "GRU"
        ? new nn.GRU(options)
        : new nn.RNN({ ...options, nonlinearity: nonlinearity ?? "tanh" });
  const dict: Record<string, Tensor> = {};
  for (const [key] of module.namedParameters()) {
    const stored = file.tensors.get(a.prefix + key)!;
    if (stored.dtype !== storedDType)
      throw new Error(
        `${file.path}: ${a.prefix}${key} is ${stored.dtype} but weight_ih_l0 is ${storedDType}; mixed dtypes are not supported`,
      );
    dict[key] = io.toTensor(stored, a.prefix + key);
  }
  module.loadStateDict(dict);
  module.eval();
  return { module, architecture: a, storedDType, notes, batchFirst };
}

/** A recurrent module of a whole model, with the options it was saved with; flags may not contradict them. */
function buildRecorded(
  file: ModelFile,
  { prefix, nonlinearity, batchFirst }: BuildOptions & { batchFirst: boolean },
): LoadedModel {
  const rec = recurrentRecord(file, prefix);
  const o = io.recurrentOptions(rec);
  const where = `module '${rec.path}' of ${file.path}`;
  if (batchFirst && !o.batchFirst)
    throw new UsageError(
      `--batch-first contradicts ${where}: it was saved with batch_first=False (leave the flag out: the file says)`,
    );
  if (nonlinearity !== undefined && o.kind !== "RNN")
    throw new UsageError(`--nonlinearity applies to an RNN only; ${where} is an ${o.kind}`);
  if (nonlinearity !== undefined && nonlinearity !== o.nonlinearity)
    throw new UsageError(
      `--nonlinearity ${nonlinearity} contradicts ${where}: it was saved with nonlinearity='${o.nonlinearity}'`,
    );
  const a = nn.inferRecurrent(shapesOf(file.tensors), `${rec.path}.`);
  const storedDType = file.tensors.get(`${a.prefix}weight_ih_l0`)!.dtype;
  const notes = [
    `${file.path} is a whole model (${file.whole!.className}): running '${rec.path}', an nn.${o.kind} saved with ` +
      `batch_first=${o.batchFirst ? "True" : "False"}${o.kind === "RNN" ? `, nonlinearity='${o.nonlinearity}'` : ""}`,
  ];
  if (storedDType === "float16" || storedDType === "bfloat16")
    notes.push(`weights are ${storedDType}: computing in float32 (exact conversion)`);
  return {
    module: io.toModule(rec) as Recurrent,
    architecture: a,
    storedDType,
    notes,
    batchFirst: o.batchFirst,
  };
}
