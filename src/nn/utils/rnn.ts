// torch.nn.utils.rnn (nn layer): packing and padding of variable-length batches, camelCased.
// Behaviour follows PyTorch 1.13's torch/nn/utils/rnn.py and aten/src/ATen/native/PackedSequence.cpp
// (_pack_padded_sequence, _pad_packed_sequence, pad_sequence). See Note [packed layout].

import { ArgumentError } from "../../errors.js";
import { cat, gatherRows, Tensor } from "../../tensor/index.js";
import { PackedSequence } from "./packed_sequence.js";

export { PackedSequence } from "./packed_sequence.js";

/** Sequence lengths, one per batch entry: plain integers or a 1-D int32 tensor. */
export type Lengths = readonly number[] | Tensor;

export interface PackPaddedSequenceOptions {
  /** input is (B, T, *) instead of (T, B, *). Default false. */
  readonly batchFirst?: boolean;
  /** lengths must already be non-increasing; when false the batch is sorted here. Default true. */
  readonly enforceSorted?: boolean;
}

export interface PadPackedSequenceOptions {
  /** Output (B, T, *) instead of (T, B, *). Default false. */
  readonly batchFirst?: boolean;
  /** The value of padded positions. Default 0. */
  readonly paddingValue?: number;
  /** Pad the time dimension to this length (at least the longest sequence). Default: the longest. */
  readonly totalLength?: number | undefined;
}

export interface PackSequenceOptions {
  readonly enforceSorted?: boolean;
}

export interface PadSequenceOptions {
  readonly batchFirst?: boolean;
  readonly paddingValue?: number;
}

export interface UnpadSequenceOptions {
  readonly batchFirst?: boolean;
}

const ENFORCE_SORTED_HINT =
  "must be sorted in decreasing order when enforceSorted is true. You can pass enforceSorted: false " +
  "to packPaddedSequence and/or packSequence to sidestep this requirement if you do not need ONNX exportability";
const POSITIVE_RULE =
  "must be greater than 0 (Length of all samples has to be greater than 0, but found an element in " +
  "'lengths' that is <= 0)";

/**
 * Packs a padded batch: `input` (T, B, *), or (B, T, *) when `batchFirst`, with `lengths[b]` valid
 * steps in sequence b. Returns a PackedSequence whose `data` is (sum(lengths), *) and whose
 * batchSizes has max(lengths) entries. With `enforceSorted: false` the batch is sorted by length
 * first (as torch.sort(lengths, descending=True) orders it, see Note [sort order of ties]) and
 * sortedIndices/unsortedIndices record the permutation; otherwise they are null.
 */
export function packPaddedSequence(
  input: Tensor,
  lengths: Lengths,
  { batchFirst = false, enforceSorted = true }: PackPaddedSequenceOptions = {},
): PackedSequence {
  const where = "packPaddedSequence";
  const { lens, T, B } = paddedLayout(where, "input", input, lengths, batchFirst);
  if (input.numel() === 0)
    throw new ArgumentError(where, "input", "cannot be empty (Cannot pack empty tensors)", "numel() > 0", [
      ...input.shape,
    ]);
  checkPackableLengths(where, (i) => `lengths[${i}]`, lens, T, enforceSorted);

  const order = enforceSorted ? null : sortDescending(lens);
  const sortedLengths = order ? Array.from(order, (b) => lens[b]!) : lens;
  const batchSizes = batchSizesOf(sortedLengths);
  const bs = batchSizes.data;
  const index = new Int32Array(sumOf(sortedLengths));
  let row = 0;
  for (let t = 0; t < bs.length; t++)
    for (let s = 0; s < bs[t]!; s++, row++) {
      const b = order ? order[s]! : s;
      index[row] = batchFirst ? b * T + t : t * B + b;
    }
  return new PackedSequence(
    gatherRows(input, index, 0, [row, ...input.shape.slice(2)]),
    batchSizes,
    order ? new Tensor(order, [B]) : null,
  );
}

/**
 * The inverse of packPaddedSequence: returns `[padded, lengths]`, `padded` (T, B, *) or (B, T, *)
 * when `batchFirst`, T = totalLength ?? the longest sequence, padded positions set to
 * `paddingValue`; `lengths` is an int32 tensor [B]. Both are in the original batch order (the
 * order before packing sorted it), as PyTorch returns them.
 */
export function padPackedSequence(
  sequence: PackedSequence,
  { batchFirst = false, paddingValue = 0, totalLength }: PadPackedSequenceOptions = {},
): [Tensor, Tensor] {
  const where = "padPackedSequence";
  const { steps, B, offsets, lengths, source } = readPacked(where, sequence);
  if (typeof paddingValue !== "number")
    throw new ArgumentError(where, "paddingValue", "must be a number", "a number", paddingValue);
  let T = steps;
  if (totalLength !== undefined && totalLength !== null) {
    if (!Number.isInteger(totalLength))
      throw new ArgumentError(where, "totalLength", "must be an integer", "an integer", totalLength);
    if (totalLength < steps)
      throw new ArgumentError(
        where,
        "totalLength",
        "must be at least the length of the longest sequence in input, but got " +
          `totalLength=${totalLength} and max sequence length being ${steps}`,
        `>= ${steps}`,
        totalLength,
      );
    T = totalLength;
  }
  const data = sequence.data;
  const index = new Int32Array(T * B).fill(-1);
  const outLengths = new Int32Array(B);
  for (let j = 0; j < B; j++) {
    const s = source[j]!;
    const L = lengths[s]!;
    outLengths[j] = L;
    for (let t = 0; t < L; t++) index[batchFirst ? j * T + t : t * B + j] = offsets[t]! + s;
  }
  const trailing = data.shape.slice(1);
  const fill = data.dtype === "int32" ? Math.trunc(paddingValue) : paddingValue;
  return [
    gatherRows(data, index, fill, batchFirst ? [B, T, ...trailing] : [T, B, ...trailing]),
    new Tensor(outLengths, [B]),
  ];
}

/**
 * Packs a list of sequences, each (L_i, *) with the same trailing shape and dtype; what
 * padSequence followed by packPaddedSequence gives, without building the padded tensor.
 */
export function packSequence(
  sequences: readonly Tensor[],
  { enforceSorted = true }: PackSequenceOptions = {},
): PackedSequence {
  const where = "packSequence";
  const trailing = checkSequences(where, sequences);
  const F = trailing.reduce((a, b) => a * b, 1);
  if (F === 0)
    throw new ArgumentError(
      where,
      "sequences[0].shape",
      "cannot hold an empty trailing shape (Cannot pack empty tensors)",
      "numel() > 0",
      [...sequences[0]!.shape],
    );
  const lens = sequences.map((x) => x.shape[0]!);
  const T = maxOf(lens);
  checkPackableLengths(where, (i) => `sequences[${i}].shape[0]`, lens, T, enforceSorted);

  const B = sequences.length;
  const order = enforceSorted ? null : sortDescending(lens);
  const sortedLengths = order ? Array.from(order, (b) => lens[b]!) : lens;
  const batchSizes = batchSizesOf(sortedLengths);
  const bs = batchSizes.data;
  const starts = sequenceStarts(lens);
  const index = new Int32Array(sumOf(lens));
  let row = 0;
  for (let t = 0; t < bs.length; t++)
    for (let s = 0; s < bs[t]!; s++, row++) index[row] = starts[order ? order[s]! : s]! + t;
  return new PackedSequence(
    gatherRows(cat(sequences, 0), index, 0, [row, ...trailing]),
    batchSizes,
    order ? new Tensor(order, [B]) : null,
  );
}

/**
 * Stacks sequences (L_i, *) into (T, B, *), or (B, T, *) when `batchFirst`, T = max L_i, the
 * positions past each sequence's end set to `paddingValue`. Zero-length sequences are allowed.
 */
export function padSequence(
  sequences: readonly Tensor[],
  { batchFirst = false, paddingValue = 0 }: PadSequenceOptions = {},
): Tensor {
  const where = "padSequence";
  const trailing = checkSequences(where, sequences);
  if (typeof paddingValue !== "number")
    throw new ArgumentError(where, "paddingValue", "must be a number", "a number", paddingValue);
  const B = sequences.length;
  const T = maxOf(sequences.map((x) => x.shape[0]!));
  const lens = sequences.map((x) => x.shape[0]!);
  const starts = sequenceStarts(lens);
  const index = new Int32Array(T * B).fill(-1);
  for (const [b, L] of lens.entries())
    for (let t = 0; t < L; t++) index[batchFirst ? b * T + t : t * B + b] = starts[b]! + t;
  const fill = sequences[0]!.dtype === "int32" ? Math.trunc(paddingValue) : paddingValue;
  return gatherRows(cat(sequences, 0), index, fill, batchFirst ? [B, T, ...trailing] : [T, B, ...trailing]);
}

/**
 * Splits a padded batch (T, B, *), or (B, T, *) when `batchFirst`, into B tensors (lengths[b], *).
 * Unlike PyTorch 1.13 it does not transpose `padded` in place, and it rejects a count of lengths
 * other than B (PyTorch's zip would silently drop entries) and lengths outside [0, T].
 */
export function unpadSequence(
  padded: Tensor,
  lengths: Lengths,
  { batchFirst = false }: UnpadSequenceOptions = {},
): Tensor[] {
  const where = "unpadSequence";
  const { lens, T, B } = paddedLayout(where, "padded", padded, lengths, batchFirst);
  for (const [i, L] of lens.entries())
    if (L < 0 || L > T)
      throw new ArgumentError(
        where,
        `lengths[${i}]`,
        `must be between 0 and the time dimension (padded.shape[${batchFirst ? 1 : 0}])`,
        `0..${T}`,
        L,
      );
  const trailing = padded.shape.slice(2);
  return lens.map((L, b) =>
    gatherRows(
      padded,
      Int32Array.from({ length: L }, (_, t) => (batchFirst ? b * T + t : t * B + b)),
      0,
      [L, ...trailing],
    ),
  );
}

/** Splits a PackedSequence into its sequences (lengths[b], *), in the original batch order. */
export function unpackSequence(packed: PackedSequence): Tensor[] {
  const { B, offsets, lengths, source } = readPacked("unpackSequence", packed);
  const data = packed.data;
  const trailing = data.shape.slice(1);
  return Array.from({ length: B }, (_, j) => {
    const s = source[j]!;
    const L = lengths[s]!;
    return gatherRows(
      data,
      Int32Array.from({ length: L }, (_, t) => offsets[t]! + s),
      0,
      [L, ...trailing],
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Validation shared by the functions above (each throws before any work).

/** A padded batch's time and batch sizes and its lengths, one per sequence, checked. */
function paddedLayout(where: string, name: string, x: Tensor, lengths: Lengths, batchFirst: boolean) {
  if (x.ndim < 2)
    throw new ArgumentError(
      where,
      `${name}.dim()`,
      `must be at least 2: ${batchFirst ? "(B, T, *)" : "(T, B, *)"}`,
      ">= 2",
      x.ndim,
    );
  const lens = readLengths(where, lengths);
  const T = x.shape[batchFirst ? 1 : 0]!;
  const B = x.shape[batchFirst ? 0 : 1]!;
  if (lens.length !== B)
    throw new ArgumentError(
      where,
      "lengths.length",
      `must be equal to the batch size (${name}.shape[${batchFirst ? 0 : 1}])`,
      B,
      lens.length,
    );
  return { lens, T, B };
}

function readLengths(where: string, lengths: Lengths): number[] {
  if (lengths instanceof Tensor) {
    if (lengths.dtype !== "int32" || lengths.ndim !== 1)
      throw new ArgumentError(
        where,
        "lengths",
        "must be a number[] or a 1-D int32 tensor",
        "int32 [B]",
        `${lengths.dtype} [${lengths.shape.join(", ")}]`,
      );
    return Array.from(lengths.data);
  }
  if (!Array.isArray(lengths))
    throw new ArgumentError(
      where,
      "lengths",
      "must be a number[] or a 1-D int32 tensor",
      "number[] or Tensor",
      typeof lengths,
    );
  for (const [i, L] of lengths.entries())
    if (!Number.isInteger(L))
      throw new ArgumentError(where, `lengths[${i}]`, "must be an integer", "an integer", L);
  return [...lengths];
}

/** PyTorch's _pack_padded_sequence checks, plus one it lacks: no length beyond the time dimension. */
function checkPackableLengths(
  where: string,
  name: (i: number) => string,
  lens: readonly number[],
  T: number,
  enforceSorted: boolean,
): void {
  for (const [i, L] of lens.entries())
    if (L <= 0) throw new ArgumentError(where, name(i), POSITIVE_RULE, "> 0", L);
  if (enforceSorted)
    for (let i = 1; i < lens.length; i++)
      if (lens[i]! > lens[i - 1]!)
        throw new ArgumentError(where, name(i), ENFORCE_SORTED_HINT, `<= ${lens[i - 1]}`, lens[i]);
  // PyTorch returns a PackedSequence whose data is shorter than sum(batch_sizes) here.
  for (const [i, L] of lens.entries())
    if (L > T)
      throw new ArgumentError(where, name(i), `must not exceed the time dimension (${T})`, `<= ${T}`, L);
}

/** Checks a list of sequences (L_i, *) and returns the common trailing shape. */
function checkSequences(where: string, sequences: readonly Tensor[]): number[] {
  const first = sequences[0];
  if (!Array.isArray(sequences) || !first)
    throw new ArgumentError(
      where,
      "sequences",
      "must be a non-empty list (received an empty list of sequences)",
      "at least 1 sequence",
      Array.isArray(sequences) ? 0 : typeof sequences,
    );
  for (const [i, x] of sequences.entries()) {
    if (!(x instanceof Tensor))
      throw new ArgumentError(where, `sequences[${i}]`, "must be a Tensor", "Tensor", typeof x);
    if (x.ndim < 1)
      throw new ArgumentError(where, `sequences[${i}].dim()`, "must be at least 1: (L, *)", ">= 1", x.ndim);
    if (x.ndim !== first.ndim || x.shape.some((d, j) => j > 0 && d !== first.shape[j]))
      throw new ArgumentError(
        where,
        `sequences[${i}].shape`,
        "must match sequences[0].shape after the first (time) dimension",
        ["L", ...first.shape.slice(1)],
        [...x.shape],
      );
    if (x.dtype !== first.dtype)
      throw new ArgumentError(
        where,
        `sequences[${i}].dtype`,
        "must match sequences[0].dtype",
        first.dtype,
        x.dtype,
      );
  }
  return first.shape.slice(1);
}

interface PackedView {
  /** Time steps: batchSizes.length. */
  readonly steps: number;
  /** Batch size: batchSizes[0]. */
  readonly B: number;
  /** Elements per row of data. */
  readonly F: number;
  /** offsets[t]: the first data row of step t. */
  readonly offsets: Int32Array;
  /** lengths[s]: the length of sorted sequence s. */
  readonly lengths: Int32Array;
  /** source[j]: the sorted position holding original batch entry j (unsortedIndices, or identity). */
  readonly source: Int32Array;
}

function readPacked(where: string, sequence: PackedSequence): PackedView {
  if (!(sequence instanceof PackedSequence))
    throw new ArgumentError(where, "sequence", "must be a PackedSequence", "PackedSequence", typeof sequence);
  const bs = sequence.batchSizes.data;
  const steps = bs.length;
  if (steps === 0)
    throw new ArgumentError(where, "sequence.batchSizes", "must not be empty", "at least 1 step", 0);
  const B = bs[0]!;
  const offsets = new Int32Array(steps);
  const lengths = new Int32Array(B);
  for (let t = 0, row = 0; t < steps; row += bs[t]!, t++) {
    offsets[t] = row;
    for (let s = 0; s < bs[t]!; s++) lengths[s]!++;
  }
  const unsorted = sequence.unsortedIndices;
  let source: Int32Array;
  if (unsorted) {
    source = Int32Array.from(unsorted.data);
    for (const [j, s] of source.entries())
      if (s < 0 || s >= B)
        throw new ArgumentError(where, `sequence.unsortedIndices[${j}]`, "is out of range", `0..${B - 1}`, s);
  } else source = Int32Array.from({ length: B }, (_, j) => j);
  const data = sequence.data;
  return { steps, B, F: data.numel() / Math.max(data.shape[0]!, 1), offsets, lengths, source };
}

// ---------------------------------------------------------------------------------------------
// The packed layout itself.

/** batchSizes[t] = how many of the (non-increasing) lengths exceed t, for t < lengths[0]. */
function batchSizesOf(sortedLengths: readonly number[]): Tensor {
  const steps = sortedLengths[0] ?? 0;
  const bs = new Int32Array(steps);
  for (const L of sortedLengths) for (let t = 0; t < L; t++) bs[t]!++;
  return new Tensor(bs, [steps]);
}

/** The largest value (a loop: spreading a long array into Math.max overflows the stack). */
function maxOf(values: readonly number[]): number {
  let m = Number.NEGATIVE_INFINITY;
  for (const v of values) if (v > m) m = v;
  return m;
}

function sumOf(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/** Where each sequence starts in the concatenation of all of them. */
function sequenceStarts(lengths: readonly number[]): number[] {
  const starts = new Array<number>(lengths.length);
  for (let b = 0, at = 0; b < lengths.length; at += lengths[b]!, b++) starts[b] = at;
  return starts;
}

// Note [sort order of ties]
// With enforceSorted false, PyTorch 1.13 orders the batch by torch.sort(lengths, descending=True),
// which on CPU is not stable: SortingKernel.cpp sort_kernel calls std::sort on (value, index) pairs
// with the comparator "a > b". Equal lengths therefore keep their original order only while
// B <= 16 (std::sort finishes with an insertion sort on short ranges); beyond that the
// quicksort partitions shuffle them. The recurrent output in original order does not depend on this,
// but sortedIndices and the row order of packed `data` do, so we run the same algorithm:
// libstdc++'s introsort (median-of-three quicksort, heapsort past depth 2·log2(n), insertion sort
// of the rest; unchanged across recent GCC releases, and the Debian build of 1.13 the fixtures come
// from uses GCC 12). Fixtures with B = 17 to 2000, many ties, and one input that drives the sort
// into its heapsort fallback hold us to it.

/** Indices of `keys` in the order std::sort(pairs, [](a, b) { return a.key > b.key; }) leaves them. */
function sortDescending(keys: readonly number[]): Int32Array {
  const a = Int32Array.from(keys, (_, i) => i);
  const before = (x: number, y: number): boolean => keys[x]! > keys[y]!;
  const n = a.length;
  if (n > 1) {
    introsortLoop(a, 0, n, 2 * (31 - Math.clz32(n)), before);
    finalInsertionSort(a, 0, n, before);
  }
  return a;
}

type Before = (x: number, y: number) => boolean;
/** Ranges of at most this many elements are left to the final insertion sort (libstdc++'s _S_threshold). */
const THRESHOLD = 16;

function introsortLoop(a: Int32Array, first: number, last: number, depth: number, before: Before): void {
  while (last - first > THRESHOLD) {
    if (depth === 0) {
      heapSort(a, first, last, before);
      return;
    }
    depth--;
    const cut = partitionAroundMedian(a, first, last, before);
    introsortLoop(a, cut, last, depth, before);
    last = cut;
  }
}

/** Moves the median of a[first+1], a[mid], a[last-1] to a[first], then partitions (first, last) around it. */
function partitionAroundMedian(a: Int32Array, first: number, last: number, before: Before): number {
  const mid = first + Math.trunc((last - first) / 2);
  const [x, y, z] = [first + 1, mid, last - 1];
  let m: number;
  if (before(a[x]!, a[y]!)) m = before(a[y]!, a[z]!) ? y : before(a[x]!, a[z]!) ? z : x;
  else m = before(a[x]!, a[z]!) ? x : before(a[y]!, a[z]!) ? z : y;
  swap(a, first, m);
  const pivot = a[first]!;
  let lo = first + 1;
  let hi = last;
  for (;;) {
    while (before(a[lo]!, pivot)) lo++;
    hi--;
    while (before(pivot, a[hi]!)) hi--;
    if (lo >= hi) return lo;
    swap(a, lo, hi);
    lo++;
  }
}

/** Insertion sort of [first, first+16), then unguarded insertion of the rest (the introsort's last pass). */
function finalInsertionSort(a: Int32Array, first: number, last: number, before: Before): void {
  const guarded = Math.min(last, first + THRESHOLD);
  for (let i = first + 1; i < guarded; i++) {
    const v = a[i]!;
    if (before(v, a[first]!)) {
      a.copyWithin(first + 1, first, i);
      a[first] = v;
    } else linearInsert(a, i, before);
  }
  for (let i = guarded; i < last; i++) linearInsert(a, i, before);
}

/** Shifts a[i] left past every element it must precede; something at or before it stops the scan. */
function linearInsert(a: Int32Array, i: number, before: Before): void {
  const v = a[i]!;
  while (before(v, a[i - 1]!)) {
    a[i] = a[i - 1]!;
    i--;
  }
  a[i] = v;
}

/** The introsort's fallback when recursion gets too deep: make_heap then sort_heap, as libstdc++. */
function heapSort(a: Int32Array, first: number, last: number, before: Before): void {
  const len = last - first;
  if (len < 2) return;
  for (let parent = Math.trunc((len - 2) / 2); parent >= 0; parent--)
    adjustHeap(a, first, parent, len, a[first + parent]!, before);
  for (let end = last - 1; end - first > 0; end--) {
    const v = a[end]!;
    a[end] = a[first]!;
    adjustHeap(a, first, 0, end - first, v, before);
  }
}

/** libstdc++'s __adjust_heap: sift the hole at `hole` down to a leaf, then push `value` up from there. */
function adjustHeap(
  a: Int32Array,
  first: number,
  hole: number,
  len: number,
  value: number,
  before: Before,
): void {
  const top = hole;
  let child = hole;
  while (child < Math.trunc((len - 1) / 2)) {
    child = 2 * (child + 1);
    if (before(a[first + child]!, a[first + child - 1]!)) child--;
    a[first + hole] = a[first + child]!;
    hole = child;
  }
  if ((len & 1) === 0 && child === Math.trunc((len - 2) / 2)) {
    child = 2 * (child + 1);
    a[first + hole] = a[first + child - 1]!;
    hole = child - 1;
  }
  let parent = Math.trunc((hole - 1) / 2);
  while (hole > top && before(a[first + parent]!, value)) {
    a[first + hole] = a[first + parent]!;
    hole = parent;
    parent = Math.trunc((hole - 1) / 2);
  }
  a[first + hole] = value;
}

function swap(a: Int32Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
