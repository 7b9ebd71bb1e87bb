// What every implementation's layer needs to agree on (kernels layer): the gate count per cell kind,
// a layer's output size and the sizes of one layer call. The layers themselves are the contract's
// layerForward / layerBackward (types.ts), one per implementation: ts/layer.ts (the reference),
// wasm/layer.ts, native/layer.ts.

import type { CellKind, F, LayerSpec, LayerWeights } from "./types.js";

export type {
  CellKind,
  LayerGradIn,
  LayerGrads,
  LayerRun,
  LayerSaved,
  LayerSpec,
  LayerWeights,
} from "./types.js";

/** Gate blocks per cell kind: RNN one, GRU r z n, LSTM i f g o. */
export const GATES = { rnn_tanh: 1, rnn_relu: 1, gru: 3, lstm: 4 } as const satisfies Record<
  CellKind,
  number
>;

/** Output features of a layer: projSize when projecting, else hiddenSize. */
export function outputSize(spec: LayerSpec): number {
  return spec.projSize > 0 ? spec.projSize : spec.hiddenSize;
}

/**
 * The sizes of one layer call, derived once for every implementation: output features P, gate
 * columns G, time steps T, batch B (the rows live at the first step), packed rows N and the first
 * packed row of each step.
 */
export interface LayerDims {
  readonly P: number;
  readonly G: number;
  readonly T: number;
  readonly B: number;
  readonly N: number;
  readonly starts: readonly number[];
}

export function layerDims(spec: LayerSpec, batchSizes: ArrayLike<number>): LayerDims {
  const T = batchSizes.length;
  const starts = new Array<number>(T);
  let N = 0;
  for (let t = 0; t < T; N += batchSizes[t]!, t++) starts[t] = N;
  return {
    P: outputSize(spec),
    G: GATES[spec.kind] * spec.hiddenSize,
    T,
    B: T > 0 ? batchSizes[0]! : 0,
    N,
    starts,
  };
}

/**
 * An implementation's copies of layer weights in its own layout (packed GEMM panels), kept between
 * calls while the weights are unchanged: the same five arrays at the same `version` (PyTorch keeps
 * `_flat_weights` likewise, ONNX Runtime packs W and R once per session). Entries live as long as
 * the weight arrays (a WeakMap on w_ih). `tag` tells apart layouts made from the same weights
 * (forward or backward panels, dtype, batch-1 wide panels). Weights without a version are never
 * cached.
 */
export class WeightCache<V> {
  private readonly entries = new WeakMap<F, Map<string, { w: LayerWeights; value: V }>>();

  get(w: LayerWeights, tag: string, make: () => V): V {
    if (w.version === undefined) return make();
    let byTag = this.entries.get(w.wIh);
    const hit = byTag?.get(tag);
    if (
      hit &&
      hit.w.version === w.version &&
      hit.w.wHh === w.wHh &&
      hit.w.bIh === w.bIh &&
      hit.w.bHh === w.bHh &&
      hit.w.wHr === w.wHr
    )
      return hit.value;
    const value = make();
    if (!byTag) {
      byTag = new Map();
      this.entries.set(w.wIh, byTag);
    }
    byTag.set(tag, { w: { ...w }, value });
    return value;
  }
}
