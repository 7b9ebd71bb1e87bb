// Every layer-direction's values over time, for the pages' heatmaps and strips: the output h_t, the
// LSTM cell state c_t and each activated gate, from the library's nn.traceRecurrent (the values
// the forward computes, step by step). Only rearranged here (a gate is a column block): no math.

import { io, nn, type Tensor } from "rnnkit";

/** What a map shows: the output, the LSTM cell state, or one gate in PyTorch's chunk order. */
export type Quantity = "h" | "c" | "i" | "f" | "g" | "o" | "r" | "z" | "n";

export const GATE_NAMES = {
  RNN: [],
  LSTM: ["i", "f", "g", "o"],
  GRU: ["r", "z", "n"],
} as const satisfies Record<nn.RecurrentKind, readonly Quantity[]>;

/** One layer-direction's values of one quantity over time, (N, L, units) row-major. */
export interface LayerTrace {
  readonly layer: number;
  readonly reverse: boolean;
  readonly quantity: Quantity;
  readonly batch: number;
  readonly steps: number;
  readonly units: number;
  readonly dtype: "float32" | "float64";
  readonly data: Float32Array | Float64Array;
}

/** A module's state dict as a model file (what the pages build models from). */
export function fileOf(module: nn.Module, name: string): io.ModelFile {
  return {
    name,
    format: "safetensors",
    tensors: new Map(Object.entries(module.stateDict()).map(([k, t]) => [k, io.fromTensor(t)])),
    metadata: null,
    checkpoint: null,
    whole: null,
  };
}

/** Every quantity of every layer and direction for input `x` (and `lengths`, packed). */
export function layerTraces(
  module: io.Recurrent,
  x: Tensor,
  lengths: readonly number[] | null,
): LayerTrace[] {
  const kind: nn.RecurrentKind =
    module instanceof nn.LSTM ? "LSTM" : module instanceof nn.GRU ? "GRU" : "RNN";
  const { steps } = nn.traceRecurrent(module, x, { lengths });
  const out: LayerTrace[] = [];
  // (N, L, ·) whatever the module's layout: unbatched is one sequence, time-major is transposed.
  const nlc = (t: Tensor): Tensor =>
    t.ndim === 2 ? t.reshape([1, t.shape[0]!, t.shape[1]!]) : module.batchFirst ? t : t.transpose(0, 1);
  const push = (s: nn.StepTrace, quantity: Quantity, t: Tensor) => {
    const [batch, len, units] = t.shape as [number, number, number];
    out.push({
      layer: s.layer,
      reverse: s.reverse,
      quantity,
      batch,
      steps: len,
      units,
      dtype: t.dtype as "float32" | "float64",
      data: t.data as Float32Array | Float64Array,
    });
  };
  for (const s of steps) {
    push(s, "h", nlc(s.h));
    if (s.c) push(s, "c", nlc(s.c));
    if (s.gates) {
      const g = nlc(s.gates);
      const names = GATE_NAMES[kind];
      const H = g.shape[2]! / names.length;
      for (const [j, q] of names.entries()) push(s, q, g.narrow(-1, j * H, H));
    }
  }
  return out;
}
