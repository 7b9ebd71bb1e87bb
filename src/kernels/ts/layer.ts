// The reference layer (kernels layer): one recurrent layer in one direction over packed rows, RNN.cpp's
// FullLayer / PackedLayer / ReversedPackedLayer on typed arrays, with the reference GEMM and gate
// kernels. See Note [packed layout] in nn/utils/packed_sequence.ts; unpacked input is the case
// batchSizes[t] = B for every t. A cell is this layer with T = 1.
//
// The cuDNN plan on a CPU: 1) every step's input projection in one GEMM, biases folded in once;
// 2) per step one GEMM h·W_hhᵀ on the live rows and one fused gate kernel; 3) for LSTM with
// proj_size, h = (o ⊙ tanh(c))·W_hrᵀ. Buffers are sized once, before the time loop.

import { layerDims } from "../layer.js";
import type { F, LayerGradIn, LayerGrads, LayerRun, LayerSaved, LayerSpec, LayerWeights } from "../types.js";
import { gruCell, gruCellBackward, lstmCell, lstmCellBackward, rnnCell, rnnCellBackward } from "./cells.js";
import { gemm } from "./gemm.js";

export function layerForward(spec: LayerSpec, w: LayerWeights, run: LayerRun): LayerSaved | null {
  const { kind, inputSize: I, hiddenSize: H } = spec;
  const bs = run.batchSizes;
  const { P, G, T, B, N, starts } = layerDims(spec, bs);
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
    if (!c) throw new RangeError("rnnkit internal error: layerForward needs cN for an LSTM");
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
  gemm(false, true, N, G, I, run.x, run.xOff, run.xLd, w.wIh, 0, I, bIh || bHh ? 1 : 0, xg, 0, G);

  // 2) The time loop.
  const hg = alloc(B * G);
  const hPre = spec.projSize > 0 ? alloc(B * H) : null;
  const save = run.save
    ? {
        gates: xg,
        hPrev: alloc(N * P),
        cPrev: isLstm ? alloc(N * H) : null,
        c: isLstm ? alloc(N * H) : null,
        hPre: hPre ? alloc(N * H) : null,
        ghn: kind === "gru" ? alloc(N * H) : null,
        h: kind === "rnn_tanh" || kind === "rnn_relu" ? alloc(N * H) : null,
      }
    : null;
  for (let s = 0; s < T; s++) {
    const t = run.reverse ? T - 1 - s : s;
    const rows = bs[t]!;
    const r0 = starts[t]!;
    const xgOff = r0 * G;
    if (save) {
      save.hPrev.set(h.subarray(hOff, hOff + rows * P), r0 * P);
      save.cPrev?.set(c!.subarray(run.cNOff, run.cNOff + rows * H), r0 * H);
    }
    gemm(false, true, rows, G, P, h, hOff, P, w.wHh, 0, P, 0, hg, 0, G);
    switch (kind) {
      case "rnn_tanh":
      case "rnn_relu":
        rnnCell(rows, H, kind === "rnn_relu", xg, xgOff, hg, 0, h, hOff);
        break;
      case "gru":
        gruCell(rows, H, xg, xgOff, hg, 0, w.bHh, 0, h, hOff);
        break;
      case "lstm":
        if (hPre) {
          lstmCell(rows, H, xg, xgOff, hg, 0, c!, run.cNOff, hPre, 0);
          gemm(false, true, rows, P, H, hPre, 0, H, w.wHr!, 0, H, 0, h, hOff, P);
        } else lstmCell(rows, H, xg, xgOff, hg, 0, c!, run.cNOff, h, hOff);
        break;
    }
    if (save) {
      save.c?.set(c!.subarray(run.cNOff, run.cNOff + rows * H), r0 * H);
      if (hPre) save.hPre!.set(hPre.subarray(0, rows * H), r0 * H);
      if (save.ghn)
        for (let r = 0; r < rows; r++) save.ghn.set(hg.subarray(r * G + 2 * H, (r + 1) * G), (r0 + r) * H);
      save.h?.set(h.subarray(hOff, hOff + rows * H), r0 * H);
    }
    for (let r = 0; r < rows; r++) {
      const src = hOff + r * P;
      run.out.set(h.subarray(src, src + P), run.outOff + (r0 + r) * run.outLd);
    }
  }
  return save;
}

/**
 * BPTT through one layer-direction (DESIGN.md step 3): the steps in reverse order of the forward,
 * one fused gate kernel and one GEMM (dG·W_hh) per step on the live rows, then the weight
 * gradients with one GEMM each over every row: dW_ih = dGᵀ·X, dW_hh = dGᵀ·H_prev, dW_hr = dHᵀ·hPre.
 */
export function layerBackward(
  spec: LayerSpec,
  w: LayerWeights,
  saved: LayerSaved,
  g: LayerGradIn,
): LayerGrads {
  const { kind, inputSize: I, hiddenSize: H } = spec;
  const bs = g.batchSizes;
  const { P, G, T, B, N, starts } = layerDims(spec, bs);
  const alloc = (n: number): F =>
    saved.gates instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
  const isGru = kind === "gru";

  // Running gradients of the state, for every batch row: rows past batchSizes[t] carry theirs through.
  const dh = alloc(B * P);
  if (g.dhN) dh.set(g.dhN.subarray(g.dhNOff, g.dhNOff + B * P));
  const dc = kind === "lstm" ? alloc(B * H) : null;
  if (dc && g.dcN) dc.set(g.dcN.subarray(g.dcNOff, g.dcNOff + B * H));
  const dXG = alloc(N * G);
  const dHG = isGru ? alloc(N * G) : dXG;
  const dH = saved.hPre ? alloc(N * P) : null;
  const dhPre = saved.hPre ? alloc(B * H) : null;

  for (let s = T - 1; s >= 0; s--) {
    const t = g.reverse ? T - 1 - s : s;
    const rows = bs[t]!;
    const r0 = starts[t]!;
    if (g.dOut)
      for (let r = 0; r < rows; r++) {
        const src = g.dOutOff + (r0 + r) * g.dOutLd;
        for (let j = 0; j < P; j++) dh[r * P + j]! += g.dOut[src + j]!;
      }
    switch (kind) {
      case "rnn_tanh":
      case "rnn_relu":
        rnnCellBackward(rows, H, kind === "rnn_relu", saved.h!, r0 * H, H, dh, 0, dXG, r0 * G);
        break;
      case "lstm":
        if (dhPre) {
          dH!.set(dh.subarray(0, rows * P), r0 * P);
          gemm(false, false, rows, H, P, dh, 0, P, w.wHr!, 0, H, 0, dhPre, 0, H);
        }
        lstmCellBackward(
          rows,
          H,
          saved.gates,
          r0 * G,
          saved.c!,
          r0 * H,
          saved.cPrev!,
          r0 * H,
          dhPre ?? dh,
          0,
          dc!,
          0,
          dXG,
          r0 * G,
        );
        break;
      case "gru":
        gruCellBackward(
          rows,
          H,
          saved.gates,
          r0 * G,
          saved.ghn!,
          r0 * H,
          saved.hPrev,
          r0 * H,
          dh,
          0,
          dXG,
          r0 * G,
          dHG,
          r0 * G,
        );
        break;
    }
    // dh_{t−1} = dG·W_hh (+ the direct z ⊙ dh for GRU, already in dh).
    gemm(false, false, rows, P, G, dHG, r0 * G, G, w.wHh, 0, P, isGru ? 1 : 0, dh, 0, P);
  }

  const dx = alloc(N * I);
  gemm(false, false, N, I, G, dXG, 0, G, w.wIh, 0, I, 0, dx, 0, I);
  const dWih = alloc(G * I);
  gemm(true, false, G, I, N, dXG, 0, G, g.x, g.xOff, g.xLd, 0, dWih, 0, I);
  const dWhh = alloc(G * P);
  gemm(true, false, G, P, N, dHG, 0, G, saved.hPrev, 0, P, 0, dWhh, 0, P);
  const colSum = (m: F) => {
    const out = alloc(G);
    for (let n = 0; n < N; n++) for (let j = 0; j < G; j++) out[j]! += m[n * G + j]!;
    return out;
  };
  const dBih = w.bIh ? colSum(dXG) : null;
  const dBhh = w.bHh ? colSum(dHG) : null;
  let dWhr: F | null = null;
  if (dH) {
    dWhr = alloc(P * H);
    gemm(true, false, P, H, N, dH, 0, P, saved.hPre!, 0, H, 0, dWhr, 0, H);
  }
  return { dx, dh0: dh, dc0: dc, dWih, dWhh, dBih, dBhh, dWhr };
}
