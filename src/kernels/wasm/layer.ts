// Whole layer-directions inside the WebAssembly memory (kernels layer): kernels/layer.ts's runLayer
// and runLayerBackward, step for step, with every buffer in the instance's memory. A call copies its
// input rows and weights in once (the weights packed into GEMM panels once per call), runs the time
// loop as calls into WASM with pointers only, and copies the outputs and saved buffers out once.
// No allocation in the time loop; the memory grows at most once per call.

import { GATES, outputSize } from "../layer.js";
import type { F, LayerGradIn, LayerGrads, LayerRun, LayerSaved, LayerSpec, LayerWeights } from "../types.js";
import { getRows, putRows, type Wasm } from "./instance.js";

function rowStarts(bs: ArrayLike<number>): number[] {
  const starts = new Array<number>(bs.length);
  for (let t = 0, row = 0; t < bs.length; row += bs[t]!, t++) starts[t] = row;
  return starts;
}

/** A plan of buffers: named element counts, laid out by `Wasm.begin` / `take` in one go. */
class Plan {
  private readonly sizes: [string, number][] = [];
  private extra = 0;
  add(name: string, elements: number): this {
    this.sizes.push([name, elements]);
    return this;
  }
  bytes(name: string, bytes: number): this {
    this.sizes.push([name, -bytes]);
    this.extra += bytes;
    return this;
  }
  layout(w: Wasm, sz: number): Record<string, number> {
    let total = 0;
    for (const [, n] of this.sizes) total += n >= 0 ? n * sz : -n;
    w.begin(total, this.sizes.length + 1);
    const out: Record<string, number> = {};
    for (const [name, n] of this.sizes) out[name] = w.take(n >= 0 ? n * sz : -n);
    return out;
  }
}

export function layerForward(w: Wasm, spec: LayerSpec, wt: LayerWeights, run: LayerRun): LayerSaved | null {
  const { kind, inputSize: I, hiddenSize: H } = spec;
  const P = outputSize(spec);
  const G = GATES[kind] * H;
  const bs = run.batchSizes;
  const T = bs.length;
  const B = T > 0 ? bs[0]! : 0;
  const starts = rowStarts(bs);
  const N = T > 0 ? starts[T - 1]! + bs[T - 1]! : 0;
  const f64 = run.out instanceof Float64Array;
  const sz = f64 ? 8 : 4;
  const o = f64 ? w.f64ops : w.f32ops;
  const isLstm = kind === "lstm";
  const isGru = kind === "gru";
  const proj = spec.projSize > 0;
  if (isLstm && !run.cN) throw new RangeError("rnnkit internal error: runLayer needs cN for an LSTM");
  const save = run.save === true;
  // One time step (the cells, streaming): every weight is used once, so the products run on the
  // weights as stored (packing them would cost as much). Batch 1 otherwise: the recurrent product
  // is a GEMV, on wide panels.
  const direct = T === 1;
  const wide = !direct && B === 1;

  const rawSize = Math.max(G * I, G * P, proj ? P * H : 0);
  const rawInXg = N * G >= rawSize;
  const plan = new Plan()
    .add("x", N * I)
    // The weights' raw copy, only needed while packing: inside xg (not yet written) when it fits.
    .add("raw", direct || rawInXg ? 0 : rawSize)
    .bytes("wIh", direct ? G * I * sz : w.ex.packed_bytes(f64, G, I))
    .bytes(
      "wHh",
      direct ? G * P * sz : wide ? w.ex.packed_wide_bytes(f64, G, P) : w.ex.packed_bytes(f64, G, P),
    )
    .bytes("wHr", proj ? (direct ? P * H * sz : w.ex.packed_bytes(f64, P, H)) : 0)
    .add("bias", G)
    .add("bHh", isGru ? G : 0)
    .add("xg", N * G)
    .add("hg", B * G)
    .add("h", B * P)
    .add("c", isLstm ? B * H : 0)
    .add("hPre", proj ? B * H : 0)
    .add("out", N * P);
  if (save)
    plan
      .add("sHPrev", N * P)
      .add("sCPrev", isLstm ? N * H : 0)
      .add("sC", isLstm ? N * H : 0)
      .add("sHPre", proj ? N * H : 0)
      .add("sGhn", isGru ? N * H : 0)
      .add("sH", kind === "rnn_tanh" || kind === "rnn_relu" ? N * H : 0);
  const p = plan.layout(w, sz);
  if (rawInXg) p.raw = p.xg!;
  let mem = w.view(f64);
  const e = (ptr: string) => p[ptr]! / sz; // element index of a buffer

  // Inputs and packed weights (op(B) = Wᵀ: transB with B = W [rows, K]).
  putRows(mem, p.x!, run.x, run.xOff, N, I, run.xLd);
  if (direct) {
    putRows(mem, p.wIh!, wt.wIh, 0, 1, G * I, G * I);
    putRows(mem, p.wHh!, wt.wHh, 0, 1, G * P, G * P);
    if (proj) putRows(mem, p.wHr!, wt.wHr!, 0, 1, P * H, P * H);
  } else {
    putRows(mem, p.raw!, wt.wIh, 0, 1, G * I, G * I);
    o.pack(true, G, I, p.raw!, I, p.wIh!);
    putRows(mem, p.raw!, wt.wHh, 0, 1, G * P, G * P);
    if (wide) o.packWide(true, G, P, p.raw!, P, p.wHh!);
    else o.pack(true, G, P, p.raw!, P, p.wHh!);
    if (proj) {
      putRows(mem, p.raw!, wt.wHr!, 0, 1, P * H, P * H);
      o.pack(true, P, H, p.raw!, H, p.wHr!);
    }
  }
  if (run.h0) mem.set(run.h0.subarray(run.h0Off, run.h0Off + B * P), e("h"));
  else mem.fill(0, e("h"), e("h") + B * P);
  if (isLstm) {
    if (run.c0) mem.set(run.c0.subarray(run.c0Off, run.c0Off + B * H), e("c"));
    else mem.fill(0, e("c"), e("c") + B * H);
  }
  if (isGru && wt.bHh) mem.set(wt.bHh.subarray(0, G), e("bHh"));

  // 1) xg = X·W_ihᵀ + b_ih (+ b_hh except GRU): the bias row repeated, then one GEMM with β = 1.
  const bIh = wt.bIh;
  const bHh = isGru ? null : wt.bHh;
  const xg0 = e("xg");
  if (bIh || bHh) {
    if (N > 0) {
      for (let j = 0; j < G; j++) mem[xg0 + j] = (bIh ? bIh[j]! : 0) + (bHh ? bHh[j]! : 0);
      for (let filled = 1; filled < N; filled *= 2)
        mem.copyWithin(xg0 + filled * G, xg0, xg0 + Math.min(filled, N - filled) * G);
    }
  }
  if (direct) o.gemmNT(N, G, I, p.x!, I, p.wIh!, I, bIh || bHh ? 1 : 0, p.xg!, G);
  else o.gemmPacked(N, G, I, p.x!, I, p.wIh!, bIh || bHh ? 1 : 0, p.xg!, G);

  // 2) The time loop, on the live rows of each step.
  const h = e("h");
  const c = e("c");
  const hPre = e("hPre");
  const hg = e("hg");
  const out = e("out");
  const sHPrev = save ? e("sHPrev") : 0;
  const sCPrev = save ? e("sCPrev") : 0;
  const sC = save ? e("sC") : 0;
  const sHPre = save ? e("sHPre") : 0;
  const sGhn = save ? e("sGhn") : 0;
  const sH = save ? e("sH") : 0;
  const isRnn = kind === "rnn_tanh" || kind === "rnn_relu";
  for (let s = 0; s < T; s++) {
    const t = run.reverse ? T - 1 - s : s;
    const rows = bs[t]!;
    const r0 = starts[t]!;
    if (save) {
      mem.copyWithin(sHPrev + r0 * P, h, h + rows * P);
      if (isLstm) mem.copyWithin(sCPrev + r0 * H, c, c + rows * H);
    }
    if (direct) o.gemmNT(rows, G, P, p.h!, P, p.wHh!, P, 0, p.hg!, G);
    else if (wide) o.gemvWide(G, P, p.h!, p.wHh!, 0, p.hg!);
    else o.gemmPacked(rows, G, P, p.h!, P, p.wHh!, 0, p.hg!, G);
    const xgr = p.xg! + r0 * G * sz;
    switch (kind) {
      case "rnn_tanh":
      case "rnn_relu":
        o.rnnCell(rows, H, kind === "rnn_relu", xgr, p.hg!, p.h!);
        break;
      case "gru":
        o.gruCell(rows, H, xgr, p.hg!, p.bHh!, wt.bHh !== null, p.h!);
        break;
      case "lstm":
        if (proj) {
          o.lstmCell(rows, H, xgr, p.hg!, p.c!, p.hPre!);
          if (direct) o.gemmNT(rows, P, H, p.hPre!, H, p.wHr!, H, 0, p.h!, P);
          else o.gemmPacked(rows, P, H, p.hPre!, H, p.wHr!, 0, p.h!, P);
        } else o.lstmCell(rows, H, xgr, p.hg!, p.c!, p.h!);
        break;
    }
    if (save) {
      if (isLstm) mem.copyWithin(sC + r0 * H, c, c + rows * H);
      if (proj) mem.copyWithin(sHPre + r0 * H, hPre, hPre + rows * H);
      if (isGru)
        for (let r = 0; r < rows; r++)
          mem.copyWithin(sGhn + (r0 + r) * H, hg + r * G + 2 * H, hg + (r + 1) * G);
      if (isRnn) mem.copyWithin(sH + r0 * H, h, h + rows * H);
    }
    mem.copyWithin(out + r0 * P, h, h + rows * P);
  }

  // Outputs out, once.
  mem = w.view(f64);
  getRows(mem, p.out!, run.out, run.outOff, N, P, run.outLd);
  run.hN.set(mem.subarray(h, h + B * P), run.hNOff);
  if (isLstm) run.cN!.set(mem.subarray(c, c + B * H), run.cNOff);
  if (!save) return null;
  const copy = (name: string, n: number): F => mem.slice(e(name), e(name) + n);
  return {
    gates: copy("xg", N * G),
    hPrev: copy("sHPrev", N * P),
    cPrev: isLstm ? copy("sCPrev", N * H) : null,
    c: isLstm ? copy("sC", N * H) : null,
    hPre: proj ? copy("sHPre", N * H) : null,
    ghn: isGru ? copy("sGhn", N * H) : null,
    h: kind === "rnn_tanh" || kind === "rnn_relu" ? copy("sH", N * H) : null,
  };
}

export function layerBackward(
  w: Wasm,
  spec: LayerSpec,
  wt: LayerWeights,
  saved: LayerSaved,
  g: LayerGradIn,
): LayerGrads {
  const { kind, inputSize: I, hiddenSize: H } = spec;
  const P = outputSize(spec);
  const G = GATES[kind] * H;
  const bs = g.batchSizes;
  const T = bs.length;
  const B = T > 0 ? bs[0]! : 0;
  const starts = rowStarts(bs);
  const N = T > 0 ? starts[T - 1]! + bs[T - 1]! : 0;
  const f64 = saved.gates instanceof Float64Array;
  const sz = f64 ? 8 : 4;
  const o = f64 ? w.f64ops : w.f32ops;
  const isLstm = kind === "lstm";
  const isGru = kind === "gru";
  const isRnn = !isLstm && !isGru;
  const proj = saved.hPre !== null;
  const wide = B === 1;

  // GEMM scratch for the three weight gradients (dGᵀ·X, dGᵀ·H_prev, dHᵀ·hPre): the largest.
  const scratch = Math.max(
    w.ex.gemm_scratch(f64, true, G, I, N),
    w.ex.gemm_scratch(f64, true, G, P, N),
    proj ? w.ex.gemm_scratch(f64, true, P, H, N) : 0,
  );
  const p = new Plan()
    .add("x", N * I)
    .add("gates", N * G)
    .add("c", isLstm ? N * H : 0)
    .add("cPrev", isLstm ? N * H : 0)
    .add("ghn", isGru ? N * H : 0)
    .add("hPrev", N * P)
    .add("h", isRnn ? N * H : 0)
    .add("hPre", proj ? N * H : 0)
    .add("dOut", g.dOut ? N * P : 0)
    .add("raw", Math.max(G * I, G * P, proj ? P * H : 0))
    .bytes("wIh", w.ex.packed_bytes(f64, I, G))
    .bytes("wHh", wide ? w.ex.packed_wide_bytes(f64, P, G) : w.ex.packed_bytes(f64, P, G))
    .bytes("wHr", proj ? w.ex.packed_bytes(f64, H, P) : 0)
    .add("dh", B * P)
    .add("dc", isLstm ? B * H : 0)
    .add("dXG", N * G)
    .add("dHG", isGru ? N * G : 0)
    .add("dH", proj ? N * P : 0)
    .add("dhPre", proj ? B * H : 0)
    .add("dx", N * I)
    .add("dWih", G * I)
    .add("dWhh", G * P)
    .add("dWhr", proj ? P * H : 0)
    .add("dBih", G)
    .add("dBhh", G)
    .bytes("scratch", scratch)
    .layout(w, sz);
  let mem = w.view(f64);
  const e = (ptr: string) => p[ptr]! / sz;
  const put = (name: string, x: F | null, n: number) => {
    if (x && n > 0) mem.set(x.subarray(0, n), e(name));
  };

  putRows(mem, p.x!, g.x, g.xOff, N, I, g.xLd);
  put("gates", saved.gates, N * G);
  put("c", saved.c, N * H);
  put("cPrev", saved.cPrev, N * H);
  put("ghn", saved.ghn, N * H);
  put("hPrev", saved.hPrev, N * P);
  put("h", saved.h, N * H);
  put("hPre", saved.hPre, N * H);
  if (g.dOut) putRows(mem, p.dOut!, g.dOut, g.dOutOff, N, P, g.dOutLd);
  // op(B) = W itself here (dG·W): B = W [K rows, n columns], no transpose.
  putRows(mem, p.raw!, wt.wHh, 0, 1, G * P, G * P);
  if (wide) o.packWide(false, P, G, p.raw!, P, p.wHh!);
  else o.pack(false, P, G, p.raw!, P, p.wHh!);
  if (proj) {
    putRows(mem, p.raw!, wt.wHr!, 0, 1, P * H, P * H);
    o.pack(false, H, P, p.raw!, H, p.wHr!);
  }
  if (g.dhN) mem.set(g.dhN.subarray(g.dhNOff, g.dhNOff + B * P), e("dh"));
  else mem.fill(0, e("dh"), e("dh") + B * P);
  if (isLstm) {
    if (g.dcN) mem.set(g.dcN.subarray(g.dcNOff, g.dcNOff + B * H), e("dc"));
    else mem.fill(0, e("dc"), e("dc") + B * H);
  }
  const dHG = isGru ? p.dHG! : p.dXG!;
  const dH = e("dH");
  const dh = e("dh");

  for (let s = T - 1; s >= 0; s--) {
    const t = g.reverse ? T - 1 - s : s;
    const rows = bs[t]!;
    const r0 = starts[t]!;
    if (g.dOut) o.add(p.dh!, p.dOut! + r0 * P * sz, rows * P);
    switch (kind) {
      case "rnn_tanh":
      case "rnn_relu":
        o.rnnCellBackward(rows, H, kind === "rnn_relu", p.h! + r0 * H * sz, H, p.dh!, p.dXG! + r0 * G * sz);
        break;
      case "lstm":
        if (proj) {
          mem.copyWithin(dH + r0 * P, dh, dh + rows * P);
          o.gemmPacked(rows, H, P, p.dh!, P, p.wHr!, 0, p.dhPre!, H);
        }
        o.lstmCellBackward(
          rows,
          H,
          p.gates! + r0 * G * sz,
          p.c! + r0 * H * sz,
          p.cPrev! + r0 * H * sz,
          proj ? p.dhPre! : p.dh!,
          p.dc!,
          p.dXG! + r0 * G * sz,
        );
        break;
      case "gru":
        o.gruCellBackward(
          rows,
          H,
          p.gates! + r0 * G * sz,
          p.ghn! + r0 * H * sz,
          p.hPrev! + r0 * H * sz,
          p.dh!,
          p.dXG! + r0 * G * sz,
          p.dHG! + r0 * G * sz,
        );
        break;
    }
    if (wide) o.gemvWide(P, G, dHG + r0 * G * sz, p.wHh!, isGru ? 1 : 0, p.dh!);
    else o.gemmPacked(rows, P, G, dHG + r0 * G * sz, G, p.wHh!, isGru ? 1 : 0, p.dh!, P);
  }

  // Weight gradients over every row at once; dx = dG·W_ih.
  putRows(mem, p.raw!, wt.wIh, 0, 1, G * I, G * I);
  o.pack(false, I, G, p.raw!, I, p.wIh!);
  o.gemmPacked(N, I, G, p.dXG!, G, p.wIh!, 0, p.dx!, I);
  o.gemm(true, false, G, I, N, p.dXG!, G, p.x!, I, 0, p.dWih!, I, p.scratch!);
  o.gemm(true, false, G, P, N, dHG, G, p.hPrev!, P, 0, p.dWhh!, P, p.scratch!);
  if (proj) o.gemm(true, false, P, H, N, p.dH!, P, p.hPre!, H, 0, p.dWhr!, H, p.scratch!);
  if (wt.bIh) o.colsum(p.dXG!, N, G, p.dBih!);
  if (wt.bHh) o.colsum(dHG, N, G, p.dBhh!);

  mem = w.view(f64);
  const copy = (name: string, n: number): F => mem.slice(e(name), e(name) + n);
  return {
    dx: copy("dx", N * I),
    dh0: copy("dh", B * P),
    dc0: isLstm ? copy("dc", B * H) : null,
    dWih: copy("dWih", G * I),
    dWhh: copy("dWhh", G * P),
    dBih: wt.bIh ? copy("dBih", G) : null,
    dBhh: wt.bHh ? copy("dBhh", G) : null,
    dWhr: proj ? copy("dWhr", P * H) : null,
  };
}
