// A recurrent model from the bytes of a .pt or .safetensors state dict (io layer, browser-safe):
// the file's tensors, the nn.RNN / LSTM / GRU their names and shapes describe (nn.inferRecurrent),
// built with PyTorch's weights loaded. What `rnnkit run` and the playground page both do.

import { ArgumentError } from "../errors.js";
import { type InferredRecurrent, inferRecurrent } from "../nn/infer.js";
import { GRU, LSTM, RNN } from "../nn/rnn.js";
import type { Tensor } from "../tensor/index.js";
import type { TorchDType } from "./dtype.js";
import type { LoadOptions } from "./limits.js";
import { loadSafetensors } from "./safetensors.js";
import { type StoredTensor, toTensor } from "./stored.js";
import { loadTorch } from "./torch/load.js";
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
  /** The state dict's tensors in the file's order. */
  readonly tensors: Map<string, StoredTensor>;
  readonly metadata: Record<string, string> | null;
}

/** Reads a state dict (or a checkpoint holding one: pickStateDict) from a file's bytes. */
export function loadModelFile(
  bytes: Uint8Array,
  { name, format, ...options }: LoadOptions & { readonly name: string; readonly format: ModelFormat },
): ModelFile {
  if (format === "safetensors") {
    const f = loadSafetensors(bytes, { ...options, name });
    return { name, format, tensors: new Map(f.tensors), metadata: f.metadata };
  }
  const value = loadTorch(bytes, { ...options, name });
  return { name, format, tensors: pickStateDict(value, { name }), metadata: null };
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
}

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
      "buildRecurrent",
      "nonlinearity",
      `applies to an nn.RNN only; ${file.name} holds ${a.kind === "GRU" ? "a" : "an"} ${a.kind}`,
      "none",
      nonlinearity,
    );
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
  return { module, architecture: a, storedDType, notes };
}
