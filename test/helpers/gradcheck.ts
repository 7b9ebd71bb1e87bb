// Gradient checking by central differences in float64, independent of PyTorch: perturb every
// element of every input by ±eps, re-run the scalar function, compare with backward()'s gradients.

import assert from "node:assert/strict";
import type { Tensor } from "../../src/index.js";

export interface GradcheckOptions {
  /** Step of the central difference (PyTorch's gradcheck default, 1e-6). */
  readonly eps?: number;
  /** |analytic − numeric| ≤ atol + rtol·|numeric|; the numeric side carries O(eps²) and rounding error. */
  readonly atol?: number;
  readonly rtol?: number;
}

/**
 * `f` must return a one-element float64 tensor computed from `inputs` (float64 tensors with
 * requiresGrad). Asserts that backward() gives the central-difference gradient for every element.
 */
export function assertGradcheck(
  f: () => Tensor,
  inputs: readonly Tensor[],
  options: GradcheckOptions = {},
): void {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-7;
  const rtol = options.rtol ?? 1e-5;
  for (const x of inputs) {
    assert.equal(x.dtype, "float64", "gradcheck needs float64 inputs");
    x.grad = null;
  }
  const out = f();
  assert.equal(out.numel(), 1, "gradcheck needs a scalar function");
  out.backward();
  for (const [n, x] of inputs.entries()) {
    const analytic = x.grad;
    assert.ok(analytic, `input ${n}: no gradient reached it`);
    for (let i = 0; i < x.data.length; i++) {
      const v = x.data[i]!;
      // Written in place: bumpVersion() so that kernels drop weights they packed from x.
      x.data[i] = v + eps;
      x.bumpVersion();
      const plus = f().item();
      x.data[i] = v - eps;
      x.bumpVersion();
      const minus = f().item();
      x.data[i] = v;
      x.bumpVersion();
      const numeric = (plus - minus) / (2 * eps);
      const a = analytic.data[i]!;
      assert.ok(
        Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric),
        `input ${n} [${x.shape.join(", ")}] element ${i}: backward ${a}, central difference ${numeric}`,
      );
    }
  }
}
