// The explainer's numbers, all from the library: the model its state describes (manualSeed, then
// the module, then randn, in PyTorch's order), its forward, and every layer-direction's output.

import { manualSeed, nn, randn, type Tensor } from "rnnkit";
import { type LayerTrace, layerTraces } from "../common/layers.js";
import type { ExplainState } from "./state.js";

export interface Computed {
  /** The input, (N, L, H_in) row-major whatever batchFirst says. */
  readonly x: Float32Array;
  readonly xShape: readonly number[];
  readonly output: Tensor;
  readonly hN: Tensor;
  readonly cN: Tensor | null;
  readonly traces: readonly LayerTrace[];
  readonly parameters: readonly [string, Tensor][];
}

export function compute(s: ExplainState): Computed {
  manualSeed(s.seed);
  const options = {
    inputSize: s.inputSize,
    hiddenSize: s.hiddenSize,
    numLayers: s.numLayers,
    bias: s.bias,
    batchFirst: s.batchFirst,
    bidirectional: s.bidirectional,
  };
  const m =
    s.cell === "lstm"
      ? new nn.LSTM(options)
      : s.cell === "gru"
        ? new nn.GRU(options)
        : new nn.RNN({ ...options, nonlinearity: s.nonlinearity });
  m.eval();
  const x = randn(s.batchFirst ? [s.batch, s.steps, s.inputSize] : [s.steps, s.batch, s.inputSize]);
  const { output, hN, cN } = nn.runRecurrent(m, x);
  const traces = layerTraces(m, x, null);
  const xr = s.batchFirst ? x : x.transpose(0, 1);
  return {
    x: xr.data as Float32Array,
    xShape: [...x.shape],
    output,
    hN,
    cN,
    traces,
    parameters: [...m.namedParameters()],
  };
}
