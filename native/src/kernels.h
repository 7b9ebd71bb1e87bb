// rnnkit's native kernels, written once over a small set of vector operations (ggml's
// simd-mappings idea): each isa_*.cc defines the vector types VF (float) and VD (double) for its
// instruction set and includes this file inside its own namespace. The arithmetic is that of the
// WebAssembly relaxed-SIMD kernels (asm/kernels.ts), operation for operation, so that results are
// bit-identical where the float32 activations and the products are concerned:
//  - every element of a packed product is ONE fused multiply-add chain over k in order, starting
//    from β·C, a bias row or 0 (the tile shapes differ from WASM's; the chains do not);
//  - one-off products (a single time step) are asm's gemmNT: L-lane partial sums (L = 4 float32,
//    2 float64) with FMA, summed in float64 in asm's order, the tail and β·C added in float64;
//  - float32 activations are asm's Cephes polynomials with FMA at the same places; float64 ones call
//    the C library's exp / tanh (asm calls musl's: the last bit may differ, see the tests);
//  - nothing here is contracted by the compiler (built with -ffp-contract=off): every FMA is written.
// Every kernel takes raw pointers, sizes and leading dimensions in elements; none allocates.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <algorithm>

#include "api.h"
#include "pool.h"

namespace {

/** f32x4.max / f64.max: NaN-propagating, +0 above −0. */
template <class T> inline T wasmMax(T a, T b) {
  if (a != a) return a;
  if (b != b) return b;
  if (a == b) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

template <class T> struct VecOf;
template <> struct VecOf<float> { using V = VF; };
template <> struct VecOf<double> { using V = VD; };

// ---------------------------------------------------------------------------------------------
// Activations (asm/kernels.ts vexp32 / vtanh32 / vsigmoid32; float64 through the C library)

inline VF::reg vexp(VF::reg x) {
  x = VF::pmin(VF::pmax(x, VF::set1(-104.0f)), VF::set1(89.0f));
  const VF::reg magic = VF::set1(12582912.0f);
  const VF::reg t = VF::fma(x, VF::set1(1.44269504088896341f), magic);
  const VF::reg fx = VF::sub(t, magic);
  x = VF::fma(fx, VF::set1(-0.693359375f), x);
  x = VF::fma(fx, VF::set1(2.12194440e-4f), x);
  const VF::reg z = VF::mul(x, x);
  VF::reg y = VF::fma(VF::set1(1.9875691500e-4f), x, VF::set1(1.3981999507e-3f));
  y = VF::fma(y, x, VF::set1(8.3334519073e-3f));
  y = VF::fma(y, x, VF::set1(4.1665795894e-2f));
  y = VF::fma(y, x, VF::set1(1.6666665459e-1f));
  y = VF::fma(y, x, VF::set1(5.0000001201e-1f));
  y = VF::add(VF::fma(y, z, x), VF::set1(1.0f));
  return VF::scale2n(y, t, magic);
}

inline VF::reg vtanh(VF::reg x) {
  const VF::reg ax = VF::abs(x);
  const VF::reg s = VF::mul(x, x);
  VF::reg p = VF::fma(VF::set1(-5.70498872745e-3f), s, VF::set1(2.06390887954e-2f));
  p = VF::fma(p, s, VF::set1(-5.37397155531e-2f));
  p = VF::fma(p, s, VF::set1(1.33314422036e-1f));
  p = VF::fma(p, s, VF::set1(-3.33332819422e-1f));
  const VF::reg small = VF::fma(VF::mul(p, s), x, x);
  const VF::reg e = vexp(VF::add(ax, ax));
  const VF::reg one = VF::set1(1.0f);
  VF::reg big = VF::sub(one, VF::div(VF::set1(2.0f), VF::add(e, one)));
  big = VF::copysign_or(big, x);
  return VF::select_lt(ax, VF::set1(0.625f), small, big);
}

inline VF::reg vsig(VF::reg x) {
  const VF::reg one = VF::set1(1.0f);
  return VF::div(one, VF::add(one, vexp(VF::neg(x))));
}

inline double sig64(double x) { return 1.0 / (1.0 + std::exp(-x)); }

inline VD::reg vexp(VD::reg x) { return VD::map(x, [](double v) { return std::exp(v); }); }
inline VD::reg vtanh(VD::reg x) { return VD::map(x, [](double v) { return std::tanh(v); }); }
inline VD::reg vsig(VD::reg x) { return VD::map(x, sig64); }

// ---------------------------------------------------------------------------------------------
// Packing: op(B) [k, n] into panels of NR = V::NR columns, K × NR contiguous, zero-padded.

template <class T> constexpr int NRof() { return VecOf<T>::V::NR; }

template <class T> size_t packedElems(int n, int k) {
  constexpr int NR = NRof<T>();
  return size_t((n + NR - 1) / NR) * size_t(k) * NR;
}

/** B[p, j] = b[p·ldb + j] (transB false) or b[j·ldb + p] (true). */
template <class T> void packB(bool transB, int n, int k, const T* b, int ldb, T* dst) {
  constexpr int NR = NRof<T>();
  const int panels = (n + NR - 1) / NR;
  for (int jp = 0; jp < panels; jp++) {
    const int j0 = jp * NR;
    const int w = std::min(NR, n - j0);
    T* pd = dst + size_t(jp) * size_t(k) * NR;
    if (!transB) {
      for (int p = 0; p < k; p++) {
        const T* src = b + size_t(p) * ldb + j0;
        T* d = pd + size_t(p) * NR;
        int jj = 0;
        for (; jj < w; jj++) d[jj] = src[jj];
        for (; jj < NR; jj++) d[jj] = T(0);
      }
    } else {
      // Rows j0 + jj of b, transposed, blocked by 8 rows for locality.
      for (int p0 = 0; p0 < k; p0 += 64) {
        const int p1 = std::min(k, p0 + 64);
        for (int jj = 0; jj < NR; jj++) {
          if (jj < w) {
            const T* r = b + size_t(j0 + jj) * ldb;
            for (int p = p0; p < p1; p++) pd[size_t(p) * NR + jj] = r[p];
          } else
            for (int p = p0; p < p1; p++) pd[size_t(p) * NR + jj] = T(0);
        }
      }
    }
  }
}

/** dst[m, k] = A[k, m]ᵀ (a[p·lda + i]), row-major. */
template <class T> void transposeA(int m, int k, const T* a, int lda, T* dst) {
  for (int p0 = 0; p0 < k; p0 += 32)
    for (int i0 = 0; i0 < m; i0 += 32) {
      const int p1 = std::min(k, p0 + 32), i1 = std::min(m, i0 + 32);
      for (int p = p0; p < p1; p++)
        for (int i = i0; i < i1; i++) dst[size_t(i) * k + p] = a[size_t(p) * lda + i];
    }
}

// ---------------------------------------------------------------------------------------------
// Packed products. C[m, n] = init + A[m, k]·op(B), init: β = 0 → 0; β = 1 → ci[i·ldi + j] (C
// itself: ci = c, ldi = ldc; a bias row: ldi = 0). One FMA chain per element, k in order.

// Rows per register tile (V::MR): 6 × 2 vectors = 12 accumulators (+ 2 loads + 1 broadcast) of
// AVX2's 16 registers; 8 × 2 = 16 of AVX-512's 32 (a batch of 8 then reads each panel once a step).
template <class T> constexpr int MRof() { return VecOf<T>::V::MR; }

template <class T, int R>
inline void tileR(int k, const T* a, size_t lda, const T* bp, T* c, size_t ldc, int w, int beta, const T* ci,
                  size_t ldi) {
  using V = typename VecOf<T>::V;
  constexpr int NR = V::NR, L = V::L;
  typename V::reg acc[R][2];
  alignas(64) T tmp[NR];
  for (int r = 0; r < R; r++) {
    if (beta == 0) {
      acc[r][0] = V::zero();
      acc[r][1] = V::zero();
    } else if (w == NR) {
      acc[r][0] = V::load(ci + r * ldi);
      acc[r][1] = V::load(ci + r * ldi + L);
    } else {
      for (int j = 0; j < NR; j++) tmp[j] = j < w ? ci[r * ldi + j] : T(0);
      acc[r][0] = V::load(tmp);
      acc[r][1] = V::load(tmp + L);
    }
  }
  const T* b = bp;
  for (int p = 0; p < k; p++, b += NR) {
    const auto b0 = V::load(b);
    const auto b1 = V::load(b + L);
    for (int r = 0; r < R; r++) {
      const auto x = V::set1(a[r * lda + p]);
      acc[r][0] = V::fma(x, b0, acc[r][0]);
      acc[r][1] = V::fma(x, b1, acc[r][1]);
    }
  }
  for (int r = 0; r < R; r++) {
    if (w == NR) {
      V::store(c + r * ldc, acc[r][0]);
      V::store(c + r * ldc + L, acc[r][1]);
    } else {
      V::store(tmp, acc[r][0]);
      V::store(tmp + L, acc[r][1]);
      for (int j = 0; j < w; j++) c[r * ldc + j] = tmp[j];
    }
  }
}

/** One row over up to 4 full panels at once (8 independent chains: batch-1 products, GEMV). */
template <class T, int NP>
inline void tile1xP(int k, const T* a, const T* bp, size_t psE, T* c, int beta, const T* ci) {
  using V = typename VecOf<T>::V;
  constexpr int NR = V::NR, L = V::L;
  typename V::reg acc[NP][2];
  for (int q = 0; q < NP; q++) {
    acc[q][0] = beta ? V::load(ci + q * NR) : V::zero();
    acc[q][1] = beta ? V::load(ci + q * NR + L) : V::zero();
  }
  for (int p = 0; p < k; p++) {
    const auto x = V::set1(a[p]);
    const T* b = bp + size_t(p) * NR;
    for (int q = 0; q < NP; q++) {
      acc[q][0] = V::fma(x, V::load(b + q * psE), acc[q][0]);
      acc[q][1] = V::fma(x, V::load(b + q * psE + L), acc[q][1]);
    }
  }
  for (int q = 0; q < NP; q++) {
    V::store(c + q * NR, acc[q][0]);
    V::store(c + q * NR + L, acc[q][1]);
  }
}

template <class T>
void gemmPackedI(int m, int n, int k, const T* a, int lda, const T* bp, int beta, const T* ci, int ldi, T* c,
                 int ldc) {
  if (m <= 0 || n <= 0) return;
  constexpr int NR = NRof<T>();
  const int panels = (n + NR - 1) / NR;
  const size_t psE = size_t(k) * NR;
  if (m == 1) {
    const int full = n / NR;
    int jp = 0;
    for (; jp + 4 <= full; jp += 4) tile1xP<T, 4>(k, a, bp + jp * psE, psE, c + jp * NR, beta, ci + jp * NR);
    for (; jp < full; jp++) tile1xP<T, 1>(k, a, bp + jp * psE, psE, c + jp * NR, beta, ci + jp * NR);
    if (jp < panels) tileR<T, 1>(k, a, lda, bp + jp * psE, c + jp * NR, ldc, n - jp * NR, beta, ci + jp * NR, ldi);
    return;
  }
  // Blocks of rows whose A rows stay in L2 while every panel passes over them; each panel (k × NR)
  // stays in L1 for all the block's tiles.
  constexpr int MR = MRof<T>();
  int mc = int((256 * 1024) / std::max<size_t>(1, size_t(k) * sizeof(T)));
  mc = std::max(MR, mc - mc % MR);
  for (int i0 = 0; i0 < m; i0 += mc) {
    const int i1 = std::min(m, i0 + mc);
    for (int jp = 0; jp < panels; jp++) {
      const int j0 = jp * NR;
      const int w = std::min(NR, n - j0);
      const T* b = bp + jp * psE;
      int i = i0;
      for (; i + MR <= i1; i += MR)
        tileR<T, MR>(k, a + size_t(i) * lda, lda, b, c + size_t(i) * ldc + j0, ldc, w, beta, ci + size_t(i) * ldi + j0,
                     ldi);
      const T* ai = a + size_t(i) * lda;
      T* cc = c + size_t(i) * ldc + j0;
      const T* cii = ci + size_t(i) * ldi + j0;
      switch (i1 - i) {
        case 7: tileR<T, 7>(k, ai, lda, b, cc, ldc, w, beta, cii, ldi); break;
        case 6: tileR<T, 6>(k, ai, lda, b, cc, ldc, w, beta, cii, ldi); break;
        case 5: tileR<T, 5>(k, ai, lda, b, cc, ldc, w, beta, cii, ldi); break;
        case 4: tileR<T, 4>(k, ai, lda, b, cc, ldc, w, beta, cii, ldi); break;
        case 3: tileR<T, 3>(k, ai, lda, b, cc, ldc, w, beta, cii, ldi); break;
        case 2: tileR<T, 2>(k, ai, lda, b, cc, ldc, w, beta, cii, ldi); break;
        case 1: tileR<T, 1>(k, ai, lda, b, cc, ldc, w, beta, cii, ldi); break;
        default: break;
      }
    }
  }
}

template <class T>
inline void gemmPacked(int m, int n, int k, const T* a, int lda, const T* bp, int beta, T* c, int ldc) {
  gemmPackedI<T>(m, n, k, a, lda, bp, beta, c, ldc, c, ldc);
}

/** gemmPackedI split over the pool by ranges of rows (each element is still one chain: same bits). */
template <class T>
void gemmPackedPar(int m, int n, int k, const T* a, int lda, const T* bp, int beta, const T* ci, int ldi, T* c,
                   int ldc) {
  constexpr int MR = MRof<T>();
  Pool& pool = Pool::get();
  const int t = pool.plan(double(m) * n * k, (m + MR - 1) / MR);
  if (t <= 1) return gemmPackedI<T>(m, n, k, a, lda, bp, beta, ci, ldi, c, ldc);
  const auto rs = ranges(m, t, MR);
  pool.run(t, int(rs.size()), [&](int i) {
    const auto [r0, r1] = rs[i];
    gemmPackedI<T>(r1 - r0, n, k, a + size_t(r0) * lda, lda, bp, beta, ci + size_t(r0) * ldi, ldi,
                   c + size_t(r0) * ldc, ldc);
  });
}

// ---------------------------------------------------------------------------------------------
// One-off products (asm gemmNT): C = β·C + A·Bᵀ, B [n, k] as stored, dot products with L-lane
// partial sums, reduced in float64.

template <class T> inline double hsum(const T* s);
template <> inline double hsum<float>(const float* s) {
  return double(s[0]) + double(s[1]) + (double(s[2]) + double(s[3]));
}
template <> inline double hsum<double>(const double* s) { return s[0] + s[1]; }

template <class T>
void gemmNT(int m, int n, int k, const T* a, int lda, const T* b, int ldb, int beta, T* c, int ldc) {
  using V = typename VecOf<T>::V;
  constexpr int L = sizeof(T) == 4 ? 4 : 2;  // asm's v128 lanes
  constexpr int J = 8;                       // outputs at once: 8 independent FMA chains
  const int kL = k & ~(L - 1);
  alignas(16) T s[L];
  for (int i = 0; i < m; i++) {
    const T* ar = a + size_t(i) * lda;
    T* cr = c + size_t(i) * ldc;
    int j = 0;
    const auto finish = [&](int jj, typename V::q acc) {
      V::qstore(s, acc);
      const T* br = b + size_t(jj) * ldb;
      double t = hsum<T>(s);
      for (int p = kL; p < k; p++) t += double(ar[p]) * double(br[p]);
      if (beta) t += double(cr[jj]);
      cr[jj] = T(t);
    };
    for (; j + J <= n; j += J) {
      typename V::q acc[J];
      for (int q = 0; q < J; q++) acc[q] = V::qzero();
      const T* b0 = b + size_t(j) * ldb;
      for (int p = 0; p < kL; p += L) {
        const auto x = V::qload(ar + p);
        for (int q = 0; q < J; q++) acc[q] = V::qfma(x, V::qload(b0 + size_t(q) * ldb + p), acc[q]);
      }
      for (int q = 0; q < J; q++) finish(j + q, acc[q]);
    }
    for (; j < n; j++) {
      typename V::q acc = V::qzero();
      const T* br = b + size_t(j) * ldb;
      for (int p = 0; p < kL; p += L) acc = V::qfma(V::qload(ar + p), V::qload(br + p), acc);
      finish(j, acc);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Gate kernels (asm rnnCell / lstmCell / gruCell and their backward), vector bodies over L
// columns, the row's last H mod L columns through the same body on zero-padded copies.

template <class T, class Body>
inline void overColumns(int H, Body body) {
  using V = typename VecOf<T>::V;
  constexpr int L = V::L;
  const int HL = H - H % L;
  for (int j = 0; j < HL; j += L) body(j, L);
  if (HL < H) body(HL, H - HL);
}

template <class T> struct Slots {
  using V = typename VecOf<T>::V;
  static typename V::reg ld(const T* p, int cnt) {
    if (cnt == V::L) return V::load(p);
    alignas(64) T tmp[V::L] = {};
    for (int i = 0; i < cnt; i++) tmp[i] = p[i];
    return V::load(tmp);
  }
  static void st(T* p, typename V::reg v, int cnt) {
    if (cnt == V::L) return V::store(p, v);
    alignas(64) T tmp[V::L];
    V::store(tmp, v);
    for (int i = 0; i < cnt; i++) p[i] = tmp[i];
  }
};

template <class T> void rnnCell(int rows, int H, bool relu, const T* xg, const T* hg, T* h) {
  using V = typename VecOf<T>::V;
  using S = Slots<T>;
  for (int r = 0; r < rows; r++) {
    const size_t o = size_t(r) * H;
    overColumns<T>(H, [&](int j, int cnt) {
      const auto pre = V::add(S::ld(xg + o + j, cnt), S::ld(hg + o + j, cnt));
      S::st(h + o + j, relu ? V::relu(pre) : vtanh(pre), cnt);
    });
  }
}

/** asm lstmGates + lstmOut, in two passes over the row (as asm: the CPU overlaps them better). */
template <class T> void lstmCell(int rows, int H, T* xg, const T* hg, T* c, T* hOut) {
  using V = typename VecOf<T>::V;
  using S = Slots<T>;
  for (int r = 0; r < rows; r++) {
    T* x = xg + size_t(r) * 4 * H;
    const T* g = hg + size_t(r) * 4 * H;
    T* cr = c + size_t(r) * H;
    T* hr = hOut + size_t(r) * H;
    overColumns<T>(H, [&](int j, int cnt) {
      const auto i = vsig(V::add(S::ld(x + j, cnt), S::ld(g + j, cnt)));
      const auto f = vsig(V::add(S::ld(x + H + j, cnt), S::ld(g + H + j, cnt)));
      const auto cand = vtanh(V::add(S::ld(x + 2 * H + j, cnt), S::ld(g + 2 * H + j, cnt)));
      const auto o = vsig(V::add(S::ld(x + 3 * H + j, cnt), S::ld(g + 3 * H + j, cnt)));
      S::st(x + j, i, cnt);
      S::st(x + H + j, f, cnt);
      S::st(x + 2 * H + j, cand, cnt);
      S::st(x + 3 * H + j, o, cnt);
      S::st(cr + j, V::fma(f, S::ld(cr + j, cnt), V::mul(i, cand)), cnt);
    });
    overColumns<T>(H, [&](int j, int cnt) {
      S::st(hr + j, V::mul(S::ld(x + 3 * H + j, cnt), vtanh(S::ld(cr + j, cnt))), cnt);
    });
  }
}

template <class T> void gruCell(int rows, int H, T* xg, T* hg, const T* bHh, bool hasB, T* h) {
  using V = typename VecOf<T>::V;
  using S = Slots<T>;
  for (int r = 0; r < rows; r++) {
    T* x = xg + size_t(r) * 3 * H;
    T* g = hg + size_t(r) * 3 * H;
    T* hr = h + size_t(r) * H;
    overColumns<T>(H, [&](int j, int cnt) {
      const auto zero = V::zero();
      const auto ghR = V::add(S::ld(g + j, cnt), hasB ? S::ld(bHh + j, cnt) : zero);
      const auto ghZ = V::add(S::ld(g + H + j, cnt), hasB ? S::ld(bHh + H + j, cnt) : zero);
      S::st(g + 2 * H + j, V::add(S::ld(g + 2 * H + j, cnt), hasB ? S::ld(bHh + 2 * H + j, cnt) : zero), cnt);
      S::st(x + j, vsig(V::add(S::ld(x + j, cnt), ghR)), cnt);
      S::st(x + H + j, vsig(V::add(S::ld(x + H + j, cnt), ghZ)), cnt);
    });
    overColumns<T>(H, [&](int j, int cnt) {
      const auto rg = S::ld(x + j, cnt);
      const auto z = S::ld(x + H + j, cnt);
      const auto n = vtanh(V::fma(rg, S::ld(g + 2 * H + j, cnt), S::ld(x + 2 * H + j, cnt)));
      S::st(x + 2 * H + j, n, cnt);
      S::st(hr + j, V::fma(V::sub(S::ld(hr + j, cnt), n), z, n), cnt);
    });
  }
}

template <class T> void rnnCellBackward(int rows, int H, bool relu, const T* h, int hLd, const T* dh, T* dG) {
  using V = typename VecOf<T>::V;
  using S = Slots<T>;
  for (int r = 0; r < rows; r++) {
    const T* hr = h + size_t(r) * hLd;
    const size_t o = size_t(r) * H;
    overColumns<T>(H, [&](int j, int cnt) {
      const auto y = S::ld(hr + j, cnt);
      const auto d = S::ld(dh + o + j, cnt);
      S::st(dG + o + j, relu ? V::and_gt0(d, y) : V::mul(d, V::sub(V::set1(T(1)), V::mul(y, y))), cnt);
    });
  }
}

template <class T>
void lstmCellBackward(int rows, int H, const T* gates, const T* c, const T* cPrev, const T* dh, T* dc, T* dG) {
  using V = typename VecOf<T>::V;
  using S = Slots<T>;
  for (int r = 0; r < rows; r++) {
    const T* gr = gates + size_t(r) * 4 * H;
    T* orow = dG + size_t(r) * 4 * H;
    const size_t hr = size_t(r) * H;
    overColumns<T>(H, [&](int j, int cnt) {
      const auto one = V::set1(T(1));
      const auto i = S::ld(gr + j, cnt);
      const auto f = S::ld(gr + H + j, cnt);
      const auto cand = S::ld(gr + 2 * H + j, cnt);
      const auto og = S::ld(gr + 3 * H + j, cnt);
      const auto tc = vtanh(S::ld(c + hr + j, cnt));
      const auto dhj = S::ld(dh + hr + j, cnt);
      const auto dct = V::add(S::ld(dc + hr + j, cnt), V::mul(V::mul(dhj, og), V::sub(one, V::mul(tc, tc))));
      S::st(orow + j, V::mul(V::mul(V::mul(dct, cand), i), V::sub(one, i)), cnt);
      S::st(orow + H + j, V::mul(V::mul(V::mul(dct, S::ld(cPrev + hr + j, cnt)), f), V::sub(one, f)), cnt);
      S::st(orow + 2 * H + j, V::mul(V::mul(dct, i), V::sub(one, V::mul(cand, cand))), cnt);
      S::st(orow + 3 * H + j, V::mul(V::mul(V::mul(dhj, tc), og), V::sub(one, og)), cnt);
      S::st(dc + hr + j, V::mul(dct, f), cnt);
    });
  }
}

template <class T>
void gruCellBackward(int rows, int H, const T* gates, const T* ghn, const T* hPrev, T* dh, T* dXG, T* dHG) {
  using V = typename VecOf<T>::V;
  using S = Slots<T>;
  for (int r = 0; r < rows; r++) {
    const T* gr = gates + size_t(r) * 3 * H;
    T* xr = dXG + size_t(r) * 3 * H;
    T* hhr = dHG + size_t(r) * 3 * H;
    const size_t hr = size_t(r) * H;
    overColumns<T>(H, [&](int j, int cnt) {
      const auto one = V::set1(T(1));
      const auto rg = S::ld(gr + j, cnt);
      const auto z = S::ld(gr + H + j, cnt);
      const auto n = S::ld(gr + 2 * H + j, cnt);
      const auto d = S::ld(dh + hr + j, cnt);
      const auto dnPre = V::mul(V::mul(d, V::sub(one, z)), V::sub(one, V::mul(n, n)));
      const auto dzPre = V::mul(V::mul(V::mul(d, V::sub(S::ld(hPrev + hr + j, cnt), n)), z), V::sub(one, z));
      const auto drPre = V::mul(V::mul(V::mul(dnPre, S::ld(ghn + hr + j, cnt)), rg), V::sub(one, rg));
      S::st(xr + j, drPre, cnt);
      S::st(xr + H + j, dzPre, cnt);
      S::st(xr + 2 * H + j, dnPre, cnt);
      S::st(hhr + j, drPre, cnt);
      S::st(hhr + H + j, dzPre, cnt);
      S::st(hhr + 2 * H + j, V::mul(dnPre, rg), cnt);
      S::st(dh + hr + j, V::mul(d, z), cnt);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

template <class T> void colSumRange(const T* m, int rows, int j0, int j1, int ld, T* out) {
  for (int j = j0; j < j1; j++) out[j] = T(0);
  for (int r = 0; r < rows; r++) {
    const T* row = m + size_t(r) * ld;
    for (int j = j0; j < j1; j++) out[j] = out[j] + row[j];
  }
}

/** out[j] = Σ_r m[r·ld + j], rows in order (threads split the columns). */
template <class T> void colSum(const T* m, int rows, int cols, int ld, T* out) {
  Pool& pool = Pool::get();
  const int t = pool.plan(double(rows) * cols, (cols + 15) / 16);
  const auto rs = ranges(cols, t, 16);
  pool.run(t, int(rs.size()), [&](int i) { colSumRange<T>(m, rows, rs[i].first, rs[i].second, ld, out); });
}

// ---------------------------------------------------------------------------------------------
// Softmax cross entropy over rows of logits (asm ceRows)

template <class T> void ceRows(int rows, int C, T* z, const int32_t* t, const double* s, double* loss, bool grad);

template <> void ceRows<float>(int rows, int C, float* z, const int32_t* t, const double* s, double* loss, bool grad) {
  const int cv = C & ~3;
  for (int r = 0; r < rows; r++) {
    float* zr = z + size_t(r) * C;
    const int tr = t[r];
    if (tr < 0) {
      loss[r] = 0;
      if (grad) std::memset(zr, 0, size_t(C) * sizeof(float));
      continue;
    }
    const double zt = zr[tr];
    // asm: a 4-lane max (NaN-propagating), then the lanes, then the tail, in float64.
    float vm[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    for (int c = 0; c < cv; c += 4)
      for (int l = 0; l < 4; l++) vm[l] = wasmMax(vm[l], zr[c + l]);
    double m = double(wasmMax(wasmMax(vm[0], vm[1]), wasmMax(vm[2], vm[3])));
    for (int c = cv; c < C; c++) m = wasmMax(m, double(zr[c]));
    const VF::reg vmx = VF::set1(float(m));
    double acc0 = 0, acc1 = 0;
    // e^{z − m} in place; the sum as asm's float64x2 accumulator: lane 0 gets e0 + e2, lane 1 e1 + e3.
    {
      int c = 0;
      for (; c + VF::L <= cv; c += VF::L) VF::store(zr + c, vexp(VF::sub(VF::load(zr + c), vmx)));
      for (; c < cv; c += 4) Slots<float>::st(zr + c, vexp(VF::sub(Slots<float>::ld(zr + c, 4), vmx)), 4);
      for (c = 0; c < cv; c += 4) {
        acc0 += double(zr[c]) + double(zr[c + 2]);
        acc1 += double(zr[c + 1]) + double(zr[c + 3]);
      }
    }
    double sum = acc0 + acc1;
    if (cv < C) {
      Slots<float>::st(zr + cv, vexp(VF::sub(Slots<float>::ld(zr + cv, C - cv), vmx)), C - cv);
      for (int c = cv; c < C; c++) sum += double(zr[c]);
    }
    const double lse = m + std::log(sum);
    loss[r] = lse - zt;
    if (!grad) continue;
    const double sr = s[r];
    const float k = float(sr / sum);
    for (int c = 0; c < C; c++) zr[c] = zr[c] * k;
    zr[tr] = float(double(zr[tr]) - sr);
  }
}

template <> void ceRows<double>(int rows, int C, double* z, const int32_t* t, const double* s, double* loss, bool grad) {
  const int cv = C & ~1;
  for (int r = 0; r < rows; r++) {
    double* zr = z + size_t(r) * C;
    const int tr = t[r];
    if (tr < 0) {
      loss[r] = 0;
      if (grad) std::memset(zr, 0, size_t(C) * sizeof(double));
      continue;
    }
    const double zt = zr[tr];
    double vm[2] = {-INFINITY, -INFINITY};
    for (int c = 0; c < cv; c += 2)
      for (int l = 0; l < 2; l++) vm[l] = wasmMax(vm[l], zr[c + l]);
    double m = wasmMax(vm[0], vm[1]);
    for (int c = cv; c < C; c++) m = wasmMax(m, zr[c]);
    double acc0 = 0, acc1 = 0;
    for (int c = 0; c < cv; c += 2) {
      zr[c] = std::exp(zr[c] - m);
      zr[c + 1] = std::exp(zr[c + 1] - m);
      acc0 += zr[c];
      acc1 += zr[c + 1];
    }
    double sum = acc0 + acc1;
    for (int c = cv; c < C; c++) {
      zr[c] = std::exp(zr[c] - m);
      sum += zr[c];
    }
    const double lse = m + std::log(sum);
    loss[r] = lse - zt;
    if (!grad) continue;
    const double sr = s[r];
    const double k = sr / sum;
    for (int c = 0; c < C; c++) zr[c] = zr[c] * k;
    zr[tr] = zr[tr] - sr;
  }
}


// ---------------------------------------------------------------------------------------------
// Whole layer-directions (asm layerFwd / layerBwd and the phases of src/kernels/wasm/layer.ts)

constexpr int gatesOf(int kind) { return kind == 2 ? 4 : kind == 3 ? 3 : 1; }

template <class T> struct Buf {
  T* p = nullptr;
  explicit Buf(size_t n) : p(n ? static_cast<T*>(::operator new(n * sizeof(T) + 64)) : nullptr) {}
  ~Buf() { ::operator delete(p); }
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
};

/** The time loop on batch rows [b0, b1): every step for those rows (rows never read each other). */
template <class T>
void layerFwdLoop(const LayerFwdArgs& a, T* xg, T* hgAll, T* hPreAll, int b0, int b1) {
  const int kind = a.kind, H = a.H, P = a.P, G = gatesOf(kind) * H, T_ = a.T;
  const bool proj = a.wHr != nullptr;
  const T* wHh = static_cast<const T*>(a.wHh);
  const T* wHr = static_cast<const T*>(a.wHr);
  const T* bHh = static_cast<const T*>(a.bHh);
  T* h = static_cast<T*>(a.h) + size_t(b0) * P;
  T* c = kind == 2 ? static_cast<T*>(a.c) + size_t(b0) * H : nullptr;
  T* hg = hgAll + size_t(b0) * G;
  T* hPre = proj ? hPreAll + size_t(b0) * H : nullptr;
  T* out = static_cast<T*>(a.out);
  for (int s = 0; s < T_; s++) {
    const int t = a.reverse ? T_ - 1 - s : s;
    const int rows = std::min(b1, int(a.bs[t])) - b0;
    if (rows <= 0) continue;
    const size_t r0 = size_t(a.starts[t]) + b0;
    if (a.save) {
      std::memcpy(static_cast<T*>(a.sHPrev) + r0 * P, h, size_t(rows) * P * sizeof(T));
      if (kind == 2) std::memcpy(static_cast<T*>(a.sCPrev) + r0 * H, c, size_t(rows) * H * sizeof(T));
    }
    if (a.direct) gemmNT<T>(rows, G, P, h, P, wHh, P, 0, hg, G);
    else gemmPacked<T>(rows, G, P, h, P, wHh, 0, hg, G);
    T* xgr = xg + r0 * G;
    if (kind == 2) {
      if (proj) {
        lstmCell<T>(rows, H, xgr, hg, c, hPre);
        if (a.direct) gemmNT<T>(rows, P, H, hPre, H, wHr, H, 0, h, P);
        else gemmPacked<T>(rows, P, H, hPre, H, wHr, 0, h, P);
      } else
        lstmCell<T>(rows, H, xgr, hg, c, h);
    } else if (kind == 3)
      gruCell<T>(rows, H, xgr, hg, bHh, bHh != nullptr, h);
    else
      rnnCell<T>(rows, H, kind == 1, xgr, hg, h);
    if (a.save) {
      if (kind == 2) std::memcpy(static_cast<T*>(a.sC) + r0 * H, c, size_t(rows) * H * sizeof(T));
      if (proj) std::memcpy(static_cast<T*>(a.sHPre) + r0 * H, hPre, size_t(rows) * H * sizeof(T));
      if (kind == 3)
        for (int r = 0; r < rows; r++)
          std::memcpy(static_cast<T*>(a.sGhn) + (r0 + r) * H, hg + size_t(r) * G + 2 * H, H * sizeof(T));
      if (kind < 2) std::memcpy(static_cast<T*>(a.sH) + r0 * H, h, size_t(rows) * H * sizeof(T));
    }
    for (int r = 0; r < rows; r++)
      std::memcpy(out + (r0 + r) * a.outLd, h + size_t(r) * P, P * sizeof(T));
  }
}

template <class T> void layerFwd(const LayerFwdArgs& a) {
  const int kind = a.kind, N = a.N, I = a.I, G = gatesOf(kind) * a.H;
  const T* bIh = static_cast<const T*>(a.bIh);
  const T* bHh = kind == 3 ? nullptr : static_cast<const T*>(a.bHh);
  const bool hasBias = bIh || bHh;
  Buf<T> xgScratch(a.gates ? 0 : size_t(N) * G);
  T* xg = a.gates ? static_cast<T*>(a.gates) : xgScratch.p;
  // b_ih (+ b_hh except GRU), summed once as the JavaScript side of the WASM kernels does: in
  // float64, rounded on store.
  Buf<T> bias(G);
  for (int j = 0; j < G; j++) bias.p[j] = T(double(bIh ? bIh[j] : T(0)) + double(bHh ? bHh[j] : T(0)));
  const T* x = static_cast<const T*>(a.x);
  if (a.direct) {
    if (hasBias)
      for (int n = 0; n < N; n++) std::memcpy(xg + size_t(n) * G, bias.p, G * sizeof(T));
    gemmNT<T>(N, G, I, x, a.xLd, static_cast<const T*>(a.wIh), I, hasBias ? 1 : 0, xg, G);
  } else
    gemmPackedPar<T>(N, G, I, x, a.xLd, static_cast<const T*>(a.wIh), hasBias ? 1 : 0, bias.p, 0, xg, G);
  Buf<T> hg(size_t(a.B) * G);
  Buf<T> hPre(a.wHr ? size_t(a.B) * a.H : 0);
  // The time loop by ranges of batch rows (≥ 4 each), one range per thread: rows never read each
  // other through the recurrence, so there is no synchronisation per step.
  Pool& pool = Pool::get();
  const int t = a.direct || a.B < 8 ? 1 : pool.plan(double(N) * G * (a.P + 8), a.B / 4);
  const auto rs = ranges(a.B, t, 4);
  pool.run(t, int(rs.size()), [&](int i) { layerFwdLoop<T>(a, xg, hg.p, hPre.p, rs[i].first, rs[i].second); });
}

template <class T> void layerBwdLoop(const LayerBwdArgs& a, T* dXG, T* dHG, T* dHall, T* dhPreAll, int b0, int b1) {
  const int kind = a.kind, H = a.H, P = a.P, G = gatesOf(kind) * H, T_ = a.T;
  const bool proj = a.wHr != nullptr;
  const T* gates = static_cast<const T*>(a.gates);
  const T* dOut = static_cast<const T*>(a.dOut);
  T* dh = static_cast<T*>(a.dh) + size_t(b0) * P;
  T* dc = kind == 2 ? static_cast<T*>(a.dc) + size_t(b0) * H : nullptr;
  T* dhPre = proj ? dhPreAll + size_t(b0) * H : nullptr;
  const T* wHh = static_cast<const T*>(a.wHh);
  const T* wHr = static_cast<const T*>(a.wHr);
  for (int s = T_ - 1; s >= 0; s--) {
    const int t = a.reverse ? T_ - 1 - s : s;
    const int rows = std::min(b1, int(a.bs[t])) - b0;
    if (rows <= 0) continue;
    const size_t r0 = size_t(a.starts[t]) + b0;
    if (dOut)
      for (int r = 0; r < rows; r++) {
        const T* src = dOut + (r0 + r) * a.dOutLd;
        T* d = dh + size_t(r) * P;
        for (int j = 0; j < P; j++) d[j] = d[j] + src[j];
      }
    if (kind == 2) {
      if (proj) {
        std::memcpy(dHall + r0 * P, dh, size_t(rows) * P * sizeof(T));
        gemmPacked<T>(rows, H, P, dh, P, wHr, 0, dhPre, H);
      }
      lstmCellBackward<T>(rows, H, gates + r0 * G, static_cast<const T*>(a.c) + r0 * H,
                          static_cast<const T*>(a.cPrev) + r0 * H, proj ? dhPre : dh, dc, dXG + r0 * G);
    } else if (kind == 3)
      gruCellBackward<T>(rows, H, gates + r0 * G, static_cast<const T*>(a.ghn) + r0 * H,
                         static_cast<const T*>(a.hPrev) + r0 * H, dh, dXG + r0 * G, dHG + r0 * G);
    else
      rnnCellBackward<T>(rows, H, kind == 1, static_cast<const T*>(a.hSaved) + r0 * H, H, dh, dXG + r0 * G);
    // dh_{t−1} = dG·W_hh (+ the direct z ⊙ dh of GRU, already in dh).
    gemmPacked<T>(rows, P, G, dHG + r0 * G, G, wHh, kind == 3 ? 1 : 0, dh, P);
  }
}

/** C[m, n] = Aᵀ·B with A [k, m], B [k, n] row-major: A transposed, B packed, then one product. */
template <class T> void gemmTN(int m, int n, int k, const T* a, int lda, const T* b, int ldb, T* c, int ldc) {
  Buf<T> at(size_t(m) * k);
  Buf<T> bp(packedElems<T>(n, k));
  transposeA<T>(m, k, a, lda, at.p);
  packB<T>(false, n, k, b, ldb, bp.p);
  gemmPackedPar<T>(m, n, k, at.p, k, bp.p, 0, nullptr, 0, c, ldc);
}

template <class T> void layerBwd(const LayerBwdArgs& a) {
  const int kind = a.kind, N = a.N, I = a.I, H = a.H, P = a.P, G = gatesOf(kind) * H;
  const bool proj = a.wHr != nullptr;
  Buf<T> dXG(size_t(N) * G);
  Buf<T> dHGb(kind == 3 ? size_t(N) * G : 0);
  T* dHG = kind == 3 ? dHGb.p : dXG.p;
  Buf<T> dHall(proj ? size_t(N) * P : 0);
  Buf<T> dhPre(proj ? size_t(a.B) * H : 0);
  Pool& pool = Pool::get();
  const int t = a.B < 8 ? 1 : pool.plan(double(N) * G * (P + 8), a.B / 4);
  const auto rs = ranges(a.B, t, 4);
  pool.run(t, int(rs.size()), [&](int i) { layerBwdLoop<T>(a, dXG.p, dHG, dHall.p, dhPre.p, rs[i].first, rs[i].second); });
  gemmPackedPar<T>(N, I, G, dXG.p, G, static_cast<const T*>(a.wIh), 0, nullptr, 0, static_cast<T*>(a.dx), I);
  if (a.dBih) colSum<T>(dXG.p, N, G, G, static_cast<T*>(a.dBih));
  if (a.dBhh) colSum<T>(dHG, N, G, G, static_cast<T*>(a.dBhh));
  gemmTN<T>(G, I, N, dXG.p, G, static_cast<const T*>(a.x), a.xLd, static_cast<T*>(a.dWih), I);
  gemmTN<T>(G, P, N, dHG, G, static_cast<const T*>(a.hPrev), P, static_cast<T*>(a.dWhh), P);
  if (proj) gemmTN<T>(P, H, N, dHall.p, P, static_cast<const T*>(a.hPre), H, static_cast<T*>(a.dWhr), H);
}

template <class T>
void gemmAny(bool transA, bool transB, int m, int n, int k, const void* a, int lda, const void* b, int ldb, int beta,
             void* c, int ldc) {
  if (m <= 0 || n <= 0) return;
  Buf<T> bp(packedElems<T>(n, k));
  packB<T>(transB, n, k, static_cast<const T*>(b), ldb, bp.p);
  if (transA) {
    Buf<T> at(size_t(m) * k);
    transposeA<T>(m, k, static_cast<const T*>(a), lda, at.p);
    gemmPackedPar<T>(m, n, k, at.p, k, bp.p, beta, static_cast<T*>(c), ldc, static_cast<T*>(c), ldc);
  } else
    gemmPackedPar<T>(m, n, k, static_cast<const T*>(a), lda, bp.p, beta, static_cast<T*>(c), ldc,
                     static_cast<T*>(c), ldc);
}

template <class T> void lce(const LceArgs& a) {
  const int rows = a.rows, I = a.I, C = a.C;
  const T* x = static_cast<const T*>(a.x);
  const T* w = static_cast<const T*>(a.w);
  Buf<T> z(size_t(rows) * C);
  {
    Buf<T> pw(packedElems<T>(C, I));
    packB<T>(true, C, I, w, I, pw.p);
    gemmPackedPar<T>(rows, C, I, x, I, pw.p, a.b ? 1 : 0, static_cast<const T*>(a.b), 0, z.p, C);
  }
  {
    Pool& pool = Pool::get();
    const int t = pool.plan(double(rows) * C * 16, rows);
    const auto rs = ranges(rows, t, 1);
    pool.run(t, int(rs.size()), [&](int i) {
      const auto [r0, r1] = rs[i];
      ceRows<T>(r1 - r0, C, z.p + size_t(r0) * C, a.t + r0, a.scale ? a.scale + r0 : nullptr, a.loss + r0,
                a.scale != nullptr);
    });
  }
  if (!a.scale) return;
  {
    Buf<T> px(packedElems<T>(I, C));
    packB<T>(false, I, C, w, I, px.p);
    gemmPackedPar<T>(rows, I, C, z.p, C, px.p, 0, nullptr, 0, static_cast<T*>(a.dx), I);
  }
  gemmTN<T>(C, I, rows, z.p, C, x, I, static_cast<T*>(a.dw), I);
  if (a.db) colSum<T>(z.p, rows, C, C, static_cast<T*>(a.db));
}

template <class T> size_t packedElemsT(int n, int k) { return packedElems<T>(n, k); }
template <class T> void packT(bool transB, int n, int k, const void* b, int ldb, void* dst) {
  packB<T>(transB, n, k, static_cast<const T*>(b), ldb, static_cast<T*>(dst));
}

}  // namespace

#define RNNKIT_TABLE(NAME, ISA)                                                                   \
  const KernelTable* NAME() {                                                                     \
    static const KernelTable t = {ISA,                                                            \
                                  {packedElemsT<float>, packedElemsT<double>},                    \
                                  {packT<float>, packT<double>},                                  \
                                  {gemmAny<float>, gemmAny<double>},                              \
                                  {layerFwd<float>, layerFwd<double>},                            \
                                  {layerBwd<float>, layerBwd<double>},                            \
                                  {lce<float>, lce<double>}};                                     \
    return &t;                                                                                    \
  }
