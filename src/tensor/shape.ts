// Shape arithmetic: element counts, row-major strides, dimension wrapping, broadcasting (tensor layer).

import { ArgumentError, show } from "../errors.js";

export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C order) strides in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function checkShape(where: string, shape: Shape): void {
  for (const d of shape)
    if (!Number.isInteger(d) || d < 0)
      throw new ArgumentError(where, "shape", "must hold non-negative integers", "sizes >= 0", shape);
}

/** Wraps a possibly negative dimension index as PyTorch does: -1 is the last dimension. */
export function wrapDim(where: string, dim: number, ndim: number): number {
  const lo = Math.min(-ndim, -1);
  const hi = Math.max(ndim - 1, 0);
  if (!Number.isInteger(dim) || dim < lo || dim > hi)
    throw new ArgumentError(
      where,
      "dim",
      `is out of range (expected to be in range of [${lo}, ${hi}])`,
      `[${lo}, ${hi}]`,
      dim,
    );
  return dim < 0 ? dim + Math.max(ndim, 1) : dim;
}

/** PyTorch's broadcasting rule: align trailing dimensions; each pair equal or one of them 1. */
export function broadcastShapes(where: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1)
      throw new ArgumentError(
        where,
        "shapes",
        `must be broadcastable: the size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i}`,
        show(a),
        show(b),
      );
    out[i] = da === 1 ? db : da;
  }
  return out;
}
