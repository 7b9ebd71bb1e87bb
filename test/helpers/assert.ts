// Comparisons at DESIGN.md's tolerances, one helper per kind, never loosened to make a test pass.

import assert from "node:assert/strict";
import type { Tensor } from "../../src/tensor/index.js";

/** |actual − expected| ≤ atol + rtol·|expected|, per dtype (DESIGN.md "Exactness"). */
export const FORWARD_TOL = {
  float32: { atol: 2e-5, rtol: 1e-4 },
  float64: { atol: 1e-10, rtol: 1e-9 },
} as const;
export const GRAD_TOL = { float32: { atol: 1e-4, rtol: 1e-3 }, float64: { atol: 1e-9, rtol: 1e-9 } } as const;

export interface CloseResult {
  readonly maxAbs: number;
}

/**
 * Asserts same shape, same dtype and elementwise closeness; NaN must meet NaN and ±Infinity the same
 * infinity. Returns the largest absolute difference seen (for the closing figures).
 */
export function assertClose(
  actual: Tensor,
  expected: Tensor,
  what: string,
  tol: { readonly atol: number; readonly rtol: number } | "forward" | "grad" = "forward",
): CloseResult {
  assert.deepEqual([...actual.shape], [...expected.shape], `${what}: shape`);
  assert.equal(actual.dtype, expected.dtype, `${what}: dtype`);
  if (expected.dtype === "int32") {
    assert.deepEqual([...actual.data], [...expected.data], `${what}: values`);
    return { maxAbs: 0 };
  }
  const table = tol === "forward" ? FORWARD_TOL : tol === "grad" ? GRAD_TOL : null;
  const { atol, rtol } = table ? table[expected.dtype] : (tol as { atol: number; rtol: number });
  let maxAbs = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i]!;
    const e = expected.data[i]!;
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      assert.ok(
        Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)),
        `${what}[${i}]: expected ${e}, got ${a}`,
      );
      continue;
    }
    const d = Math.abs(a - e);
    if (!(d <= atol + rtol * Math.abs(e)))
      assert.fail(
        `${what}[${i}]: expected ${e}, got ${a} (|diff| ${d.toExponential(2)} > ${atol} + ${rtol}·|expected|)`,
      );
    maxAbs = Math.max(maxAbs, d);
  }
  return { maxAbs };
}

/**
 * assertClose that also keeps, per dtype, the largest |actual − expected| and the largest share of
 * the tolerance used, |diff| / (atol + rtol·|expected|): the figures a suite prints at the end.
 */
export class CloseTracker {
  readonly worst = {
    float32: { diff: 0, where: "", share: 0, shareWhere: "" },
    float64: { diff: 0, where: "", share: 0, shareWhere: "" },
  };

  constructor(readonly kind: "forward" | "grad" = "forward") {}

  check(actual: Tensor, expected: Tensor, what: string): void {
    const { maxAbs } = assertClose(actual, expected, what, this.kind);
    if (expected.dtype === "int32") return;
    const w = this.worst[expected.dtype];
    if (maxAbs > w.diff) {
      w.diff = maxAbs;
      w.where = what;
    }
    const { atol, rtol } = (this.kind === "forward" ? FORWARD_TOL : GRAD_TOL)[expected.dtype];
    for (let i = 0; i < expected.data.length; i++) {
      const e = expected.data[i]!;
      if (!Number.isFinite(e)) continue;
      const share = Math.abs(actual.data[i]! - e) / (atol + rtol * Math.abs(e));
      if (share > w.share) {
        w.share = share;
        w.shareWhere = what;
      }
    }
  }

  /** One line per dtype, for an `after` hook. */
  report(label: string): string[] {
    return (["float32", "float64"] as const).map((d) => {
      const w = this.worst[d];
      return `${label}, ${d}: worst |diff| ${w.diff.toExponential(3)} (${w.where || "none"}); worst share of the tolerance ${w.share.toExponential(2)} (${w.shareWhere || "none"})`;
    });
  }
}
