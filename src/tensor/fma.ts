// Fused multiply-add, exactly rounded, in plain JavaScript numbers (tensor layer).
//
// PyTorch's CPU random kernels are compiled with FMA enabled (ATen's AVX2 build, `-mavx2 -mfma`),
// and GCC contracts `x * (to - from) + from` and the polynomial steps of avx_mathfun.h into single
// fused operations: one rounding instead of two. Measured on 100,000 uniform_(-k, k) draws, 52%
// differ in the last bit between `fma` and `mul` then `add`. JavaScript has no fma, so these
// compute a·b + c exactly (Dekker's product, Knuth's two-sum) and round once.

const SPLIT = 134217729; // 2^27 + 1, Veltkamp's splitter for doubles

/** a·b + c with a single rounding to float64 (finite operands, no overflow: the draws' case). */
export function fmaF64(a: number, b: number, c: number): number {
  // a·b = p + e exactly (Dekker).
  const p = a * b;
  const ta = SPLIT * a;
  const ah = ta - (ta - a);
  const al = a - ah;
  const tb = SPLIT * b;
  const bh = tb - (tb - b);
  const bl = b - bh;
  const e = ah * bh - p + ah * bl + al * bh + al * bl;
  // p + c = s + e1 exactly (two-sum).
  const s = p + c;
  const sv = s - p;
  const e1 = p - (s - sv) + (c - sv);
  // e1 + e = t + te exactly; the value is s + t + te, with |te| far below ulp(s + t).
  const t = e1 + e;
  const tv = t - e1;
  const te = e1 - (t - tv) + (e - tv);
  const r = s + t;
  // s + t lies on a grid much finer than half an ulp of r, so te can only change the rounding
  // when s + t was exactly halfway between two doubles (a tie): then te decides the side.
  if (te === 0) return r;
  const rv = r - s;
  const re = s - (r - rv) + (t - rv); // s + t = r + re exactly
  if (re === 0) return r;
  const other = r + 2 * re;
  if (other - r !== 2 * re || re > 0 !== te > 0) return r;
  return other;
}

/** a·b + c with a single rounding to float32, for float32 a, b, c (a·b is exact in float64). */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const sv = s - p;
  const e = p - (s - sv) + (c - sv); // p + c = s + e exactly
  const r = Math.fround(s);
  if (e === 0 || r === s) return r;
  // s itself needs rounding to float32; only a tie (s halfway between two floats) can round the
  // wrong way, and then e says which side the exact value is on.
  const d = s - r;
  const other = r + 2 * d;
  if (Math.fround(other) !== other || other - s !== d || d > 0 !== e > 0) return r;
  return other;
}
