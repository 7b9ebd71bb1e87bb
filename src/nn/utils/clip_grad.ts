// Gradient clipping: torch/nn/utils/clip_grad.py (1.13) clip_grad_norm_ and clip_grad_value_. Both
// change `param.grad.data` in place and skip parameters without a gradient.

import { ArgumentError } from "../../errors.js";
import { type FloatArray, Tensor } from "../../tensor/index.js";

export interface ClipGradNormOptions {
  /** Throw when the total norm is NaN or ±Infinity instead of scaling the gradients by it (default false). */
  readonly errorIfNonfinite?: boolean;
}

const noRounding = (x: number) => x;

/**
 * Scales the gradients so that their total norm is at most `maxNorm` (PyTorch's `clip_grad_norm_`).
 * The total norm is the `normType`-norm of the per-parameter norms, as if every gradient were one
 * vector; `normType` may be `Infinity`. Each gradient is multiplied by
 * `min(maxNorm / (totalNorm + 1e-6), 1)`, computed as PyTorch computes it. Returns the total norm
 * as a 0-D tensor (float64 if any gradient is; float32 `0` when no parameter has a gradient).
 *
 * The norms sum in float64 and round once to the gradient's dtype; PyTorch's CPU kernels sum
 * float32 in float32 (in SIMD lanes), so float32 norms can differ from PyTorch's by a few ulps.
 */
export function clipGradNorm(
  parameters: Tensor | Iterable<Tensor>,
  maxNorm: number,
  normType = 2,
  options: ClipGradNormOptions = {},
): Tensor {
  const where = "clipGradNorm";
  const params = parameterList(where, parameters);
  if (typeof maxNorm !== "number" || Number.isNaN(maxNorm))
    throw new ArgumentError(where, "maxNorm", "must be a number", "a number", maxNorm);
  if (typeof normType !== "number" || Number.isNaN(normType))
    throw new ArgumentError(
      where,
      "normType",
      "must be a number (Infinity for the max norm)",
      "a number",
      normType,
    );
  const errorIfNonfinite = options.errorIfNonfinite ?? false;
  const grads = params.flatMap((p) => (p.grad === null ? [] : [p.grad]));
  if (grads.length === 0) return new Tensor(new Float32Array(1), []);
  grads.forEach((g, i) => {
    if (g.dtype === "int32")
      throw new ArgumentError(
        where,
        `gradient ${i}`,
        "must be floating point",
        "float32 or float64",
        g.dtype,
      );
    if (g.numel() === 0 && !Number.isFinite(normType))
      throw new ArgumentError(
        where,
        `gradient ${i}`,
        "has no elements, so it has no infinity norm",
        "a non-empty gradient",
        g.shape,
      );
  });
  // torch.stack of the per-gradient norms promotes to float64 if any gradient is float64
  const f64 = grads.some((g) => g.dtype === "float64");
  const R = f64 ? noRounding : Math.fround;
  const norms = grads.map((g) => vectorNorm(g.data as FloatArray, normType));
  const total =
    normType === Infinity && norms.length === 1
      ? norms[0]!
      : vectorNorm(f64 ? Float64Array.from(norms) : Float32Array.from(norms), normType);
  if (errorIfNonfinite && !Number.isFinite(total))
    throw new ArgumentError(
      where,
      `the total norm of order ${normType} of the gradients`,
      "is non-finite, so it cannot be clipped (to scale the gradients by it anyway, leave errorIfNonfinite false)",
      "a finite norm",
      total,
    );
  // clip_coef = max_norm / (total_norm + 1e-6): a float divided by a tensor is reciprocal() * float
  const coef = R(R(1 / R(total + R(1e-6))) * R(maxNorm));
  const clamped = Math.min(coef, 1); // torch.clamp(max=1.0), NaN stays NaN
  for (const g of grads) {
    const d = g.data as FloatArray;
    const c = d instanceof Float32Array ? Math.fround(clamped) : clamped;
    for (let k = 0; k < d.length; k++) d[k] = d[k]! * c; // g.mul_(clip_coef_clamped)
  }
  return new Tensor(f64 ? Float64Array.of(total) : Float32Array.of(total), []);
}

/** Clamps every gradient into [-clipValue, clipValue] in place (PyTorch's `clip_grad_value_`). */
export function clipGradValue(parameters: Tensor | Iterable<Tensor>, clipValue: number): void {
  const where = "clipGradValue";
  const params = parameterList(where, parameters);
  if (typeof clipValue !== "number" || Number.isNaN(clipValue))
    throw new ArgumentError(where, "clipValue", "must be a number", "a number", clipValue);
  for (const p of params) {
    if (p.grad === null) continue;
    const d = p.grad.data;
    const round = d instanceof Float32Array ? Math.fround : noRounding;
    const lo = round(-clipValue);
    const hi = round(clipValue);
    // clamp_(min, max) = min(max(x, lo), hi): NaN stays NaN, and lo > hi gives hi, as in PyTorch
    for (let k = 0; k < d.length; k++) d[k] = Math.min(Math.max(d[k]!, lo), hi);
  }
}

function parameterList(where: string, parameters: Tensor | Iterable<Tensor>): Tensor[] {
  if (parameters instanceof Tensor) return [parameters];
  if (parameters === null || typeof parameters !== "object" || !(Symbol.iterator in parameters))
    throw new ArgumentError(
      where,
      "parameters",
      "must be a Tensor or an iterable of Tensors",
      "Tensors",
      parameters,
    );
  const list = [...parameters];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor))
      throw new ArgumentError(where, `parameters[${i}]`, "must be a Tensor", "a Tensor", p);
  });
  return list;
}

/**
 * PyTorch's `torch.linalg.vector_norm(x, ord)` of a flat array, in the array's dtype: the sum in
 * float64, rounded to the dtype before the root (so float32 overflows where PyTorch's does).
 */
function vectorNorm(x: FloatArray, ord: number): number {
  const R = x instanceof Float32Array ? Math.fround : noRounding;
  if (ord === Infinity || ord === -Infinity) {
    if (x.length === 0) return 0;
    let m = Math.abs(x[0]!);
    for (let k = 1; k < x.length; k++) {
      const a = Math.abs(x[k]!);
      if (Number.isNaN(a) || (ord > 0 ? a > m : a < m)) m = a;
      if (Number.isNaN(m)) break;
    }
    return m;
  }
  let sum = 0;
  if (ord === 0) {
    for (let k = 0; k < x.length; k++) if (x[k] !== 0) sum += 1;
    return R(sum);
  }
  if (ord === 1) {
    for (let k = 0; k < x.length; k++) sum += Math.abs(x[k]!);
    return R(sum);
  }
  if (ord === 2) {
    for (let k = 0; k < x.length; k++) sum += x[k]! * x[k]!;
    return R(Math.sqrt(R(sum)));
  }
  for (let k = 0; k < x.length; k++) sum += Math.abs(x[k]!) ** ord;
  return R(R(sum) ** (1 / ord));
}
