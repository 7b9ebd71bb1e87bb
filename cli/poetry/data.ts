// Splitting poems and cutting them into batches (CLI, poetry). A batch is already in the packed
// layout (Note [packed layout] in src/nn/utils/packed_sequence.ts): poems sorted by length, then
// step by step, so the model runs on sum(lengths) rows and never on padding.

import { Generator, type Tensor, tensor } from "../../src/index.js";
import { UsageError } from "../usage.js";

/** Held out for validation: 5% of the poems, at least one; the split never depends on --seed. */
export const VAL_FRACTION = 0.05;
export const MIN_POEMS = 20;
const SPLIT_SEED = 20_240;

export interface Split {
  readonly train: readonly string[];
  readonly val: readonly string[];
}

export function splitPoems(poems: readonly string[], source: string): Split {
  if (poems.length < MIN_POEMS)
    throw new UsageError(
      `${source} has ${poems.length} poems; at least ${MIN_POEMS} are needed (${VAL_FRACTION * 100}% are held out for validation)`,
    );
  const order = permutation(poems.length, new Generator(SPLIT_SEED));
  const nVal = Math.max(1, Math.round(poems.length * VAL_FRACTION));
  return { val: order.slice(0, nVal).map((i) => poems[i]!), train: order.slice(nVal).map((i) => poems[i]!) };
}

/** A uniformly random permutation of 0..n−1 (Fisher-Yates). */
export function permutation(n: number, g: Generator): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(g.random() * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/** The order of the training poems in epoch `epoch` (0-based): a function of the seed and the epoch only. */
export function epochOrder(n: number, seed: number, epoch: number): number[] {
  return permutation(n, new Generator(seed * 1_000_003 + epoch));
}

export interface Batch {
  /** int32 [N]: every poem's input tokens (<bos> c1 … cn) in the packed layout. */
  readonly ids: Tensor;
  /** int32 [N]: the token that follows each (c1 … cn <eos>), same layout. */
  readonly targets: Tensor;
  /** int32 [T]: live poems per step. */
  readonly batchSizes: Tensor;
  readonly tokens: number;
}

/** Packs encoded poems ([<bos>, …, <eos>] each) into one batch. */
export function makeBatch(encoded: readonly (readonly number[])[]): Batch {
  const seqs = [...encoded].sort((a, b) => b.length - a.length);
  const T = seqs[0]!.length - 1;
  const batchSizes: number[] = [];
  const ids: number[] = [];
  const targets: number[] = [];
  for (let t = 0; t < T; t++) {
    let live = 0;
    for (const s of seqs) {
      if (t >= s.length - 1) break;
      ids.push(s[t]!);
      targets.push(s[t + 1]!);
      live++;
    }
    batchSizes.push(live);
  }
  return {
    ids: tensor(Int32Array.from(ids)),
    targets: tensor(Int32Array.from(targets)),
    batchSizes: tensor(Int32Array.from(batchSizes)),
    tokens: ids.length,
  };
}
