// Tensor operations (tensor layer): shape changes, broadcast arithmetic, reductions, matmul,
// concatenation, indexing and activations. Each computes its output and, right beside it,
// records its derivative on the tape (grad.ts) when an input requires a gradient. None writes
// into its inputs. Backward closures run with recording off and reuse these same operations.

import { noGrad } from "../autograd/tape.js";
import { ArgumentError } from "../errors.js";
import { kernels } from "../kernels/select.js";
import { sigmoid as sigmoidScalar } from "../kernels/ts/cells.js";
import { allocArray, type DType, type FloatArray, isFloatDType, type TypedArray } from "./dtype.js";
import { record } from "./grad.js";
import { broadcastShapes, numel, type Shape, sameShape, stridesOf, wrapDim } from "./shape.js";
import { type NestedArray, Tensor } from "./tensor.js";

export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const out = allocArray(dtype, x.data.length);
  if (dtype === "int32") for (let i = 0; i < out.length; i++) out[i] = Math.trunc(x.data[i]!);
  else out.set(x.data);
  const y = new Tensor(out, x.shape);
  if (!isFloatDType(dtype)) return y;
  return record("ToCopyBackward", [x], [y], ([g]) => [cast(g!, x.dtype)]);
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

/** A copy with its own data (recorded: the gradient passes straight through). */
export function clone(x: Tensor): Tensor {
  return record("CloneBackward", [x], [new Tensor(x.data.slice(), x.shape)], ([g]) => [g ?? null]);
}

// ---------------------------------------------------------------------------------------------
// Shapes

/** Same data, new shape; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.filter((d) => d !== -1);
  const rest = numel(known);
  const resolved = shape.map((d) => (d === -1 ? (rest === 0 ? 0 : x.numel() / rest) : d));
  if (
    shape.length - known.length > 1 ||
    !resolved.every((d) => Number.isInteger(d) && d >= 0) ||
    numel(resolved) !== x.numel()
  )
    throw new ArgumentError(
      "reshape",
      "shape",
      `is invalid for input of size ${x.numel()}`,
      `${x.numel()} elements`,
      shape,
    );
  if (sameShape(resolved, x.shape)) return x;
  return record("ViewBackward", [x], [new Tensor(x.data, resolved)], ([g]) => [reshape(g!, x.shape)]);
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
  const y = new Tensor(
    gather(
      x.data,
      outShape,
      perm.map((d) => inStrides[d]!),
      0,
    ),
    outShape,
  );
  const inverse = new Array<number>(nd);
  for (const [i, d] of perm.entries()) inverse[d] = i;
  return record("PermuteBackward", [x], [y], ([g]) => [permute(g!, inverse)]);
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
  return reshape(x, shape);
}

/** Removes `dim` if its size is 1 (or every size-1 dimension when dim is omitted), as PyTorch does. */
export function squeeze(x: Tensor, dim?: number): Tensor {
  if (dim === undefined)
    return reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  const d = wrapDim("squeeze", dim, x.ndim);
  if (x.shape[d] !== 1) return x;
  return reshape(
    x,
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

/** `x` broadcast to `shape` (a copy; recorded). */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const target = broadcastShapes("expand", x.shape, shape);
  if (!sameShape(target, shape))
    throw new ArgumentError(
      "expand",
      "shape",
      `cannot hold a tensor of shape [${x.shape.join(", ")}]`,
      target,
      shape,
    );
  if (sameShape(x.shape, shape)) return x;
  const out = allocArray(x.dtype, numel(shape));
  if (x.numel() === 1) out.fill(x.data[0]!);
  else if (isTrailing(x.shape, shape)) {
    // x repeats whole: its shape is shape's trailing dimensions (a bias over rows).
    for (let at = 0; at < out.length; at += x.numel()) out.set(x.data, at);
  } else {
    const idx = broadcastIndex(x.shape, shape);
    for (let i = 0; i < idx.length; i++) out[i] = x.data[idx[i]!]!;
  }
  return record("ExpandBackward", [x], [new Tensor(out, shape)], ([g]) => [sumTo(g!, x.shape)]);
}

/** Whether `inner`, without its leading size-1 dimensions, equals the trailing dimensions of `shape`. */
function isTrailing(inner: Shape, shape: Shape): boolean {
  let k = 0;
  while (k < inner.length && inner[k] === 1) k++;
  const rest = inner.slice(k);
  return rest.length <= shape.length && rest.every((d, i) => d === shape[shape.length - rest.length + i]);
}

/** Sums `g` down to `shape`, the inverse of broadcasting (the gradient of an input that was broadcast). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  return reshape(sum(g, dims, true), shape);
}

// ---------------------------------------------------------------------------------------------
// Arithmetic

/** PyTorch's type promotion for the dtypes rnnkit has: float64 > float32 > int32. */
export function promote(a: DType, b: DType): DType {
  if (a === "float64" || b === "float64") return "float64";
  if (a === "float32" || b === "float32") return "float32";
  return "int32";
}

function binaryForward(
  where: string,
  a: Tensor,
  b: Tensor | number,
  f: (x: number, y: number) => number,
  float: boolean,
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
  if (bt.numel() === 1 && sameShape(shape, a.shape)) {
    const s = bt.data[0]!;
    for (let i = 0; i < out.length; i++) out[i] = f(a.data[i]!, s);
    return new Tensor(out, shape);
  }
  if (sameShape(a.shape, bt.shape)) {
    for (let i = 0; i < out.length; i++) out[i] = f(a.data[i]!, bt.data[i]!);
    return new Tensor(out, shape);
  }
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(bt.shape, shape);
  for (let i = 0; i < out.length; i++) out[i] = f(a.data[ia[i]!]!, bt.data[ib[i]!]!);
  return new Tensor(out, shape);
}

/** The gradient for an operand: summed to its shape and cast to its dtype (null for numbers). */
function toOperand(g: Tensor, operand: Tensor | number): Tensor | null {
  if (typeof operand === "number") return null;
  return cast(sumTo(g, operand.shape), operand.dtype);
}

const operands = (a: Tensor, b: Tensor | number) => [a, typeof b === "number" ? null : b];

export function add(a: Tensor, b: Tensor | number): Tensor {
  const y = binaryForward("add", a, b, (x, z) => x + z, false);
  return record("AddBackward", operands(a, b), [y], ([g]) => [toOperand(g!, a), toOperand(g!, b)]);
}

export function sub(a: Tensor, b: Tensor | number): Tensor {
  const y = binaryForward("sub", a, b, (x, z) => x - z, false);
  return record("SubBackward", operands(a, b), [y], ([g]) => [toOperand(g!, a), toOperand(neg(g!), b)]);
}

export function mul(a: Tensor, b: Tensor | number): Tensor {
  const y = binaryForward("mul", a, b, (x, z) => x * z, false);
  return record("MulBackward", operands(a, b), [y], ([g]) => [
    toOperand(mul(g!, b), a),
    typeof b === "number" ? null : toOperand(mul(g!, a), b),
  ]);
}

/** True division, as PyTorch's `/`: integer tensors give float32. */
export function div(a: Tensor, b: Tensor | number): Tensor {
  const y = binaryForward("div", a, b, (x, z) => x / z, true);
  return record("DivBackward", operands(a, b), [y], ([g]) => [
    toOperand(div(g!, b), a),
    typeof b === "number" ? null : toOperand(neg(div(mul(g!, a), mul(b, b))), b),
  ]);
}

export function neg(x: Tensor): Tensor {
  const out = allocArray(x.dtype, x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = -x.data[i]!;
  return record("NegBackward", [x], [new Tensor(out, x.shape)], ([g]) => [neg(g!)]);
}

// ---------------------------------------------------------------------------------------------
// Elementwise functions (float tensors)

function unary(where: string, x: Tensor, f: (v: number) => number): Tensor {
  if (!isFloatDType(x.dtype))
    throw new ArgumentError(
      where,
      "input.dtype",
      "must be a floating point dtype",
      "float32 or float64",
      x.dtype,
    );
  const out = allocArray(x.dtype, x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(x.data[i]!);
  return new Tensor(out, x.shape);
}

export function exp(x: Tensor): Tensor {
  const y = unary("exp", x, Math.exp);
  return record("ExpBackward", [x], [y], ([g]) => [mul(g!, y)]);
}

export function log(x: Tensor): Tensor {
  const y = unary("log", x, Math.log);
  return record("LogBackward", [x], [y], ([g]) => [div(g!, x)]);
}

export function tanh(x: Tensor): Tensor {
  const y = unary("tanh", x, Math.tanh);
  return record("TanhBackward", [x], [y], ([g]) => [
    mul(
      g!,
      unary("tanh_backward", y, (t) => 1 - t * t),
    ),
  ]);
}

export function sigmoid(x: Tensor): Tensor {
  const y = unary("sigmoid", x, sigmoidScalar);
  return record("SigmoidBackward", [x], [y], ([g]) => [
    mul(
      g!,
      unary("sigmoid_backward", y, (s) => s * (1 - s)),
    ),
  ]);
}

export function relu(x: Tensor): Tensor {
  const y = unary("relu", x, (v) => (v > 0 || Number.isNaN(v) ? v : 0));
  return record("ReluBackward", [x], [y], ([g]) => [
    mul(
      g!,
      unary("relu_backward", y, (v) => (v > 0 ? 1 : 0)),
    ),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Reductions

function reduceDims(where: string, x: Tensor, dim: number | readonly number[] | undefined): boolean[] {
  const dims = dim === undefined ? x.shape.map((_, i) => i) : typeof dim === "number" ? [dim] : dim;
  const reduce = new Array<boolean>(x.ndim).fill(false);
  for (const d of dims) reduce[wrapDim(where, d, x.ndim)] = true;
  return reduce;
}

function reduceSum(where: string, x: Tensor, dim: number | readonly number[] | undefined, keepdim: boolean) {
  const reduce = reduceDims(where, x, dim);
  const keptShape = x.shape.map((d, i) => (reduce[i] ? 1 : d));
  const acc = new Float64Array(numel(keptShape));
  const src = x.data;
  const reduced = reduce.filter(Boolean).length;
  if (reduced === x.ndim) {
    // Everything: one running sum.
    let s = 0;
    for (let i = 0; i < src.length; i++) s += src[i]!;
    if (acc.length > 0) acc[0] = s;
  } else if (reduced === 1) {
    // One dimension: [outer, size, inner] loops, no index table.
    const d = reduce.indexOf(true);
    const size = x.shape[d]!;
    const inner = numel(x.shape.slice(d + 1));
    const outer = numel(x.shape.slice(0, d));
    for (let o = 0; o < outer; o++)
      for (let k = 0; k < size; k++) {
        const from = (o * size + k) * inner;
        const to = o * inner;
        for (let i = 0; i < inner; i++) acc[to + i]! += src[from + i]!;
      }
  } else {
    const idx = broadcastIndex(keptShape, x.shape);
    for (let i = 0; i < src.length; i++) acc[idx[i]!]! += src[i]!;
  }
  const outShape = keepdim ? keptShape : x.shape.filter((_, i) => !reduce[i]);
  const count = x.data.length / Math.max(acc.length, 1);
  return { acc, keptShape, outShape, count };
}

export function sum(x: Tensor, dim: number | readonly number[] | undefined, keepdim: boolean): Tensor {
  const { acc, keptShape, outShape } = reduceSum("sum", x, dim, keepdim);
  const out = allocArray(x.dtype, acc.length);
  out.set(acc);
  return record("SumBackward", [x], [new Tensor(out, outShape)], ([g]) => [
    expand(reshape(g!, keptShape), x.shape),
  ]);
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
  const { acc, keptShape, outShape, count } = reduceSum("mean", x, dim, keepdim);
  const out = allocArray(x.dtype, acc.length);
  for (let i = 0; i < acc.length; i++) out[i] = acc[i]! / count;
  return record("MeanBackward", [x], [new Tensor(out, outShape)], ([g]) => [
    expand(div(reshape(g!, keptShape), count), x.shape),
  ]);
}

/** The largest value along `dim` (keepdim), not recorded: used to stabilise softmax. */
function maxAlong(x: Tensor, d: number): Tensor {
  const outer = numel(x.shape.slice(0, d));
  const size = x.shape[d]!;
  const inner = numel(x.shape.slice(d + 1));
  const out = allocArray(x.dtype, outer * inner).fill(Number.NEGATIVE_INFINITY);
  for (let o = 0; o < outer; o++)
    for (let s = 0; s < size; s++)
      for (let i = 0; i < inner; i++) {
        const v = x.data[(o * size + s) * inner + i]!;
        const k = o * inner + i;
        if (v > out[k]! || Number.isNaN(v)) out[k] = v;
      }
  const shape = [...x.shape];
  shape[d] = 1;
  return new Tensor(out, shape);
}

/** log(softmax(x)) along `dim`, computed as x − max − log Σ exp(x − max) (never overflows). */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  const d = wrapDim("log_softmax", dim, x.ndim);
  const y = noGrad(() => {
    const shifted = sub(x, maxAlong(x, d));
    return sub(shifted, log(sum(exp(shifted), d, true)));
  });
  return record("LogSoftmaxBackward", [x], [y], ([g]) => [sub(g!, mul(exp(y), sum(g!, d, true)))]);
}

export function softmax(x: Tensor, dim: number): Tensor {
  const d = wrapDim("softmax", dim, x.ndim);
  const y = noGrad(() => {
    const e = exp(sub(x, maxAlong(x, d)));
    return div(e, sum(e, d, true));
  });
  return record("SoftmaxBackward", [x], [y], ([g]) => [mul(y, sub(g!, sum(mul(g!, y), d, true)))]);
}

// ---------------------------------------------------------------------------------------------
// Products

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
  const a2 = a.ndim === 1 ? new Tensor(a.data, [1, a.shape[0]!]) : a;
  const b2 = b.ndim === 1 ? new Tensor(b.data, [b.shape[0]!, 1]) : b;
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
  const y = new Tensor(out, shape);
  return record("MmBackward", [a, b], [y], ([g]) => {
    const g2 = reshape(g!, [...batch, m, n]);
    const ga = sumTo(matmul(g2, transpose(new Tensor(b2.data, b2.shape), -1, -2)), a2.shape);
    const gb = sumTo(matmul(transpose(new Tensor(a2.data, a2.shape), -1, -2), g2), b2.shape);
    return [reshape(ga, a.shape), reshape(gb, b.shape)];
  });
}

// ---------------------------------------------------------------------------------------------
// Joining and indexing

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
  return record("CatBackward", tensors, [new Tensor(out, shape)], ([g]) => {
    let start = 0;
    return tensors.map((t) => {
      const piece = narrow(g!, d, start, t.shape[d]!);
      start += t.shape[d]!;
      return piece;
    });
  });
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

/** Rows `index` of dimension `dim`, in that order (PyTorch's index_select); repeated rows get summed gradients. */
export function indexSelect(x: Tensor, dim: number, index: ArrayLike<number>): Tensor {
  const d = wrapDim("index_select", dim, x.ndim);
  const size = x.shape[d]!;
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
  const outer = numel(x.shape.slice(0, d));
  const inner = numel(x.shape.slice(d + 1));
  const out = allocArray(x.dtype, outer * index.length * inner);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < index.length; j++) {
      const src = (o * size + index[j]!) * inner;
      out.set(x.data.subarray(src, src + inner), (o * index.length + j) * inner);
    }
  const shape = [...x.shape];
  shape[d] = index.length;
  const rows = Array.from(index);
  return record("IndexSelectBackward", [x], [new Tensor(out, shape)], ([g]) => [
    indexAdd(x.shape, d, rows, g!),
  ]);
}

/** zeros(shape) with g's slices added at `index` along `dim` (index_add_, the adjoint of indexSelect). */
export function indexAdd(shape: Shape, d: number, index: readonly number[], g: Tensor): Tensor {
  const size = shape[d]!;
  const outer = numel(shape.slice(0, d));
  const inner = numel(shape.slice(d + 1));
  const out = allocArray(g.dtype, numel(shape));
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < index.length; j++) {
      const dst = (o * size + index[j]!) * inner;
      const src = (o * index.length + j) * inner;
      for (let i = 0; i < inner; i++) out[dst + i]! += g.data[src + i]!;
    }
  const y = new Tensor(out, shape);
  return record("IndexAddBackward", [g], [y], ([gy]) => [indexSelect(gy!, d, index)]);
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
  return indexSelect(
    x,
    d,
    Array.from({ length }, (_, i) => start + i),
  );
}

/** x[index] along `dim`, the dimension removed (PyTorch's select). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  const d = wrapDim("select", dim, x.ndim);
  const size = x.shape[d]!;
  const i = index < 0 ? index + size : index;
  if (!Number.isInteger(i) || i < 0 || i >= size)
    throw new ArgumentError(
      "select",
      "index",
      `is out of range for dimension ${d} of size ${size}`,
      `${-size}..${size - 1}`,
      index,
    );
  return squeeze(indexSelect(x, d, [i]), d);
}

/**
 * Row gather: `x` viewed as rows of `rowSize` elements; row i of the result is row index[i] of x,
 * or `fill` where index[i] < 0. The result has `shape` (index.length·rowSize elements). Gradients
 * flow back to the rows they came from, summed where a row was taken twice. Packing and padding
 * sequences are this operation with the right index.
 */
export function gatherRows(x: Tensor, index: Int32Array, fill: number, shape: Shape): Tensor {
  const rowSize = numel(shape) / Math.max(index.length, 1);
  const rows = x.numel() / Math.max(rowSize, 1);
  if (!Number.isInteger(rowSize) || (index.length > 0 && !Number.isInteger(rows)))
    throw new ArgumentError(
      "gatherRows",
      "shape",
      "must hold index.length whole rows of x",
      `${index.length} rows`,
      shape,
    );
  const out = allocArray(x.dtype, numel(shape));
  for (let i = 0; i < index.length; i++) {
    const src = index[i]!;
    if (src >= rows)
      throw new ArgumentError("gatherRows", `index[${i}]`, "is out of range", `< ${rows}`, src);
    if (src < 0) out.fill(fill, i * rowSize, (i + 1) * rowSize);
    else out.set(x.data.subarray(src * rowSize, (src + 1) * rowSize), i * rowSize);
  }
  return record("GatherRowsBackward", [x], [new Tensor(out, shape)], ([g]) => {
    const gx = allocArray(g!.dtype, x.numel());
    for (let i = 0; i < index.length; i++) {
      const dst = index[i]!;
      if (dst < 0) continue;
      for (let j = 0; j < rowSize; j++) gx[dst * rowSize + j]! += g!.data[i * rowSize + j]!;
    }
    return [new Tensor(gx, x.shape)];
  });
}
