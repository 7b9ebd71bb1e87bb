// Reference fused linear + softmax cross entropy (kernels layer): the contract's definition as
// plain loops over a logits array allocated for the call, sums in float64.

import type { F, LinearCrossEntropy } from "../types.js";
import { gemm } from "./gemm.js";

export const linearCrossEntropy: LinearCrossEntropy = (rows, I, C, x, w, b, t, loss, grads) => {
  const z: F = x instanceof Float64Array ? new Float64Array(rows * C) : new Float32Array(rows * C);
  if (b) for (let r = 0; r < rows; r++) z.set(b.subarray(0, C), r * C);
  gemm(false, true, rows, C, I, x, 0, I, w, 0, I, b ? 1 : 0, z, 0, C);
  for (let r = 0; r < rows; r++) {
    const base = r * C;
    const tr = t[r]!;
    if (tr < 0) {
      loss[r] = 0;
      if (grads) z.fill(0, base, base + C);
      continue;
    }
    const zt = z[base + tr]!;
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < C; c++) {
      const v = z[base + c]!;
      if (v > max || Number.isNaN(v)) max = v;
    }
    // e^{z − max} in place (rounded to the array's dtype, as the WASM kernels store it), summed in float64.
    let sum = 0;
    for (let c = 0; c < C; c++) {
      z[base + c] = Math.exp(z[base + c]! - max);
      sum += z[base + c]!;
    }
    loss[r] = max + Math.log(sum) - zt;
    if (!grads) continue;
    const s = grads.scale[r]!;
    const k = s / sum;
    for (let c = 0; c < C; c++) z[base + c] = z[base + c]! * k;
    z[base + tr] = z[base + tr]! - s;
  }
  if (!grads) return;
  gemm(false, false, rows, I, C, z, 0, C, w, 0, I, 0, grads.dx, 0, I);
  gemm(true, false, C, I, rows, z, 0, C, x, 0, I, 0, grads.dw, 0, I);
  if (b && grads.db) {
    const db = grads.db;
    db.fill(0, 0, C);
    for (let r = 0; r < rows; r++) for (let c = 0; c < C; c++) db[c] = db[c]! + z[r * C + c]!;
  }
};
