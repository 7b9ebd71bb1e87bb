// Finding the state dict in what loadTorch returns (io layer): a bare state dict, or a checkpoint such as
// {"model": state_dict, "optimizer": ..., "epoch": 3}, with key prefixes such as `module.` (nn.DataParallel)
// or `encoder.rnn.` (a submodule).

import { ArgumentError } from "../../errors.js";
import { FormatError } from "../errors.js";
import { isStoredTensor, type StoredTensor } from "../stored.js";
import { describe, type PickleValue } from "./pickle.js";

/**
 * Keys for a message: the first few, strings quoted and cut short, other values by what they are
 * (never `String(key)`: a key of tuples shared through the memo would expand exponentially).
 */
function listKeys(keys: Iterable<unknown>): string {
  const shown: string[] = [];
  let n = 0;
  for (const k of keys) {
    if (n++ < 12)
      shown.push(
        typeof k === "string"
          ? `'${k.length > 60 ? `${k.slice(0, 60)}...` : k}'`
          : typeof k === "number" || typeof k === "bigint"
            ? String(k).slice(0, 30)
            : describe(k),
      );
  }
  return n > shown.length ? `${shown.join(", ")} and ${n - shown.length} more` : shown.join(", ");
}

/** Checkpoint keys that conventionally hold the model's state dict, most specific first. */
const PREFERRED_KEYS = ["state_dict", "model_state_dict", "model", "module", "net", "network", "weights"];

function asStateDict(v: PickleValue | undefined): Map<string, StoredTensor> | null {
  if (!(v instanceof Map)) return null;
  for (const [k, x] of v) if (typeof k !== "string" || !isStoredTensor(x)) return null;
  return v as Map<string, StoredTensor>;
}

export interface PickStateDictOptions {
  /** The checkpoint key holding the state dict, or a path of keys (["ema", "model"]). */
  readonly key?: string | readonly string[];
  /** Keep only the keys starting with this prefix, without it (like the CLI's `--prefix rnn.`). */
  readonly prefix?: string;
  /** The file's name, for messages. */
  readonly name?: string;
}

/**
 * The state dict (string keys → tensors, in the file's order) in a loaded `.pt` value: the value itself
 * when it is one; `options.key` when given; otherwise the only entry of a checkpoint that is a state dict,
 * or, when several are, the first of "state_dict", "model_state_dict", "model", "module", "net",
 * "network", "weights". The error lists the candidates when the choice is not clear.
 */
export function pickStateDict(
  value: PickleValue,
  options: PickStateDictOptions = {},
): Map<string, StoredTensor> {
  const fail = (detail: string): never => {
    throw new FormatError("torch", options.name ?? null, detail);
  };
  let dict = asStateDict(value);
  if (options.key !== undefined) {
    const path = typeof options.key === "string" ? [options.key] : options.key;
    let v: PickleValue | undefined = value;
    for (const k of path) {
      if (!(v instanceof Map))
        return fail(`cannot look up '${k}' in ${v === undefined ? "nothing" : "a non-dict"}`);
      if (!v.has(k)) return fail(`no key '${k}' (keys: ${listKeys(v.keys())})`);
      v = v.get(k);
    }
    dict = asStateDict(v);
    if (dict === null)
      return fail(`'${path.join("/")}' is not a state dict (a dict of tensors with string keys)`);
  } else if (dict === null) {
    if (!(value instanceof Map))
      return fail(`the file holds no state dict (its top level is ${describe(value)}, not a dict)`);
    const candidates = [...value].filter(([k, v]) => typeof k === "string" && asStateDict(v)?.size);
    if (candidates.length === 0)
      return fail(`no state dict in the checkpoint (top-level keys: ${listKeys(value.keys())})`);
    const chosen =
      candidates.length === 1
        ? candidates[0]
        : candidates.find(([k]) => PREFERRED_KEYS.includes(k as string));
    if (chosen === undefined)
      return fail(
        `the checkpoint holds several state dicts (${listKeys(candidates.map(([k]) => k))}); choose one with options.key`,
      );
    dict = chosen[1] as Map<string, StoredTensor>;
  }
  if (options.prefix === undefined) return dict;
  const prefix = options.prefix;
  const out = new Map<string, StoredTensor>();
  for (const [k, t] of dict) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), t);
  if (out.size === 0) {
    const heads = [...new Set([...dict.keys()].map((k) => `${k.split(".")[0]}.`))].slice(0, 10);
    fail(`no key starts with '${prefix}' (prefixes present: ${listKeys(heads)})`);
  }
  return out;
}

/**
 * Removes `prefix` from the keys that start with it, keeping the order (PyTorch's
 * torch.nn.modules.utils.consume_prefix_in_state_dict_if_present, e.g. for `module.` of nn.DataParallel).
 */
export function consumePrefix<T>(dict: ReadonlyMap<string, T>, prefix: string): Map<string, T> {
  if (typeof prefix !== "string")
    throw new ArgumentError("io.consumePrefix", "prefix", "must be a string", "string", prefix);
  const out = new Map<string, T>();
  for (const [k, v] of dict) out.set(k.startsWith(prefix) ? k.slice(prefix.length) : k, v);
  return out;
}
