// rnnkit's native addon (Node-API, C interface): picks the kernel table for this CPU once, at load
// (cpuid through the compiler's __builtin_cpu_supports), and exposes it to src/kernels/native/.
// Arrays arrive as typed arrays with element offsets; src/kernels/native/ has checked every extent.
#include <node_api.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "api.h"
#include "pool.h"

namespace {

const KernelTable* pickTable() {
  const char* force = std::getenv("RNNKIT_NATIVE_ISA");  // avx512 | avx2 | portable (tests, benchmarks)
  const std::string want = force ? force : "";
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  if ((want.empty() || want == "avx512") && avx512 && tableAvx512()) return tableAvx512();
  if ((want.empty() || want == "avx512" || want == "avx2") && avx2 && tableAvx2()) return tableAvx2();
#endif
  return tablePortable();
}

const KernelTable* K = nullptr;

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, nullptr, "rnnkit native: " #call " failed"); \
      return nullptr;                                                 \
    }                                                                 \
  } while (0)

bool arg(napi_env env, napi_callback_info info, size_t n, napi_value* out) {
  size_t got = n;
  if (napi_get_cb_info(env, info, &got, out, nullptr, nullptr) != napi_ok || got < n) {
    napi_throw_type_error(env, nullptr, "rnnkit native: too few arguments");
    return false;
  }
  return true;
}

/** A typed array's data at an element offset; null for null / undefined. */
bool dataOf(napi_env env, napi_value v, int64_t off, void** out) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_null || t == napi_undefined) {
    *out = nullptr;
    return true;
  }
  napi_typedarray_type type;
  size_t length;
  void* data;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok) {
    napi_throw_type_error(env, nullptr, "rnnkit native: expected a typed array");
    return false;
  }
  size_t sz = type == napi_float64_array ? 8 : (type == napi_uint8_array || type == napi_int8_array) ? 1 : 4;
  *out = static_cast<char*>(data) + off * int64_t(sz);
  return true;
}

int32_t i32(napi_env env, napi_value v) {
  int32_t x = 0;
  napi_get_value_int32(env, v, &x);
  return x;
}

/** (ints: Int32Array, arrays: (TypedArray | null)[], offsets: Int32Array) → pointers, ints. */
bool unpack(napi_env env, napi_value* argv, int32_t** ints, size_t* nInts, void** ptrs, size_t maxPtrs) {
  napi_typedarray_type type;
  void* data;
  if (napi_get_typedarray_info(env, argv[0], &type, nInts, &data, nullptr, nullptr) != napi_ok ||
      type != napi_int32_array) {
    napi_throw_type_error(env, nullptr, "rnnkit native: expected an Int32Array of sizes");
    return false;
  }
  *ints = static_cast<int32_t*>(data);
  size_t nOff;
  void* offs;
  if (napi_get_typedarray_info(env, argv[2], &type, &nOff, &offs, nullptr, nullptr) != napi_ok) return false;
  uint32_t n = 0;
  napi_get_array_length(env, argv[1], &n);
  if (n > maxPtrs || n != nOff) {
    napi_throw_range_error(env, nullptr, "rnnkit native: internal error: array list and offsets disagree");
    return false;
  }
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    napi_get_element(env, argv[1], i, &e);
    if (!dataOf(env, e, static_cast<int32_t*>(offs)[i], &ptrs[i])) return false;
  }
  return true;
}

napi_value Isa(napi_env env, napi_callback_info) {
  napi_value s;
  CHECK(napi_create_string_utf8(env, K->isa, NAPI_AUTO_LENGTH, &s));
  return s;
}

// packedElems(f64, n, k) → number
napi_value PackedElems(napi_env env, napi_callback_info info) {
  napi_value a[3];
  if (!arg(env, info, 3, a)) return nullptr;
  bool f64 = false;
  napi_get_value_bool(env, a[0], &f64);
  napi_value r;
  CHECK(napi_create_double(env, double(K->packedElems[f64](i32(env, a[1]), i32(env, a[2]))), &r));
  return r;
}

// pack(f64, transB, n, k, b, bOff, ldb, dst, dstOff)
napi_value Pack(napi_env env, napi_callback_info info) {
  napi_value a[9];
  if (!arg(env, info, 9, a)) return nullptr;
  bool f64 = false, tB = false;
  napi_get_value_bool(env, a[0], &f64);
  napi_get_value_bool(env, a[1], &tB);
  void *b, *dst;
  if (!dataOf(env, a[4], i32(env, a[5]), &b) || !dataOf(env, a[7], i32(env, a[8]), &dst)) return nullptr;
  K->pack[f64](tB, i32(env, a[2]), i32(env, a[3]), b, i32(env, a[6]), dst);
  return nullptr;
}

// gemm(ints [f64, transA, transB, m, n, k, lda, ldb, beta, ldc], [a, b, c], offsets)
napi_value Gemm(napi_env env, napi_callback_info info) {
  napi_value a[3];
  if (!arg(env, info, 3, a)) return nullptr;
  int32_t* v;
  size_t nv;
  void* p[3];
  if (!unpack(env, a, &v, &nv, p, 3)) return nullptr;
  K->gemm[v[0] != 0](v[1] != 0, v[2] != 0, v[3], v[4], v[5], p[0], v[6], p[1], v[7], v[8], p[2], v[9]);
  return nullptr;
}

// layerForward(ints [f64, kind, T, B, N, I, H, P, reverse, save, direct, xLd, outLd], arrays, offsets)
napi_value LayerForward(napi_env env, napi_callback_info info) {
  napi_value a[3];
  if (!arg(env, info, 3, a)) return nullptr;
  int32_t* v;
  size_t nv;
  void* p[18];
  if (!unpack(env, a, &v, &nv, p, 18)) return nullptr;
  LayerFwdArgs f{};
  f.kind = v[1], f.T = v[2], f.B = v[3], f.N = v[4], f.I = v[5], f.H = v[6], f.P = v[7];
  f.reverse = v[8], f.save = v[9], f.direct = v[10], f.xLd = v[11], f.outLd = v[12];
  f.bs = static_cast<const int32_t*>(p[0]);
  f.starts = static_cast<const int32_t*>(p[1]);
  f.x = p[2], f.wIh = p[3], f.wHh = p[4], f.wHr = p[5], f.bIh = p[6], f.bHh = p[7];
  f.gates = p[8], f.h = p[9], f.c = p[10], f.out = p[11];
  f.sHPrev = p[12], f.sCPrev = p[13], f.sC = p[14], f.sHPre = p[15], f.sGhn = p[16], f.sH = p[17];
  K->layerFwd[v[0] != 0](f);
  return nullptr;
}

// layerBackward(ints [f64, kind, T, B, N, I, H, P, reverse, xLd, dOutLd], arrays, offsets)
napi_value LayerBackward(napi_env env, napi_callback_info info) {
  napi_value a[3];
  if (!arg(env, info, 3, a)) return nullptr;
  int32_t* v;
  size_t nv;
  void* p[24];
  if (!unpack(env, a, &v, &nv, p, 24)) return nullptr;
  LayerBwdArgs g{};
  g.kind = v[1], g.T = v[2], g.B = v[3], g.N = v[4], g.I = v[5], g.H = v[6], g.P = v[7];
  g.reverse = v[8], g.xLd = v[9], g.dOutLd = v[10];
  g.bs = static_cast<const int32_t*>(p[0]);
  g.starts = static_cast<const int32_t*>(p[1]);
  g.x = p[2], g.gates = p[3], g.c = p[4], g.cPrev = p[5], g.ghn = p[6], g.hPrev = p[7], g.hSaved = p[8];
  g.hPre = p[9], g.dOut = p[10], g.wHh = p[11], g.wHr = p[12], g.wIh = p[13];
  g.dh = p[14], g.dc = p[15], g.dx = p[16], g.dWih = p[17], g.dWhh = p[18], g.dWhr = p[19];
  g.dBih = p[20], g.dBhh = p[21];
  K->layerBwd[v[0] != 0](g);
  return nullptr;
}

// linearCrossEntropy(ints [f64, rows, I, C], [x, w, b, t, loss, scale, dx, dw, db], offsets)
napi_value Lce(napi_env env, napi_callback_info info) {
  napi_value a[3];
  if (!arg(env, info, 3, a)) return nullptr;
  int32_t* v;
  size_t nv;
  void* p[9];
  if (!unpack(env, a, &v, &nv, p, 9)) return nullptr;
  LceArgs l{};
  l.rows = v[1], l.I = v[2], l.C = v[3];
  l.x = p[0], l.w = p[1], l.b = p[2];
  l.t = static_cast<const int32_t*>(p[3]);
  l.loss = static_cast<double*>(p[4]);
  l.scale = static_cast<const double*>(p[5]);
  l.dx = p[6], l.dw = p[7], l.db = p[8];
  K->lce[v[0] != 0](l);
  return nullptr;
}

// setThreads(n, minWorkPerThread?): threads in all (this one included); the split threshold for tests.
napi_value SetThreads(napi_env env, napi_callback_info info) {
  napi_value a[2];
  size_t n = 2;
  napi_get_cb_info(env, info, &n, a, nullptr, nullptr);
  if (n < 1) {
    napi_throw_type_error(env, nullptr, "rnnkit native: setThreads(n)");
    return nullptr;
  }
  Pool::get().setThreads(i32(env, a[0]));
  if (n > 1) {
    double w = 0;
    if (napi_get_value_double(env, a[1], &w) == napi_ok) Pool::get().minWork = w;
  }
  napi_value r;
  CHECK(napi_create_int32(env, Pool::get().threads(), &r));
  return r;
}

napi_value WorkerChunks(napi_env env, napi_callback_info) {
  napi_value r;
  CHECK(napi_create_double(env, double(Pool::get().workerChunks.load()), &r));
  return r;
}

napi_value Init(napi_env env, napi_value exports) {
  K = pickTable();
  const napi_property_descriptor props[] = {
      {"isa", nullptr, Isa, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"workerChunks", nullptr, WorkerChunks, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"packedElems", nullptr, PackedElems, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"pack", nullptr, Pack, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gemm", nullptr, Gemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"layerForward", nullptr, LayerForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"layerBackward", nullptr, LayerBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"linearCrossEntropy", nullptr, Lce, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
