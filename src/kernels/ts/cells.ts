// Reference per-step gate kernels (kernels layer), written from RNN.cpp's cells: SimpleCell,
// LSTMCell, GRUCell. Activations in float64 (Math.exp / Math.tanh), rounded once on store for
// float32. 1 / (1 + e^(−x)) cannot produce NaN in float64: e^(−x) overflows to +∞ and gives 0.

import type {
  GruCell,
  GruCellBackward,
  LstmCell,
  LstmCellBackward,
  RnnCell,
  RnnCellBackward,
} from "../types.js";

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
