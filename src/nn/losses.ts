// Losses (nn layer): torch.nn.functional's cross_entropy, nll_loss, mse_loss and
// binary_cross_entropy_with_logits, and the modules around them (torch/nn/modules/loss.py).
//
// Each loss is ONE recorded node (STYLE.md §7): the forward computes in float64 from the inputs'
// values (log-softmax with a max shift, BCE in PyTorch's overflow-free form) and rounds once into
// the result's dtype; the backward writes the input gradient directly (softmax − target
// distribution, scaled), never through a chain of small ops. The formulas are PyTorch 1.13's
// (aten/src/ATen/native/LossNLL.cpp, Loss.cpp, FunctionsManual.cpp):
//   cross_entropy, class indices: (1 − ε)·nll + (ε/C)·smooth per position, where
//     nll = −w[t]·lsm[t], smooth = −Σ_c w[c]·lsm[c]; ignored positions give 0; "mean" divides both
//     sums by the sum of w[t] over the non-ignored positions (their count when unweighted).
//   cross_entropy, class probabilities (target of the input's shape): −Σ_c w[c]·t'[c]·lsm[c] with
//     t' = t·(1 − ε) + ε/C; "mean" divides by the number of positions (numel / C), not by weights.
//   nll_loss: −w[t]·input[t], the same ignoring and mean as above.
//   mse_loss: (input − target)², broadcast as PyTorch broadcasts (with its warning).
//   binary_cross_entropy_with_logits: m = max(−x, 0), lw = (pw − 1)·t + 1,
//     w·((1 − t)·x + lw·(log(e^−m + e^(−x−m)) + m)).
// Which inputs get gradients is PyTorch's: input always; a float target for class-probability cross
// entropy, MSE and BCE; the class weight only for class-probability cross entropy. Where PyTorch
// refuses a weight that requires grad (nll_loss, BCE's weight and posWeight), so does rnnkit.

import { ArgumentError, show } from "../errors.js";
import { kernels } from "../kernels/select.js";
import {
  allocArray,
  type DType,
  type FloatDType,
  isFloatDType,
  needsGrad,
  record,
  sumTo,
  Tensor,
} from "../tensor/index.js";
import { Module } from "./module.js";
import { checkKnownOptions, warnOnce } from "./options.js";

export type Reduction = "none" | "mean" | "sum";
const REDUCTIONS: readonly Reduction[] = ["none", "mean", "sum"];

export interface CrossEntropyLossOptions {
  /** A rescaling weight per class: a 1-D float tensor of size C. */
  readonly weight?: Tensor | null;
  /** A class-index target equal to this contributes nothing (default -100). */
  readonly ignoreIndex?: number;
  readonly reduction?: Reduction;
  /** ε in [0, 1]: the target becomes (1 − ε)·target + ε/C (default 0). */
  readonly labelSmoothing?: number;
}

export interface NLLLossOptions {
  readonly weight?: Tensor | null;
  readonly ignoreIndex?: number;
  readonly reduction?: Reduction;
}

export interface MSELossOptions {
  readonly reduction?: Reduction;
}

export interface BCEWithLogitsLossOptions {
  /** A rescaling weight per element, broadcast to the input's shape. */
  readonly weight?: Tensor | null;
  readonly reduction?: Reduction;
  /** A weight of the positive examples, broadcast to the input's shape (usually one per class). */
  readonly posWeight?: Tensor | null;
}

// ---------------------------------------------------------------------------------------------
// Options: PyTorch's defaults applied in one place, every value checked before any work.

interface CrossEntropySpec {
  readonly weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly reduction: Reduction;
  readonly labelSmoothing: number;
}

function reductionOption(where: string, value: unknown): Reduction {
  if (value === undefined) return "mean";
  if (!(REDUCTIONS as readonly unknown[]).includes(value))
    throw new ArgumentError(
      where,
      "reduction",
      `is not a valid value for reduction (${String(value)} is not a valid value for reduction)`,
      "'none', 'mean' or 'sum'",
      value,
    );
  return value as Reduction;
}

function ignoreIndexOption(where: string, value: unknown): number {
  if (value === undefined) return -100;
  if (typeof value !== "number" || !Number.isInteger(value))
    throw new ArgumentError(where, "ignoreIndex", "must be an integer", "an integer (default -100)", value);
  return value;
}

function labelSmoothingOption(where: string, value: unknown): number {
  if (value === undefined) return 0;
  // PyTorch 1.13 checks only ε > 1 (a negative ε is silently treated as 0); rnnkit refuses both sides.
  if (typeof value !== "number" || !(value >= 0 && value <= 1))
    throw new ArgumentError(
      where,
      "labelSmoothing",
      "must be between 0.0 and 1.0",
      "0 <= labelSmoothing <= 1",
      value,
    );
  return value;
}

function weightOption(where: string, name: string, value: unknown, oneD: boolean): Tensor | null {
  if (value === undefined || value === null) return null;
  if (!(value instanceof Tensor) || !isFloatDType(value.dtype) || (oneD && value.ndim !== 1))
    throw new ArgumentError(
      where,
      name,
      oneD ? "must be a 1-D floating point Tensor (one weight per class)" : "must be a floating point Tensor",
      oneD ? "a float32 or float64 Tensor of shape [C]" : "a float32 or float64 Tensor",
      value instanceof Tensor ? `${value.dtype} Tensor of shape ${show(value.shape)}` : value,
    );
  return value;
}

function crossEntropySpec(where: string, options: CrossEntropyLossOptions): CrossEntropySpec {
  checkKnownOptions(where, options, ["weight", "ignoreIndex", "reduction", "labelSmoothing"]);
  return {
    weight: weightOption(where, "weight", options.weight, true),
    ignoreIndex: ignoreIndexOption(where, options.ignoreIndex),
    reduction: reductionOption(where, options.reduction),
    labelSmoothing: labelSmoothingOption(where, options.labelSmoothing),
  };
}

function nllSpec(where: string, options: NLLLossOptions): CrossEntropySpec {
  checkKnownOptions(where, options, ["weight", "ignoreIndex", "reduction"]);
  return {
    weight: weightOption(where, "weight", options.weight, true),
    ignoreIndex: ignoreIndexOption(where, options.ignoreIndex),
    reduction: reductionOption(where, options.reduction),
    labelSmoothing: 0,
  };
}

interface BCESpec {
  readonly weight: Tensor | null;
  readonly reduction: Reduction;
  readonly posWeight: Tensor | null;
}

function bceSpec(where: string, options: BCEWithLogitsLossOptions): BCESpec {
  checkKnownOptions(where, options, ["weight", "reduction", "posWeight"]);
  return {
    weight: weightOption(where, "weight", options.weight, false),
    reduction: reductionOption(where, options.reduction),
    posWeight: weightOption(where, "posWeight", options.posWeight, false),
  };
}

// ---------------------------------------------------------------------------------------------
// Shared checks and helpers

function floatInput(where: string, input: unknown): Tensor {
  if (!(input instanceof Tensor) || !isFloatDType(input.dtype))
    throw new ArgumentError(
      where,
      "input",
      "must be a floating point Tensor",
      "a float32 or float64 Tensor",
      input instanceof Tensor ? input.dtype : input,
    );
  return input;
}

function tensorArgument(where: string, name: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) throw new ArgumentError(where, name, "must be a Tensor", "Tensor", value);
  return value;
}

/** PyTorch's result type of floating point operands: float64 if any is float64. */
function promoteFloat(...dtypes: DType[]): FloatDType {
  return dtypes.includes("float64") ? "float64" : "float32";
}

/** The gradient arriving for output position `i` (one per position for "none"; else the scalar, scaled for "mean"). */
function upstream(g: Tensor, reduction: Reduction, divisor: number): (i: number) => number {
  const d = g.data;
  if (reduction === "none") return (i) => d[i]!;
  const k = reduction === "mean" ? d[0]! / divisor : d[0]!;
  return () => k;
}

function reduced(
  perPosition: Float64Array,
  total: number,
  divisor: number,
  reduction: Reduction,
  dtype: FloatDType,
  shape: readonly number[],
): Tensor {
  if (reduction === "none") {
    const out = allocArray(dtype, perPosition.length);
    out.set(perPosition);
    return new Tensor(out, shape);
  }
  const out = allocArray(dtype, 1);
  out[0] = reduction === "sum" ? total : total / divisor;
  return new Tensor(out, []);
}

/** Refuses a tensor that requires grad where PyTorch's function is not differentiable in it. */
function notDifferentiable(where: string, name: string, value: Tensor | null, fn: string): void {
  if (value && needsGrad(value))
    throw new ArgumentError(
      where,
      `${name}.requiresGrad`,
      `must be false: ${fn} is not differentiable with respect to ${name} (as in PyTorch)`,
      false,
      true,
    );
}

/** input (N, C, d1, ...) or unbatched (C,) seen as N rows of C classes by S positions. */
interface ClassLayout {
  readonly N: number;
  readonly C: number;
  readonly S: number;
}

function classLayout(input: Tensor): ClassLayout {
  if (input.ndim === 1) return { N: 1, C: input.shape[0]!, S: 1 };
  let S = 1;
  for (const d of input.shape.slice(2)) S *= d;
  return { N: input.shape[0]!, C: input.shape[1]!, S };
}

function checkClassWeight(where: string, weight: Tensor | null, C: number, dtype: FloatDType | null): void {
  if (!weight) return;
  if (weight.ndim !== 1 || weight.shape[0] !== C)
    throw new ArgumentError(
      where,
      "weight",
      `tensor should be defined either for all ${C} classes or no classes but got weight tensor of shape: ${show(weight.shape)}`,
      [C],
      weight.shape,
    );
  if (dtype && weight.dtype !== dtype)
    throw new ArgumentError(
      where,
      "weight.dtype",
      "must be the input's dtype with class-index targets (PyTorch: expected scalar type ... but found ...)",
      dtype,
      weight.dtype,
    );
}

/** nll_loss_nd's checks of a class-index target against the input (PyTorch's messages in parentheses). */
function checkClassTarget(where: string, input: Tensor, target: Tensor): void {
  if (input.ndim === 1) {
    if (target.ndim > 1)
      throw new ArgumentError(
        where,
        "target.dim()",
        "must be 0 for an unbatched input (0D or 1D target tensor expected, multi-target not supported)",
        0,
        target.ndim,
      );
    if (target.ndim !== 0)
      throw new ArgumentError(
        where,
        "target.shape",
        `must be [] for an unbatched input (size mismatch (got input: ${show(input.shape)}, target: ${show(target.shape)}))`,
        [],
        target.shape,
      );
  } else {
    const N = input.shape[0]!;
    const batch = target.shape[0] ?? 0;
    if (target.ndim === 0 || batch !== N)
      throw new ArgumentError(
        where,
        "target.size(0)",
        `must match the input's batch size (Expected input batch_size (${N}) to match target batch_size (${batch}).)`,
        N,
        target.ndim === 0 ? "a 0-D target" : batch,
      );
    if (input.ndim === 2 && target.ndim !== 1)
      throw new ArgumentError(
        where,
        "target.dim()",
        "must be 1 for a 2-D input (0D or 1D target tensor expected, multi-target not supported)",
        1,
        target.ndim,
      );
    const expected = [N, ...input.shape.slice(2)];
    if (target.ndim !== expected.length || target.shape.some((d, i) => d !== expected[i]))
      throw new ArgumentError(
        where,
        "target.shape",
        `must be the input's shape without the class dimension (Expected target size ${show(expected)}, got ${show(target.shape)})`,
        expected,
        target.shape,
      );
  }
  if (target.dtype !== "int32")
    throw new ArgumentError(
      where,
      "target.dtype",
      "must be int32 for class indices (PyTorch: expected scalar type Long); a class-probability target has the input's shape",
      "int32",
      target.dtype,
    );
}

/** A class-index target that is not ignored must name one of the C classes (PyTorch's message in parentheses). */
function checkTargetClass(where: string, tc: number, pos: number, C: number, ignoreIndex: number): void {
  if (!(tc >= 0 && tc < C))
    throw new ArgumentError(
      where,
      "target",
      `is out of bounds at index ${pos} (Target ${tc} is out of bounds.)`,
      `class indices in [0, ${C - 1}] or ignoreIndex ${ignoreIndex}`,
      tc,
    );
}

/**
 * The log-softmax of one position's C logits (stride S) as its two row constants: lsm_c =
 * (x_c − max) − logSum. Keeping the constants instead of C log-probabilities saves memory and
 * gives the same doubles.
 */
function logSoftmaxConstants(
  x: ArrayLike<number>,
  base: number,
  C: number,
  S: number,
  expOut: Float32Array | Float64Array | null = null,
): [number, number] {
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < C; c++) {
    const v = x[base + c * S]!;
    if (v > max || Number.isNaN(v)) max = v;
  }
  let sum = 0;
  for (let c = 0; c < C; c++) {
    const e = Math.exp(x[base + c * S]! - max);
    if (expOut) expOut[base + c * S] = e;
    sum += e;
  }
  return [max, Math.log(sum)];
}

/** log_softmax over the classes of position (n, s), written into `lsm` at the same indices. */
function logSoftmaxAt(x: ArrayLike<number>, lsm: Float64Array, base: number, C: number, S: number): void {
  const [max, logSum] = logSoftmaxConstants(x, base, C, S);
  for (let c = 0; c < C; c++) lsm[base + c * S] = x[base + c * S]! - max - logSum;
}

// ---------------------------------------------------------------------------------------------
// Cross entropy and NLL with class-index targets: one node.

function classIndexLoss(
  where: string,
  kind: "cross_entropy" | "nll_loss",
  input: Tensor,
  target: Tensor,
  spec: CrossEntropySpec,
): Tensor {
  checkClassTarget(where, input, target);
  const { N, C, S } = classLayout(input);
  const { weight, ignoreIndex, reduction, labelSmoothing: eps } = spec;
  checkClassWeight(where, weight, C, input.dtype as FloatDType);
  notDifferentiable(where, "weight", weight, "nll_loss");
  const x = input.data;
  const t = target.data;
  const w = weight?.data ?? null;
  // log-probabilities: cross entropy computes them (each position's max and log Σ exp saved for
  // backward); nll_loss is given them.
  const isCE = kind === "cross_entropy";
  const rowMax = isCE ? new Float64Array(N * S) : null;
  const rowLogSum = isCE ? new Float64Array(N * S) : null;
  // e^(x − max) per logit, kept for backward's softmax (one exp per logit in all, not two).
  const expX = isCE ? (allocArray(input.dtype, x.length) as Float32Array | Float64Array) : null;
  let wSum = 0;
  if (w) for (let c = 0; c < C; c++) wSum += w[c]!;
  else wSum = C;
  const perPosition = new Float64Array(N * S);
  let total = 0;
  let divisor = 0;
  for (let n = 0; n < N; n++)
    for (let s = 0; s < S; s++) {
      const pos = n * S + s;
      const tc = t[pos]!;
      if (tc === ignoreIndex) continue;
      checkTargetClass(where, tc, pos, C, ignoreIndex);
      const base = n * C * S + s;
      const wt = w ? w[tc]! : 1;
      let loss: number;
      if (rowMax && rowLogSum) {
        const [max, logSum] = logSoftmaxConstants(x, base, C, S, expX);
        rowMax[pos] = max;
        rowLogSum[pos] = logSum;
        loss = -wt * (x[base + tc * S]! - max - logSum);
        if (eps > 0) {
          let smooth = 0;
          for (let c = 0; c < C; c++) smooth -= (w ? w[c]! : 1) * (x[base + c * S]! - max - logSum);
          loss = (1 - eps) * loss + smooth * (eps / C);
        }
      } else loss = -wt * x[base + tc * S]!;
      perPosition[pos] = loss;
      total += loss;
      divisor += wt;
    }
  const out = reduced(perPosition, total, divisor, reduction, input.dtype as FloatDType, target.shape);
  const name = kind === "cross_entropy" ? "CrossEntropyLossBackward" : "NllLossBackward";
  return record(name, [input], [out], ([g]) => {
    const k = upstream(g!, reduction, divisor);
    const gx = allocArray(input.dtype, x.length);
    for (let n = 0; n < N; n++)
      for (let s = 0; s < S; s++) {
        const pos = n * S + s;
        const tc = t[pos]!;
        if (tc === ignoreIndex) continue;
        const base = n * C * S + s;
        const wt = w ? w[tc]! : 1;
        const kp = k(pos);
        if (!rowMax || !rowLogSum) {
          gx[base + tc * S] = -wt * kp;
          continue;
        }
        const inverseSum = Math.exp(-rowLogSum[pos]!);
        // d/dx_c of Σ_j a_j·(−lsm_j) is A·softmax_c − a_c, with a = (1 − ε)·w[t]·e_t + (ε/C)·w.
        const onTarget = (1 - eps) * wt;
        const spread = eps / C;
        const A = onTarget + spread * wSum;
        for (let c = 0; c < C; c++) {
          const a = (eps > 0 ? spread * (w ? w[c]! : 1) : 0) + (c === tc ? onTarget : 0);
          gx[base + c * S] = kp * (A * expX![base + c * S]! * inverseSum - a);
        }
      }
    return [new Tensor(gx, input.shape)];
  });
}

// ---------------------------------------------------------------------------------------------
// Cross entropy with class-probability targets: one node, gradients for input, target and weight.

function probabilityLoss(where: string, input: Tensor, target: Tensor, spec: CrossEntropySpec): Tensor {
  if (!isFloatDType(target.dtype))
    throw new ArgumentError(
      where,
      "target.dtype",
      "must be floating point for a target of the input's shape (Expected floating point type for target with class probabilities)",
      "float32 or float64",
      target.dtype,
    );
  const { weight, ignoreIndex, reduction, labelSmoothing: eps } = spec;
  if (ignoreIndex >= 0)
    throw new ArgumentError(
      where,
      "ignoreIndex",
      "is not supported for floating point target (class probabilities)",
      "a negative ignoreIndex (default -100)",
      ignoreIndex,
    );
  const { N, C, S } = classLayout(input);
  checkClassWeight(where, weight, C, null);
  const dtype = promoteFloat(input.dtype, target.dtype, weight?.dtype ?? input.dtype);
  const x = input.data;
  const p = target.data;
  const w = weight?.data ?? null;
  const lsm = new Float64Array(x.length);
  const smoothed = (v: number) => (eps > 0 ? v * (1 - eps) + eps / C : v);
  const perPosition = new Float64Array(N * S);
  let total = 0;
  for (let n = 0; n < N; n++)
    for (let s = 0; s < S; s++) {
      const base = n * C * S + s;
      logSoftmaxAt(x, lsm, base, C, S);
      let loss = 0;
      for (let c = 0; c < C; c++) loss -= lsm[base + c * S]! * smoothed(p[base + c * S]!) * (w ? w[c]! : 1);
      perPosition[n * S + s] = loss;
      total += loss;
    }
  const divisor = N * S;
  const outShape = input.ndim === 1 ? [] : [N, ...input.shape.slice(2)];
  const out = reduced(perPosition, total, divisor, reduction, dtype, outShape);
  return record("CrossEntropyLossBackward", [input, target, weight], [out], ([g]) => {
    const k = upstream(g!, reduction, divisor);
    const gx = input.requiresGrad ? allocArray(input.dtype, x.length) : null;
    const gt = target.requiresGrad ? allocArray(target.dtype as FloatDType, p.length) : null;
    const gw = weight?.requiresGrad ? new Float64Array(C) : null;
    for (let n = 0; n < N; n++)
      for (let s = 0; s < S; s++) {
        const base = n * C * S + s;
        const kp = k(n * S + s);
        let A = 0;
        for (let c = 0; c < C; c++) A += (w ? w[c]! : 1) * smoothed(p[base + c * S]!);
        for (let c = 0; c < C; c++) {
          const i = base + c * S;
          const wc = w ? w[c]! : 1;
          if (gx) gx[i] = kp * (A * Math.exp(lsm[i]!) - wc * smoothed(p[i]!));
          if (gt) gt[i] = -kp * wc * lsm[i]! * (eps > 0 ? 1 - eps : 1);
          if (gw) gw[c]! -= kp * smoothed(p[i]!) * lsm[i]!;
        }
      }
    let gwOut: Tensor | null = null;
    if (weight && gw) {
      const data = allocArray(weight.dtype as FloatDType, C);
      data.set(gw);
      gwOut = new Tensor(data, weight.shape);
    }
    return [gx ? new Tensor(gx, input.shape) : null, gt ? new Tensor(gt, target.shape) : null, gwOut];
  });
}

function crossEntropyImpl(where: string, input: Tensor, target: Tensor, spec: CrossEntropySpec): Tensor {
  floatInput(where, input);
  tensorArgument(where, "target", target);
  if (input.ndim === 0)
    throw new ArgumentError(
      where,
      "input.dim()",
      "must be at least 1 (Expected 1 or more dimensions (got 0))",
      ">= 1",
      0,
    );
  const sameShape = input.ndim === target.ndim && input.shape.every((d, i) => d === target.shape[i]);
  return sameShape
    ? probabilityLoss(where, input, target, spec)
    : classIndexLoss(where, "cross_entropy", input, target, spec);
}

function nllLossImpl(where: string, input: Tensor, target: Tensor, spec: CrossEntropySpec): Tensor {
  floatInput(where, input);
  tensorArgument(where, "target", target);
  if (input.ndim === 0)
    throw new ArgumentError(
      where,
      "input.dim()",
      "must be at least 1 (Expected 1 or more dimensions (got 0))",
      ">= 1",
      0,
    );
  return classIndexLoss(where, "nll_loss", input, target, spec);
}

// ---------------------------------------------------------------------------------------------
// Broadcasting for MSE and BCE's weights

function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

const sameDims = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** `x`'s values broadcast to `shape`, as a plain array (not recorded). */
function broadcastValues(x: Tensor, shape: readonly number[]): ArrayLike<number> {
  if (sameDims(x.shape, shape)) return x.data;
  return x.detach().expand(shape).data;
}

// ---------------------------------------------------------------------------------------------
// MSE: one node, gradients for input and a float target.

function mseLossImpl(where: string, input: Tensor, target: Tensor, reduction: Reduction): Tensor {
  floatInput(where, input);
  tensorArgument(where, "target", target);
  const shape = broadcastShape(input.shape, target.shape);
  if (!shape)
    throw new ArgumentError(
      where,
      "target.shape",
      "must broadcast with the input's shape (The size of tensor a must match the size of tensor b at non-singleton dimensions)",
      input.shape,
      target.shape,
    );
  if (!sameDims(input.shape, target.shape))
    warnOnce(
      `Using a target size (${show(target.shape)}) that is different to the input size (${show(input.shape)}). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.`,
    );
  const dtype = isFloatDType(target.dtype) ? promoteFloat(input.dtype, target.dtype) : input.dtype;
  const x = broadcastValues(input, shape);
  const t = broadcastValues(target, shape);
  const n = x.length;
  const perElement = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - t[i]!;
    perElement[i] = d * d;
    total += d * d;
  }
  const out = reduced(perElement, total, n, reduction, dtype as FloatDType, shape);
  const floatTarget = isFloatDType(target.dtype) ? target : null;
  return record("MseLossBackward", [input, floatTarget], [out], ([g]) => {
    // PyTorch's mse_loss_backward: (2 / numel for mean, else 2)·(input − target)·grad.
    const k = upstream(g!, reduction, 1);
    const norm = reduction === "mean" ? 2 / n : 2;
    const gFull = new Float64Array(n);
    for (let i = 0; i < n; i++) gFull[i] = norm * (x[i]! - t[i]!) * k(i);
    const full = new Tensor(gFull, shape);
    const gx = sumTo(full, input.shape).to(input.dtype);
    const gt = floatTarget?.requiresGrad ? sumTo(full.neg(), target.shape).to(target.dtype) : null;
    return [gx, gt];
  });
}

// ---------------------------------------------------------------------------------------------
// BCE with logits: one node, gradients for input and target.

/** log σ(v), without overflow. */
function logSigmoid(v: number): number {
  return v >= 0 ? -Math.log1p(Math.exp(-v)) : v - Math.log1p(Math.exp(v));
}

function sigmoid(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

function bceWithLogitsImpl(where: string, input: Tensor, target: Tensor, spec: BCESpec): Tensor {
  floatInput(where, input);
  tensorArgument(where, "target", target);
  if (!sameDims(input.shape, target.shape))
    throw new ArgumentError(
      where,
      "target.shape",
      `must be the same as the input's (Target size ${show(target.shape)} must be the same as input size ${show(input.shape)})`,
      input.shape,
      target.shape,
    );
  if (!isFloatDType(target.dtype))
    throw new ArgumentError(
      where,
      "target.dtype",
      "must be floating point (result type Float can't be cast to the desired output type)",
      "float32 or float64",
      target.dtype,
    );
  const { weight, reduction, posWeight } = spec;
  notDifferentiable(where, "weight", weight, "binary_cross_entropy_with_logits");
  notDifferentiable(where, "posWeight", posWeight, "binary_cross_entropy_with_logits");
  for (const [name, v] of [
    ["weight", weight],
    ["posWeight", posWeight],
  ] as const) {
    const s = v ? broadcastShape(v.shape, input.shape) : input.shape;
    if (!s || !sameDims(s, input.shape))
      throw new ArgumentError(
        where,
        `${name}.shape`,
        "must broadcast to the input's shape",
        input.shape,
        v?.shape ?? null,
      );
  }
  const dtype = promoteFloat(input.dtype, target.dtype);
  const x = input.data;
  const t = target.data;
  const w = weight ? broadcastValues(weight, input.shape) : null;
  const pw = posWeight ? broadcastValues(posWeight, input.shape) : null;
  const n = x.length;
  const perElement = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[i]!;
    const ti = t[i]!;
    const m = Math.max(-xi, 0);
    const lse = Math.log(Math.exp(-m) + Math.exp(-xi - m));
    let loss = pw ? (1 - ti) * xi + ((pw[i]! - 1) * ti + 1) * (lse + m) : (1 - ti) * xi + m + lse;
    if (w) loss *= w[i]!;
    perElement[i] = loss;
    total += loss;
  }
  const out = reduced(perElement, total, n, reduction, dtype, input.shape);
  return record("BinaryCrossEntropyWithLogitsBackward", [input, target], [out], ([g]) => {
    const k = upstream(g!, reduction, n);
    const gx = allocArray(input.dtype, n);
    const gt = target.requiresGrad ? allocArray(target.dtype as FloatDType, n) : null;
    for (let i = 0; i < n; i++) {
      const xi = x[i]!;
      const ti = t[i]!;
      const scale = k(i) * (w ? w[i]! : 1);
      if (pw) {
        const pt = pw[i]! * ti;
        gx[i] = (pt + 1 - ti) * sigmoid(xi) - pt;
        if (gt) gt[i] = (logSigmoid(-xi) - logSigmoid(xi) * pw[i]!) * scale;
      } else {
        gx[i] = sigmoid(xi) - ti;
        if (gt) gt[i] = -xi * scale;
      }
      gx[i] = gx[i]! * scale;
    }
    return [new Tensor(gx, input.shape), gt ? new Tensor(gt, target.shape) : null];
  });
}

// ---------------------------------------------------------------------------------------------
// Functional forms (torch.nn.functional)

/**
 * torch.nn.functional.cross_entropy. `input` holds unnormalised scores: (N, C), unbatched (C,) or
 * (N, C, d1, ...). `target` holds class indices (int32: (N,), () or (N, d1, ...)) or, with the
 * input's shape, class probabilities (float).
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyLossOptions = {}): Tensor {
  return crossEntropyImpl("crossEntropy", input, target, crossEntropySpec("crossEntropy", options));
}

export interface LinearCrossEntropyOptions {
  /** A rescaling weight per class: a 1-D float tensor of size C (crossEntropy's `weight`). */
  readonly classWeight?: Tensor | null;
  /** A target equal to this contributes nothing (default -100). */
  readonly ignoreIndex?: number;
  /** "mean" (default) or "sum"; "none" would need every row's logits kept, which this op avoids. */
  readonly reduction?: "mean" | "sum";
}

/**
 * crossEntropy(linear(input, weight, bias), target) as one fused op, the logits never materialised
 * as a tensor: input [N, I], weight [C, I], bias [C] or null, target int32 [N] (class indices).
 * For a language model's output layer the logits (tokens × vocabulary) are the largest array of a
 * training step; the kernel keeps them in its own scratch and returns only the loss and, when a
 * gradient is needed, the gradients of input, weight and bias, computed in the same call (the
 * loss is a scalar, so backward only scales them). Same value and gradients as the unfused form to
 * float rounding (fixtures in test/nn/linear_ce.test.ts).
 */
export function linearCrossEntropy(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  target: Tensor,
  options: LinearCrossEntropyOptions = {},
): Tensor {
  const where = "linearCrossEntropy";
  checkKnownOptions(where, options, ["classWeight", "ignoreIndex", "reduction"]);
  const classWeight = weightOption(where, "classWeight", options.classWeight, true);
  const ignoreIndex = ignoreIndexOption(where, options.ignoreIndex);
  const reduction = reductionOption(where, options.reduction);
  if (reduction === "none")
    throw new ArgumentError(
      where,
      "reduction",
      "must reduce (the fused op keeps no per-row logits)",
      "'mean' or 'sum'",
      reduction,
    );
  floatInput(where, input);
  if (input.ndim !== 2)
    throw new ArgumentError(where, "input.dim()", "must be 2 (rows of features)", 2, input.ndim);
  const [N, I] = input.shape as [number, number];
  if (!(weight instanceof Tensor) || weight.ndim !== 2 || weight.shape[1] !== I)
    throw new ArgumentError(
      where,
      "weight.shape",
      "must be [C, input.size(1)]",
      `[C, ${I}]`,
      weight instanceof Tensor ? weight.shape : weight,
    );
  if (weight.dtype !== input.dtype)
    throw new ArgumentError(where, "weight.dtype", "must be the input's dtype", input.dtype, weight.dtype);
  const C = weight.shape[0]!;
  if (
    bias !== null &&
    !(bias instanceof Tensor && bias.ndim === 1 && bias.shape[0] === C && bias.dtype === input.dtype)
  )
    throw new ArgumentError(
      where,
      "bias",
      "must be null or a 1-D tensor of the weight's rows and the input's dtype",
      `${input.dtype} [${C}]`,
      bias instanceof Tensor ? `${bias.dtype} ${show(bias.shape)}` : bias,
    );
  checkClassTarget(where, input, target);
  checkClassWeight(where, classWeight, C, input.dtype as FloatDType);
  notDifferentiable(where, "classWeight", classWeight, "cross_entropy with class indices");
  const t = new Int32Array(N);
  const rowWeight = new Float64Array(N);
  let divisor = 0;
  for (let r = 0; r < N; r++) {
    const tc = target.data[r]!;
    if (tc === ignoreIndex) {
      t[r] = -1;
      continue;
    }
    checkTargetClass(where, tc, r, C, ignoreIndex);
    t[r] = tc;
    rowWeight[r] = classWeight ? classWeight.data[tc]! : 1;
    divisor += rowWeight[r]!;
  }
  const dtype = input.dtype as FloatDType;
  const wantGrad = needsGrad(input, weight, bias);
  const grads = wantGrad
    ? {
        scale: rowWeight.map((w) => (reduction === "mean" ? w / divisor : w)),
        dx: allocArray(dtype, N * I) as Float32Array | Float64Array,
        dw: allocArray(dtype, C * I) as Float32Array | Float64Array,
        db: bias ? (allocArray(dtype, C) as Float32Array | Float64Array) : null,
      }
    : null;
  const loss = new Float64Array(N);
  kernels().linearCrossEntropy(
    N,
    I,
    C,
    input.data as Float32Array | Float64Array,
    weight.data as Float32Array | Float64Array,
    (bias?.data ?? null) as Float32Array | Float64Array | null,
    t,
    loss,
    grads,
  );
  let total = 0;
  for (let r = 0; r < N; r++) total += rowWeight[r]! * loss[r]!;
  const out = allocArray(dtype, 1);
  out[0] = reduction === "mean" ? total / divisor : total;
  const result = new Tensor(out, []);
  if (!grads) return result;
  return record("LinearCrossEntropyBackward", [input, weight, bias], [result], ([g]) => {
    const k = g!.data[0]!;
    const scaled = (x: Float32Array | Float64Array, shape: readonly number[]) => {
      if (k !== 1) for (let i = 0; i < x.length; i++) x[i] = x[i]! * k;
      return new Tensor(x, shape);
    };
    return [
      scaled(grads.dx.slice(), input.shape),
      scaled(grads.dw.slice(), weight.shape),
      grads.db ? scaled(grads.db.slice(), [C]) : null,
    ];
  });
}

/** torch.nn.functional.nll_loss: `input` holds log-probabilities, shaped as for crossEntropy. */
export function nllLoss(input: Tensor, target: Tensor, options: NLLLossOptions = {}): Tensor {
  return nllLossImpl("nllLoss", input, target, nllSpec("nllLoss", options));
}

/** torch.nn.functional.mse_loss: (input − target)², target broadcast to the input as PyTorch does. */
export function mseLoss(input: Tensor, target: Tensor, options: MSELossOptions = {}): Tensor {
  checkKnownOptions("mseLoss", options, ["reduction"]);
  return mseLossImpl("mseLoss", input, target, reductionOption("mseLoss", options.reduction));
}

/** torch.nn.functional.binary_cross_entropy_with_logits, in PyTorch's overflow-free form. */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options: BCEWithLogitsLossOptions = {},
): Tensor {
  const where = "binaryCrossEntropyWithLogits";
  return bceWithLogitsImpl(where, input, target, bceSpec(where, options));
}

// ---------------------------------------------------------------------------------------------
// Modules (torch.nn.*Loss). Options are checked at construction; forward(input, target).
// PyTorch keeps `weight` / `pos_weight` as buffers (in state_dict); rnnkit's Module has no buffers
// yet, so they are plain fields and not in stateDict().

export class CrossEntropyLoss extends Module {
  readonly weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly reduction: Reduction;
  readonly labelSmoothing: number;
  readonly #spec: CrossEntropySpec;

  constructor(options: CrossEntropyLossOptions = {}) {
    super("CrossEntropyLoss");
    this.#spec = crossEntropySpec("CrossEntropyLoss", options);
    this.weight = this.#spec.weight;
    this.ignoreIndex = this.#spec.ignoreIndex;
    this.reduction = this.#spec.reduction;
    this.labelSmoothing = this.#spec.labelSmoothing;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropyImpl("CrossEntropyLoss", input, target, this.#spec);
  }
}

export class NLLLoss extends Module {
  readonly weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly reduction: Reduction;
  readonly #spec: CrossEntropySpec;

  constructor(options: NLLLossOptions = {}) {
    super("NLLLoss");
    this.#spec = nllSpec("NLLLoss", options);
    this.weight = this.#spec.weight;
    this.ignoreIndex = this.#spec.ignoreIndex;
    this.reduction = this.#spec.reduction;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return nllLossImpl("NLLLoss", input, target, this.#spec);
  }
}

export class MSELoss extends Module {
  readonly reduction: Reduction;

  constructor(options: MSELossOptions = {}) {
    super("MSELoss");
    checkKnownOptions("MSELoss", options, ["reduction"]);
    this.reduction = reductionOption("MSELoss", options.reduction);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return mseLossImpl("MSELoss", input, target, this.reduction);
  }
}

export class BCEWithLogitsLoss extends Module {
  readonly weight: Tensor | null;
  readonly reduction: Reduction;
  readonly posWeight: Tensor | null;
  readonly #spec: BCESpec;

  constructor(options: BCEWithLogitsLossOptions = {}) {
    super("BCEWithLogitsLoss");
    this.#spec = bceSpec("BCEWithLogitsLoss", options);
    this.weight = this.#spec.weight;
    this.reduction = this.#spec.reduction;
    this.posWeight = this.#spec.posWeight;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return bceWithLogitsImpl("BCEWithLogitsLoss", input, target, this.#spec);
  }
}
