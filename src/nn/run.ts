// One forward of a recurrent module as `rnnkit run` makes it (nn layer): optionally pack a padded
// input as pack_padded_sequence(enforce_sorted=False) would, run, pad the output back as
// pad_packed_sequence would. The CLI and the playground page both call this.

import { ArgumentError } from "../errors.js";
import type { Tensor } from "../tensor/index.js";
import { type GRU, LSTM, type RNN } from "./rnn.js";
import { PackedSequence } from "./utils/packed_sequence.js";
import { packPaddedSequence, padPackedSequence } from "./utils/rnn.js";

/**
 * Lengths written as text, `5,3,2`: positive integers separated by commas (spaces allowed), as
 * `rnnkit run --lengths` and the playground take them. Null when the text is not such a list.
 */
export function parseLengths(text: string): number[] | null {
  const parts = text.split(",").map((s) => s.trim());
  const lengths = parts.map(Number);
  if (parts.some((p) => !/^\d+$/.test(p)) || lengths.some((n) => !Number.isSafeInteger(n) || n <= 0))
    return null;
  return lengths;
}

export interface RunRecurrentOptions {
  /** The input is padded: each sequence's length (packed, then the output padded back). */
  readonly lengths?: readonly number[] | null | undefined;
  readonly h0?: Tensor | null | undefined;
  /** LSTM only, with h0. */
  readonly c0?: Tensor | null | undefined;
}

export interface RunRecurrentResult {
  /** (L, N, D·H_out), or (N, L, D·H_out) when batchFirst; padded with zeros past each length. */
  readonly output: Tensor;
  readonly hN: Tensor;
  /** LSTM only. */
  readonly cN: Tensor | null;
}

/** `module`'s forward on `input` (L, N, H_in) / (N, L, H_in) when batchFirst / (L, H_in) unbatched. */
export function runRecurrent(
  module: RNN | LSTM | GRU,
  input: Tensor,
  { lengths = null, h0 = null, c0 = null }: RunRecurrentOptions = {},
): RunRecurrentResult {
  const name = module.constructor.name;
  if (lengths && input.ndim !== 3)
    throw new ArgumentError(
      `${name} run`,
      "input.ndim",
      "must be 3 to pack with lengths (batched: (L, N, H_in), or (N, L, H_in) batch first)",
      3,
      input.ndim,
    );
  const batchFirst = module.batchFirst;
  const x = lengths ? packPaddedSequence(input, [...lengths], { batchFirst, enforceSorted: false }) : input;
  let output: Tensor | PackedSequence;
  let hN: Tensor;
  let cN: Tensor | null = null;
  if (module instanceof LSTM) [output, [hN, cN]] = module.forward(x as Tensor, h0 && c0 ? [h0, c0] : null);
  else [output, hN] = (module as GRU).forward(x as Tensor, h0);
  const padded = output instanceof PackedSequence ? padPackedSequence(output, { batchFirst })[0] : output;
  return { output: padded, hN, cN };
}
