// PackedSequence (nn layer): torch.nn.utils.rnn.PackedSequence. See Note [packed layout].
//
// Note [packed layout]
// A batch of B sequences, sorted by decreasing length, is stored time step by time step: the rows
// of step t are the first batchSizes[t] sequences' elements at t, so `data` is [sum(lengths), *] and
// batchSizes (length T = the longest length) never increases. Recurrent layers run on this layout
// directly: at step t only the first batchSizes[t] rows of the state are live. Unpacked input
// (T, B, *) is the special case batchSizes[t] = B for every t. sortedIndices[i] is the original
// batch position of sorted sequence i; unsortedIndices is its inverse. Both are null when the
// sequences were already sorted (enforceSorted).

import { ArgumentError } from "../../errors.js";
import { indexSelect, Tensor } from "../../tensor/index.js";

export class PackedSequence {
  /** [sum(lengths), *] rows in the packed layout. */
  readonly data: Tensor;
  /** int32 [T]: how many sequences are still running at each step (non-increasing). */
  readonly batchSizes: Tensor;
  /** int32 [B] or null: sorted position → original batch position. */
  readonly sortedIndices: Tensor | null;
  /** int32 [B] or null: original batch position → sorted position (the inverse permutation). */
  readonly unsortedIndices: Tensor | null;

  constructor(
    data: Tensor,
    batchSizes: Tensor,
    sortedIndices: Tensor | null = null,
    unsortedIndices: Tensor | null = null,
  ) {
    if (batchSizes.dtype !== "int32" || batchSizes.ndim !== 1)
      throw new ArgumentError(
        "PackedSequence",
        "batchSizes",
        "must be a 1-D int32 tensor",
        "int32 [T]",
        `${batchSizes.dtype} [${batchSizes.shape.join(", ")}]`,
      );
    if (data.ndim < 1)
      throw new ArgumentError("PackedSequence", "data.dim()", "must be at least 1", ">= 1", data.ndim);
    const bs = batchSizes.data;
    let total = 0;
    for (let t = 0; t < bs.length; t++) {
      const b = bs[t]!;
      if (b <= 0 || (t > 0 && b > bs[t - 1]!))
        throw new ArgumentError(
          "PackedSequence",
          `batchSizes[${t}]`,
          "must be positive and non-increasing",
          `1..${t > 0 ? bs[t - 1] : "B"}`,
          b,
        );
      total += b;
    }
    if (data.shape[0] !== total)
      throw new ArgumentError(
        "PackedSequence",
        "data.shape[0]",
        "must equal sum(batchSizes)",
        total,
        data.shape[0],
      );
    const B = bs.length > 0 ? bs[0]! : 0;
    for (const [name, idx] of [
      ["sortedIndices", sortedIndices],
      ["unsortedIndices", unsortedIndices],
    ] as const)
      if (idx && (idx.dtype !== "int32" || idx.ndim !== 1 || idx.shape[0] !== B))
        throw new ArgumentError(
          "PackedSequence",
          name,
          "must be a 1-D int32 tensor with one entry per sequence",
          `int32 [${B}]`,
          `${idx.dtype} [${idx.shape.join(", ")}]`,
        );
    this.data = data;
    this.batchSizes = batchSizes;
    this.sortedIndices = sortedIndices;
    // PyTorch derives unsorted_indices from sorted_indices when only the latter is given.
    this.unsortedIndices = unsortedIndices ?? (sortedIndices ? invertPermutation(sortedIndices) : null);
  }
}

/** The inverse of a permutation held in an int32 tensor. */
export function invertPermutation(perm: Tensor): Tensor {
  const p = perm.data;
  const inv = new Int32Array(p.length);
  for (let i = 0; i < p.length; i++) inv[p[i]!] = i;
  return new Tensor(inv, perm.shape);
}

/**
 * The hidden state `hx` with its batch dimension `dim` reordered by `indices` (index_select), or
 * `hx` itself when `indices` is null: RNNBase.permute_hidden, used by the recurrent modules to move
 * h0 into a packed batch's sorted order (sortedIndices) and hN back (unsortedIndices).
 */
export function permuteBatch(hx: Tensor, indices: Tensor | null, dim = 1): Tensor {
  if (indices === null) return hx;
  if (indices.dtype !== "int32" || indices.ndim !== 1)
    throw new ArgumentError(
      "permuteBatch",
      "indices",
      "must be a 1-D int32 tensor",
      "int32 [B]",
      `${indices.dtype} [${indices.shape.join(", ")}]`,
    );
  return indexSelect(hx, dim, indices.data);
}
