// Whole layer-directions inside the WebAssembly memory (kernels layer): ts/layer.ts's layerForward
// and layerBackward, with every buffer in the instance's memory. A call copies its input rows and
// weights in once, runs in phases (each split over the usable threads, see split.ts), and copies
// the outputs and saved buffers out once. No allocation in the time loop; the memory grows at most
// once per call.
//
// Forward: 1) pack the weights into GEMM panels; 2) xg = X·W_ihᵀ + biases, one product over every
// time step's rows; 3) the time loop (asm/kernels.ts layer_fwd), per thread on its own range of
// batch rows: a row's recurrence never reads another row, so the threads need no step-by-step
// synchronisation. Backward: 1) pack W_hh, W_hr, W_ih and the right operands of the weight
// gradients; 2) the reverse time loop (layer_bwd), by batch rows; 3) dx = dG·W_ih, the bias
// gradients, dGᵀ transposed; 4) the weight gradients dGᵀ·X, dGᵀ·H_prev, dHᵀ·hPre.

import { layerDims } from "../layer.js";
import type { F, LayerGradIn, LayerGrads, LayerRun, LayerSaved, LayerSpec, LayerWeights } from "../types.js";
import { getRows, putRows, type Wasm } from "./instance.js";
import { colsumSplit, gemmSplit, job, packSplit, ranges, runJob, transposeSplit } from "./split.js";

/** A plan of buffers: named element counts, laid out by `Wasm.begin` / `take` in one go. */
class Plan {
  private readonly sizes: [string, number][] = [];
  add(name: string, elements: number): this {
    this.sizes.push([name, elements]);
    return this;
  }
  bytes(name: string, bytes: number): this {
    this.sizes.push([name, -bytes]);
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

const KIND = { rnn_tanh: 0, rnn_relu: 1, lstm: 2, gru: 3 } as const;
/** Descriptor fields (i32) of layer_fwd / layer_bwd, in asm/kernels.ts's order (F_*, G_*). */
const FWD_FIELDS = 26;
const BWD_FIELDS = 25;

/** Writes i32 fields (pointers as their u32 bits) at ptr; returns ptr. */
function fields(w: Wasm, ptr: number, values: readonly number[]): number {
  const v = new Int32Array(w.memory.buffer, ptr, values.length);
  for (let i = 0; i < values.length; i++) v[i] = values[i]! | 0;
  return ptr;
}

/** Live rows per step and first rows, as i32 arrays for the time loops. */
function putSteps(
  w: Wasm,
  bsPtr: number,
  startsPtr: number,
  bs: ArrayLike<number>,
  starts: readonly number[],
): void {
  const T = bs.length;
  const a = new Int32Array(w.memory.buffer, bsPtr, T);
  const b = new Int32Array(w.memory.buffer, startsPtr, T);
  for (let t = 0; t < T; t++) {
    a[t] = bs[t]!;
    b[t] = starts[t]!;
  }
}

/**
 * The time loops as a job: chunks of batch rows, each running every step for its rows. A chunk has
 * at least 4 rows (one register tile), and at least 16 when W_hh's panels outgrow the L2 cache
 * (each chunk streams them once per step: 8-row chunks cost lstm-large 8%, 16 nothing measurable);
 * the chunk count is a multiple of the threads, in 2-row blocks when B is not a multiple of 4.
 */
function loopJob(
  w: Wasm,
  name: string,
  desc: number,
  B: number,
  work: number,
  whhBytes: number,
  single: boolean,
) {
  const j = job(w, work, single ? 1 : Math.floor(B / 4));
  const minRows = whhBytes > 1 << 20 ? 16 : 4;
  const t = j.threads;
  const pieces = Math.min(Math.floor(B / 4), Math.max(t, Math.min(j.pieces, Math.floor(B / minRows))));
  const n = t === 1 ? 1 : Math.max(t, pieces - (pieces % t));
  for (const [b0, b1] of ranges(B, n, B % 4 === 0 ? 4 : 2)) j.calls.push([name, desc, b0, b1]);
  return j;
}

export function layerForward(w: Wasm, spec: LayerSpec, wt: LayerWeights, run: LayerRun): LayerSaved | null {
  const { kind, inputSize: I, hiddenSize: H } = spec;
  const bs = run.batchSizes;
  const { P, G, T, B, N, starts } = layerDims(spec, bs);
  const f64 = run.out instanceof Float64Array;
  const sz = f64 ? 8 : 4;
  const o = f64 ? w.f64ops : w.f32ops;
  const isLstm = kind === "lstm";
  const isGru = kind === "gru";
  const isRnn = !isLstm && !isGru;
  const proj = spec.projSize > 0;
  if (isLstm && !run.cN) throw new RangeError("rnnkit internal error: layerForward needs cN for an LSTM");
  const save = run.save === true;
  // One time step (the cells, streaming): every weight is used once, so the products run on the
  // weights as stored (packing them would cost as much). Batch 1 otherwise: the recurrent product
  // is a GEMV, on wide panels.
  const direct = T === 1;
  const wide = !direct && B === 1;
  if (!direct && job(w, N * G * I).threads > 1) w.wake();

  // The weights' raw copies, only read while packing: inside xg (not yet written) when they fit.
  const rawSize = G * I + G * P + (proj ? P * H : 0);
  const rawInXg = N * G >= rawSize;
  const plan = new Plan()
    .add("x", N * I)
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
    .add("out", N * P)
    .bytes("desc", FWD_FIELDS * 4)
    .bytes("bs", T * 4)
    .bytes("starts", T * 4);
  if (save)
    plan
      .add("sHPrev", N * P)
      .add("sCPrev", isLstm ? N * H : 0)
      .add("sC", isLstm ? N * H : 0)
      .add("sHPre", proj ? N * H : 0)
      .add("sGhn", isGru ? N * H : 0)
      .add("sH", isRnn ? N * H : 0);
  const p = plan.layout(w, sz);
  if (rawInXg) p.raw = p.xg!;
  let mem = w.view(f64);
  const e = (ptr: string) => p[ptr]! / sz; // element index of a buffer

  // Inputs and weights (op(B) = Wᵀ: transB with B = W [rows, K]).
  putRows(mem, p.x!, run.x, run.xOff, N, I, run.xLd);
  const rawIh = direct ? p.wIh! : p.raw!;
  const rawHh = direct ? p.wHh! : p.raw! + G * I * sz;
  const rawHr = direct ? p.wHr! : p.raw! + (G * I + G * P) * sz;
  putRows(mem, rawIh, wt.wIh, 0, 1, G * I, G * I);
  putRows(mem, rawHh, wt.wHh, 0, 1, G * P, G * P);
  if (proj) putRows(mem, rawHr, wt.wHr!, 0, 1, P * H, P * H);
  if (run.h0) mem.set(run.h0.subarray(run.h0Off, run.h0Off + B * P), e("h"));
  else mem.fill(0, e("h"), e("h") + B * P);
  if (isLstm) {
    if (run.c0) mem.set(run.c0.subarray(run.c0Off, run.c0Off + B * H), e("c"));
    else mem.fill(0, e("c"), e("c") + B * H);
  }
  if (isGru && wt.bHh) mem.set(wt.bHh.subarray(0, G), e("bHh"));
  // b_ih (+ b_hh except GRU), summed once.
  const bIh = wt.bIh;
  const bHh = isGru ? null : wt.bHh;
  const hasBias = bIh !== null || bHh !== null;
  if (hasBias) {
    const b0 = e("bias");
    for (let j = 0; j < G; j++) mem[b0 + j] = (bIh ? bIh[j]! : 0) + (bHh ? bHh[j]! : 0);
  }

  // 1) Pack the weights.
  if (!direct) {
    const j = job(w, 8 * rawSize);
    packSplit(j, o, false, true, G, I, rawIh, I, p.wIh!);
    packSplit(j, o, wide, true, G, P, rawHh, P, p.wHh!);
    if (proj) packSplit(j, o, false, true, P, H, rawHr, H, p.wHr!);
    runJob(w, j);
  }

  // 2) xg = X·W_ihᵀ + b_ih (+ b_hh except GRU): every row starts from the bias row.
  if (direct) {
    const xg0 = e("xg");
    if (hasBias && N > 0) {
      mem.copyWithin(xg0, e("bias"), e("bias") + G);
      for (let filled = 1; filled < N; filled *= 2)
        mem.copyWithin(xg0 + filled * G, xg0, xg0 + Math.min(filled, N - filled) * G);
    }
    o.gemmNT(N, G, I, p.x!, I, p.wIh!, I, hasBias ? 1 : 0, p.xg!, G);
  } else {
    const j = job(w, N * G * I);
    gemmSplit(j, o, N, G, I, p.x!, I, p.wIh!, 0, hasBias ? p.bias! : null, p.xg!, G);
    runJob(w, j);
  }

  // 3) The time loop, on the live rows of each step, by ranges of batch rows.
  putSteps(w, p.bs!, p.starts!, bs, starts);
  const desc = fields(w, p.desc!, [
    KIND[kind],
    T,
    H,
    P,
    run.reverse ? 1 : 0,
    save ? 1 : 0,
    direct ? 2 : wide ? 1 : 0,
    isGru && wt.bHh ? 1 : 0,
    proj ? 1 : 0,
    p.bs!,
    p.starts!,
    p.xg!,
    p.hg!,
    p.h!,
    p.c!,
    p.hPre!,
    p.bHh!,
    p.wHh!,
    p.wHr!,
    p.out!,
    save ? p.sHPrev! : 0,
    save ? p.sCPrev! : 0,
    save ? p.sC! : 0,
    save ? p.sHPre! : 0,
    save ? p.sGhn! : 0,
    save ? p.sH! : 0,
  ]);
  const whhBytes = G * P * sz;
  runJob(w, loopJob(w, o.name("layer_fwd"), desc, B, N * G * (P + 8), whhBytes, direct || wide));

  // Outputs out, once.
  mem = w.view(f64);
  const h = e("h");
  const c = e("c");
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
    h: isRnn ? copy("sH", N * H) : null,
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
  const bs = g.batchSizes;
  const { P, G, T, B, N, starts } = layerDims(spec, bs);
  const f64 = saved.gates instanceof Float64Array;
  const sz = f64 ? 8 : 4;
  const o = f64 ? w.f64ops : w.f32ops;
  const isLstm = kind === "lstm";
  const isGru = kind === "gru";
  const isRnn = !isLstm && !isGru;
  const proj = saved.hPre !== null;
  const wide = B === 1;
  if (job(w, N * G * I).threads > 1) w.wake();

  // The weights' raw copies, only read while packing: inside dXG (written later) when they fit.
  const rawSize = G * P + (proj ? P * H : 0) + G * I;
  const rawInDXG = N * G >= rawSize;
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
    .add("raw", rawInDXG ? 0 : rawSize)
    .bytes("wIh", w.ex.packed_bytes(f64, I, G))
    .bytes("wHh", wide ? w.ex.packed_wide_bytes(f64, P, G) : w.ex.packed_bytes(f64, P, G))
    .bytes("wHr", proj ? w.ex.packed_bytes(f64, H, P) : 0)
    // The right operands of the weight gradients, packed: X [N, I], H_prev [N, P], hPre [N, H].
    .bytes("pX", w.ex.packed_bytes(f64, I, N))
    .bytes("pHPrev", w.ex.packed_bytes(f64, P, N))
    .bytes("pHPre", proj ? w.ex.packed_bytes(f64, H, N) : 0)
    .add("dh", B * P)
    .add("dc", isLstm ? B * H : 0)
    .add("dXG", N * G)
    .add("dHG", isGru ? N * G : 0)
    .add("dH", proj ? N * P : 0)
    .add("dhPre", proj ? B * H : 0)
    // The left operands, transposed: dXGᵀ, dHGᵀ [G, N], dHᵀ [P, N].
    .add("tXG", G * N)
    .add("tHG", isGru ? G * N : 0)
    .add("tH", proj ? P * N : 0)
    .add("dx", N * I)
    .add("dWih", G * I)
    .add("dWhh", G * P)
    .add("dWhr", proj ? P * H : 0)
    .add("dBih", G)
    .add("dBhh", G)
    .bytes("desc", BWD_FIELDS * 4)
    .bytes("bs", T * 4)
    .bytes("starts", T * 4)
    .layout(w, sz);
  if (rawInDXG) p.raw = p.dXG!;
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
  const rawHh = p.raw!;
  const rawHr = p.raw! + G * P * sz;
  const rawIh = p.raw! + (G * P + (proj ? P * H : 0)) * sz;
  putRows(mem, rawHh, wt.wHh, 0, 1, G * P, G * P);
  if (proj) putRows(mem, rawHr, wt.wHr!, 0, 1, P * H, P * H);
  putRows(mem, rawIh, wt.wIh, 0, 1, G * I, G * I);
  if (g.dhN) mem.set(g.dhN.subarray(g.dhNOff, g.dhNOff + B * P), e("dh"));
  else mem.fill(0, e("dh"), e("dh") + B * P);
  if (isLstm) {
    if (g.dcN) mem.set(g.dcN.subarray(g.dcNOff, g.dcNOff + B * H), e("dc"));
    else mem.fill(0, e("dc"), e("dc") + B * H);
  }
  const dHG = isGru ? p.dHG! : p.dXG!;
  const tHG = isGru ? p.tHG! : p.tXG!;

  // 1) Packing: op(B) = W itself for dG·W (no transpose); X, H_prev, hPre as [k = N, n] operands.
  {
    const j = job(w, 8 * (rawSize + N * (I + P + (proj ? H : 0))));
    packSplit(j, o, wide, false, P, G, rawHh, P, p.wHh!);
    if (proj) packSplit(j, o, false, false, H, P, rawHr, H, p.wHr!);
    packSplit(j, o, false, false, I, G, rawIh, I, p.wIh!);
    packSplit(j, o, false, false, I, N, p.x!, I, p.pX!);
    packSplit(j, o, false, false, P, N, p.hPrev!, P, p.pHPrev!);
    if (proj) packSplit(j, o, false, false, H, N, p.hPre!, H, p.pHPre!);
    runJob(w, j);
  }

  // 2) The reverse time loop, by ranges of batch rows.
  putSteps(w, p.bs!, p.starts!, bs, starts);
  const desc = fields(w, p.desc!, [
    KIND[kind],
    T,
    H,
    P,
    g.reverse ? 1 : 0,
    wide ? 1 : 0,
    g.dOut ? 1 : 0,
    proj ? 1 : 0,
    p.bs!,
    p.starts!,
    p.gates!,
    p.c!,
    p.cPrev!,
    p.ghn!,
    p.hPrev!,
    p.h!,
    p.dOut!,
    p.dh!,
    p.dc!,
    p.dXG!,
    p.dHG!,
    p.dH!,
    p.dhPre!,
    p.wHh!,
    p.wHr!,
  ]);
  runJob(w, loopJob(w, o.name("layer_bwd"), desc, B, N * G * (P + 8), G * P * sz, wide));

  // 3) dx = dG·W_ih; the bias gradients; dGᵀ (and dHᵀ) for the weight gradients.
  {
    const j = job(w, N * G * (I + 2));
    gemmSplit(j, o, N, I, G, p.dXG!, G, p.wIh!, 0, null, p.dx!, I);
    transposeSplit(j, o, G, N, p.dXG!, G, p.tXG!);
    if (isGru) transposeSplit(j, o, G, N, p.dHG!, G, p.tHG!);
    if (proj) transposeSplit(j, o, P, N, p.dH!, P, p.tH!);
    if (wt.bIh) colsumSplit(j, o, p.dXG!, N, G, p.dBih!);
    if (wt.bHh) colsumSplit(j, o, dHG, N, G, p.dBhh!);
    runJob(w, j);
  }

  // 4) dW_ih = dGᵀ·X, dW_hh = dGᵀ·H_prev, dW_hr = dHᵀ·hPre: each element one chain over the N rows.
  {
    const j = job(w, N * G * (I + P) + (proj ? N * P * H : 0));
    gemmSplit(j, o, G, I, N, p.tXG!, N, p.pX!, 0, null, p.dWih!, I);
    gemmSplit(j, o, G, P, N, tHG, N, p.pHPrev!, 0, null, p.dWhh!, P);
    if (proj) gemmSplit(j, o, P, H, N, p.tH!, N, p.pHPre!, 0, null, p.dWhr!, H);
    runJob(w, j);
  }

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
