// The native kernels' entry points (one table per instruction set, isa_*.cc), called by addon.cc.
// Arguments mirror src/kernels/types.ts: sizes, leading dimensions in elements, pointers already at
// their offsets. The JS side (src/kernels/native/) checks every extent before calling.
#pragma once
#include <cstddef>
#include <cstdint>

/** One layer-direction forward (src/kernels/native/layer.ts fills it). */
struct LayerFwdArgs {
  int kind;  // 0 rnn_tanh, 1 rnn_relu, 2 lstm, 3 gru
  int T, B, N, I, H, P;
  int reverse, save, direct;  // direct: one time step, products on the weights as stored
  const int32_t* bs;          // live rows per step [T]
  const int32_t* starts;      // first packed row per step [T]
  const void* x;
  int xLd;
  const void* wIh;  // packed forward panels (direct: as stored)
  const void* wHh;
  const void* wHr;  // or null
  const void* bIh;  // or null
  const void* bHh;  // or null
  void* gates;      // [N, G]: the saved gates, or null (scratch then)
  void* h;          // running state [B, P] (= hN), holding h0
  void* c;          // [B, H] (= cN), holding c0; LSTM only
  void* out;
  int outLd;
  void* sHPrev;  // saved [N, P] ... or null
  void* sCPrev;
  void* sC;
  void* sHPre;
  void* sGhn;
  void* sH;
};

/** One layer-direction backward. */
struct LayerBwdArgs {
  int kind;
  int T, B, N, I, H, P;
  int reverse;
  const int32_t* bs;
  const int32_t* starts;
  const void* x;
  int xLd;
  const void* gates;
  const void* c;
  const void* cPrev;
  const void* ghn;
  const void* hPrev;
  const void* hSaved;
  const void* hPre;
  const void* dOut;  // or null
  int dOutLd;
  const void* wHh;  // packed backward panels
  const void* wHr;
  const void* wIh;
  void* dh;  // [B, P], holding dhN
  void* dc;  // [B, H], holding dcN
  void* dx;
  void* dWih;
  void* dWhh;
  void* dWhr;  // or null
  void* dBih;  // or null
  void* dBhh;  // or null
};

struct LceArgs {
  int rows, I, C;
  const void* x;
  const void* w;
  const void* b;  // or null
  const int32_t* t;
  double* loss;
  const double* scale;  // null: no gradients
  void* dx;
  void* dw;
  void* db;  // or null
};

struct KernelTable {
  const char* isa;
  /** Elements of the packed forward / backward weights of a layer (n, k as packed). */
  size_t (*packedElems[2])(int n, int k);
  void (*pack[2])(bool transB, int n, int k, const void* b, int ldb, void* dst);
  void (*gemm[2])(bool transA, bool transB, int m, int n, int k, const void* a, int lda, const void* b, int ldb,
                  int beta, void* c, int ldc);
  void (*layerFwd[2])(const LayerFwdArgs&);
  void (*layerBwd[2])(const LayerBwdArgs&);
  void (*lce[2])(const LceArgs&);
};

const KernelTable* tableAvx512();
const KernelTable* tableAvx2();
const KernelTable* tablePortable();
