// One recurrent layer in one direction, over packed rows (kernels layer): RNN.cpp's FullLayer /
// PackedLayer / ReversedPackedLayer, on typed arrays. See Note [packed layout] in
// nn/utils/packed_sequence.ts; unpacked input is the case batchSizes[t] = B for every t.
//
// The cuDNN plan on a CPU: 1) every step's input projection in one GEMM, biases folded in once;
// 2) per step one GEMM h·W_hhᵀ on the live rows and one fused gate kernel; 3) for LSTM with
// proj_size, h = (o ⊙ tanh(c))·W_hrᵀ. Buffers are sized once, before the time loop.

import type { F, Kernels } from "./types.js";

export type CellKind = "rnn_tanh" | "rnn_relu" | "lstm" | "gru";

/** Gate blocks per cell kind: RNN one, GRU r z n, LSTM i f g o. */
export const GATES = { rnn_tanh: 1, rnn_relu: 1, gru: 3, lstm: 4 } as const satisfies Record<
  CellKind,
  number
>;

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
}

/** Output features of a layer: projSize when projecting, else hiddenSize. */
export function outputSize(spec: LayerSpec): number {
  return spec.projSize > 0 ? spec.projSize : spec.hiddenSize;
}

export function runLayer(k: Kernels, spec: LayerSpec, w: LayerWeights, run: LayerRun): void {
  const { kind, inputSize: I, hiddenSize: H } = spec;
  const P = outputSize(spec);
  const G = GATES[kind] * H;
  const bs = run.batchSizes;
  const T = bs.length;
  const B = T > 0 ? bs[0]! : 0;
  let N = 0;
  for (let t = 0; t < T; t++) N += bs[t]!;
  const alloc = (n: number): F =>
    run.out instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);

  // The running state lives in hN / cN: rows b ≥ batchSizes[t] are finished (forward) or not yet
  // started (reverse, where they still hold h0), so updating only the live prefix is exactly
  // PackedLayer / ReversedPackedLayer.
  const h = run.hN;
  const hOff = run.hNOff;
  if (run.h0) h.set(run.h0.subarray(run.h0Off, run.h0Off + B * P), hOff);
  else h.fill(0, hOff, hOff + B * P);
  const isLstm = kind === "lstm";
  const c = run.cN;
  if (isLstm) {
    if (!c) throw new RangeError("rnnkit internal error: runLayer needs cN for an LSTM");
    if (run.c0) c.set(run.c0.subarray(run.c0Off, run.c0Off + B * H), run.cNOff);
    else c.fill(0, run.cNOff, run.cNOff + B * H);
  }

  // 1) xg[N, G] = X·W_ihᵀ + b_ih (+ b_hh, except for GRU whose b_hn must stay inside r ⊙ (…)).
  const xg = alloc(N * G);
  const bIh = w.bIh;
  const bHh = kind === "gru" ? null : w.bHh;
  if (bIh || bHh) {
    for (let j = 0; j < G; j++) xg[j] = (bIh ? bIh[j]! : 0) + (bHh ? bHh[j]! : 0);
    for (let n = 1; n < N; n++) xg.copyWithin(n * G, 0, G);
  }
  k.gemm(false, true, N, G, I, run.x, run.xOff, run.xLd, w.wIh, 0, I, bIh || bHh ? 1 : 0, xg, 0, G);

  // 2) The time loop.
  const hg = alloc(B * G);
  const hPre = spec.projSize > 0 ? alloc(B * H) : null;
  const starts = new Array<number>(T);
  for (let t = 0, row = 0; t < T; row += bs[t]!, t++) starts[t] = row;
  for (let s = 0; s < T; s++) {
    const t = run.reverse ? T - 1 - s : s;
    const rows = bs[t]!;
    const xgOff = starts[t]! * G;
    k.gemm(false, true, rows, G, P, h, hOff, P, w.wHh, 0, P, 0, hg, 0, G);
    switch (kind) {
      case "rnn_tanh":
      case "rnn_relu":
        k.rnnCell(rows, H, kind === "rnn_relu", xg, xgOff, hg, 0, h, hOff);
        break;
      case "gru":
        k.gruCell(rows, H, xg, xgOff, hg, 0, w.bHh, 0, h, hOff);
        break;
      case "lstm":
        if (hPre) {
          k.lstmCell(rows, H, xg, xgOff, hg, 0, c!, run.cNOff, hPre, 0);
          k.gemm(false, true, rows, P, H, hPre, 0, H, w.wHr!, 0, H, 0, h, hOff, P);
        } else k.lstmCell(rows, H, xg, xgOff, hg, 0, c!, run.cNOff, h, hOff);
        break;
    }
    for (let r = 0; r < rows; r++) {
      const src = hOff + r * P;
      run.out.set(h.subarray(src, src + P), run.outOff + (starts[t]! + r) * run.outLd);
    }
  }
}
