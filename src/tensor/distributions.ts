// PyTorch's CPU random transforms (tensor layer): what uniform_, normal_ and bernoulli_ write into
// a contiguous float32 or float64 array, word for word from a Generator.
//
// Note [PyTorch's random stream]
// PyTorch 1.13's CPU kernels (aten/src/ATen/native/cpu/DistributionTemplates.h, DistributionKernels.cpp,
// core/DistributionsHelper.h, core/TransformationHelper.h), as the x86-64 build runs them (CPU
// capability AVX2, which 1.13 picks on AVX2 and AVX-512 machines; ATen's AVX2 files are compiled
// with -mfma and GCC contracts a·b + c into one fused multiply-add):
// - uniform_(from, to): per element in memory order, float32: x = (word & (2²⁴−1))/2²⁴ from one
//   word, fma(x, to − from, from) in float32 with from, to rounded to float32 first; float64: x =
//   low 53 bits of two words (first high)/2⁵³, fma(x, to − from, from) in float64.
// - normal_(mean, std) with fewer than 16 elements (or not contiguous): normal_distribution<double>
//   per element (Generator.normal(): two uniform doubles, Box-Muller in float64, sin kept in the
//   generator for the next draw), rounded to the dtype.
// - normal_ with 16 or more elements: every element first gets a uniform draw of its dtype, then
//   each block of 16 is turned in place into 8 Box-Muller pairs (u1 = 1 − d[j], u2 = d[j + 8] →
//   d[j] = r cos θ, d[j + 8] = r sin θ); if the size is not a multiple of 16 the last 16 elements
//   are drawn again and transformed again. float32 runs the AVX2 kernel: avx_mathfun.h's
//   log256_ps and sincos256_ps (Cephes polynomials in float32), reproduced below lane by lane
//   with GCC's contractions; float64 runs the scalar loop with libm's log, cos and sin (glibc's
//   in PyTorch; rnnkit's libm.ts rounds correctly, the nearest it can get: 0.16% of float64
//   normals differ from PyTorch's in the last bits, everything else here is bit for bit).
// - bernoulli_(p) (dropout's mask; this build has no MKL): per element uniform double < p.

import type { FloatArray } from "./dtype.js";
import { fmaF32, fmaF64 } from "./fma.js";
import { libmLog, libmSinCos } from "./libm.js";
import type { Generator } from "./random.js";

export type { FloatArray };

const fr = Math.fround;

/** uniform_(from, to): TransformationHelper.h `uniform_real`, fused as the AVX2 build fuses it. */
export function uniformFill(g: Generator, data: FloatArray, from: number, to: number): void {
  if (data instanceof Float32Array) {
    const lo = fr(from);
    const width = fr(fr(to) - lo);
    for (let i = 0; i < data.length; i++) data[i] = fmaF32(g.randomFloat32(), width, lo);
  } else {
    const width = to - from;
    for (let i = 0; i < data.length; i++) data[i] = fmaF64(g.random(), width, from);
  }
}

/** normal_(mean, std): DistributionTemplates.h `normal_kernel` for a contiguous array. */
export function normalFill(g: Generator, data: FloatArray, mean: number, std: number): void {
  const n = data.length;
  if (n < 16) {
    // normal_distribution<double>(mean, std): transformation::normal is val·std + mean, fused.
    for (let i = 0; i < n; i++) data[i] = fmaF64(g.normal(), std, mean);
    return;
  }
  const f32 = data instanceof Float32Array;
  const fill16 = f32 ? boxMuller16F32 : boxMuller16F64;
  const m = f32 ? fr(mean) : mean;
  const s = f32 ? fr(std) : std;
  drawUniform(g, data, 0, n);
  for (let i = 0; i + 16 <= n; i += 16) fill16(data, i, m, s);
  if (n % 16 !== 0) {
    // "Recompute the last 16 values": fresh draws for the last 16, transformed again.
    drawUniform(g, data, n - 16, n);
    fill16(data, n - 16, m, s);
  }
}

/** bernoulli_(p) with a scalar p: 1 where a uniform double is below p, else 0. */
export function bernoulliFill(g: Generator, data: FloatArray, p: number): void {
  for (let i = 0; i < data.length; i++) data[i] = g.random() < p ? 1 : 0;
}

/** Uniform [0, 1) draws of the array's dtype into data[start, end). */
function drawUniform(g: Generator, data: FloatArray, start: number, end: number): void {
  if (data instanceof Float32Array) for (let i = start; i < end; i++) data[i] = g.randomFloat32();
  else for (let i = start; i < end; i++) data[i] = g.random();
}

const sinCos = new Float64Array(2);

/** DistributionTemplates.h `normal_fill_16` (float64): libm in double, radius·cos·std + mean fused. */
function boxMuller16F64(d: FloatArray, o: number, mean: number, std: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = 1 - d[o + j]!;
    const u2 = d[o + j + 8]!;
    const radius = Math.sqrt(-2 * libmLog(u1));
    libmSinCos(2 * Math.PI * u2, sinCos);
    d[o + j] = fmaF64(radius * sinCos[1]!, std, mean);
    d[o + j + 8] = fmaF64(radius * sinCos[0]!, std, mean);
  }
}

const TWO_PI_F = fr(2 * Math.PI); // _mm256_set1_ps(2.0f * c10::pi<double>)

/** DistributionTemplates.h `normal_fill_16_AVX2`, one lane at a time (float32). */
function boxMuller16F32(d: FloatArray, o: number, mean: number, std: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = fr(1 - d[o + j]!);
    const u2 = d[o + j + 8]!;
    const radius = fr(Math.sqrt(fr(-2 * log256(u1))));
    sincos256(fr(TWO_PI_F * u2));
    d[o + j] = fmaF32(fr(radius * cosOut), std, mean);
    d[o + j + 8] = fmaF32(fr(radius * sinOut), std, mean);
  }
}

// avx_mathfun.h's constants, as float32.
const SQRTHF = fr(Math.SQRT1_2); // cephes_SQRTHF, 0.707106781186547524: the same double
const LOG_P = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
  2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
].map(fr);
const LOG_Q1 = fr(-2.1219444e-4);
const LOG_Q2 = fr(0.693359375);
const MINUS_DP1 = fr(-0.78515625);
const MINUS_DP2 = fr(-0.00024187564849853516);
const MINUS_DP3 = fr(-3.774894977445941e-8);
const SINCOF = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(fr);
const COSCOF = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(fr);
const FOPI = fr(1.27323954473516); // 4/π

const word = new Int32Array(1);
const wordF = new Float32Array(word.buffer);

/**
 * avx_mathfun.h `log256_ps` for one lane, x in (0, 1] (u1 = 1 − u never reaches 0 or a
 * subnormal). Each float32 operation rounds; where GCC fused a product into the following add
 * (every product whose only use is an add or subtract, taken in statement order), one rounding.
 */
function log256(x: number): number {
  wordF[0] = x;
  const bits = word[0]!;
  let e = fr((bits >>> 23) - 0x7f + 1); // exponent + 1: x = m·2^e with m in [0.5, 1)
  word[0] = (bits & ~0x7f800000) | 0x3f000000;
  let m = wordF[0]!;
  // if (m < √½) { e −= 1; m = m + m − 1 } else { m = m − 1 }
  const small = m < SQRTHF;
  const tmp = small ? m : 0;
  m = fr(m - 1);
  if (small) e = fr(e - 1);
  m = fr(m + tmp);
  const z = fr(m * m);
  let y = LOG_P[0]!;
  for (let k = 1; k < 9; k++) y = fmaF32(y, m, LOG_P[k]!);
  y = fr(y * m);
  y = fmaF32(y, z, fr(e * LOG_Q1)); // y·z + e·q1: the first product is the fused one
  y = fmaF32(-z, 0.5, y);
  return fmaF32(e, LOG_Q2, fr(m + y));
}

// sincos256 writes both results here (no allocation per lane).
let sinOut = 0;
let cosOut = 0;

/** avx_mathfun.h `sincos256_ps` for one lane, θ in [0, 2π). */
function sincos256(x0: number): void {
  const signSin = x0 < 0;
  let x = Math.abs(x0);
  let j = Math.trunc(fr(x * FOPI)); // _mm256_cvttps_epi32
  j = (j + 1) & ~1;
  const y = j;
  const swapSin = (j & 4) !== 0;
  const polyMask = (j & 2) === 0; // true: sin from the sin polynomial, cos from the cos one
  // "Extended precision modular arithmetic": x = ((x − y·DP1) − y·DP2) − y·DP3, each fused.
  x = fmaF32(y, MINUS_DP1, x);
  x = fmaF32(y, MINUS_DP2, x);
  x = fmaF32(y, MINUS_DP3, x);
  const negCos = (~(j - 2) & 4) !== 0;
  const z = fr(x * x);
  // cos polynomial: ((c0 z + c1) z + c2) z · z − z/2 + 1, with (·z)·z − z/2 fused.
  let c = fmaF32(COSCOF[0]!, z, COSCOF[1]!);
  c = fmaF32(c, z, COSCOF[2]!);
  c = fr(c * z);
  c = fmaF32(c, z, -fr(z * 0.5));
  c = fr(c + 1);
  // sin polynomial: ((s0 z + s1) z + s2) z · x + x.
  let s = fmaF32(SINCOF[0]!, z, SINCOF[1]!);
  s = fmaF32(s, z, SINCOF[2]!);
  s = fr(s * z);
  s = fmaF32(s, x, x);
  const sin = polyMask ? s : c;
  const cos = polyMask ? c : s;
  sinOut = signSin !== swapSin ? -sin : sin;
  cosOut = negCos ? -cos : cos;
}
