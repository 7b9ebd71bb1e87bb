// Every step's gates and states of a recurrent module's forward (nn layer), for the pages that show
// them: the activated gates (LSTM i, f, g, o; GRU r, z, n, in PyTorch's chunk order), the LSTM cell
// state c_t and the output h_t of every layer and direction, at every time step. They are the very
// values the forward computes (the buffers BPTT saves), laid out like the module's output.

import { noGrad } from "../autograd/tape.js";
import type { LayerSaved } from "../kernels/types.js";
import { Tensor } from "../tensor/index.js";
import { type LayerTraceCall, traceHook } from "./recurrent.js";
import type { GRU, LSTM, RNN } from "./rnn.js";
import { type RunRecurrentOptions, runRecurrent } from "./run.js";
import { PackedSequence } from "./utils/packed_sequence.js";
import { packPaddedSequence, padPackedSequence } from "./utils/rnn.js";

/** One layer-direction's values at every step, each laid out like the module's output: (L, N, ·), (N, L, ·) when batchFirst, (L, ·) unbatched. */
export interface StepTrace {
  readonly layer: number;
  readonly reverse: boolean;
  /** Activated gates, (…, G·H): LSTM [i, f, g, o], GRU [r, z, n]; null for an RNN (h is its only value). */
  readonly gates: Tensor | null;
  /** LSTM: the cell state c_t, (…, H); null otherwise. */
  readonly c: Tensor | null;
  /** The output h_t, (…, H_out). */
  readonly h: Tensor;
}

export interface TraceResult {
  readonly output: Tensor;
  readonly hN: Tensor;
  readonly cN: Tensor | null;
  /** Layer 0 forward, [layer 0 reverse], layer 1 forward, … */
  readonly steps: StepTrace[];
}

/**
 * runRecurrent (pack with `lengths`, forward, pad back) that also returns every layer-direction's
 * gates and states at every step. Padding positions past a sequence's length are zeros.
 */
export function traceRecurrent(
  module: RNN | LSTM | GRU,
  input: Tensor,
  options: RunRecurrentOptions = {},
): TraceResult {
  const calls: LayerTraceCall[] = [];
  const previous = traceHook.fn;
  traceHook.fn = (call) => calls.push(call);
  let result: ReturnType<typeof runRecurrent>;
  try {
    result = noGrad(() => runRecurrent(module, input, options));
  } finally {
    traceHook.fn = previous;
  }
  const batchFirst = module.batchFirst;
  const lengths = options.lengths ?? null;
  // The rows' layout, as the module laid the input out (RNNBase.inputRows).
  const packed = lengths
    ? packPaddedSequence(input, [...lengths], { batchFirst, enforceSorted: false })
    : null;
  const shapeRows = (rows: Tensor): Tensor => {
    if (packed)
      return padPackedSequence(
        new PackedSequence(rows, packed.batchSizes, packed.sortedIndices, packed.unsortedIndices),
        { batchFirst },
      )[0];
    if (input.ndim === 2) return rows;
    const out = rows.reshape(
      input.shape[batchFirst ? 1 : 0]!,
      input.shape[batchFirst ? 0 : 1]!,
      rows.shape[1]!,
    );
    return batchFirst ? out.transpose(0, 1) : out;
  };
  const steps: StepTrace[] = [];
  calls.forEach((call, layer) => {
    const D = call.saved.length;
    const P = call.out.shape[1]! / D;
    call.saved.forEach((s: LayerSaved, d) => {
      const N = call.out.shape[0]!;
      const G = s.gates.length / N;
      const H = call.hiddenSize;
      steps.push({
        layer,
        reverse: d === 1,
        gates: call.kind === "lstm" || call.kind === "gru" ? shapeRows(new Tensor(s.gates, [N, G])) : null,
        c: s.c ? shapeRows(new Tensor(s.c, [N, H])) : null,
        h: shapeRows(call.out.narrow(1, d * P, P)),
      });
    });
  });
  return { ...result, steps };
}
