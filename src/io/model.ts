// A recurrent model from the bytes of a .pt or .safetensors file (io layer, browser-safe): the
// file's tensors, the nn.RNN / LSTM / GRU their names and shapes describe (nn.inferRecurrent),
// built with PyTorch's weights loaded. A whole model (torch.save(model)) is read as inert records
// (torch/modules.ts), and its recurrent modules run with the options they were saved with. What
// `rnnkit run` and the playground page both do.

import { ArgumentError } from "../errors.js";
import { type InferredRecurrent, inferRecurrent } from "../nn/infer.js";
import { GRU, LSTM, RNN } from "../nn/rnn.js";
import type { Tensor } from "../tensor/index.js";
import type { TorchDType } from "./dtype.js";
import type { LoadOptions } from "./limits.js";
import { loadSafetensors } from "./safetensors.js";
import { type StoredTensor, toTensor } from "./stored.js";
import { loadTorch } from "./torch/load.js";
import {
  findModels,
  flattenModules,
  type ModuleRecord,
  moduleStateDict,
  recurrentModules,
  recurrentOptions,
  toModule,
} from "./torch/modules.js";
import { pickStateDict } from "./torch/state_dict.js";

export type ModelFormat = "pt" | "safetensors";

/** The format a file name's extension says (.pt, .pth, .bin → torch.save; .safetensors), or null. */
export function modelFormatOf(name: string): ModelFormat | null {
  const ext = /\.[^./\\]*$/.exec(name)?.[0].toLowerCase();
  if (ext === ".safetensors") return "safetensors";
  if (ext === ".pt" || ext === ".pth" || ext === ".bin") return "pt";
  return null;
}

export interface ModelFile {
  /** The file's name, for messages. */
  readonly name: string;
  readonly format: ModelFormat;
  /** The state dict's tensors in the file's order (a whole model's: its state_dict()). */
  readonly tensors: Map<string, StoredTensor>;
  readonly metadata: Record<string, string> | null;
  /** For a checkpoint such as {"model": ..., "epoch": 3}: the key of the model, and the other keys. */
  readonly checkpoint: { readonly key: string; readonly leftOut: readonly string[] } | null;
  /** A whole model (torch.save(model)), read as inert records: its module tree. */
  readonly whole: ModuleRecord | null;
}

/** Checkpoint keys that hold the model, in the order a whole model is preferred by. */
const MODEL_KEYS = ["model", "module", "net", "network"];

const keyName = (k: unknown) => (typeof k === "string" ? k.slice(0, 60) : "(a key that is not a string)");

/**
 * Reads a state dict, a checkpoint holding one (pickStateDict), or a whole model (torch.save(model),
 * alone or in a checkpoint: read as records, nothing run) from a file's bytes.
 */
export function loadModelFile(
  bytes: Uint8Array,
  { name, format, ...options }: LoadOptions & { readonly name: string; readonly format: ModelFormat },
): ModelFile {
  if (format === "safetensors") {
    const f = loadSafetensors(bytes, { ...options, name });
    return { name, format, tensors: new Map(f.tensors), metadata: f.metadata, checkpoint: null, whole: null };
  }
  const value = loadTorch(bytes, { ...options, name, objects: "records" });
  const models = findModels(value, { name });
  if (models.length > 0) {
    const chosen =
      models.find((m) => m.key === null) ??
      MODEL_KEYS.map((k) => models.find((m) => m.key === k)).find((m) => m !== undefined) ??
      models.find((m) => recurrentModules(m.root).length > 0) ??
      models[0]!;
    const others =
      value instanceof Map
        ? [...value.keys()].filter((k) => k !== chosen.key).map(keyName)
        : models.filter((m) => m !== chosen).map((m) => keyName(m.key));
    return {
      name,
      format,
      tensors: moduleStateDict(chosen.root),
      metadata: null,
      checkpoint: chosen.key === null ? null : { key: chosen.key, leftOut: others },
      whole: chosen.root,
    };
  }
  const tensors = pickStateDict(value, { name });
  let checkpoint: ModelFile["checkpoint"] = null;
  if (value instanceof Map && value !== tensors) {
    const keys = [...value.keys()];
    const key = keys.find((k) => value.get(k) === tensors);
    checkpoint = { key: keyName(key), leftOut: keys.filter((k) => k !== key).map(keyName) };
  }
  return { name, format, tensors, metadata: null, checkpoint, whole: null };
}

/**
 * The recurrent module of a whole model that `prefix` names ("rnn." or "rnn" → module 'rnn'), or
 * the only one when no prefix is given; an ArgumentError lists the candidates otherwise.
 */
export function recurrentRecord(file: ModelFile, prefix: string | undefined): ModuleRecord {
  if (!file.whole)
    throw new ArgumentError(
      "io.recurrentRecord",
      "file",
      "must hold a whole model",
      "a whole model",
      "a state dict",
    );
  const candidates = recurrentModules(file.whole);
  const list = candidates.length
    ? `choose one with prefix ${candidates.map((m) => `'${m.path}.'`).join(" or ")}`
    : "it has no nn.RNN, nn.LSTM or nn.GRU";
  const where = `${file.name} (a whole model, ${file.whole.className})`;
  if (prefix === undefined) {
    if (candidates.length === 1) return candidates[0]!;
    throw new ArgumentError(
      "io.buildRecurrent",
      "prefix",
      `must name the recurrent module to run in ${where}: ${list}`,
      "a prefix",
      "none",
    );
  }
  const found = candidates.find((m) => `${m.path}.` === prefix || m.path === prefix);
  if (found) return found;
  const other = flattenModules(file.whole).find((m) => `${m.path}.` === prefix || m.path === prefix);
  throw new ArgumentError(
    "io.buildRecurrent",
    "prefix",
    other
      ? `names module '${other.path}', a ${other.className}, which is not an nn.RNN, nn.LSTM or nn.GRU (${list})`
      : `names no module of ${where} (${list})`,
    "a recurrent module's path",
    prefix,
  );
}

export const shapesOf = (tensors: ReadonlyMap<string, StoredTensor>): Map<string, readonly number[]> =>
  new Map([...tensors].map(([k, v]) => [k, v.shape] as const));

export type Recurrent = RNN | LSTM | GRU;

export interface LoadedRecurrent {
  readonly module: Recurrent;
  readonly architecture: InferredRecurrent;
  /** The weights' dtype as stored (float16 and bfloat16 run in float32). */
  readonly storedDType: TorchDType;
  readonly notes: string[];
  /** Whether input and output are batch-first: the option for a state dict, the record for a whole model. */
  readonly batchFirst: boolean;
}

/** Said every time an nn.RNN's state dict is used without a nonlinearity: the file cannot tell. */
export const RNN_NONLINEARITY_NOTE =
  "nn.RNN: a state dict does not record the nonlinearity; assuming tanh (give --nonlinearity relu for a ReLU RNN)";

export interface BuildRecurrentOptions {
  /** The module's key prefix when the file holds several (e.g. "encoder.rnn."). */
  readonly prefix?: string | undefined;
  /** Not recorded in a state dict: tanh unless told; for an nn.RNN only. */
  readonly nonlinearity?: "tanh" | "relu" | undefined;
  /** A module option in PyTorch, not recorded in a state dict. */
  readonly batchFirst?: boolean;
}

/**
 * Builds the module the file's tensors describe, in eval mode, and loads them (float16 / bfloat16
 * weights are converted exactly to float32, noted in `notes`).
 */
export function buildRecurrent(
  file: ModelFile,
  { prefix, nonlinearity, batchFirst = false }: BuildRecurrentOptions = {},
): LoadedRecurrent {
  if (file.whole) return buildRecorded(file, { prefix, nonlinearity, batchFirst });
  const a = inferRecurrent(shapesOf(file.tensors), prefix);
  const notes: string[] = [];
  const storedDType = file.tensors.get(`${a.prefix}weight_ih_l0`)!.dtype;
  let dtype: "float32" | "float64";
  if (storedDType === "float64") dtype = "float64";
  else if (storedDType === "float32") dtype = "float32";
  else if (storedDType === "float16" || storedDType === "bfloat16") {
    dtype = "float32";
    notes.push(`weights are ${storedDType}: computing in float32 (exact conversion)`);
  } else throw new Error(`${file.name}: weights of dtype ${storedDType} are not floating point`);
  if (a.kind !== "RNN" && nonlinearity !== undefined)
    throw new ArgumentError(
      "io.buildRecurrent",
      "nonlinearity",
      `applies to an nn.RNN only; ${file.name} holds ${a.kind === "GRU" ? "a" : "an"} ${a.kind}`,
      "none",
      nonlinearity,
    );
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
      ? new LSTM({ ...options, projSize: a.projSize })
      : a.kind === "GRU"
        ? new GRU(options)
        : new RNN({ ...options, nonlinearity: nonlinearity ?? "tanh" });
  const dict: Record<string, Tensor> = {};
  for (const [key] of module.namedParameters()) {
    const stored = file.tensors.get(a.prefix + key)!;
    if (stored.dtype !== storedDType)
      throw new Error(
        `${file.name}: ${a.prefix}${key} is ${stored.dtype} but weight_ih_l0 is ${storedDType}; mixed dtypes are not supported`,
      );
    dict[key] = toTensor(stored, a.prefix + key);
  }
  module.loadStateDict(dict);
  module.eval();
  return { module, architecture: a, storedDType, notes, batchFirst };
}

/** A recurrent module of a whole model, with the options it was saved with; options given may not contradict them. */
function buildRecorded(
  file: ModelFile,
  { prefix, nonlinearity, batchFirst }: BuildRecurrentOptions & { batchFirst: boolean },
): LoadedRecurrent {
  const rec = recurrentRecord(file, prefix);
  const o = recurrentOptions(rec);
  const where = `module '${rec.path}' of ${file.name}`;
  if (batchFirst && !o.batchFirst)
    throw new ArgumentError(
      "io.buildRecurrent",
      "batchFirst",
      `contradicts ${where}: it was saved with batch_first=False`,
      false,
      true,
    );
  if (nonlinearity !== undefined && o.kind !== "RNN")
    throw new ArgumentError(
      "io.buildRecurrent",
      "nonlinearity",
      `applies to an nn.RNN only; ${where} is an nn.${o.kind}`,
      "none",
      nonlinearity,
    );
  if (nonlinearity !== undefined && nonlinearity !== o.nonlinearity)
    throw new ArgumentError(
      "io.buildRecurrent",
      "nonlinearity",
      `contradicts ${where}: it was saved with nonlinearity='${o.nonlinearity}'`,
      o.nonlinearity,
      nonlinearity,
    );
  const a = inferRecurrent(shapesOf(file.tensors), `${rec.path}.`);
  const storedDType = file.tensors.get(`${a.prefix}weight_ih_l0`)!.dtype;
  const notes = [
    `${file.name} is a whole model (${file.whole!.className}): running '${rec.path}', an nn.${o.kind} saved with ` +
      `batch_first=${o.batchFirst ? "True" : "False"}${o.kind === "RNN" ? `, nonlinearity='${o.nonlinearity}'` : ""}`,
  ];
  if (storedDType === "float16" || storedDType === "bfloat16")
    notes.push(`weights are ${storedDType}: computing in float32 (exact conversion)`);
  return {
    module: toModule(rec) as Recurrent,
    architecture: a,
    storedDType,
    notes,
    batchFirst: o.batchFirst,
  };
}
