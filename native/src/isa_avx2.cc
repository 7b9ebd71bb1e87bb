// The native kernels for x86-64 with AVX2 and FMA (compiled with -mavx2 -mfma): 8 float32 or 4
// float64 lanes, panels of 2 vectors. See kernels.h.
#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include <cstring>

namespace {

struct VF {
  using reg = __m256;
  static constexpr int L = 8, NR = 16, MR = 6;
  static reg load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, reg v) { _mm256_storeu_ps(p, v); }
  static reg set1(float x) { return _mm256_set1_ps(x); }
  static reg zero() { return _mm256_setzero_ps(); }
  static reg add(reg a, reg b) { return _mm256_add_ps(a, b); }
  static reg sub(reg a, reg b) { return _mm256_sub_ps(a, b); }
  static reg mul(reg a, reg b) { return _mm256_mul_ps(a, b); }
  static reg div(reg a, reg b) { return _mm256_div_ps(a, b); }
  static reg fma(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
  static reg sign() { return _mm256_castsi256_ps(_mm256_set1_epi32(int(0x80000000u))); }
  static reg neg(reg x) { return _mm256_xor_ps(x, sign()); }
  static reg abs(reg x) { return _mm256_andnot_ps(sign(), x); }
  // wasm pmax(x, lo) = x < lo ? lo : x and pmin(x, hi) = hi < x ? hi : x (NaN x kept): maxps / minps
  // return their second operand when either is NaN.
  static reg pmax(reg x, reg lo) { return _mm256_max_ps(lo, x); }
  static reg pmin(reg x, reg hi) { return _mm256_min_ps(hi, x); }
  static reg scale2n(reg y, reg t, reg magic) {
    const __m256i n = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_castps_si256(magic));
    const __m256i n1 = _mm256_srai_epi32(n, 1);
    const __m256i e127 = _mm256_set1_epi32(127);
    const reg y1 = _mm256_mul_ps(y, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, e127), 23)));
    return _mm256_mul_ps(
        y1, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(n, n1), e127), 23)));
  }
  static reg copysign_or(reg big, reg x) { return _mm256_or_ps(big, _mm256_and_ps(x, sign())); }
  static reg select_lt(reg a, reg b, reg yes, reg no) { return _mm256_blendv_ps(no, yes, _mm256_cmp_ps(a, b, _CMP_LT_OQ)); }
  // wasm max(pre, 0): NaN kept, −0 → +0 (maxps(0, pre) keeps NaN and −0; adding +0 turns −0 into +0).
  static reg relu(reg pre) { return _mm256_add_ps(_mm256_max_ps(zero(), pre), zero()); }
  static reg and_gt0(reg d, reg y) { return _mm256_and_ps(d, _mm256_cmp_ps(y, zero(), _CMP_GT_OQ)); }
  // asm's 128-bit vectors, for the one-off products whose partial sums are per 4 lanes.
  using q = __m128;
  static q qzero() { return _mm_setzero_ps(); }
  static q qload(const float* p) { return _mm_loadu_ps(p); }
  static void qstore(float* p, q v) { _mm_storeu_ps(p, v); }
  static q qfma(q a, q b, q c) { return _mm_fmadd_ps(a, b, c); }
};

struct VD {
  using reg = __m256d;
  static constexpr int L = 4, NR = 8, MR = 6;
  static reg load(const double* p) { return _mm256_loadu_pd(p); }
  static void store(double* p, reg v) { _mm256_storeu_pd(p, v); }
  static reg set1(double x) { return _mm256_set1_pd(x); }
  static reg zero() { return _mm256_setzero_pd(); }
  static reg add(reg a, reg b) { return _mm256_add_pd(a, b); }
  static reg sub(reg a, reg b) { return _mm256_sub_pd(a, b); }
  static reg mul(reg a, reg b) { return _mm256_mul_pd(a, b); }
  static reg div(reg a, reg b) { return _mm256_div_pd(a, b); }
  static reg fma(reg a, reg b, reg c) { return _mm256_fmadd_pd(a, b, c); }
  static reg relu(reg pre) { return _mm256_add_pd(_mm256_max_pd(zero(), pre), zero()); }
  static reg and_gt0(reg d, reg y) { return _mm256_and_pd(d, _mm256_cmp_pd(y, zero(), _CMP_GT_OQ)); }
  using q = __m128d;
  static q qzero() { return _mm_setzero_pd(); }
  static q qload(const double* p) { return _mm_loadu_pd(p); }
  static void qstore(double* p, q v) { _mm_storeu_pd(p, v); }
  static q qfma(q a, q b, q c) { return _mm_fmadd_pd(a, b, c); }
  template <class Fn> static reg map(reg x, Fn fn) {
    alignas(32) double v[4];
    _mm256_store_pd(v, x);
    for (double& e : v) e = fn(e);
    return _mm256_load_pd(v);
  }
};

}  // namespace

#include "kernels.h"

RNNKIT_TABLE(tableAvx2, "avx2+fma")
#else
#include "api.h"
const KernelTable* tableAvx2() { return nullptr; }
#endif
