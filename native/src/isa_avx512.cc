// The native kernels for x86-64 with AVX-512 (F, DQ; compiled with -mavx512f -mavx512dq -mfma):
// 16 float32 or 8 float64 lanes, panels of 2 vectors. Zen 5 and recent Intel cores run two 512-bit
// FMAs a cycle, twice AVX2's work per instruction. See kernels.h.
#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512DQ__) && defined(__FMA__)
#include <immintrin.h>

#include <cstring>

namespace {

struct VF {
  using reg = __m512;
  static constexpr int L = 16, NR = 32, MR = 8;
  static reg load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, reg v) { _mm512_storeu_ps(p, v); }
  static reg set1(float x) { return _mm512_set1_ps(x); }
  static reg zero() { return _mm512_setzero_ps(); }
  static reg add(reg a, reg b) { return _mm512_add_ps(a, b); }
  static reg sub(reg a, reg b) { return _mm512_sub_ps(a, b); }
  static reg mul(reg a, reg b) { return _mm512_mul_ps(a, b); }
  static reg div(reg a, reg b) { return _mm512_div_ps(a, b); }
  static reg fma(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }
  static reg sign() { return _mm512_castsi512_ps(_mm512_set1_epi32(int(0x80000000u))); }
  static reg neg(reg x) { return _mm512_xor_ps(x, sign()); }
  static reg abs(reg x) { return _mm512_andnot_ps(sign(), x); }
  // As isa_avx2.cc: vmaxps / vminps return their second operand when either is NaN.
  static reg pmax(reg x, reg lo) { return _mm512_max_ps(lo, x); }
  static reg pmin(reg x, reg hi) { return _mm512_min_ps(hi, x); }
  static reg scale2n(reg y, reg t, reg magic) {
    const __m512i n = _mm512_sub_epi32(_mm512_castps_si512(t), _mm512_castps_si512(magic));
    const __m512i n1 = _mm512_srai_epi32(n, 1);
    const __m512i e127 = _mm512_set1_epi32(127);
    const reg y1 = _mm512_mul_ps(y, _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(n1, e127), 23)));
    return _mm512_mul_ps(
        y1, _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_sub_epi32(n, n1), e127), 23)));
  }
  static reg copysign_or(reg big, reg x) { return _mm512_or_ps(big, _mm512_and_ps(x, sign())); }
  static reg select_lt(reg a, reg b, reg yes, reg no) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), no, yes);
  }
  static reg relu(reg pre) { return _mm512_add_ps(_mm512_max_ps(zero(), pre), zero()); }
  static reg and_gt0(reg d, reg y) { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(y, zero(), _CMP_GT_OQ), d); }
  using q = __m128;
  static q qzero() { return _mm_setzero_ps(); }
  static q qload(const float* p) { return _mm_loadu_ps(p); }
  static void qstore(float* p, q v) { _mm_storeu_ps(p, v); }
  static q qfma(q a, q b, q c) { return _mm_fmadd_ps(a, b, c); }
};

struct VD {
  using reg = __m512d;
  static constexpr int L = 8, NR = 16, MR = 8;
  static reg load(const double* p) { return _mm512_loadu_pd(p); }
  static void store(double* p, reg v) { _mm512_storeu_pd(p, v); }
  static reg set1(double x) { return _mm512_set1_pd(x); }
  static reg zero() { return _mm512_setzero_pd(); }
  static reg add(reg a, reg b) { return _mm512_add_pd(a, b); }
  static reg sub(reg a, reg b) { return _mm512_sub_pd(a, b); }
  static reg mul(reg a, reg b) { return _mm512_mul_pd(a, b); }
  static reg div(reg a, reg b) { return _mm512_div_pd(a, b); }
  static reg fma(reg a, reg b, reg c) { return _mm512_fmadd_pd(a, b, c); }
  static reg relu(reg pre) { return _mm512_add_pd(_mm512_max_pd(zero(), pre), zero()); }
  static reg and_gt0(reg d, reg y) { return _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(y, zero(), _CMP_GT_OQ), d); }
  using q = __m128d;
  static q qzero() { return _mm_setzero_pd(); }
  static q qload(const double* p) { return _mm_loadu_pd(p); }
  static void qstore(double* p, q v) { _mm_storeu_pd(p, v); }
  static q qfma(q a, q b, q c) { return _mm_fmadd_pd(a, b, c); }
  template <class Fn> static reg map(reg x, Fn fn) {
    alignas(64) double v[8];
    _mm512_store_pd(v, x);
    for (double& e : v) e = fn(e);
    return _mm512_load_pd(v);
  }
};

}  // namespace

#include "kernels.h"

RNNKIT_TABLE(tableAvx512, "avx512")
#else
#include "api.h"
const KernelTable* tableAvx512() { return nullptr; }
#endif
