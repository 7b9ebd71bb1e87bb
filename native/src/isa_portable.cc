// The native kernels in portable C++ (any CPU; arm64 included): 4 float32 or 2 float64 "lanes" as
// plain arrays, FMA through std::fma (so the numbers are those of the vector builds). See kernels.h.
#include <cmath>
#include <cstdint>
#include <cstring>

namespace {

template <class T, int N> struct Lanes {
  T v[N];
};

struct VF {
  using reg = Lanes<float, 4>;
  static constexpr int L = 4, NR = 8, MR = 6;
  template <class Fn> static reg each(Fn fn) {
    reg r;
    for (int i = 0; i < L; i++) r.v[i] = fn(i);
    return r;
  }
  static reg load(const float* p) { return each([&](int i) { return p[i]; }); }
  static void store(float* p, reg x) { std::memcpy(p, x.v, sizeof x.v); }
  static reg set1(float x) { return each([&](int) { return x; }); }
  static reg zero() { return set1(0.0f); }
  static reg add(reg a, reg b) { return each([&](int i) { return a.v[i] + b.v[i]; }); }
  static reg sub(reg a, reg b) { return each([&](int i) { return a.v[i] - b.v[i]; }); }
  static reg mul(reg a, reg b) { return each([&](int i) { return a.v[i] * b.v[i]; }); }
  static reg div(reg a, reg b) { return each([&](int i) { return a.v[i] / b.v[i]; }); }
  static reg fma(reg a, reg b, reg c) { return each([&](int i) { return std::fma(a.v[i], b.v[i], c.v[i]); }); }
  static uint32_t bits(float x) {
    uint32_t u;
    std::memcpy(&u, &x, 4);
    return u;
  }
  static float fromBits(uint32_t u) {
    float x;
    std::memcpy(&x, &u, 4);
    return x;
  }
  static reg neg(reg x) { return each([&](int i) { return fromBits(bits(x.v[i]) ^ 0x80000000u); }); }
  static reg abs(reg x) { return each([&](int i) { return fromBits(bits(x.v[i]) & 0x7fffffffu); }); }
  static reg pmax(reg x, reg lo) { return each([&](int i) { return x.v[i] < lo.v[i] ? lo.v[i] : x.v[i]; }); }
  static reg pmin(reg x, reg hi) { return each([&](int i) { return hi.v[i] < x.v[i] ? hi.v[i] : x.v[i]; }); }
  static reg scale2n(reg y, reg t, reg magic) {
    return each([&](int i) {
      const int32_t n = int32_t(bits(t.v[i]) - bits(magic.v[i]));
      const int32_t n1 = n >> 1;
      const float y1 = y.v[i] * fromBits(uint32_t(n1 + 127) << 23);
      return y1 * fromBits(uint32_t(n - n1 + 127) << 23);
    });
  }
  static reg copysign_or(reg big, reg x) {
    return each([&](int i) { return fromBits(bits(big.v[i]) | (bits(x.v[i]) & 0x80000000u)); });
  }
  static reg select_lt(reg a, reg b, reg yes, reg no) {
    return each([&](int i) { return a.v[i] < b.v[i] ? yes.v[i] : no.v[i]; });
  }
  static reg relu(reg p) { return each([&](int i) { return p.v[i] != p.v[i] ? p.v[i] : p.v[i] > 0 ? p.v[i] : 0.0f; }); }
  static reg and_gt0(reg d, reg y) { return each([&](int i) { return y.v[i] > 0 ? d.v[i] : 0.0f; }); }
  using q = reg;  // asm's 128-bit vectors are these 4 lanes
  static q qzero() { return zero(); }
  static q qload(const float* p) { return load(p); }
  static void qstore(float* p, q v) { store(p, v); }
  static q qfma(q a, q b, q c) { return fma(a, b, c); }
};

struct VD {
  using reg = Lanes<double, 2>;
  static constexpr int L = 2, NR = 4, MR = 6;
  template <class Fn> static reg each(Fn fn) {
    reg r;
    for (int i = 0; i < L; i++) r.v[i] = fn(i);
    return r;
  }
  static reg load(const double* p) { return each([&](int i) { return p[i]; }); }
  static void store(double* p, reg x) { std::memcpy(p, x.v, sizeof x.v); }
  static reg set1(double x) { return each([&](int) { return x; }); }
  static reg zero() { return set1(0.0); }
  static reg add(reg a, reg b) { return each([&](int i) { return a.v[i] + b.v[i]; }); }
  static reg sub(reg a, reg b) { return each([&](int i) { return a.v[i] - b.v[i]; }); }
  static reg mul(reg a, reg b) { return each([&](int i) { return a.v[i] * b.v[i]; }); }
  static reg div(reg a, reg b) { return each([&](int i) { return a.v[i] / b.v[i]; }); }
  static reg fma(reg a, reg b, reg c) { return each([&](int i) { return std::fma(a.v[i], b.v[i], c.v[i]); }); }
  static reg relu(reg p) { return each([&](int i) { return p.v[i] != p.v[i] ? p.v[i] : p.v[i] > 0 ? p.v[i] : 0.0; }); }
  static reg and_gt0(reg d, reg y) { return each([&](int i) { return y.v[i] > 0 ? d.v[i] : 0.0; }); }
  template <class Fn> static reg map(reg x, Fn fn) { return each([&](int i) { return fn(x.v[i]); }); }
  using q = reg;
  static q qzero() { return zero(); }
  static q qload(const double* p) { return load(p); }
  static void qstore(double* p, q v) { store(p, v); }
  static q qfma(q a, q b, q c) { return fma(a, b, c); }
};

}  // namespace

#include "kernels.h"

RNNKIT_TABLE(tablePortable, "portable")
