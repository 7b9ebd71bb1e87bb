// Reference GEMM (kernels layer): straight loops from the definition, accumulated in float64 and
// rounded once on store. Kept for good as the oracle the faster kernels are tested against.

import type { F, Gemm } from "../types.js";

export const gemm: Gemm = (transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc) => {
  checkBounds("A", a, aOff, transA ? k : m, transA ? m : k, lda);
  checkBounds("B", b, bOff, transB ? n : k, transB ? k : n, ldb);
  checkBounds("C", c, cOff, m, n, ldc);
  // Element (i, p) of op(A) sits at aOff + i*aRow + p*aCol; likewise op(B)'s (p, j).
  const aRow = transA ? 1 : lda;
  const aCol = transA ? lda : 1;
  const bRow = transB ? 1 : ldb;
  const bCol = transB ? ldb : 1;
  for (let i = 0; i < m; i++) {
    const ci = cOff + i * ldc;
    for (let j = 0; j < n; j++) {
      let s = beta === 1 ? c[ci + j]! : 0;
      let pa = aOff + i * aRow;
      let pb = bOff + j * bCol;
      for (let p = 0; p < k; p++, pa += aCol, pb += bRow) s += a[pa]! * b[pb]!;
      c[ci + j] = s;
    }
  }
};

/** Typed arrays drop out-of-range writes and read NaN silently: check a matrix's extent once, on entry. */
export function checkBounds(what: string, x: F, off: number, rows: number, cols: number, ld: number): void {
  if (rows === 0 || cols === 0) return;
  if (off < 0 || ld < cols || off + (rows - 1) * ld + cols > x.length)
    throw new RangeError(
      `rnnkit internal error: gemm ${what} [${rows}, ${cols}] (ld ${ld}, offset ${off}) exceeds its array of ${x.length}`,
    );
}
