// rnnkit's WebAssembly SIMD kernels (AssemblyScript). Built twice by asm/build.mjs: plain SIMD
// (mul + add) and relaxed SIMD (relaxed_madd, an FMA on x86-64); src/kernels/wasm/ loads one.
//
// Memory belongs to the JS loader: every pointer is a byte offset it chose, leading dimensions are
// in elements. Nothing here allocates. Every kernel is generic over T = f32 | f64; a v128 holds
// L = 16 / sizeof<T>() lanes (4 or 2). The semantics are those of src/kernels/ts/ (the reference);
// see src/kernels/types.ts for each kernel's contract.
//
// GEMM: op(B) is packed once into panels of NR = 2·L columns (K × NR, contiguous, zero-padded), and
// register tiles run over it: 4 rows × 1 panel (8 accumulators: 4x8 for f32, 4x4 for f64) and, for
// rows left over, 1 row × 3 panels (6). Batch-1 recurrences use wide panels of 7 vectors (a GEMV
// with 7 accumulators); one-off products (a single time step) run as dot products on the unpacked
// weights. V8 keeps about 15 vectors in xmm registers: 8 accumulators plus 8 loads spill.
//
// Activations: float32 lanes use Cephes' expf / tanhf polynomials; float64 lanes call the scalar
// NativeMath exp / tanh (musl's, < 1 ulp). Maximum errors of the float32 lanes against float64
// Math.exp / Math.tanh / 1 / (1 + e^−x), measured on EVERY float32 (4.28e9 inputs: every bit pattern,
// both signs, ±∞, NaN) plus [−20, 20] in steps of 1e-5 by bench/activations.ts (Node 20, x86-64);
// test/kernels/activations.test.ts holds these bounds on a sample:
//                    plain SIMD (mul + add)        relaxed SIMD (FMA)
//   exp      relative 8.2e-8                        8.5e-8            (x ∈ [−87.3, 88.72], normal results)
//   tanh     abs 7.9e-8, relative 1.42e-7           the same          (relative where |tanh x| ≥ 1e-30)
//   sigmoid  abs 8.9e-8, relative 1.48e-7           the same          (relative where σ(x) ≥ 1e-30)
// One float32 ulp is 6e-8 relative (the reference, rounding the exact value once, is within 3e-8).
// tanh keeps relative accuracy near 0 (an odd polynomial below |x| = 0.625, never 2σ(2x) − 1). exp
// overflows to +∞ past 88.72 and underflows to 0 as float32 e^x does, so σ and tanh saturate to
// exactly 0 / 1 (σ(−∞) = 0, so 0·∞ gives NaN as in PyTorch), and NaN propagates.

// ---------------------------------------------------------------------------------------------
// Vector helpers

// @ts-ignore: decorator
@inline function L<T>(): i32 {
  return 16 / sizeof<T>();
}

/** a·b + c: relaxed_madd (one rounding) in the relaxed build, mul then add otherwise. */
// @ts-ignore: decorator
@inline function vfma<T>(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return v128.relaxed_madd<T>(a, b, c);
  return v128.add<T>(v128.mul<T>(a, b), c);
}

// Threads: every thread runs its own instance of this module over one shared memory, so all
// mutable state a kernel touches must be per thread. That is only the scratch below (TMP, TAIL):
// the main thread's instance uses the static blocks, a worker's is pointed at its own block by
// set_scratch. KT (the activation constants) is written once, by init() on the main thread, and
// only read afterwards. The module has no start function and, built with --zeroFilledMemory, no
// data segments but musl's exp table (constant bytes), so instantiating it in a worker never
// writes memory another thread is using.

// 16-byte aligned scratch for partial vectors and edge tiles (1024 bytes).
let TMP: usize = memory.data(1024, 16);

/** Loads cnt ≤ L elements (the rest zero). */
// @ts-ignore: decorator
@inline function ldp<T>(p: usize, cnt: i32): v128 {
  if (cnt == L<T>()) return v128.load(p);
  v128.store(TMP, v128.splat<i32>(0));
  for (let i = 0; i < cnt; i++) store<T>(TMP + (<usize>i << alignof<T>()), load<T>(p + (<usize>i << alignof<T>())));
  return v128.load(TMP);
}

/** Stores the first cnt ≤ L lanes of v. */
// @ts-ignore: decorator
@inline function stp<T>(p: usize, v: v128, cnt: i32): void {
  if (cnt == L<T>()) {
    v128.store(p, v);
    return;
  }
  v128.store(TMP, v);
  for (let i = 0; i < cnt; i++) store<T>(p + (<usize>i << alignof<T>()), load<T>(TMP + (<usize>i << alignof<T>())));
}

// @ts-ignore: decorator
@inline function splat<T>(x: f64): v128 {
  if (sizeof<T>() == 4) return f32x4.splat(<f32>x);
  return f64x2.splat(x);
}

// ---------------------------------------------------------------------------------------------
// Activations

// V8 rebuilds every v128.const at each use (three instructions each, ../shared/notes/wasm-simd.md),
// and binaryen folds constants held in locals back into v128.const: so the activations read their
// constants from this table (one load each, often folded into the arithmetic). Written once by
// init().
const KT: usize = memory.data(16 * 24, 16);
const K_LO = 0;
const K_HI = 1;
const K_MAGIC = 2;
const K_LOG2E = 3;
const K_LN2HI = 4;
const K_LN2LO = 5;
const K_P0 = 6; // K_P0 .. K_P0 + 5: the exp polynomial
const K_ONE = 12;
const K_E127 = 13;
const K_T0 = 14; // K_T0 .. K_T0 + 4: the tanh polynomial
const K_TWO = 19;
const K_SMALL = 20;
const K_SIGN = 21;
function kset(i: i32, x: f32): void {
  v128.store(KT + (<usize>i << 4), f32x4.splat(x));
}
/** Writes the constant table: once, by the loader, before any kernel runs (never by workers). */
export function init(): void {
  kset(K_LO, -104.0);
  kset(K_HI, 89.0);
  kset(K_MAGIC, 12582912.0); // 1.5·2^23
  kset(K_LOG2E, 1.44269504088896341);
  kset(K_LN2HI, -0.693359375);
  kset(K_LN2LO, 2.12194440e-4);
  kset(K_P0, 1.9875691500e-4);
  kset(K_P0 + 1, 1.3981999507e-3);
  kset(K_P0 + 2, 8.3334519073e-3);
  kset(K_P0 + 3, 4.1665795894e-2);
  kset(K_P0 + 4, 1.6666665459e-1);
  kset(K_P0 + 5, 5.0000001201e-1);
  kset(K_ONE, 1.0);
  v128.store(KT + (<usize>K_E127 << 4), i32x4.splat(127));
  kset(K_T0, -5.70498872745e-3);
  kset(K_T0 + 1, 2.06390887954e-2);
  kset(K_T0 + 2, -5.37397155531e-2);
  kset(K_T0 + 3, 1.33314422036e-1);
  kset(K_T0 + 4, -3.33332819422e-1);
  kset(K_TWO, 2.0);
  kset(K_SMALL, 0.625);
  v128.store(KT + (<usize>K_SIGN << 4), i32x4.splat(0x80000000));
}

// @ts-ignore: decorator
@inline function K(i: i32): v128 {
  return v128.load(KT + (<usize>i << 4));
}

// Cephes expf: n = round(x·log2 e), r = x − n·ln 2 in two parts, e^r = 1 + r + r²·P(r), times 2^n.
// n comes from the float's own bits (x·log2 e + 1.5·2^23 rounds to an integer in the low mantissa
// bits), which avoids V8's slow float → int conversions.
// @ts-ignore: decorator
@inline function vexp32(x: v128): v128 {
  // pmax/pmin with x first keep NaN (they return their first operand when the comparison fails).
  x = f32x4.pmin(f32x4.pmax(x, K(K_LO)), K(K_HI));
  const magic = K(K_MAGIC);
  const t = vfma<f32>(x, K(K_LOG2E), magic);
  const fx = f32x4.sub(t, magic);
  x = vfma<f32>(fx, K(K_LN2HI), x);
  x = vfma<f32>(fx, K(K_LN2LO), x);
  const z = f32x4.mul(x, x);
  let y = vfma<f32>(K(K_P0), x, K(K_P0 + 1));
  y = vfma<f32>(y, x, K(K_P0 + 2));
  y = vfma<f32>(y, x, K(K_P0 + 3));
  y = vfma<f32>(y, x, K(K_P0 + 4));
  y = vfma<f32>(y, x, K(K_P0 + 5));
  y = f32x4.add(vfma<f32>(y, z, x), K(K_ONE));
  // ·2^n as ·2^(n>>1)·2^(n−(n>>1)): both factors stay normal floats for every n the clamp allows,
  // so e^x overflows to +∞ past 88.72 and underflows through the subnormals to 0 as float32 e^x
  // does; σ(−x) = 1 / (1 + ∞) is then exactly 0 there, as in PyTorch (0·∞ stays NaN downstream).
  const n = i32x4.sub(t, magic); // the integer n, as the bits of t minus those of the magic number
  const n1 = i32x4.shr_s(n, 1);
  const e127 = K(K_E127);
  const y1 = f32x4.mul(y, i32x4.shl(i32x4.add(n1, e127), 23));
  return f32x4.mul(y1, i32x4.shl(i32x4.add(i32x4.sub(n, n1), e127), 23));
}

// Cephes tanhf: |x| < 0.625: x + x³·P(x²); else 1 − 2 / (e^{2|x|} + 1) with x's sign.
// @ts-ignore: decorator
@inline function vtanh32(x: v128): v128 {
  const ax = f32x4.abs(x);
  const s = f32x4.mul(x, x);
  let p = vfma<f32>(K(K_T0), s, K(K_T0 + 1));
  p = vfma<f32>(p, s, K(K_T0 + 2));
  p = vfma<f32>(p, s, K(K_T0 + 3));
  p = vfma<f32>(p, s, K(K_T0 + 4));
  const small = vfma<f32>(f32x4.mul(p, s), x, x);
  const e = vexp32(f32x4.add(ax, ax));
  const one = K(K_ONE);
  let big = f32x4.sub(one, f32x4.div(K(K_TWO), f32x4.add(e, one)));
  big = v128.or(big, v128.and(x, K(K_SIGN)));
  return v128.bitselect(small, big, f32x4.lt(ax, K(K_SMALL)));
}

// @ts-ignore: decorator
@inline function vsigmoid32(x: v128): v128 {
  const one = K(K_ONE);
  return f32x4.div(one, f32x4.add(one, vexp32(f32x4.neg(x))));
}

function sigmoid64(x: f64): f64 {
  return 1.0 / (1.0 + Math.exp(-x));
}

// @ts-ignore: decorator
@inline function vsig<T>(x: v128): v128 {
  if (sizeof<T>() == 4) return vsigmoid32(x);
  return f64x2.replace_lane(
    f64x2.splat(sigmoid64(f64x2.extract_lane(x, 0))),
    1,
    sigmoid64(f64x2.extract_lane(x, 1)),
  );
}

// @ts-ignore: decorator
@inline function vtanh<T>(x: v128): v128 {
  if (sizeof<T>() == 4) return vtanh32(x);
  return f64x2.replace_lane(f64x2.splat(Math.tanh(f64x2.extract_lane(x, 0))), 1, Math.tanh(f64x2.extract_lane(x, 1)));
}

/** Applies an activation to n float32s in place (0 exp, 1 tanh, 2 sigmoid): for measuring errors. */
export function act_f32(which: i32, p: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const cnt = min(4, n - i);
    const q = p + (<usize>i << 2);
    const x = ldp<f32>(q, cnt);
    stp<f32>(q, which == 0 ? vexp32(x) : which == 1 ? vtanh32(x) : vsigmoid32(x), cnt);
  }
}

// ---------------------------------------------------------------------------------------------
// GEMM

/** Bytes of op(B) [k, n] packed into panels of NR = 2L columns. */
function packedBytes<T>(n: i32, k: i32): usize {
  const NR = 2 * L<T>();
  return <usize>((n + NR - 1) / NR) * <usize>k * <usize>NR * sizeof<T>();
}

/**
 * Writes rows j0 + jj (jj < w) of B [n, k] (row stride ldb) transposed into a panel: pd[p·width + jj],
 * zero for w ≤ jj < width. float32 goes through 4×4 register transposes.
 */
function packPanelT<T>(src: usize, ldb: i32, w: i32, k: i32, pd: usize, width: i32): void {
  const sz = sizeof<T>();
  const rowB = <usize>ldb * sz;
  const wB = <usize>width * sz;
  let jj = 0;
  if (sizeof<T>() == 4) {
    const k4 = k & ~3;
    for (; jj + 4 <= w; jj += 4) {
      const r0 = src + <usize>jj * rowB;
      const d0 = pd + <usize>jj * sz;
      for (let p = 0; p < k4; p += 4) {
        const o = <usize>p * sz;
        const a0 = v128.load(r0 + o);
        const a1 = v128.load(r0 + rowB + o);
        const a2 = v128.load(r0 + 2 * rowB + o);
        const a3 = v128.load(r0 + 3 * rowB + o);
        const t0 = v128.shuffle<f32>(a0, a1, 0, 4, 1, 5);
        const t1 = v128.shuffle<f32>(a2, a3, 0, 4, 1, 5);
        const t2 = v128.shuffle<f32>(a0, a1, 2, 6, 3, 7);
        const t3 = v128.shuffle<f32>(a2, a3, 2, 6, 3, 7);
        const d = d0 + <usize>p * wB;
        v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
        v128.store(d + wB, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
        v128.store(d + 2 * wB, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
        v128.store(d + 3 * wB, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
      }
      for (let t = 0; t < 4; t++)
        for (let p = k4; p < k; p++)
          store<T>(d0 + <usize>p * wB + <usize>t * sz, load<T>(r0 + <usize>t * rowB + <usize>p * sz));
    }
  }
  for (; jj < width; jj++) {
    const d = pd + <usize>jj * sz;
    if (jj < w) {
      const r = src + <usize>jj * rowB;
      for (let p = 0; p < k; p++) store<T>(d + <usize>p * wB, load<T>(r + <usize>p * sz));
    } else {
      for (let p = 0; p < k; p++) store<T>(d + <usize>p * wB, <T>0);
    }
  }
}

/** Packs op(B) [k, n] (B[p, j] = b[p·ldb + j], or b[j·ldb + p] when transB) into panels at dst. */
function packB<T>(transB: bool, n: i32, k: i32, b: usize, ldb: i32, dst: usize): void {
  const NR = 2 * L<T>();
  const sz = sizeof<T>();
  const panels = (n + NR - 1) / NR;
  for (let jp = 0; jp < panels; jp++) {
    const j0 = jp * NR;
    const w = min(NR, n - j0);
    const pd = dst + <usize>jp * <usize>k * <usize>NR * sz;
    if (!transB) {
      for (let p = 0; p < k; p++) {
        const src = b + (<usize>p * <usize>ldb + <usize>j0) * sz;
        const d = pd + <usize>p * <usize>NR * sz;
        if (w == NR) {
          v128.store(d, v128.load(src));
          v128.store(d, v128.load(src, 16), 16);
        } else {
          for (let jj = 0; jj < NR; jj++) store<T>(d + <usize>jj * sz, jj < w ? load<T>(src + <usize>jj * sz) : <T>0);
        }
      }
    } else packPanelT<T>(b + <usize>j0 * <usize>ldb * sz, ldb, w, k, pd, NR);
  }
}

/** Copies A [k, m] (a[p·lda + i]) transposed into dst [m, k], row-major. */
function transposeA<T>(m: i32, k: i32, a: usize, lda: i32, dst: usize): void {
  // dst[i·k + p] = a[p·lda + i]: a "panel" of width k whose k source rows are A's rows.
  packPanelT<T>(a, lda, k, m, dst, k);
}

// Loads the NR-wide C row segment at c (w valid columns) as two vectors into TMP+off, for β = 1.
// @ts-ignore: decorator
@inline function loadCRow<T>(c: usize, w: i32, beta: i32, off: usize): void {
  const sz = sizeof<T>();
  const NR = 2 * L<T>();
  for (let jj = 0; jj < NR; jj++) store<T>(TMP + off + <usize>jj * sz, beta != 0 && jj < w ? load<T>(c + <usize>jj * sz) : <T>0);
}

// @ts-ignore: decorator
@inline function storeCRow<T>(c: usize, w: i32, off: usize): void {
  const sz = sizeof<T>();
  for (let jj = 0; jj < w; jj++) store<T>(c + <usize>jj * sz, load<T>(TMP + off + <usize>jj * sz));
}

/**
 * C[4 rows, one panel] (w ≤ NR valid columns) = β·C0 + A[4 rows]·panel, where C0 is read at ci with
 * row stride ldiB (ci = c for β·C; ldiB = 0 broadcasts a bias row). Row strides in bytes.
 */
function tile4x1<T>(k: i32, a: usize, ldaB: usize, bp: usize, c: usize, ldcB: usize, w: i32, beta: i32, ci: usize, ldiB: usize): void {
  const NR = 2 * L<T>();
  const sz = sizeof<T>();
  let c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128;
  const full = w == NR;
  if (full && beta != 0) {
    c00 = v128.load(ci);
    c01 = v128.load(ci, 16);
    c10 = v128.load(ci + ldiB);
    c11 = v128.load(ci + ldiB, 16);
    c20 = v128.load(ci + 2 * ldiB);
    c21 = v128.load(ci + 2 * ldiB, 16);
    c30 = v128.load(ci + 3 * ldiB);
    c31 = v128.load(ci + 3 * ldiB, 16);
  } else if (beta == 0) {
    c00 = v128.splat<i32>(0);
    c01 = c00;
    c10 = c00;
    c11 = c00;
    c20 = c00;
    c21 = c00;
    c30 = c00;
    c31 = c00;
  } else {
    loadCRow<T>(ci, w, beta, 0);
    loadCRow<T>(ci + ldiB, w, beta, 32);
    loadCRow<T>(ci + 2 * ldiB, w, beta, 64);
    loadCRow<T>(ci + 3 * ldiB, w, beta, 96);
    c00 = v128.load(TMP);
    c01 = v128.load(TMP, 16);
    c10 = v128.load(TMP, 32);
    c11 = v128.load(TMP, 48);
    c20 = v128.load(TMP, 64);
    c21 = v128.load(TMP, 80);
    c30 = v128.load(TMP, 96);
    c31 = v128.load(TMP, 112);
  }
  let a0 = a;
  const a1 = ldaB;
  const end = a + <usize>k * sz;
  let b = bp;
  while (a0 < end) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load_splat<T>(a0);
    c00 = vfma<T>(x, b0, c00);
    c01 = vfma<T>(x, b1, c01);
    x = v128.load_splat<T>(a0 + a1);
    c10 = vfma<T>(x, b0, c10);
    c11 = vfma<T>(x, b1, c11);
    x = v128.load_splat<T>(a0 + 2 * a1);
    c20 = vfma<T>(x, b0, c20);
    c21 = vfma<T>(x, b1, c21);
    x = v128.load_splat<T>(a0 + 3 * a1);
    c30 = vfma<T>(x, b0, c30);
    c31 = vfma<T>(x, b1, c31);
    a0 += sz;
    b += <usize>NR * sz;
  }
  if (full) {
    v128.store(c, c00);
    v128.store(c, c01, 16);
    v128.store(c + ldcB, c10);
    v128.store(c + ldcB, c11, 16);
    v128.store(c + 2 * ldcB, c20);
    v128.store(c + 2 * ldcB, c21, 16);
    v128.store(c + 3 * ldcB, c30);
    v128.store(c + 3 * ldcB, c31, 16);
  } else {
    v128.store(TMP, c00);
    v128.store(TMP, c01, 16);
    v128.store(TMP, c10, 32);
    v128.store(TMP, c11, 48);
    v128.store(TMP, c20, 64);
    v128.store(TMP, c21, 80);
    v128.store(TMP, c30, 96);
    v128.store(TMP, c31, 112);
    storeCRow<T>(c, w, 0);
    storeCRow<T>(c + ldcB, w, 32);
    storeCRow<T>(c + 2 * ldcB, w, 64);
    storeCRow<T>(c + 3 * ldcB, w, 96);
  }
}

/** C[1 row, 3 full panels] = β·C0 + a·panels (panel stride psB bytes, C0 at ci): 6 accumulators, no spills. */
function tile1x3<T>(k: i32, a: usize, bp: usize, psB: usize, c: usize, beta: i32, ci: usize): void {
  const NR = 2 * L<T>();
  const sz = sizeof<T>();
  let c0: v128, c1: v128, c2: v128, c3: v128, c4: v128, c5: v128;
  const pw = <usize>NR * sz;
  if (beta != 0) {
    c0 = v128.load(ci);
    c1 = v128.load(ci, 16);
    c2 = v128.load(ci + pw);
    c3 = v128.load(ci + pw, 16);
    c4 = v128.load(ci + 2 * pw);
    c5 = v128.load(ci + 2 * pw, 16);
  } else {
    c0 = v128.splat<i32>(0);
    c1 = c0;
    c2 = c0;
    c3 = c0;
    c4 = c0;
    c5 = c0;
  }
  const end = a + <usize>k * sz;
  let b = bp;
  let p = a;
  while (p < end) {
    const x = v128.load_splat<T>(p);
    c0 = vfma<T>(x, v128.load(b), c0);
    c1 = vfma<T>(x, v128.load(b, 16), c1);
    c2 = vfma<T>(x, v128.load(b + psB), c2);
    c3 = vfma<T>(x, v128.load(b + psB, 16), c3);
    c4 = vfma<T>(x, v128.load(b + 2 * psB), c4);
    c5 = vfma<T>(x, v128.load(b + 2 * psB, 16), c5);
    p += sz;
    b += pw;
  }
  v128.store(c, c0);
  v128.store(c, c1, 16);
  v128.store(c + pw, c2);
  v128.store(c + pw, c3, 16);
  v128.store(c + 2 * pw, c4);
  v128.store(c + 2 * pw, c5, 16);
}

/**
 * C[1 row, one panel] (w valid columns) = β·C0 + a·panel, C0 at ci. One accumulator chain per
 * element, in k order, exactly as tile4x1 and tile1x3: so every element of a product has the same
 * bits whichever tile computes it, and a product split into any row or panel ranges (threads) gives
 * the same result as the whole.
 */
function tile1x1<T>(k: i32, a: usize, bp: usize, c: usize, w: i32, beta: i32, ci: usize): void {
  const NR = 2 * L<T>();
  const sz = sizeof<T>();
  loadCRow<T>(ci, w, beta, 0);
  let c0 = v128.load(TMP);
  let c1 = v128.load(TMP, 16);
  const end = a + <usize>k * sz;
  let b = bp;
  let p = a;
  while (p < end) {
    const x = v128.load_splat<T>(p);
    c0 = vfma<T>(x, v128.load(b), c0);
    c1 = vfma<T>(x, v128.load(b, 16), c1);
    p += sz;
    b += <usize>NR * sz;
  }
  v128.store(TMP, c0);
  v128.store(TMP, c1, 16);
  storeCRow<T>(c, w, 0);
}

/**
 * C[m, n] = β·C0 + A[m, k]·op(B), A row-major (a[i·lda + p]), op(B) packed by packB at bp, C0 read
 * at ci with row stride ldi (C itself: ci = c, ldi = ldc; a bias row: ldi = 0). Rows in blocks that
 * stay in L2, each B panel reused by every 4-row tile of the block. Each element is one FMA chain
 * over k in order (see tile1x1): any split of the rows or panels gives the same bits.
 */
function gemmPackedI<T>(m: i32, n: i32, k: i32, a: usize, lda: i32, bp: usize, beta: i32, ci: usize, ldi: i32, c: usize, ldc: i32): void {
  if (m <= 0 || n <= 0) return;
  const ldiB = <usize>ldi * sizeof<T>();
  const NR = 2 * L<T>();
  const sz = sizeof<T>();
  const panels = (n + NR - 1) / NR;
  const psB = <usize>k * <usize>NR * sz;
  const ldaB = <usize>lda * sz;
  const ldcB = <usize>ldc * sz;
  const m4 = m & ~3;
  let mc = (<i32>(131072 / max<usize>(1, <usize>k * sz))) & ~3;
  if (mc < 4) mc = 4;
  for (let i0 = 0; i0 < m4; i0 += mc) {
    const i1 = min(m4, i0 + mc);
    for (let jp = 0; jp < panels; jp++) {
      const j0 = jp * NR;
      const w = min(NR, n - j0);
      const b = bp + <usize>jp * psB;
      for (let i = i0; i < i1; i += 4)
        tile4x1<T>(k, a + <usize>i * ldaB, ldaB, b, c + <usize>i * ldcB + <usize>j0 * sz, ldcB, w, beta, ci + <usize>i * ldiB + <usize>j0 * sz, ldiB);
    }
  }
  const fullPanels = n / NR;
  for (let i = m4; i < m; i++) {
    const ar = a + <usize>i * ldaB;
    const cr = c + <usize>i * ldcB;
    const cir = ci + <usize>i * ldiB;
    let jp = 0;
    for (; jp + 3 <= fullPanels; jp += 3)
      tile1x3<T>(k, ar, bp + <usize>jp * psB, psB, cr + <usize>(jp * NR) * sz, beta, cir + <usize>(jp * NR) * sz);
    for (; jp < panels; jp++)
      tile1x1<T>(k, ar, bp + <usize>jp * psB, cr + <usize>(jp * NR) * sz, min(NR, n - jp * NR), beta, cir + <usize>(jp * NR) * sz);
  }
}

// @ts-ignore: decorator
@inline function gemmPacked<T>(m: i32, n: i32, k: i32, a: usize, lda: i32, bp: usize, beta: i32, c: usize, ldc: i32): void {
  gemmPackedI<T>(m, n, k, a, lda, bp, beta, c, ldc, c, ldc);
}

// ---------------------------------------------------------------------------------------------
// Batch-1 products (GEMV): op(B) packed in wide panels of WV vectors (WV·L columns), so that one k
// step reads WV consecutive vectors from one pointer into WV accumulators. WV = 6: with 8 (8
// accumulators + 8 loads + the broadcast) V8 runs out of xmm registers and spills an accumulator
// through the stack every k step, which halves the speed.

const WV = 7;

function packedWideBytes<T>(n: i32, k: i32): usize {
  const NW = WV * L<T>();
  return <usize>((n + NW - 1) / NW) * <usize>k * <usize>NW * sizeof<T>();
}

/** Packs op(B) [k, n] (b[p·ldb + j], or b[j·ldb + p] when transB) into wide panels at dst. */
function packWide<T>(transB: bool, n: i32, k: i32, b: usize, ldb: i32, dst: usize): void {
  const NW = WV * L<T>();
  const sz = sizeof<T>();
  const panels = (n + NW - 1) / NW;
  for (let jp = 0; jp < panels; jp++) {
    const j0 = jp * NW;
    const w = min(NW, n - j0);
    const pd = dst + <usize>jp * <usize>k * <usize>NW * sz;
    if (transB) {
      packPanelT<T>(b + <usize>j0 * <usize>ldb * sz, ldb, w, k, pd, NW);
      continue;
    }
    for (let jj = 0; jj < NW; jj++) {
      const d = pd + <usize>jj * sz;
      if (jj < w) {
        {
          const src = b + <usize>(j0 + jj) * sz;
          for (let p = 0; p < k; p++) store<T>(d + <usize>p * <usize>NW * sz, load<T>(src + <usize>p * <usize>ldb * sz));
        }
      } else {
        for (let p = 0; p < k; p++) store<T>(d + <usize>p * <usize>NW * sz, <T>0);
      }
    }
  }
}

/** c[0, n] = β·c + a[0, k]·op(B), op(B) packed by packWide. */
function gemvWide<T>(n: i32, k: i32, a: usize, bp: usize, beta: i32, c: usize): void {
  const NW = WV * L<T>();
  const sz = sizeof<T>();
  const panels = (n + NW - 1) / NW;
  const end = a + <usize>k * sz;
  for (let jp = 0; jp < panels; jp++) {
    const j0 = jp * NW;
    const w = min(NW, n - j0);
    const cp = c + <usize>j0 * sz;
    const full = w == NW;
    let c0: v128, c1: v128, c2: v128, c3: v128, c4: v128, c5: v128, c6: v128;
    if (beta == 0) {
      c0 = v128.splat<i32>(0);
      c1 = c0;
      c2 = c0;
      c3 = c0;
      c4 = c0;
      c5 = c0;
      c6 = c0;
    } else {
      const src = full ? cp : TMP;
      if (!full) {
        loadCRow<T>(cp, w, beta, 0);
        loadCRow<T>(cp + 32, w - 2 * L<T>(), beta, 32);
        loadCRow<T>(cp + 64, w - 4 * L<T>(), beta, 64);
        loadCRow<T>(cp + 96, w - 6 * L<T>(), beta, 96);
      }
      c0 = v128.load(src);
      c1 = v128.load(src, 16);
      c2 = v128.load(src, 32);
      c3 = v128.load(src, 48);
      c4 = v128.load(src, 64);
      c5 = v128.load(src, 80);
      c6 = v128.load(src, 96);
    }
    let b = bp + <usize>jp * <usize>k * <usize>NW * sz;
    let p = a;
    while (p < end) {
      const x = v128.load_splat<T>(p);
      c0 = vfma<T>(x, v128.load(b), c0);
      c1 = vfma<T>(x, v128.load(b, 16), c1);
      c2 = vfma<T>(x, v128.load(b, 32), c2);
      c3 = vfma<T>(x, v128.load(b, 48), c3);
      c4 = vfma<T>(x, v128.load(b, 64), c4);
      c5 = vfma<T>(x, v128.load(b, 80), c5);
      c6 = vfma<T>(x, v128.load(b, 96), c6);
      p += sz;
      b += 112;
    }
    const dst = full ? cp : TMP;
    v128.store(dst, c0);
    v128.store(dst, c1, 16);
    v128.store(dst, c2, 32);
    v128.store(dst, c3, 48);
    v128.store(dst, c4, 64);
    v128.store(dst, c5, 80);
    v128.store(dst, c6, 96);
    if (!full) for (let jj = 0; jj < w; jj++) store<T>(cp + <usize>jj * sz, load<T>(TMP + <usize>jj * sz));
  }
}

export function packed_wide_bytes(f64: bool, n: i32, k: i32): usize {
  return f64 ? packedWideBytes<f64>(n, k) : packedWideBytes<f32>(n, k);
}
export function pack_wide_f32(transB: bool, n: i32, k: i32, b: usize, ldb: i32, dst: usize): void {
  packWide<f32>(transB, n, k, b, ldb, dst);
}
export function pack_wide_f64(transB: bool, n: i32, k: i32, b: usize, ldb: i32, dst: usize): void {
  packWide<f64>(transB, n, k, b, ldb, dst);
}
export function gemv_wide_f32(n: i32, k: i32, a: usize, bp: usize, beta: i32, c: usize): void {
  gemvWide<f32>(n, k, a, bp, beta, c);
}
export function gemv_wide_f64(n: i32, k: i32, a: usize, bp: usize, beta: i32, c: usize): void {
  gemvWide<f64>(n, k, a, bp, beta, c);
}

// ---------------------------------------------------------------------------------------------
// Unpacked products for one-off calls (a single time step, the cells): C = β·C + A·Bᵀ with B [n, k]
// row-major as PyTorch stores a weight, as dot products along k. Packing B would cost as much as
// the product itself when every weight is used once.

// @ts-ignore: decorator
@inline function hsum<T>(v: v128): f64 {
  if (sizeof<T>() == 4)
    return (
      <f64>f32x4.extract_lane(v, 0) +
      <f64>f32x4.extract_lane(v, 1) +
      (<f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3))
    );
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

function gemmNT<T>(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, beta: i32, c: usize, ldc: i32): void {
  const Lw = L<T>();
  const sz = sizeof<T>();
  const k4 = k & ~(Lw - 1);
  const ldbB = <usize>ldb * sz;
  for (let i = 0; i < m; i++) {
    const ar = a + <usize>i * <usize>lda * sz;
    const cr = c + <usize>i * <usize>ldc * sz;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const b0 = b + <usize>j * ldbB;
      let s0 = v128.splat<i32>(0);
      let s1 = s0;
      let s2 = s0;
      let s3 = s0;
      for (let p = 0; p < k4; p += Lw) {
        const o = <usize>p * sz;
        const x = v128.load(ar + o);
        s0 = vfma<T>(x, v128.load(b0 + o), s0);
        s1 = vfma<T>(x, v128.load(b0 + ldbB + o), s1);
        s2 = vfma<T>(x, v128.load(b0 + 2 * ldbB + o), s2);
        s3 = vfma<T>(x, v128.load(b0 + 3 * ldbB + o), s3);
      }
      let t0 = hsum<T>(s0);
      let t1 = hsum<T>(s1);
      let t2 = hsum<T>(s2);
      let t3 = hsum<T>(s3);
      for (let p = k4; p < k; p++) {
        const x = <f64>load<T>(ar + <usize>p * sz);
        t0 += x * <f64>load<T>(b0 + <usize>p * sz);
        t1 += x * <f64>load<T>(b0 + ldbB + <usize>p * sz);
        t2 += x * <f64>load<T>(b0 + 2 * ldbB + <usize>p * sz);
        t3 += x * <f64>load<T>(b0 + 3 * ldbB + <usize>p * sz);
      }
      const cp = cr + <usize>j * sz;
      if (beta != 0) {
        t0 += <f64>load<T>(cp);
        t1 += <f64>load<T>(cp + sz);
        t2 += <f64>load<T>(cp + 2 * sz);
        t3 += <f64>load<T>(cp + 3 * sz);
      }
      store<T>(cp, <T>t0);
      store<T>(cp + sz, <T>t1);
      store<T>(cp + 2 * sz, <T>t2);
      store<T>(cp + 3 * sz, <T>t3);
    }
    for (; j < n; j++) {
      const br = b + <usize>j * ldbB;
      let s0 = v128.splat<i32>(0);
      for (let p = 0; p < k4; p += Lw) {
        const o = <usize>p * sz;
        s0 = vfma<T>(v128.load(ar + o), v128.load(br + o), s0);
      }
      let t0 = hsum<T>(s0);
      for (let p = k4; p < k; p++) t0 += <f64>load<T>(ar + <usize>p * sz) * <f64>load<T>(br + <usize>p * sz);
      const cp = cr + <usize>j * sz;
      if (beta != 0) t0 += <f64>load<T>(cp);
      store<T>(cp, <T>t0);
    }
  }
}

export function gemm_nt_f32(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, beta: i32, c: usize, ldc: i32): void {
  gemmNT<f32>(m, n, k, a, lda, b, ldb, beta, c, ldc);
}
export function gemm_nt_f64(m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, beta: i32, c: usize, ldc: i32): void {
  gemmNT<f64>(m, n, k, a, lda, b, ldb, beta, c, ldc);
}

// ---------------------------------------------------------------------------------------------
// Exports: GEMM

/** Bytes of scratch gemm_* needs: packed op(B), plus A transposed when transA. */
export function gemm_scratch(f64: bool, transA: bool, m: i32, n: i32, k: i32): usize {
  const sz: usize = f64 ? 8 : 4;
  const pb = f64 ? packedBytes<f64>(n, k) : packedBytes<f32>(n, k);
  return pb + (transA ? ((<usize>m * <usize>k * sz + 15) & ~15) : 0);
}

function gemm<T>(transA: bool, transB: bool, m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, beta: i32, c: usize, ldc: i32, scratch: usize): void {
  if (m <= 0 || n <= 0) return;
  packB<T>(transB, n, k, b, ldb, scratch);
  if (transA) {
    const at = scratch + packedBytes<T>(n, k);
    transposeA<T>(m, k, a, lda, at);
    gemmPacked<T>(m, n, k, at, k, scratch, beta, c, ldc);
  } else gemmPacked<T>(m, n, k, a, lda, scratch, beta, c, ldc);
}

export function gemm_f32(transA: bool, transB: bool, m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, beta: i32, c: usize, ldc: i32, scratch: usize): void {
  gemm<f32>(transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc, scratch);
}

export function gemm_f64(transA: bool, transB: bool, m: i32, n: i32, k: i32, a: usize, lda: i32, b: usize, ldb: i32, beta: i32, c: usize, ldc: i32, scratch: usize): void {
  gemm<f64>(transA, transB, m, n, k, a, lda, b, ldb, beta, c, ldc, scratch);
}

export function packed_bytes(f64: bool, n: i32, k: i32): usize {
  return f64 ? packedBytes<f64>(n, k) : packedBytes<f32>(n, k);
}

export function pack_f32(transB: bool, n: i32, k: i32, b: usize, ldb: i32, dst: usize): void {
  packB<f32>(transB, n, k, b, ldb, dst);
}

export function pack_f64(transB: bool, n: i32, k: i32, b: usize, ldb: i32, dst: usize): void {
  packB<f64>(transB, n, k, b, ldb, dst);
}

export function gemm_packed_f32(m: i32, n: i32, k: i32, a: usize, lda: i32, bp: usize, beta: i32, c: usize, ldc: i32): void {
  gemmPacked<f32>(m, n, k, a, lda, bp, beta, c, ldc);
}

export function gemm_packed_f64(m: i32, n: i32, k: i32, a: usize, lda: i32, bp: usize, beta: i32, c: usize, ldc: i32): void {
  gemmPacked<f64>(m, n, k, a, lda, bp, beta, c, ldc);
}

/** C[m, n] = bias + A·op(B): every row starts from the bias row (what filling C with it, then β = 1, gives). */
export function gemm_packed_bias_f32(m: i32, n: i32, k: i32, a: usize, lda: i32, bp: usize, bias: usize, c: usize, ldc: i32): void {
  gemmPackedI<f32>(m, n, k, a, lda, bp, 1, bias, 0, c, ldc);
}

export function gemm_packed_bias_f64(m: i32, n: i32, k: i32, a: usize, lda: i32, bp: usize, bias: usize, c: usize, ldc: i32): void {
  gemmPackedI<f64>(m, n, k, a, lda, bp, 1, bias, 0, c, ldc);
}

/** dst[m, k] = A[k, m]ᵀ (a[p·lda + i]), row-major: the transA operand of a product, for threads to split by rows. */
export function transpose_f32(m: i32, k: i32, a: usize, lda: i32, dst: usize): void {
  transposeA<f32>(m, k, a, lda, dst);
}

export function transpose_f64(m: i32, k: i32, a: usize, lda: i32, dst: usize): void {
  transposeA<f64>(m, k, a, lda, dst);
}

// ---------------------------------------------------------------------------------------------
// Gate kernels. Each is a vector body over L columns at a time; the last H mod L columns of a row
// run through the same body on zero-padded copies in TAIL (slot k at TAIL + 16k), so the main loop
// has plain full-vector loads and stores only.

let TAIL: usize = memory.data(16 * 16, 16);

/** Bytes of per-thread scratch a worker instance needs (TMP and TAIL). */
export function thread_scratch_bytes(): usize {
  return 2048;
}

/** Points this instance's scratch at p (thread_scratch_bytes, 16-byte aligned): for workers. */
export function set_scratch(p: usize): void {
  TMP = p;
  TAIL = p + 1024;
}

// @ts-ignore: decorator
@inline function slot(k: i32): usize {
  return TAIL + (<usize>k << 4);
}

// @ts-ignore: decorator
@inline function gather<T>(k: i32, src: usize, cnt: i32): void {
  const d = slot(k);
  v128.store(d, v128.splat<i32>(0));
  for (let i = 0; i < cnt; i++) store<T>(d + (<usize>i << alignof<T>()), load<T>(src + (<usize>i << alignof<T>())));
}

// @ts-ignore: decorator
@inline function scatter<T>(dst: usize, k: i32, cnt: i32): void {
  const s = slot(k);
  for (let i = 0; i < cnt; i++) store<T>(dst + (<usize>i << alignof<T>()), load<T>(s + (<usize>i << alignof<T>())));
}

// @ts-ignore: decorator
@inline function rnnBody<T>(x: usize, g: usize, hp: usize, relu: bool): void {
  const pre = v128.add<T>(v128.load(x), v128.load(g));
  // v128.max propagates NaN and orders −0 below +0, as the reference's pre > 0 ? pre : 0 (NaN kept).
  v128.store(hp, relu ? v128.max<T>(pre, v128.splat<i32>(0)) : vtanh<T>(pre));
}

function rnnCell<T>(rows: i32, H: i32, relu: bool, xg: usize, hg: usize, h: usize): void {
  const Lw = L<T>();
  const sz = sizeof<T>();
  const H4 = H & ~(Lw - 1);
  const cnt = H - H4;
  for (let r = 0; r < rows; r++) {
    const ro = <usize>r * <usize>H * sz;
    for (let j = 0; j < H4; j += Lw) {
      const o = ro + <usize>j * sz;
      rnnBody<T>(xg + o, hg + o, h + o, relu);
    }
    if (cnt > 0) {
      const o = ro + <usize>H4 * sz;
      gather<T>(0, xg + o, cnt);
      gather<T>(1, hg + o, cnt);
      rnnBody<T>(slot(0), slot(1), slot(2), relu);
      scatter<T>(h + o, 2, cnt);
    }
  }
}

/**
 * Blocks i, f, g, o at x + b·st (activated in place), g + b·st; c updated at cp. The second pass
 * (lstmOut) gives h = o ⊙ tanh(c): two shorter dependency chains per vector, which the CPU overlaps
 * across iterations far better than one long one (the cell is latency-bound otherwise).
 */
// @ts-ignore: decorator
@inline function lstmGates<T>(x: usize, g: usize, st: usize, cp: usize): void {
  const i = vsig<T>(v128.add<T>(v128.load(x), v128.load(g)));
  const f = vsig<T>(v128.add<T>(v128.load(x + st), v128.load(g + st)));
  const cand = vtanh<T>(v128.add<T>(v128.load(x + 2 * st), v128.load(g + 2 * st)));
  const o = vsig<T>(v128.add<T>(v128.load(x + 3 * st), v128.load(g + 3 * st)));
  v128.store(x, i);
  v128.store(x + st, f);
  v128.store(x + 2 * st, cand);
  v128.store(x + 3 * st, o);
  v128.store(cp, vfma<T>(f, v128.load(cp), v128.mul<T>(i, cand)));
}

// @ts-ignore: decorator
@inline function lstmOut<T>(op: usize, cp: usize, hp: usize): void {
  v128.store(hp, v128.mul<T>(v128.load(op), vtanh<T>(v128.load(cp))));
}

function lstmCell<T>(rows: i32, H: i32, xg: usize, hg: usize, c: usize, hOut: usize): void {
  const Lw = L<T>();
  const sz = sizeof<T>();
  const Hb = <usize>H * sz;
  const H4 = H & ~(Lw - 1);
  const cnt = H - H4;
  for (let r = 0; r < rows; r++) {
    const x = xg + <usize>r * 4 * Hb;
    const g = hg + <usize>r * 4 * Hb;
    const cr = c + <usize>r * Hb;
    const hr = hOut + <usize>r * Hb;
    for (let j = 0; j < H4; j += Lw) {
      const jo = <usize>j * sz;
      lstmGates<T>(x + jo, g + jo, Hb, cr + jo);
    }
    for (let j = 0; j < H4; j += Lw) {
      const jo = <usize>j * sz;
      lstmOut<T>(x + 3 * Hb + jo, cr + jo, hr + jo);
    }
    if (cnt > 0) {
      const jo = <usize>H4 * sz;
      for (let b = 0; b < 4; b++) {
        gather<T>(b, x + <usize>b * Hb + jo, cnt);
        gather<T>(4 + b, g + <usize>b * Hb + jo, cnt);
      }
      gather<T>(8, cr + jo, cnt);
      lstmGates<T>(slot(0), slot(4), 16, slot(8));
      lstmOut<T>(slot(3), slot(8), slot(9));
      for (let b = 0; b < 4; b++) scatter<T>(x + <usize>b * Hb + jo, b, cnt);
      scatter<T>(cr + jo, 8, cnt);
      scatter<T>(hr + jo, 9, cnt);
    }
  }
}

/** Blocks r, z, n at x + b·st (activated in place), g + b·st (gh_n written back), bias b + b·st. */
// @ts-ignore: decorator
@inline function gruGates<T>(x: usize, g: usize, st: usize, b: usize, hasB: bool): void {
  const zero = v128.splat<i32>(0);
  const ghR = v128.add<T>(v128.load(g), hasB ? v128.load(b) : zero);
  const ghZ = v128.add<T>(v128.load(g + st), hasB ? v128.load(b + st) : zero);
  v128.store(g + 2 * st, v128.add<T>(v128.load(g + 2 * st), hasB ? v128.load(b + 2 * st) : zero));
  v128.store(x, vsig<T>(v128.add<T>(v128.load(x), ghR)));
  v128.store(x + st, vsig<T>(v128.add<T>(v128.load(x + st), ghZ)));
}

/** Second pass (see lstmGates): n = tanh(xg_n + r ⊙ gh_n), h ← (h − n) ⊙ z + n. */
// @ts-ignore: decorator
@inline function gruOut<T>(x: usize, g: usize, st: usize, hp: usize): void {
  const rg = v128.load(x);
  const z = v128.load(x + st);
  const n = vtanh<T>(vfma<T>(rg, v128.load(g + 2 * st), v128.load(x + 2 * st)));
  v128.store(x + 2 * st, n);
  v128.store(hp, vfma<T>(v128.sub<T>(v128.load(hp), n), z, n));
}

function gruCell<T>(rows: i32, H: i32, xg: usize, hg: usize, bHh: usize, hasB: bool, h: usize): void {
  const Lw = L<T>();
  const sz = sizeof<T>();
  const Hb = <usize>H * sz;
  const H4 = H & ~(Lw - 1);
  const cnt = H - H4;
  for (let r = 0; r < rows; r++) {
    const x = xg + <usize>r * 3 * Hb;
    const g = hg + <usize>r * 3 * Hb;
    const hr = h + <usize>r * Hb;
    for (let j = 0; j < H4; j += Lw) {
      const jo = <usize>j * sz;
      gruGates<T>(x + jo, g + jo, Hb, bHh + jo, hasB);
    }
    for (let j = 0; j < H4; j += Lw) {
      const jo = <usize>j * sz;
      gruOut<T>(x + jo, g + jo, Hb, hr + jo);
    }
    if (cnt > 0) {
      const jo = <usize>H4 * sz;
      for (let b = 0; b < 3; b++) {
        gather<T>(b, x + <usize>b * Hb + jo, cnt);
        gather<T>(3 + b, g + <usize>b * Hb + jo, cnt);
        if (hasB) gather<T>(6 + b, bHh + <usize>b * Hb + jo, cnt);
      }
      gather<T>(9, hr + jo, cnt);
      gruGates<T>(slot(0), slot(3), 16, slot(6), hasB);
      gruOut<T>(slot(0), slot(3), 16, slot(9));
      for (let b = 0; b < 3; b++) {
        scatter<T>(x + <usize>b * Hb + jo, b, cnt);
        scatter<T>(g + <usize>b * Hb + jo, 3 + b, cnt);
      }
      scatter<T>(hr + jo, 9, cnt);
    }
  }
}

export function rnn_cell_f32(rows: i32, H: i32, relu: bool, xg: usize, hg: usize, h: usize): void {
  rnnCell<f32>(rows, H, relu, xg, hg, h);
}
export function rnn_cell_f64(rows: i32, H: i32, relu: bool, xg: usize, hg: usize, h: usize): void {
  rnnCell<f64>(rows, H, relu, xg, hg, h);
}
export function lstm_cell_f32(rows: i32, H: i32, xg: usize, hg: usize, c: usize, hOut: usize): void {
  lstmCell<f32>(rows, H, xg, hg, c, hOut);
}
export function lstm_cell_f64(rows: i32, H: i32, xg: usize, hg: usize, c: usize, hOut: usize): void {
  lstmCell<f64>(rows, H, xg, hg, c, hOut);
}
export function gru_cell_f32(rows: i32, H: i32, xg: usize, hg: usize, bHh: usize, hasB: bool, h: usize): void {
  gruCell<f32>(rows, H, xg, hg, bHh, hasB, h);
}
export function gru_cell_f64(rows: i32, H: i32, xg: usize, hg: usize, bHh: usize, hasB: bool, h: usize): void {
  gruCell<f64>(rows, H, xg, hg, bHh, hasB, h);
}

// ---------------------------------------------------------------------------------------------
// Gate kernels, backward (same layout: a vector body, the row's tail through TAIL)

// @ts-ignore: decorator
@inline function rnnBackBody<T>(hp: usize, dp: usize, op: usize, relu: bool): void {
  const y = v128.load(hp);
  const d = v128.load(dp);
  const one = splat<T>(1.0);
  v128.store(
    op,
    relu ? v128.and(d, v128.gt<T>(y, v128.splat<i32>(0))) : v128.mul<T>(d, v128.sub<T>(one, v128.mul<T>(y, y))),
  );
}

function rnnCellBackward<T>(rows: i32, H: i32, relu: bool, h: usize, hLd: i32, dh: usize, dG: usize): void {
  const Lw = L<T>();
  const sz = sizeof<T>();
  const H4 = H & ~(Lw - 1);
  const cnt = H - H4;
  for (let r = 0; r < rows; r++) {
    const hr = h + <usize>r * <usize>hLd * sz;
    const ro = <usize>r * <usize>H * sz;
    for (let j = 0; j < H4; j += Lw) {
      const jo = <usize>j * sz;
      rnnBackBody<T>(hr + jo, dh + ro + jo, dG + ro + jo, relu);
    }
    if (cnt > 0) {
      const jo = <usize>H4 * sz;
      gather<T>(0, hr + jo, cnt);
      gather<T>(1, dh + ro + jo, cnt);
      rnnBackBody<T>(slot(0), slot(1), slot(2), relu);
      scatter<T>(dG + ro + jo, 2, cnt);
    }
  }
}

/** gates i f g o at gp + b·st, dG blocks at op + b·st; c, cPrev, dh, dc (dc updated) at their pointers. */
// @ts-ignore: decorator
@inline function lstmBackBody<T>(gp: usize, st: usize, cp: usize, cpp: usize, dhp: usize, dcp: usize, op: usize): void {
  const one = splat<T>(1.0);
  const i = v128.load(gp);
  const f = v128.load(gp + st);
  const cand = v128.load(gp + 2 * st);
  const og = v128.load(gp + 3 * st);
  const tc = vtanh<T>(v128.load(cp));
  const dhj = v128.load(dhp);
  const dct = v128.add<T>(v128.load(dcp), v128.mul<T>(v128.mul<T>(dhj, og), v128.sub<T>(one, v128.mul<T>(tc, tc))));
  v128.store(op, v128.mul<T>(v128.mul<T>(v128.mul<T>(dct, cand), i), v128.sub<T>(one, i)));
  v128.store(op + st, v128.mul<T>(v128.mul<T>(v128.mul<T>(dct, v128.load(cpp)), f), v128.sub<T>(one, f)));
  v128.store(op + 2 * st, v128.mul<T>(v128.mul<T>(dct, i), v128.sub<T>(one, v128.mul<T>(cand, cand))));
  v128.store(op + 3 * st, v128.mul<T>(v128.mul<T>(v128.mul<T>(dhj, tc), og), v128.sub<T>(one, og)));
  v128.store(dcp, v128.mul<T>(dct, f));
}

function lstmCellBackward<T>(rows: i32, H: i32, gates: usize, c: usize, cPrev: usize, dh: usize, dc: usize, dG: usize): void {
  const Lw = L<T>();
  const sz = sizeof<T>();
  const Hb = <usize>H * sz;
  const H4 = H & ~(Lw - 1);
  const cnt = H - H4;
  for (let r = 0; r < rows; r++) {
    const gr = gates + <usize>r * 4 * Hb;
    const orow = dG + <usize>r * 4 * Hb;
    const hr = <usize>r * Hb;
    for (let j = 0; j < H4; j += Lw) {
      const jo = <usize>j * sz;
      lstmBackBody<T>(gr + jo, Hb, c + hr + jo, cPrev + hr + jo, dh + hr + jo, dc + hr + jo, orow + jo);
    }
    if (cnt > 0) {
      const jo = <usize>H4 * sz;
      for (let b = 0; b < 4; b++) gather<T>(b, gr + <usize>b * Hb + jo, cnt);
      gather<T>(4, c + hr + jo, cnt);
      gather<T>(5, cPrev + hr + jo, cnt);
      gather<T>(6, dh + hr + jo, cnt);
      gather<T>(7, dc + hr + jo, cnt);
      lstmBackBody<T>(slot(0), 16, slot(4), slot(5), slot(6), slot(7), slot(8));
      scatter<T>(dc + hr + jo, 7, cnt);
      for (let b = 0; b < 4; b++) scatter<T>(orow + <usize>b * Hb + jo, 8 + b, cnt);
    }
  }
}

/** gates r z n at gp + b·st; dXG, dHG blocks at xp, hp + b·st; ghn, hPrev, dh (updated) at their pointers. */
// @ts-ignore: decorator
@inline function gruBackBody<T>(gp: usize, st: usize, ghp: usize, hpp: usize, dhp: usize, xp: usize, hp: usize): void {
  const one = splat<T>(1.0);
  const rg = v128.load(gp);
  const z = v128.load(gp + st);
  const n = v128.load(gp + 2 * st);
  const d = v128.load(dhp);
  const dnPre = v128.mul<T>(v128.mul<T>(d, v128.sub<T>(one, z)), v128.sub<T>(one, v128.mul<T>(n, n)));
  const dzPre = v128.mul<T>(v128.mul<T>(v128.mul<T>(d, v128.sub<T>(v128.load(hpp), n)), z), v128.sub<T>(one, z));
  const drPre = v128.mul<T>(v128.mul<T>(v128.mul<T>(dnPre, v128.load(ghp)), rg), v128.sub<T>(one, rg));
  v128.store(xp, drPre);
  v128.store(xp + st, dzPre);
  v128.store(xp + 2 * st, dnPre);
  v128.store(hp, drPre);
  v128.store(hp + st, dzPre);
  v128.store(hp + 2 * st, v128.mul<T>(dnPre, rg));
  v128.store(dhp, v128.mul<T>(d, z));
}

function gruCellBackward<T>(rows: i32, H: i32, gates: usize, ghn: usize, hPrev: usize, dh: usize, dXG: usize, dHG: usize): void {
  const Lw = L<T>();
  const sz = sizeof<T>();
  const Hb = <usize>H * sz;
  const H4 = H & ~(Lw - 1);
  const cnt = H - H4;
  for (let r = 0; r < rows; r++) {
    const gr = gates + <usize>r * 3 * Hb;
    const xr = dXG + <usize>r * 3 * Hb;
    const hhr = dHG + <usize>r * 3 * Hb;
    const hr = <usize>r * Hb;
    for (let j = 0; j < H4; j += Lw) {
      const jo = <usize>j * sz;
      gruBackBody<T>(gr + jo, Hb, ghn + hr + jo, hPrev + hr + jo, dh + hr + jo, xr + jo, hhr + jo);
    }
    if (cnt > 0) {
      const jo = <usize>H4 * sz;
      for (let b = 0; b < 3; b++) gather<T>(b, gr + <usize>b * Hb + jo, cnt);
      gather<T>(3, ghn + hr + jo, cnt);
      gather<T>(4, hPrev + hr + jo, cnt);
      gather<T>(5, dh + hr + jo, cnt);
      gruBackBody<T>(slot(0), 16, slot(3), slot(4), slot(5), slot(6), slot(9));
      scatter<T>(dh + hr + jo, 5, cnt);
      for (let b = 0; b < 3; b++) {
        scatter<T>(xr + <usize>b * Hb + jo, 6 + b, cnt);
        scatter<T>(hhr + <usize>b * Hb + jo, 9 + b, cnt);
      }
    }
  }
}

export function rnn_cell_backward_f32(rows: i32, H: i32, relu: bool, h: usize, hLd: i32, dh: usize, dG: usize): void {
  rnnCellBackward<f32>(rows, H, relu, h, hLd, dh, dG);
}
export function rnn_cell_backward_f64(rows: i32, H: i32, relu: bool, h: usize, hLd: i32, dh: usize, dG: usize): void {
  rnnCellBackward<f64>(rows, H, relu, h, hLd, dh, dG);
}
export function lstm_cell_backward_f32(rows: i32, H: i32, gates: usize, c: usize, cPrev: usize, dh: usize, dc: usize, dG: usize): void {
  lstmCellBackward<f32>(rows, H, gates, c, cPrev, dh, dc, dG);
}
export function lstm_cell_backward_f64(rows: i32, H: i32, gates: usize, c: usize, cPrev: usize, dh: usize, dc: usize, dG: usize): void {
  lstmCellBackward<f64>(rows, H, gates, c, cPrev, dh, dc, dG);
}
export function gru_cell_backward_f32(rows: i32, H: i32, gates: usize, ghn: usize, hPrev: usize, dh: usize, dXG: usize, dHG: usize): void {
  gruCellBackward<f32>(rows, H, gates, ghn, hPrev, dh, dXG, dHG);
}
export function gru_cell_backward_f64(rows: i32, H: i32, gates: usize, ghn: usize, hPrev: usize, dh: usize, dXG: usize, dHG: usize): void {
  gruCellBackward<f64>(rows, H, gates, ghn, hPrev, dh, dXG, dHG);
}

// ---------------------------------------------------------------------------------------------
// Small helpers for the layer loops

/** dst[i] += src[i] for n elements. */
function addTo<T>(dst: usize, src: usize, n: i32): void {
  const Lw = L<T>();
  const sz = sizeof<T>();
  for (let i = 0; i < n; i += Lw) {
    const cnt = min(Lw, n - i);
    const o = <usize>i * sz;
    stp<T>(dst + o, v128.add<T>(ldp<T>(dst + o, cnt), ldp<T>(src + o, cnt)), cnt);
  }
}

/** out[j] = Σ_r m[r·ld + j] for j < cols, rows in order: bias gradients (threads split the columns). */
function colSum<T>(m: usize, rows: i32, cols: i32, ld: i32, out: usize): void {
  const sz = sizeof<T>();
  for (let j = 0; j < cols; j++) store<T>(out + <usize>j * sz, <T>0);
  for (let r = 0; r < rows; r++) addTo<T>(out, m + <usize>r * <usize>ld * sz, cols);
}

export function add_f32(dst: usize, src: usize, n: i32): void {
  addTo<f32>(dst, src, n);
}
export function add_f64(dst: usize, src: usize, n: i32): void {
  addTo<f64>(dst, src, n);
}
export function colsum_f32(m: usize, rows: i32, cols: i32, ld: i32, out: usize): void {
  colSum<f32>(m, rows, cols, ld, out);
}
export function colsum_f64(m: usize, rows: i32, cols: i32, ld: i32, out: usize): void {
  colSum<f64>(m, rows, cols, ld, out);
}

// ---------------------------------------------------------------------------------------------
// Softmax cross entropy over rows of logits (the fused linear + cross entropy of a language
// model's output layer: src/kernels/types.ts LinearCrossEntropy)

/** A vector's largest lane as a float64 (NaN if any lane is NaN). */
// @ts-ignore: decorator
@inline function hmax<T>(v: v128): f64 {
  if (sizeof<T>() == 4)
    return <f64>max(
      max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)),
      max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)),
    );
  return max(f64x2.extract_lane(v, 0), f64x2.extract_lane(v, 1));
}

/** e^x lane by lane: Cephes' polynomial for float32 lanes, NativeMath.exp for float64 lanes. */
// @ts-ignore: decorator
@inline function vexp<T>(x: v128): v128 {
  if (sizeof<T>() == 4) return vexp32(x);
  return f64x2.replace_lane(f64x2.splat(Math.exp(f64x2.extract_lane(x, 0))), 1, Math.exp(f64x2.extract_lane(x, 1)));
}

/** The lanes of a vector added into a float64x2 accumulator (float32 lanes promoted first). */
// @ts-ignore: decorator
@inline function accum<T>(acc: v128, v: v128): v128 {
  if (sizeof<T>() == 8) return f64x2.add(acc, v);
  const lo = f64x2.promote_low_f32x4(v);
  const hi = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
  return f64x2.add(acc, f64x2.add(lo, hi));
}

/**
 * For each of `rows` rows of C logits z (row stride C) with target t[r] (int32; t[r] < 0: ignored):
 * loss[r] = log Σ_c e^{z_c} − z_{t[r]} (float64; 0 when ignored), computed as max + log Σ e^{z − max},
 * the sum in float64. With grad, the row becomes dZ = s[r]·(softmax(z) − onehot(t[r])) (s: float64
 * per row; zero when ignored); without, it is left holding e^{z − max}.
 */
function ceRows<T>(rows: i32, C: i32, z: usize, t: usize, s: usize, loss: usize, grad: bool): void {
  const Lw = L<T>();
  const sz = sizeof<T>();
  const cv = C & ~(Lw - 1);
  for (let r = 0; r < rows; r++) {
    const zr = z + <usize>r * <usize>C * sz;
    const tr = load<i32>(t + (<usize>r << 2));
    if (tr < 0) {
      store<f64>(loss + (<usize>r << 3), 0);
      if (grad) memory.fill(zr, 0, <usize>C * sz);
      continue;
    }
    const zt = <f64>load<T>(zr + <usize>tr * sz);
    let vm = splat<T>(-Infinity);
    for (let c = 0; c < cv; c += Lw) vm = v128.max<T>(vm, v128.load(zr + <usize>c * sz));
    let m = hmax<T>(vm);
    for (let c = cv; c < C; c++) m = max(m, <f64>load<T>(zr + <usize>c * sz));
    const vmx = splat<T>(m);
    let acc = f64x2.splat(0);
    for (let c = 0; c < cv; c += Lw) {
      const p = zr + <usize>c * sz;
      const e = vexp<T>(v128.sub<T>(v128.load(p), vmx));
      v128.store(p, e);
      acc = accum<T>(acc, e);
    }
    let sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
    if (cv < C) {
      const p = zr + <usize>cv * sz;
      stp<T>(p, vexp<T>(v128.sub<T>(ldp<T>(p, C - cv), vmx)), C - cv);
      for (let c = cv; c < C; c++) sum += <f64>load<T>(zr + <usize>c * sz);
    }
    const lse = m + Math.log(sum);
    store<f64>(loss + (<usize>r << 3), lse - zt);
    if (!grad) continue;
    const sr = load<f64>(s + (<usize>r << 3));
    const k = splat<T>(sr / sum);
    for (let c = 0; c < C; c += Lw) {
      const p = zr + <usize>c * sz;
      const cnt = min(Lw, C - c);
      stp<T>(p, v128.mul<T>(ldp<T>(p, cnt), k), cnt);
    }
    const pt = zr + <usize>tr * sz;
    store<T>(pt, <T>(<f64>load<T>(pt) - sr));
  }
}

export function ce_rows_f32(rows: i32, C: i32, z: usize, t: usize, s: usize, loss: usize, grad: bool): void {
  ceRows<f32>(rows, C, z, t, s, loss, grad);
}
export function ce_rows_f64(rows: i32, C: i32, z: usize, t: usize, s: usize, loss: usize, grad: bool): void {
  ceRows<f64>(rows, C, z, t, s, loss, grad);
}

// ---------------------------------------------------------------------------------------------
// Whole time loops of one layer-direction, on the batch rows [b0, b1) (src/kernels/wasm/layer.ts
// lays out the buffers and fills a descriptor of i32 fields, pointers as byte offsets). Batch rows
// are independent through the whole recurrence (row b of h_t depends on row b of h_{t−1} only), so
// threads run disjoint row ranges of the same loop with no synchronisation per step; every element
// goes through the same arithmetic whichever range holds it (see tile1x1).

// Forward descriptor fields.
const F_KIND = 0; // 0 rnn_tanh, 1 rnn_relu, 2 lstm, 3 gru
const F_T = 1;
const F_H = 2;
const F_P = 3;
const F_REVERSE = 4;
const F_SAVE = 5;
const F_MODE = 6; // 0 packed panels, 1 wide panels (batch 1: GEMV), 2 weights as stored (one step)
const F_HAS_BHH = 7;
const F_PROJ = 8;
const F_BS = 9; // i32 live rows per step
const F_STARTS = 10; // i32 first packed row per step
const F_XG = 11;
const F_HG = 12;
const F_HS = 13; // running h [B, P]
const F_C = 14;
const F_HPRE = 15;
const F_BHH = 16;
const F_WHH = 17;
const F_WHR = 18;
const F_OUT = 19;
const F_S_HPREV = 20;
const F_S_CPREV = 21;
const F_S_C = 22;
const F_S_HPRE = 23;
const F_S_GHN = 24;
const F_S_H = 25;

// Backward descriptor fields.
const G_KIND = 0;
const G_T = 1;
const G_H = 2;
const G_P = 3;
const G_REVERSE = 4;
const G_WIDE = 5;
const G_HAS_DOUT = 6;
const G_PROJ = 7;
const G_BS = 8;
const G_STARTS = 9;
const G_GATES = 10;
const G_C = 11;
const G_CPREV = 12;
const G_GHN = 13;
const G_HPREV = 14;
const G_HSAVED = 15;
const G_DOUT = 16;
const G_DH = 17; // running dh [B, P]
const G_DC = 18;
const G_DXG = 19;
const G_DHG = 20;
const G_DH_ALL = 21; // dH [N, P], the gradient of each step's h (projection only)
const G_DHPRE = 22;
const G_WHH = 23;
const G_WHR = 24;

// @ts-ignore: decorator
@inline function fi(d: usize, f: i32): i32 {
  return load<i32>(d + (<usize>f << 2));
}

// @ts-ignore: decorator
@inline function fp(d: usize, f: i32): usize {
  return <usize>load<u32>(d + (<usize>f << 2));
}

function layerFwd<T>(d: usize, b0: i32, b1: i32): void {
  const sz = sizeof<T>();
  const kind = fi(d, F_KIND);
  const T_ = fi(d, F_T);
  const H = fi(d, F_H);
  const P = fi(d, F_P);
  const G = (kind == 2 ? 4 : kind == 3 ? 3 : 1) * H;
  const Hb = <usize>H * sz;
  const Pb = <usize>P * sz;
  const Gb = <usize>G * sz;
  const reverse = fi(d, F_REVERSE) != 0;
  const save = fi(d, F_SAVE) != 0;
  const mode = fi(d, F_MODE);
  const hasBHh = fi(d, F_HAS_BHH) != 0;
  const proj = fi(d, F_PROJ) != 0;
  const bs = fp(d, F_BS);
  const starts = fp(d, F_STARTS);
  const xg = fp(d, F_XG);
  const hg = fp(d, F_HG) + <usize>b0 * Gb;
  const h = fp(d, F_HS) + <usize>b0 * Pb;
  const c = fp(d, F_C) + <usize>b0 * Hb;
  const hPre = fp(d, F_HPRE) + <usize>b0 * Hb;
  const bHh = fp(d, F_BHH);
  const wHh = fp(d, F_WHH);
  const wHr = fp(d, F_WHR);
  const out = fp(d, F_OUT);
  const sHPrev = fp(d, F_S_HPREV);
  const sCPrev = fp(d, F_S_CPREV);
  const sC = fp(d, F_S_C);
  const sHPre = fp(d, F_S_HPRE);
  const sGhn = fp(d, F_S_GHN);
  const sH = fp(d, F_S_H);
  for (let s = 0; s < T_; s++) {
    const t = reverse ? T_ - 1 - s : s;
    const rows = min(b1, load<i32>(bs + (<usize>t << 2))) - b0;
    if (rows <= 0) continue;
    const r0 = <usize>(load<i32>(starts + (<usize>t << 2)) + b0);
    if (save) {
      memory.copy(sHPrev + r0 * Pb, h, <usize>rows * Pb);
      if (kind == 2) memory.copy(sCPrev + r0 * Hb, c, <usize>rows * Hb);
    }
    if (mode == 2) gemmNT<T>(rows, G, P, h, P, wHh, P, 0, hg, G);
    else if (mode == 1) gemvWide<T>(G, P, h, wHh, 0, hg);
    else gemmPacked<T>(rows, G, P, h, P, wHh, 0, hg, G);
    const xgr = xg + r0 * Gb;
    if (kind == 2) {
      if (proj) {
        lstmCell<T>(rows, H, xgr, hg, c, hPre);
        if (mode == 2) gemmNT<T>(rows, P, H, hPre, H, wHr, H, 0, h, P);
        else gemmPacked<T>(rows, P, H, hPre, H, wHr, 0, h, P);
      } else lstmCell<T>(rows, H, xgr, hg, c, h);
    } else if (kind == 3) gruCell<T>(rows, H, xgr, hg, bHh, hasBHh, h);
    else rnnCell<T>(rows, H, kind == 1, xgr, hg, h);
    if (save) {
      if (kind == 2) memory.copy(sC + r0 * Hb, c, <usize>rows * Hb);
      if (proj) memory.copy(sHPre + r0 * Hb, hPre, <usize>rows * Hb);
      if (kind == 3)
        for (let r = 0; r < rows; r++) memory.copy(sGhn + (r0 + <usize>r) * Hb, hg + <usize>r * Gb + 2 * Hb, Hb);
      if (kind < 2) memory.copy(sH + r0 * Hb, h, <usize>rows * Hb);
    }
    memory.copy(out + r0 * Pb, h, <usize>rows * Pb);
  }
}

function layerBwd<T>(d: usize, b0: i32, b1: i32): void {
  const sz = sizeof<T>();
  const kind = fi(d, G_KIND);
  const T_ = fi(d, G_T);
  const H = fi(d, G_H);
  const P = fi(d, G_P);
  const G = (kind == 2 ? 4 : kind == 3 ? 3 : 1) * H;
  const Hb = <usize>H * sz;
  const Pb = <usize>P * sz;
  const Gb = <usize>G * sz;
  const reverse = fi(d, G_REVERSE) != 0;
  const wide = fi(d, G_WIDE) != 0;
  const hasDOut = fi(d, G_HAS_DOUT) != 0;
  const proj = fi(d, G_PROJ) != 0;
  const bs = fp(d, G_BS);
  const starts = fp(d, G_STARTS);
  const gates = fp(d, G_GATES);
  const c = fp(d, G_C);
  const cPrev = fp(d, G_CPREV);
  const ghn = fp(d, G_GHN);
  const hPrev = fp(d, G_HPREV);
  const hSaved = fp(d, G_HSAVED);
  const dOut = fp(d, G_DOUT);
  const dh = fp(d, G_DH) + <usize>b0 * Pb;
  const dc = fp(d, G_DC) + <usize>b0 * Hb;
  const dXG = fp(d, G_DXG);
  const dHG = kind == 3 ? fp(d, G_DHG) : dXG;
  const dHall = fp(d, G_DH_ALL);
  const dhPre = fp(d, G_DHPRE) + <usize>b0 * Hb;
  const wHh = fp(d, G_WHH);
  const wHr = fp(d, G_WHR);
  for (let s = T_ - 1; s >= 0; s--) {
    const t = reverse ? T_ - 1 - s : s;
    const rows = min(b1, load<i32>(bs + (<usize>t << 2))) - b0;
    if (rows <= 0) continue;
    const r0 = <usize>(load<i32>(starts + (<usize>t << 2)) + b0);
    if (hasDOut) addTo<T>(dh, dOut + r0 * Pb, rows * P);
    if (kind == 2) {
      if (proj) {
        memory.copy(dHall + r0 * Pb, dh, <usize>rows * Pb);
        gemmPacked<T>(rows, H, P, dh, P, wHr, 0, dhPre, H);
      }
      lstmCellBackward<T>(rows, H, gates + r0 * Gb, c + r0 * Hb, cPrev + r0 * Hb, proj ? dhPre : dh, dc, dXG + r0 * Gb);
    } else if (kind == 3) gruCellBackward<T>(rows, H, gates + r0 * Gb, ghn + r0 * Hb, hPrev + r0 * Hb, dh, dXG + r0 * Gb, dHG + r0 * Gb);
    else rnnCellBackward<T>(rows, H, kind == 1, hSaved + r0 * Hb, H, dh, dXG + r0 * Gb);
    // dh_{t−1} = dG·W_hh (+ the direct z ⊙ dh of GRU, already in dh).
    if (wide) gemvWide<T>(P, G, dHG + r0 * Gb, wHh, kind == 3 ? 1 : 0, dh);
    else gemmPacked<T>(rows, P, G, dHG + r0 * Gb, G, wHh, kind == 3 ? 1 : 0, dh, P);
  }
}

export function layer_fwd_f32(d: usize, b0: i32, b1: i32): void {
  layerFwd<f32>(d, b0, b1);
}
export function layer_fwd_f64(d: usize, b0: i32, b1: i32): void {
  layerFwd<f64>(d, b0, b1);
}
export function layer_bwd_f32(d: usize, b0: i32, b1: i32): void {
  layerBwd<f32>(d, b0, b1);
}
export function layer_bwd_f64(d: usize, b0: i32, b1: i32): void {
  layerBwd<f64>(d, b0, b1);
}

export function heap_base(): usize {
  return (__heap_base + 15) & ~15;
}
