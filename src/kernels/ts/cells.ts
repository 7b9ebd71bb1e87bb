// Reference per-step gate kernels (kernels layer), written from RNN.cpp's cells: SimpleCell,
// LSTMCell, GRUCell. The building blocks of ts/layer.ts (not part of the contract: the other
// implementations run their own inside their layers, asm/kernels.ts rnnCell etc.). Activations in float64 (Math.exp / Math.tanh), rounded once on store for
// float32. 1 / (1 + e^(−x)) cannot produce NaN in float64: e^(−x) overflows to +∞ and gives 0.

import type { F } from "../types.js";

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

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export const rnnCell: RnnCell = (rows, H, relu, xg, xgOff, hg, hgOff, h, hOff) => {
  for (let r = 0; r < rows; r++) {
    const x = xgOff + r * H;
    const g = hgOff + r * H;
    const o = hOff + r * H;
    for (let j = 0; j < H; j++) {
      const pre = xg[x + j]! + hg[g + j]!;
      // relu keeps NaN as NaN, as at::relu does.
      h[o + j] = relu ? (pre > 0 || Number.isNaN(pre) ? pre : 0) : Math.tanh(pre);
    }
  }
};

export const lstmCell: LstmCell = (rows, H, xg, xgOff, hg, hgOff, c, cOff, hOut, hOutOff) => {
  const G = 4 * H;
  for (let r = 0; r < rows; r++) {
    const x = xgOff + r * G;
    const g = hgOff + r * G;
    const cr = cOff + r * H;
    const hr = hOutOff + r * H;
    for (let j = 0; j < H; j++) {
      const i = sigmoid(xg[x + j]! + hg[g + j]!);
      const f = sigmoid(xg[x + H + j]! + hg[g + H + j]!);
      const cand = Math.tanh(xg[x + 2 * H + j]! + hg[g + 2 * H + j]!);
      const o = sigmoid(xg[x + 3 * H + j]! + hg[g + 3 * H + j]!);
      xg[x + j] = i;
      xg[x + H + j] = f;
      xg[x + 2 * H + j] = cand;
      xg[x + 3 * H + j] = o;
      // Store c first so that float32 rounds the cell state before tanh, as PyTorch's cy tensor does.
      c[cr + j] = f * c[cr + j]! + i * cand;
      hOut[hr + j] = o * Math.tanh(c[cr + j]!);
    }
  }
};

export const gruCell: GruCell = (rows, H, xg, xgOff, hg, hgOff, bHh, bHhOff, h, hOff) => {
  const G = 3 * H;
  for (let r = 0; r < rows; r++) {
    const x = xgOff + r * G;
    const g = hgOff + r * G;
    const hr = hOff + r * H;
    for (let j = 0; j < H; j++) {
      const ghR = hg[g + j]! + (bHh ? bHh[bHhOff + j]! : 0);
      const ghZ = hg[g + H + j]! + (bHh ? bHh[bHhOff + H + j]! : 0);
      // gh_n is rounded where it is stored, as PyTorch's linear_hh output is.
      hg[g + 2 * H + j] = hg[g + 2 * H + j]! + (bHh ? bHh[bHhOff + 2 * H + j]! : 0);
      const ghN = hg[g + 2 * H + j]!;
      const rg = sigmoid(xg[x + j]! + ghR);
      const z = sigmoid(xg[x + H + j]! + ghZ);
      xg[x + j] = rg;
      xg[x + H + j] = z;
      xg[x + 2 * H + j] = Math.tanh(xg[x + 2 * H + j]! + rg * ghN);
      const n = xg[x + 2 * H + j]!;
      // RNN.cpp GRUCell: (hidden - new_gate) * input_gate + new_gate; the docs' (1 − z) ⊙ n + z ⊙ h.
      h[hr + j] = (h[hr + j]! - n) * z + n;
    }
  }
};

// Backward of the steps above: the chain rule through each gate, with the activations' derivatives
// written from their saved outputs (σ' = σ(1 − σ), tanh' = 1 − tanh²).

export const rnnCellBackward: RnnCellBackward = (rows, H, relu, h, hOff, hLd, dh, dhOff, dG, dGOff) => {
  for (let r = 0; r < rows; r++) {
    const hr = hOff + r * hLd;
    const d = dhOff + r * H;
    const o = dGOff + r * H;
    for (let j = 0; j < H; j++) {
      const y = h[hr + j]!;
      dG[o + j] = relu ? (y > 0 ? dh[d + j]! : 0) : dh[d + j]! * (1 - y * y);
    }
  }
};

export const lstmCellBackward: LstmCellBackward = (
  rows,
  H,
  gates,
  gatesOff,
  c,
  cOff,
  cPrev,
  cPrevOff,
  dh,
  dhOff,
  dc,
  dcOff,
  dG,
  dGOff,
) => {
  const G = 4 * H;
  for (let r = 0; r < rows; r++) {
    const g = gatesOff + r * G;
    const o = dGOff + r * G;
    for (let j = 0; j < H; j++) {
      const i = gates[g + j]!;
      const f = gates[g + H + j]!;
      const cand = gates[g + 2 * H + j]!;
      const og = gates[g + 3 * H + j]!;
      const tc = Math.tanh(c[cOff + r * H + j]!);
      const dhj = dh[dhOff + r * H + j]!;
      const dct = dc[dcOff + r * H + j]! + dhj * og * (1 - tc * tc);
      dG[o + j] = dct * cand * i * (1 - i);
      dG[o + H + j] = dct * cPrev[cPrevOff + r * H + j]! * f * (1 - f);
      dG[o + 2 * H + j] = dct * i * (1 - cand * cand);
      dG[o + 3 * H + j] = dhj * tc * og * (1 - og);
      dc[dcOff + r * H + j] = dct * f;
    }
  }
};

export const gruCellBackward: GruCellBackward = (
  rows,
  H,
  gates,
  gatesOff,
  ghn,
  ghnOff,
  hPrev,
  hPrevOff,
  dh,
  dhOff,
  dXG,
  dXGOff,
  dHG,
  dHGOff,
) => {
  const G = 3 * H;
  for (let r = 0; r < rows; r++) {
    const g = gatesOff + r * G;
    const x = dXGOff + r * G;
    const hh = dHGOff + r * G;
    for (let j = 0; j < H; j++) {
      const rg = gates[g + j]!;
      const z = gates[g + H + j]!;
      const n = gates[g + 2 * H + j]!;
      const d = dh[dhOff + r * H + j]!;
      // h' = (h − n) ⊙ z + n: ∂h'/∂n = 1 − z, ∂h'/∂z = h − n, ∂h'/∂h = z.
      const dnPre = d * (1 - z) * (1 - n * n);
      const dzPre = d * (hPrev[hPrevOff + r * H + j]! - n) * z * (1 - z);
      const drPre = dnPre * ghn[ghnOff + r * H + j]! * rg * (1 - rg);
      dXG[x + j] = drPre;
      dXG[x + H + j] = dzPre;
      dXG[x + 2 * H + j] = dnPre;
      dHG[hh + j] = drPre;
      dHG[hh + H + j] = dzPre;
      dHG[hh + 2 * H + j] = dnPre * rg;
      dh[dhOff + r * H + j] = d * z;
    }
  }
};
