// Architecture inference (nn layer): which nn.RNN / LSTM / GRU a state dict holds, from its
// names and shapes alone, as PyTorch names them (rnn.py RNNBase). Files are not this layer's
// business: callers pass names → shapes, however they read them.

import { ArgumentError } from "../errors.js";
import { flatWeightNames } from "./rnn.js";

export type RecurrentKind = "RNN" | "LSTM" | "GRU";

export interface InferredRecurrent {
  /** The key prefix of the module in the state dict ("" or e.g. "encoder.rnn."). */
  readonly prefix: string;
  readonly kind: RecurrentKind;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly bidirectional: boolean;
  readonly projSize: number;
}

const KIND_BY_GATES: Record<number, RecurrentKind> = { 1: "RNN", 3: "GRU", 4: "LSTM" };
const GATES_BY_KIND = { RNN: 1, GRU: 3, LSTM: 4 } as const satisfies Record<RecurrentKind, number>;

/** Every recurrent module in the dict, one per prefix that has a `weight_hh_l0`, in key order. */
export function findRecurrent(shapes: ReadonlyMap<string, readonly number[]>): InferredRecurrent[] {
  const prefixes = [...shapes.keys()]
    .filter((k) => k.endsWith("weight_hh_l0"))
    .map((k) => k.slice(0, -"weight_hh_l0".length));
  return prefixes.map((p) => inferAt(shapes, p));
}

/**
 * The recurrent module at `prefix`, or the only one in the dict when `prefix` is undefined (an
 * error lists the candidates when there are several or none). Checks that every tensor the
 * architecture needs is present with PyTorch's shape.
 */
export function inferRecurrent(
  shapes: ReadonlyMap<string, readonly number[]>,
  prefix?: string,
): InferredRecurrent {
  if (prefix !== undefined) {
    if (!shapes.has(`${prefix}weight_hh_l0`)) {
      const found = findPrefixes(shapes);
      throw new ArgumentError(
        "inferRecurrent",
        "prefix",
        "names no recurrent module in the state dict",
        found.length > 0
          ? `one of ${found.map((p) => `'${p}'`).join(", ")}`
          : "a state dict with weight_hh_l0",
        prefix,
      );
    }
    return inferAt(shapes, prefix);
  }
  const found = findPrefixes(shapes);
  if (found.length !== 1)
    throw new ArgumentError(
      "inferRecurrent",
      "state dict",
      found.length === 0
        ? "holds no recurrent module (no key ends in weight_hh_l0)"
        : "holds several recurrent modules; choose one with a prefix",
      found.length === 0
        ? "weight_ih_l0, weight_hh_l0, ..."
        : `a prefix, one of ${found.map((p) => `'${p}'`).join(", ")}`,
      `${shapes.size} tensors`,
    );
  return inferAt(shapes, found[0]!);
}

function findPrefixes(shapes: ReadonlyMap<string, readonly number[]>): string[] {
  return [...shapes.keys()]
    .filter((k) => k.endsWith("weight_hh_l0"))
    .map((k) => k.slice(0, -"weight_hh_l0".length));
}

function inferAt(shapes: ReadonlyMap<string, readonly number[]>, prefix: string): InferredRecurrent {
  const get = (name: string) => shapes.get(prefix + name);
  const where = `inferRecurrent(${prefix || "<root>"})`;
  const whh = get("weight_hh_l0")!;
  const wih = get("weight_ih_l0");
  const whr = get("weight_hr_l0");
  if (whh.length !== 2 || !wih || wih.length !== 2)
    throw new ArgumentError(
      where,
      "weight_ih_l0 / weight_hh_l0",
      "must both be 2-D",
      "[G·H, I] and [G·H, H]",
      `${show(wih)} and ${show(whh)}`,
    );
  // weight_hh is [G·H, H], or [4·H, P] with projection: the gate count comes from its rows over
  // the hidden size, which weight_hr gives when present (weight_ih alone is ambiguous).
  const rows = whh[0]!;
  const hiddenSize = whr ? whr[1]! : whh[1]!;
  const gates = rows / hiddenSize;
  const kind = KIND_BY_GATES[gates];
  if (!kind || (whr && kind !== "LSTM"))
    throw new ArgumentError(
      where,
      "weight_hh_l0.shape",
      "must be [G·H, H] with G = 1 (RNN), 3 (GRU) or 4 (LSTM)",
      "rows a multiple 1, 3 or 4 of the hidden size",
      whh,
    );
  const projSize = whr ? whr[0]! : 0;
  let numLayers = 0;
  while (shapes.has(`${prefix}weight_hh_l${numLayers}`)) numLayers++;
  const bidirectional = shapes.has(`${prefix}weight_hh_l0_reverse`);
  const bias = shapes.has(`${prefix}bias_ih_l0`);
  const inferred: InferredRecurrent = {
    prefix,
    kind,
    inputSize: wih[1]!,
    hiddenSize,
    numLayers,
    bias,
    bidirectional,
    projSize,
  };
  checkComplete(where, shapes, inferred);
  return inferred;
}

/** Every tensor of the inferred architecture present with its shape, and no stray l{k} tensors. */
function checkComplete(
  where: string,
  shapes: ReadonlyMap<string, readonly number[]>,
  a: InferredRecurrent,
): void {
  const G = GATES_BY_KIND[a.kind] * a.hiddenSize;
  const P = a.projSize > 0 ? a.projSize : a.hiddenSize;
  const D = a.bidirectional ? 2 : 1;
  const problems: string[] = [];
  const expected = new Set<string>();
  for (let l = 0; l < a.numLayers; l++)
    for (let d = 0; d < D; d++) {
      const names = flatWeightNames(l, d === 1, a.bias, a.projSize > 0);
      const want: number[][] = [
        [G, l === 0 ? a.inputSize : D * P],
        [G, P],
        ...(a.bias ? [[G], [G]] : []),
        ...(a.projSize > 0 ? [[a.projSize, a.hiddenSize]] : []),
      ];
      for (const [i, n] of names.entries()) {
        expected.add(a.prefix + n);
        const got = shapes.get(a.prefix + n);
        if (!got) problems.push(`missing ${a.prefix}${n}`);
        else if (show(got) !== show(want[i]!))
          problems.push(`${a.prefix}${n} has shape ${show(got)}, expected ${show(want[i]!)}`);
      }
    }
  const layerKey = /^(weight|bias)_(ih|hh|hr)_l\d+(_reverse)?$/;
  for (const k of shapes.keys())
    if (k.startsWith(a.prefix) && layerKey.test(k.slice(a.prefix.length)) && !expected.has(k))
      problems.push(`unexpected ${k}`);
  if (problems.length > 0)
    throw new ArgumentError(
      where,
      "state dict",
      `does not hold a consistent ${a.kind} (${problems.join("; ")})`,
      "every tensor of the architecture with its shape",
      `${problems.length} problem(s)`,
    );
}

function show(shape: readonly number[] | undefined): string {
  return shape ? `[${shape.join(", ")}]` : "none";
}
