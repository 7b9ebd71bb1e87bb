// Whole-model files (io layer): the torch.nn modules in the inert records `loadTorch(bytes,
// { objects: "records" })` gives for `torch.save(model)`. A module record is a TorchObject whose
// state has `_parameters` and `_modules`; torch.nn's own classes are recognised by name and read for
// the options they store. `toModule` turns a record into rnnkit modules with those options and
// weights. Nothing here runs anything of the file: it reads names, numbers and tensors.

import { ArgumentError } from "../../errors.js";
import * as nn from "../../nn/index.js";
import type { Tensor } from "../../tensor/index.js";
import { FormatError } from "../errors.js";
import { isStoredTensor, type StoredTensor, toTensor } from "../stored.js";
import { describe, type PickleValue, TorchObject } from "./pickle.js";

/** The torch.nn classes rnnkit has a counterpart of, by PyTorch's dotted class name. */
const KINDS = {
  "torch.nn.modules.rnn.RNN": "RNN",
  "torch.nn.modules.rnn.LSTM": "LSTM",
  "torch.nn.modules.rnn.GRU": "GRU",
  "torch.nn.modules.rnn.RNNCell": "RNNCell",
  "torch.nn.modules.rnn.LSTMCell": "LSTMCell",
  "torch.nn.modules.rnn.GRUCell": "GRUCell",
  "torch.nn.modules.linear.Linear": "Linear",
  "torch.nn.modules.sparse.Embedding": "Embedding",
  "torch.nn.modules.dropout.Dropout": "Dropout",
} as const;

export type TorchModuleKind = (typeof KINDS)[keyof typeof KINDS];

/** The options each recognised class stores in its `__dict__`, as PyTorch names them. */
/** What RNNBase.__init__ stores, for nn.LSTM and nn.GRU; nn.RNN adds its nonlinearity. */
const RECURRENT_OPTIONS = [
  "mode",
  "input_size",
  "hidden_size",
  "num_layers",
  "bias",
  "batch_first",
  "dropout",
  "bidirectional",
  "proj_size",
] as const;

const OPTIONS: Record<TorchModuleKind, readonly string[]> = {
  RNN: [...RECURRENT_OPTIONS, "nonlinearity"],
  LSTM: RECURRENT_OPTIONS,
  GRU: RECURRENT_OPTIONS,
  RNNCell: ["input_size", "hidden_size", "bias", "nonlinearity"],
  LSTMCell: ["input_size", "hidden_size", "bias"],
  GRUCell: ["input_size", "hidden_size", "bias"],
  Linear: ["in_features", "out_features"],
  Embedding: [
    "num_embeddings",
    "embedding_dim",
    "padding_idx",
    "max_norm",
    "norm_type",
    "scale_grad_by_freq",
    "sparse",
  ],
  Dropout: ["p", "inplace"],
};

const RECURRENT = new Set<TorchModuleKind>(["RNN", "LSTM", "GRU"]);

/** One module of a whole-model file: where it sits, its class, and what it holds. */
export interface ModuleRecord {
  /** Its attribute path from the root ("" for the root, "encoder.rnn"). */
  readonly path: string;
  /** PyTorch's dotted class name ("torch.nn.modules.rnn.LSTM", "__main__.RNNModel"). */
  readonly className: string;
  /** The torch.nn class rnnkit runs, or null (a class of the user's own, or one rnnkit lacks). */
  readonly kind: TorchModuleKind | null;
  /** The options a recognised class stores (input_size, batch_first, nonlinearity...), as stored. */
  readonly options: Readonly<Record<string, PickleValue>>;
  /** Its own parameters (None slots left out), in registration order. */
  readonly parameters: ReadonlyMap<string, StoredTensor>;
  /** Its own persistent buffers, in registration order. */
  readonly buffers: ReadonlyMap<string, StoredTensor>;
  readonly children: readonly ModuleRecord[];
}

/** Whether `v` is the record of a torch.nn.Module (of any class): a state with _parameters and _modules. */
export function isModuleObject(v: unknown): v is TorchObject {
  return (
    v instanceof TorchObject &&
    v.state instanceof Map &&
    v.state.get("_parameters") instanceof Map &&
    v.state.get("_modules") instanceof Map
  );
}

function fail(name: string | undefined, detail: string): never {
  throw new FormatError("torch", name ?? null, detail);
}

function tensorsOf(
  dict: PickleValue | undefined,
  skip: ReadonlySet<string>,
  where: string,
  name: string | undefined,
): Map<string, StoredTensor> {
  const out = new Map<string, StoredTensor>();
  if (dict === undefined || dict === null) return out;
  if (!(dict instanceof Map)) return fail(name, `${where} is ${describe(dict)}, not a dict`);
  for (const [k, v] of dict) {
    if (typeof k !== "string") return fail(name, `${where} has a key that is ${describe(k)}, not a str`);
    if (v === null || skip.has(k)) continue;
    if (!isStoredTensor(v))
      return fail(name, `${where}['${k.slice(0, 60)}'] is ${describe(v)}, not a tensor`);
    out.set(k, v);
  }
  return out;
}

/**
 * The module tree of a module record: each module's class, recognised options, own parameters and
 * persistent buffers, and children in `_modules` order. `name` names the file in messages.
 */
export function moduleTree(
  obj: TorchObject,
  options: { name?: string | undefined; path?: string } = {},
): ModuleRecord {
  const { name, path = "" } = options;
  const at = path === "" ? "the root module" : `module '${path}'`;
  if (!isModuleObject(obj)) return fail(name, `${at} (${describe(obj)}) is not a torch.nn.Module record`);
  const state = obj.state as Map<PickleValue, PickleValue>;
  const kind = (KINDS as Record<string, TorchModuleKind>)[obj.className] ?? null;
  const recorded: Record<string, PickleValue> = {};
  if (kind !== null) for (const k of OPTIONS[kind]) if (state.has(k)) recorded[k] = state.get(k)!;
  const skip = state.get("_non_persistent_buffers_set");
  const nonPersistent = new Set(
    Array.isArray(skip) ? skip.filter((s): s is string => typeof s === "string") : [],
  );
  const children: ModuleRecord[] = [];
  for (const [k, child] of state.get("_modules") as Map<PickleValue, PickleValue>) {
    if (typeof k !== "string") return fail(name, `${at}: a submodule's name is ${describe(k)}, not a str`);
    if (child === null) continue;
    const childPath = path === "" ? k : `${path}.${k}`;
    if (!(child instanceof TorchObject))
      return fail(name, `module '${childPath}' is ${describe(child)}, not a module record`);
    children.push(moduleTree(child, { name, path: childPath }));
  }
  return {
    path,
    className: obj.className,
    kind,
    options: recorded,
    parameters: tensorsOf(state.get("_parameters"), new Set(), `${at}'s _parameters`, name),
    buffers: tensorsOf(state.get("_buffers"), nonPersistent, `${at}'s _buffers`, name),
    children,
  };
}

/** Every module of the tree, the root first, depth first in `_modules` order. */
export function flattenModules(root: ModuleRecord): ModuleRecord[] {
  const out: ModuleRecord[] = [];
  const walk = (m: ModuleRecord) => {
    out.push(m);
    for (const c of m.children) walk(c);
  };
  walk(root);
  return out;
}

/** `model.state_dict()` of the record: own parameters, then persistent buffers, then each child's, PyTorch's keys and order. */
export function moduleStateDict(root: ModuleRecord): Map<string, StoredTensor> {
  const out = new Map<string, StoredTensor>();
  const walk = (m: ModuleRecord, prefix: string) => {
    for (const [k, t] of m.parameters) out.set(prefix + k, t);
    for (const [k, t] of m.buffers) out.set(prefix + k, t);
    for (const c of m.children) walk(c, `${prefix}${c.path.slice(c.path.lastIndexOf(".") + 1)}.`);
  };
  walk(root, "");
  return out;
}

/**
 * The whole models in a loaded value: the value itself when it is a module record, or the module
 * records among a checkpoint dict's values or a list's items ({"model": model, "optimizer": ...},
 * awd-lstm's [model, criterion, optimizer]). `key` says where each was found (null at the top).
 */
export function findModels(
  value: PickleValue,
  options: { name?: string | undefined } = {},
): { readonly key: string | null; readonly root: ModuleRecord }[] {
  if (isModuleObject(value)) return [{ key: null, root: moduleTree(value, options) }];
  const out: { key: string | null; root: ModuleRecord }[] = [];
  const entries: [string, PickleValue][] =
    value instanceof Map
      ? [...value].filter((e): e is [string, PickleValue] => typeof e[0] === "string")
      : Array.isArray(value)
        ? value.map((v, i) => [String(i), v])
        : [];
  for (const [k, v] of entries) if (isModuleObject(v)) out.push({ key: k, root: moduleTree(v, options) });
  return out;
}

const isInt = (v: PickleValue | undefined): v is number => typeof v === "number" && Number.isSafeInteger(v);

/** A recorded option of the type rnnkit needs, or a FormatError naming the module and option. */
function option<T extends PickleValue>(
  m: ModuleRecord,
  key: string,
  check: (v: PickleValue | undefined) => v is T,
  expected: string,
  fallback?: T,
): T {
  const v = m.options[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (!check(v))
    throw new ArgumentError(
      "io.toModule",
      `${m.path || "the root"}.${key}`,
      `of ${m.className} must be ${expected}`,
      expected,
      v === undefined ? "nothing" : describe(v),
    );
  return v;
}

const isBool = (v: PickleValue | undefined): v is boolean => typeof v === "boolean";
const isNumber = (v: PickleValue | undefined): v is number => typeof v === "number";
const isActivation = (v: PickleValue | undefined): v is "tanh" | "relu" => v === "tanh" || v === "relu";

/** The options of a recorded nn.RNN / LSTM / GRU in rnnkit's names (the weights' dtype decides dtype). */
export function recurrentOptions(m: ModuleRecord) {
  if (m.kind === null || !RECURRENT.has(m.kind))
    throw new ArgumentError(
      "io.recurrentOptions",
      "record",
      "must be an nn.RNN, nn.LSTM or nn.GRU",
      "RNN, LSTM or GRU",
      m.className,
    );
  const first = m.parameters.get("weight_ih_l0");
  return {
    kind: m.kind as "RNN" | "LSTM" | "GRU",
    inputSize: option(m, "input_size", isInt, "an int"),
    hiddenSize: option(m, "hidden_size", isInt, "an int"),
    numLayers: option(m, "num_layers", isInt, "an int"),
    bias: option(m, "bias", isBool, "a bool"),
    batchFirst: option(m, "batch_first", isBool, "a bool"),
    dropout: option(m, "dropout", isNumber, "a float"),
    bidirectional: option(m, "bidirectional", isBool, "a bool"),
    projSize: option<number>(m, "proj_size", isInt, "an int", 0),
    nonlinearity: m.kind === "RNN" ? option(m, "nonlinearity", isActivation, "'tanh' or 'relu'") : undefined,
    dtype: first?.dtype === "float64" ? ("float64" as const) : ("float32" as const),
  };
}

/** The module's own weights as rnnkit tensors in `dtype` (float16/bfloat16 widen exactly to float32). */
function weights(m: ModuleRecord, dtype: "float32" | "float64"): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, t] of m.parameters) {
    const x = toTensor(t, `${m.path}.${k}`);
    out[k] = x.dtype === dtype ? x : x.to(dtype);
  }
  return out;
}

/** A module of a class rnnkit does not run (the user's container): its children and own parameters, for state dicts. */
export class RecordedModule extends nn.Module {
  constructor(
    readonly record: ModuleRecord,
    children: readonly (readonly [string, nn.Module])[],
    own: Record<string, Tensor>,
  ) {
    super(record.className);
    for (const [k, t] of Object.entries(own)) this.registerParameter(k, t);
    for (const [k, m] of children) this.registerModule(k, m);
  }
}

export type RecurrentModule = nn.RNN | nn.LSTM | nn.GRU;

/**
 * rnnkit modules for a module record, with the recorded options and weights: nn.RNN / LSTM / GRU,
 * the cells, Linear, Embedding and Dropout as themselves; any other class as a RecordedModule holding
 * its children, so `stateDict()` of the root equals PyTorch's `model.state_dict()` (buffers aside).
 * Every module is in eval mode.
 */
export function toModule(m: ModuleRecord): nn.Module {
  const built = build(m);
  built.eval();
  return built;
}

function build(m: ModuleRecord): nn.Module {
  const dtype = [...m.parameters.values()].some((t) => t.dtype === "float64") ? "float64" : "float32";
  let out: nn.Module;
  switch (m.kind) {
    case "RNN":
    case "LSTM":
    case "GRU": {
      const { kind, nonlinearity, projSize, ...o } = recurrentOptions(m);
      out =
        kind === "LSTM"
          ? new nn.LSTM({ ...o, projSize })
          : kind === "GRU"
            ? new nn.GRU(o)
            : new nn.RNN({ ...o, nonlinearity: nonlinearity! });
      break;
    }
    case "RNNCell":
    case "LSTMCell":
    case "GRUCell": {
      const o = {
        inputSize: option(m, "input_size", isInt, "an int"),
        hiddenSize: option(m, "hidden_size", isInt, "an int"),
        bias: option(m, "bias", isBool, "a bool"),
        dtype,
      } as const;
      out =
        m.kind === "LSTMCell"
          ? new nn.LSTMCell(o)
          : m.kind === "GRUCell"
            ? new nn.GRUCell(o)
            : new nn.RNNCell({
                ...o,
                nonlinearity: option(m, "nonlinearity", isActivation, "'tanh' or 'relu'"),
              });
      break;
    }
    case "Linear":
      out = new nn.Linear({
        inFeatures: option(m, "in_features", isInt, "an int"),
        outFeatures: option(m, "out_features", isInt, "an int"),
        bias: m.parameters.has("bias"),
        dtype,
      });
      break;
    case "Embedding": {
      if (m.options.max_norm !== null && m.options.max_norm !== undefined)
        throw new ArgumentError(
          "io.toModule",
          `${m.path}.max_norm`,
          "is not supported by rnnkit's Embedding",
          "None",
          describe(m.options.max_norm),
        );
      const pad = m.options.padding_idx;
      out = new nn.Embedding({
        numEmbeddings: option(m, "num_embeddings", isInt, "an int"),
        embeddingDim: option(m, "embedding_dim", isInt, "an int"),
        paddingIdx: isInt(pad) ? pad : null,
        dtype,
      });
      break;
    }
    case "Dropout":
      out = new nn.Dropout({ p: option(m, "p", isNumber, "a float") });
      break;
    case null:
      return new RecordedModule(
        m,
        m.children.map((c) => [c.path.slice(c.path.lastIndexOf(".") + 1), build(c)] as const),
        weights(m, dtype),
      );
  }
  out.loadStateDict(weights(m, dtype));
  return out;
}

/** The recurrent modules of a tree (nn.RNN / LSTM / GRU), which `rnnkit run` can take. */
export function recurrentModules(root: ModuleRecord): ModuleRecord[] {
  return flattenModules(root).filter((m) => m.kind !== null && RECURRENT.has(m.kind));
}
