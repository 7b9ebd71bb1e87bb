// The kernel contract: plain functions over Float32Array / Float64Array with explicit sizes, offsets
// and leading dimensions (BLAS-style). Kernels know nothing of tensors, modules or files and write
// only into the arrays they are handed (and the results they return). The unit is one
// layer-direction over packed rows, forward and backward through time; besides it, the fused
// linear + cross entropy and a GEMM for the rest. A cell is a layer with T = 1. Every
// implementation (the TypeScript reference in ts/, WebAssembly SIMD in wasm/, native code in
// native/) satisfies this one interface.

export type F = Float32Array | Float64Array;

/**
 * C[m, n] = β·C + op(A)·op(B), row-major, leading dimensions in elements, β ∈ {0, 1}.
 * op(A) is A[m, k] (transA false) or A[k, m]ᵀ (transA true); op(B) is B[k, n] or B[n, k]ᵀ.
 * The forward input projection is (false, true): X[N, I] · W_ihᵀ.
 */
export type Gemm = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: F,
  aOff: number,
  lda: number,
  b: F,
  bOff: number,
  ldb: number,
  beta: 0 | 1,
  c: F,
  cOff: number,
  ldc: number,
) => void;

// ---------------------------------------------------------------------------------------------
// One layer-direction: the unit of the contract (Kernels.layerForward / layerBackward)

export type CellKind = "rnn_tanh" | "rnn_relu" | "lstm" | "gru";

export interface LayerSpec {
  readonly kind: CellKind;
  /** Features of this layer's input rows. */
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** LSTM projection size, 0 for none. h has projSize features when > 0, hiddenSize otherwise. */
  readonly projSize: number;
}

/** PyTorch's parameter arrays for one layer-direction: w_ih [G·H, I], w_hh [G·H, P], b_* [G·H], w_hr [P, H]. */
export interface LayerWeights {
  readonly wIh: F;
  readonly wHh: F;
  readonly bIh: F | null;
  readonly bHh: F | null;
  readonly wHr: F | null;
  /**
   * The weights' version (the sum of their tensors' version counters): the same arrays at the same
   * version hold the same numbers, so an implementation may keep them packed between calls (see
   * WeightCache in layer.ts). Absent: the arrays may have changed since any earlier call.
   */
  readonly version?: number;
}

export interface LayerRun {
  /** Input rows [N, I]: row n starts at xOff + n·xLd. */
  readonly x: F;
  readonly xOff: number;
  readonly xLd: number;
  /** Live rows per time step (non-increasing); N = sum(batchSizes), B = batchSizes[0]. */
  readonly batchSizes: ArrayLike<number>;
  readonly reverse: boolean;
  /** Initial state [B, P] and, for LSTM, [B, H] (row-major from the offsets); null means zeros. */
  readonly h0: F | null;
  readonly h0Off: number;
  readonly c0: F | null;
  readonly c0Off: number;
  /** Output rows [N, P]: row n written at outOff + n·outLd (a column slice when bidirectional). */
  readonly out: F;
  readonly outOff: number;
  readonly outLd: number;
  /** Final state, written in place: [B, P] and for LSTM [B, H]. Each sequence's own last step. */
  readonly hN: F;
  readonly hNOff: number;
  readonly cN: F | null;
  readonly cNOff: number;
  /** Keep what BPTT needs (layerForward then returns it). */
  readonly save?: boolean;
}

/**
 * What the forward keeps for BPTT, every buffer in packed-row order (row n = row n of the input):
 * gates: activated gates [N, G·H]; hPrev: h_{t−1} [N, P]; LSTM: cPrev, c [N, H] and with
 * projection hPre = o ⊙ tanh(c) [N, H]; GRU: ghn = W_hn h + b_hn [N, H]; RNN: h_t [N, H].
 */
export interface LayerSaved {
  readonly gates: F;
  readonly hPrev: F;
  readonly cPrev: F | null;
  readonly c: F | null;
  readonly hPre: F | null;
  readonly ghn: F | null;
  readonly h: F | null;
}

export interface LayerGradIn {
  /** The forward's input rows [N, I] (as in LayerRun). */
  readonly x: F;
  readonly xOff: number;
  readonly xLd: number;
  readonly batchSizes: ArrayLike<number>;
  readonly reverse: boolean;
  /** Gradient of the output rows [N, P] at dOutOff + n·dOutLd, or null (zero). */
  readonly dOut: F | null;
  readonly dOutOff: number;
  readonly dOutLd: number;
  /** Gradients of the final states [B, P] / [B, H], or null (zero). */
  readonly dhN: F | null;
  readonly dhNOff: number;
  readonly dcN: F | null;
  readonly dcNOff: number;
}

/**
 * Softmax cross entropy of a linear layer's logits, the logits kept inside the kernel (a language
 * model's output layer: rows × vocabulary logits are the largest array of a training step, and
 * only the loss and the gradients leave). x [rows, I], w [C, I], b [C] or null, all contiguous:
 *   Z = x·wᵀ + b;  for each row r with t[r] ≥ 0 (t[r] < 0: the row is ignored; t[r] < C, checked
 *   by the caller): loss[r] = log Σ_c e^{Z[r, c]} − Z[r, t[r]] in float64 (0 when ignored).
 * With grads: dZ[r, c] = scale[r]·(softmax(Z[r])_c − [c = t[r]]) (0 for ignored rows), and
 *   dx = dZ·w [rows, I], dw = dZᵀ·x [C, I], db = Σ_r dZ[r] [C] (when b is given).
 * Z and dZ are scratch the implementation provides for the call: the one exception to "allocate
 * nothing", and the point of the kernel (the WASM kernels keep them in their own memory).
 */
export type LinearCrossEntropy = (
  rows: number,
  I: number,
  C: number,
  x: F,
  w: F,
  b: F | null,
  t: Int32Array,
  loss: Float64Array,
  grads: LinearCrossEntropyGrads | null,
) => void;

export interface LinearCrossEntropyGrads {
  /** float64 [rows]: each row's factor (its class weight over the reduction's divisor). */
  readonly scale: Float64Array;
  readonly dx: F;
  readonly dw: F;
  readonly db: F | null;
}

/** Gradients of one layer-direction, freshly allocated in PyTorch's shapes; dx is [N, I]. */
export interface LayerGrads {
  readonly dx: F;
  readonly dh0: F;
  readonly dc0: F | null;
  readonly dWih: F;
  readonly dWhh: F;
  readonly dBih: F | null;
  readonly dBhh: F | null;
  readonly dWhr: F | null;
}

export interface Kernels {
  readonly name: "ts" | "wasm-simd" | "native";
  /** What exactly runs, for benchmarks and reports (e.g. "relaxed-simd (FMA)"). */
  readonly detail: string;
  readonly gemm: Gemm;
  readonly linearCrossEntropy: LinearCrossEntropy;
  /**
   * One layer-direction forward (RNN.cpp's FullLayer / PackedLayer / ReversedPackedLayer): writes
   * out, hN, cN; returns what BPTT needs when run.save, else null. ts/layer.ts is the definition.
   */
  readonly layerForward: (spec: LayerSpec, w: LayerWeights, run: LayerRun) => LayerSaved | null;
  /**
   * BPTT through one layer-direction from what any implementation's layerForward saved (the
   * buffers' layout is part of the contract, so one implementation's backward takes another's
   * forward).
   */
  readonly layerBackward: (spec: LayerSpec, w: LayerWeights, saved: LayerSaved, g: LayerGradIn) => LayerGrads;
}
