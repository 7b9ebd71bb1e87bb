import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { availableKernels } from "../../src/kernels/select.js";
import { Generator } from "../../src/tensor/random.js";

// op(A)(i, p) and op(B)(p, j) read straight from the definition: the oracle for every gemm.
function naive(
  tA: boolean,
  tB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float64Array,
  aOff: number,
  lda: number,
  b: Float64Array,
  bOff: number,
  ldb: number,
  beta: 0 | 1,
  c: Float64Array,
  cOff: number,
  ldc: number,
) {
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = beta ? c[cOff + i * ldc + j]! : 0;
      for (let p = 0; p < k; p++)
        s += a[aOff + (tA ? p * lda + i : i * lda + p)]! * b[bOff + (tB ? j * ldb + p : p * ldb + j)]!;
      c[cOff + i * ldc + j] = s;
    }
}

const rand = (g: Generator, n: number) => Float64Array.from({ length: n }, () => g.normal());

for (const kern of availableKernels())
  describe(`kernels: ${kern.name}`, () => {
    for (const tA of [false, true])
      for (const tB of [false, true])
        for (const beta of [0, 1] as const)
          test(`gemm transA=${tA} transB=${tB} beta=${beta} with offsets and padded leading dimensions`, () => {
            const g = new Generator(11);
            for (const [m, n, k] of [
              [1, 1, 1],
              [3, 5, 7],
              [8, 16, 4],
              [13, 2, 9],
              [4, 3, 0],
            ] as const) {
              const lda = (tA ? m : k) + 2,
                ldb = (tB ? k : n) + 1,
                ldc = n + 3;
              const a = rand(g, 5 + (tA ? k : m) * lda),
                b = rand(g, 2 + (tB ? n : k) * ldb),
                c = rand(g, 4 + m * ldc);
              const expected = c.slice();
              naive(tA, tB, m, n, k, a, 5, lda, b, 2, ldb, beta, expected, 4, ldc);
              kern.gemm(tA, tB, m, n, k, a, 5, lda, b, 2, ldb, beta, c, 4, ldc);
              for (let i = 0; i < c.length; i++)
                assert.ok(Math.abs(c[i]! - expected[i]!) <= 1e-12, `[${m},${n},${k}] c[${i}]`);
            }
          });

    test("gemm refuses a matrix that does not fit its array", () => {
      const x = new Float64Array(6);
      assert.throws(
        () => kern.gemm(false, false, 2, 3, 3, x, 0, 3, x, 0, 3, 0, new Float64Array(6), 0, 3),
        /gemm B \[3, 3\] .* exceeds its array of 6/,
      );
    });
  });
