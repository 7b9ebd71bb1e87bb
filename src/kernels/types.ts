// The kernel contract: plain functions over Float32Array / Float64Array with explicit sizes, offsets
// and leading dimensions (BLAS-style). Kernels know nothing of tensors, modules or files, allocate
// nothing, and write only into the arrays they are handed. Every implementation (the TypeScript
// reference in ts/, WebAssembly SIMD in wasm/) satisfies this one interface.

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

/**
 * One Elman step on `rows` rows: h[r, j] = act(xg[r, j] + hg[r, j]), act = tanh or relu.
 * xg: input projection with both biases folded in, row stride H; hg: h_{t-1}·W_hhᵀ, row stride H;
 * h: the new state, row stride H.
 */
export type RnnCell = (
  rows: number,
  H: number,
  relu: boolean,
  xg: F,
  xgOff: number,
  hg: F,
  hgOff: number,
  h: F,
  hOff: number,
) => void;

/**
 * One LSTM step (RNN.cpp LSTMCell), gate blocks i, f, g, o of H columns each, row stride 4H:
 * gates = xg + hg; i, f, o = σ(·), g = tanh(·); c ← f ⊙ c + i ⊙ g; hOut = o ⊙ tanh(c).
 * The activated gates are written back into xg (what BPTT needs); c is updated in place (row
 * stride H); hOut (row stride H) is h itself, or the input of the projection W_hr when proj_size > 0.
 */
export type LstmCell = (
  rows: number,
  H: number,
  xg: F,
  xgOff: number,
  hg: F,
  hgOff: number,
  c: F,
  cOff: number,
  hOut: F,
  hOutOff: number,
) => void;

/**
 * One GRU step (RNN.cpp GRUCell), gate blocks r, z, n of H columns each, row stride 3H:
 * gh = hg + b_hh; r = σ(xg_r + gh_r); z = σ(xg_z + gh_z); n = tanh(xg_n + r ⊙ gh_n);
 * h ← (h − n) ⊙ z + n. xg holds x·W_ihᵀ + b_ih (b_hh is not folded in: b_hn must stay inside r ⊙ (…)).
 * Writes r, z, n back into xg and gh_n into hg's n block (what BPTT needs); h is updated in place.
 * bHh may be null (bias=False).
 */
export type GruCell = (
  rows: number,
  H: number,
  xg: F,
  xgOff: number,
  hg: F,
  hgOff: number,
  bHh: F | null,
  bHhOff: number,
  h: F,
  hOff: number,
) => void;

/**
 * Backward of one Elman step: dG[r, j] = dh[r, j] · act'(·), written from the step's output
 * h (tanh: 1 − h², relu: h > 0). Row strides: h hLd, dh H, dG H.
 */
export type RnnCellBackward = (
  rows: number,
  H: number,
  relu: boolean,
  h: F,
  hOff: number,
  hLd: number,
  dh: F,
  dhOff: number,
  dG: F,
  dGOff: number,
) => void;

/**
 * Backward of one LSTM step. gates: the activated i, f, g, o the forward saved (row stride 4H);
 * c, cPrev: c_t and c_{t−1} (row stride H); dh: the gradient of hOut = o ⊙ tanh(c_t); dc: in, the
 * gradient reaching c_t from later steps, out, the gradient of c_{t−1}. Writes the gradient of the
 * pre-activation gates into dG (row stride 4H).
 */
export type LstmCellBackward = (
  rows: number,
  H: number,
  gates: F,
  gatesOff: number,
  c: F,
  cOff: number,
  cPrev: F,
  cPrevOff: number,
  dh: F,
  dhOff: number,
  dc: F,
  dcOff: number,
  dG: F,
  dGOff: number,
) => void;

/**
 * Backward of one GRU step. gates: the r, z, n the forward saved (row stride 3H); ghn: W_hn h + b_hn
 * (row stride H); hPrev: h_{t−1} (row stride P = H). dh: in, the gradient of h_t; out, its direct
 * part z ⊙ dh of the gradient of h_{t−1} (the caller adds dHG·W_hh). Writes the gradients of the
 * input-side pre-activations (dXG) and of the hidden-side ones (dHG, where the n block is r ⊙ dn).
 */
export type GruCellBackward = (
  rows: number,
  H: number,
  gates: F,
  gatesOff: number,
  ghn: F,
  ghnOff: number,
  hPrev: F,
  hPrevOff: number,
  dh: F,
  dhOff: number,
  dXG: F,
  dXGOff: number,
  dHG: F,
  dHGOff: number,
) => void;

// ---------------------------------------------------------------------------------------------
// One layer-direction (kernels/layer.ts runs it; an implementation may run it whole, see Kernels)

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
  /** Keep what BPTT needs (runLayer then returns it). */
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
  readonly name: "ts" | "wasm-simd";
  /** What exactly runs, for benchmarks and reports (e.g. "relaxed-simd (FMA)"). */
  readonly detail: string;
  readonly gemm: Gemm;
  readonly rnnCell: RnnCell;
  readonly lstmCell: LstmCell;
  readonly gruCell: GruCell;
  readonly rnnCellBackward: RnnCellBackward;
  readonly lstmCellBackward: LstmCellBackward;
  readonly gruCellBackward: GruCellBackward;
  readonly linearCrossEntropy: LinearCrossEntropy;
  /**
   * Optional whole-layer fast paths: exactly runLayer / runLayerBackward (kernels/layer.ts), same
   * arguments, same results and saved buffers, with the time loop run inside the implementation
   * (the WASM kernels copy a layer's operands into their memory once instead of once per step).
   * runLayer and runLayerBackward dispatch to them when present.
   */
  readonly layerForward?: (spec: LayerSpec, w: LayerWeights, run: LayerRun) => LayerSaved | null;
  readonly layerBackward?: (
    spec: LayerSpec,
    w: LayerWeights,
    saved: LayerSaved,
    g: LayerGradIn,
  ) => LayerGrads;
}
