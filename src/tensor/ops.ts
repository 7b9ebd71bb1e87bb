// Tensor operations (tensor layer): shape changes, broadcast arithmetic, reductions, matmul,
// concatenation and index selection. Each returns a new tensor; none writes into its inputs.

import { ArgumentError } from "../errors.js";
import { kernels } from "../kernels/select.js";
import { allocArray, type DType, type FloatArray, isFloatDType, type TypedArray } from "./dtype.js";
import { broadcastShapes, numel, type Shape, sameShape, stridesOf, wrapDim } from "./shape.js";
import { type NestedArray, Tensor } from "./tensor.js";

export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const out = allocArray(dtype, x.data.length);
  if (dtype === "int32") for (let i = 0; i < out.length; i++) out[i] = Math.trunc(x.data[i]!);
  else out.set(x.data);
  return new Tensor(out, x.shape);
}

export function toNested(x: Tensor): NestedArray {
  if (x.ndim === 0) return x.data[0]!;
  const strides = stridesOf(x.shape);
  const build = (d: number, off: number): NestedArray[] => {
    const n = x.shape[d]!;
    const out: NestedArray[] = new Array(n);
    for (let i = 0; i < n; i++)
      out[i] = d === x.ndim - 1 ? x.data[off + i]! : build(d + 1, off + i * strides[d]!);
    return out;
  };
  return build(0, 0);
}

/** Same data, new shape; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.filter((d) => d !== -1);
  const inferred = shape.length - known.length;
  const rest = numel(known);
  const resolved = shape.map((d) => (d === -1 ? (rest === 0 ? 0 : x.numel() / rest) : d));
  if (inferred > 1 || !resolved.every((d) => Number.isInteger(d) && d >= 0) || numel(resolved) !== x.numel())
    throw new ArgumentError(
      "reshape",
      "shape",
      `is invalid for input of size ${x.numel()}`,
      `${x.numel()} elements`,
      shape,
    );
  return new Tensor(x.data, resolved);
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const nd = x.ndim;
  const perm = dims.map((d) => wrapDim("permute", d, nd));
  if (perm.length !== nd || new Set(perm).size !== nd)
    throw new ArgumentError(
      "permute",
      "dims",
      "must be a permutation of the dimensions",
      `${nd} distinct dims`,
      dims,
    );
  const inStrides = stridesOf(x.shape);
  const outShape = perm.map((d) => x.shape[d]!);
  const strides = perm.map((d) => inStrides[d]!);
  return new Tensor(gather(x.data, outShape, strides, 0), outShape);
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const perm = x.shape.map((_, i) => i);
  const a = wrapDim("transpose", dim0, x.ndim);
  const b = wrapDim("transpose", dim1, x.ndim);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = wrapDim("unsqueeze", dim, x.ndim + 1);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return new Tensor(x.data, shape);
}

/** Removes `dim` if its size is 1 (or every size-1 dimension when dim is omitted), as PyTorch does. */
export function squeeze(x: Tensor, dim?: number): Tensor {
  if (dim === undefined)
    return new Tensor(
      x.data,
      x.shape.filter((d) => d !== 1),
    );
  const d = wrapDim("squeeze", dim, x.ndim);
  if (x.shape[d] !== 1) return x;
  return new Tensor(
    x.data,
    x.shape.filter((_, i) => i !== d),
  );
}

/** Copies a strided view (shape, strides in elements, offset) of `src` into a new contiguous array. */
export function gather(
  src: TypedArray,
  shape: Shape,
  strides: readonly number[],
  offset: number,
): TypedArray {
  const out = allocArrayLike(src, numel(shape));
  const nd = shape.length;
  if (out.length === 0) return out;
  const idx = new Array<number>(nd).fill(0);
  let p = offset;
  for (let o = 0; o < out.length; o++) {
    out[o] = src[p]!;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      p += strides[d]!;
      if (idx[d]! < shape[d]!) break;
      p -= strides[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

function allocArrayLike(src: TypedArray, n: number): TypedArray {
  return new (src.constructor as new (n: number) => TypedArray)(n);
}

/** PyTorch's type promotion for the dtypes rnnkit has: float64 > float32 > int32. */
export function promote(a: DType, b: DType): DType {
  if (a === "float64" || b === "float64") return "float64";
  if (a === "float32" || b === "float32") return "float32";
  return "int32";
}

function binary(
  where: string,
  a: Tensor,
  b: Tensor | number,
  f: (x: number, y: number) => number,
  float = false,
): Tensor {
  const bt = typeof b === "number" ? null : b;
  let dtype = bt ? promote(a.dtype, bt.dtype) : a.dtype;
  if (dtype === "int32" && (float || (typeof b === "number" && !Number.isInteger(b)))) dtype = "float32";
  if (!bt) {
    const s = b as number;
    const out = allocArray(dtype, a.data.length);
    for (let i = 0; i < out.length; i++) out[i] = f(a.data[i]!, s);
    return new Tensor(out, a.shape);
  }
  const shape = broadcastShapes(where, a.shape, bt.shape);
  const out = allocArray(dtype, numel(shape));
  if (sameShape(a.shape, bt.shape)) {
    for (let i = 0; i < out.length; i++) out[i] = f(a.data[i]!, bt.data[i]!);
    return new Tensor(out, shape);
  }
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(bt.shape, shape);
  for (let i = 0; i < out.length; i++) out[i] = f(a.data[ia[i]!]!, bt.data[ib[i]!]!);
  return new Tensor(out, shape);
}

/** For each element of `target` (row-major), the flat index of the element of `shape` broadcast to it. */
function broadcastIndex(shape: Shape, target: Shape): Int32Array {
  const lead = target.length - shape.length;
  const src = stridesOf(shape);
  const strides = target.map((_, i) => (i < lead || shape[i - lead] === 1 ? 0 : src[i - lead]!));
  const idx = new Int32Array(numel(target));
  const pos = new Array<number>(target.length).fill(0);
  let p = 0;
  for (let o = 0; o < idx.length; o++) {
    idx[o] = p;
    for (let d = target.length - 1; d >= 0; d--) {
      pos[d]!++;
      p += strides[d]!;
      if (pos[d]! < target[d]!) break;
      p -= strides[d]! * target[d]!;
      pos[d] = 0;
    }
  }
  return idx;
}

export const add = (a: Tensor, b: Tensor | number): Tensor => binary("add", a, b, (x, y) => x + y);
export const sub = (a: Tensor, b: Tensor | number): Tensor => binary("sub", a, b, (x, y) => x - y);
export const mul = (a: Tensor, b: Tensor | number): Tensor => binary("mul", a, b, (x, y) => x * y);
/** True division, as PyTorch's `/`: integer tensors give float32. */
export const div = (a: Tensor, b: Tensor | number): Tensor => binary("div", a, b, (x, y) => x / y, true);

function reduceDims(where: string, x: Tensor, dim: number | readonly number[] | undefined): boolean[] {
  const dims = dim === undefined ? x.shape.map((_, i) => i) : typeof dim === "number" ? [dim] : dim;
  const reduce = new Array<boolean>(x.ndim).fill(false);
  for (const d of dims) reduce[wrapDim(where, d, x.ndim)] = true;
  return reduce;
}

function reduceSum(where: string, x: Tensor, dim: number | readonly number[] | undefined, keepdim: boolean) {
  const reduce = reduceDims(where, x, dim);
  const keptShape = x.shape.map((d, i) => (reduce[i] ? 1 : d));
  const dtype = x.dtype;
  const acc = new Float64Array(numel(keptShape));
  const idx = broadcastIndex(keptShape, x.shape);
  for (let i = 0; i < x.data.length; i++) acc[idx[i]!]! += x.data[i]!;
  const outShape = keepdim ? keptShape : x.shape.filter((_, i) => !reduce[i]);
  const count = x.data.length / Math.max(acc.length, 1);
  return { acc, outShape, dtype, count };
}

export function sum(x: Tensor, dim: number | readonly number[] | undefined, keepdim: boolean): Tensor {
  const { acc, outShape, dtype } = reduceSum("sum", x, dim, keepdim);
  const out = allocArray(dtype, acc.length);
  out.set(acc);
  return new Tensor(out, outShape);
}

export function mean(x: Tensor, dim: number | readonly number[] | undefined, keepdim: boolean): Tensor {
  if (!isFloatDType(x.dtype))
    throw new ArgumentError(
      "mean",
      "input.dtype",
      "must be a floating point dtype",
      "float32 or float64",
      x.dtype,
    );
  const { acc, outShape, dtype, count } = reduceSum("mean", x, dim, keepdim);
  const out = allocArray(dtype, acc.length);
  for (let i = 0; i < acc.length; i++) out[i] = acc[i]! / count;
  return new Tensor(out, outShape);
}

/** PyTorch's matmul: vector·vector, matrix·matrix, and broadcast batched products. Float dtypes only. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (!isFloatDType(a.dtype) || a.dtype !== b.dtype)
    throw new ArgumentError("matmul", "dtypes", "must be the same floating point dtype", a.dtype, b.dtype);
  if (a.ndim === 0 || b.ndim === 0)
    throw new ArgumentError(
      "matmul",
      "both arguments",
      "need at least 1 dimension",
      ">= 1-D",
      `${a.ndim}-D and ${b.ndim}-D`,
    );
  const a2 = a.ndim === 1 ? unsqueeze(a, 0) : a;
  const b2 = b.ndim === 1 ? unsqueeze(b, 1) : b;
  const m = a2.shape.at(-2)!;
  const k = a2.shape.at(-1)!;
  const n = b2.shape.at(-1)!;
  if (b2.shape.at(-2) !== k)
    throw new ArgumentError(
      "matmul",
      "inner dimensions",
      `must match: shapes [${a.shape.join(", ")}] and [${b.shape.join(", ")}] cannot be multiplied`,
      k,
      b2.shape.at(-2),
    );
  const batch = broadcastShapes("matmul", a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  const nb = numel(batch);
  const ia = broadcastIndex(a2.shape.slice(0, -2), batch);
  const ib = broadcastIndex(b2.shape.slice(0, -2), batch);
  const out = allocArray(a.dtype, nb * m * n);
  const ad = a2.data as FloatArray;
  const bd = b2.data as FloatArray;
  for (let i = 0; i < nb; i++)
    kernels().gemm(false, false, m, n, k, ad, ia[i]! * m * k, k, bd, ib[i]! * k * n, n, 0, out, i * m * n, n);
  const shape = [...batch, m, n];
  if (a.ndim === 1) shape.splice(-2, 1);
  if (b.ndim === 1) shape.splice(-1, 1);
  return new Tensor(out, shape);
}

/** Concatenates along `dim`; every other dimension and the dtype must agree. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  const first = tensors[0];
  if (!first) throw new ArgumentError("cat", "tensors", "must be a non-empty list", "at least 1 tensor", 0);
  const d = wrapDim("cat", dim, first.ndim);
  for (const [i, t] of tensors.entries()) {
    if (t.dtype !== first.dtype)
      throw new ArgumentError(
        "cat",
        `tensors[${i}].dtype`,
        "must match tensors[0].dtype",
        first.dtype,
        t.dtype,
      );
    if (t.ndim !== first.ndim || t.shape.some((s, j) => j !== d && s !== first.shape[j]))
      throw new ArgumentError(
        "cat",
        `tensors[${i}].shape`,
        `must match tensors[0].shape except in dimension ${d}`,
        first.shape,
        t.shape,
      );
  }
  const outer = numel(first.shape.slice(0, d));
  const inner = numel(first.shape.slice(d + 1));
  const total = tensors.reduce((s, t) => s + t.shape[d]!, 0);
  const out = allocArray(first.dtype, outer * total * inner);
  let col = 0;
  for (const t of tensors) {
    const w = t.shape[d]! * inner;
    for (let o = 0; o < outer; o++) out.set(t.data.subarray(o * w, (o + 1) * w), o * total * inner + col);
    col += w;
  }
  const shape = [...first.shape];
  shape[d] = total;
  return new Tensor(out, shape);
}

export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  const first = tensors[0];
  if (!first) throw new ArgumentError("stack", "tensors", "must be a non-empty list", "at least 1 tensor", 0);
  const d = wrapDim("stack", dim, first.ndim + 1);
  return cat(
    tensors.map((t) => unsqueeze(t, d)),
    d,
  );
}

/** Rows `index` of dimension `dim`, in that order (PyTorch's index_select). */
export function indexSelect(x: Tensor, dim: number, index: ArrayLike<number>): Tensor {
  const d = wrapDim("index_select", dim, x.ndim);
  const size = x.shape[d]!;
  const outer = numel(x.shape.slice(0, d));
  const inner = numel(x.shape.slice(d + 1));
  const out = allocArray(x.dtype, outer * index.length * inner);
  for (let j = 0; j < index.length; j++) {
    const i = index[j]!;
    if (!Number.isInteger(i) || i < 0 || i >= size)
      throw new ArgumentError(
        "index_select",
        `index[${j}]`,
        `is out of range for dimension ${d} of size ${size}`,
        `0..${size - 1}`,
        i,
      );
  }
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < index.length; j++) {
      const src = (o * size + index[j]!) * inner;
      out.set(x.data.subarray(src, src + inner), (o * index.length + j) * inner);
    }
  const shape = [...x.shape];
  shape[d] = index.length;
  return new Tensor(out, shape);
}

/** Elements [start, start + length) of dimension `dim` (PyTorch's narrow), copied. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = wrapDim("narrow", dim, x.ndim);
  const size = x.shape[d]!;
  if (
    !(
      Number.isInteger(start) &&
      Number.isInteger(length) &&
      start >= 0 &&
      length >= 0 &&
      start + length <= size
    )
  )
    throw new ArgumentError(
      "narrow",
      "start + length",
      `must not exceed the size of dimension ${d}`,
      size,
      `${start} + ${length}`,
    );
  const index = Array.from({ length }, (_, i) => start + i);
  return indexSelect(x, d, index);
}
