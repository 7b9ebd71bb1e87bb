// The WebAssembly SIMD implementation of the kernel contract (kernels layer). Each contract call
// copies its operands into the instance's memory, runs there and copies the results back; a layer
// runs whole (layer.ts), its time loop inside WASM. gemm and the layers split large work over
// worker threads (threads.ts, split.ts).

import { checkBounds } from "../ts/gemm.js";
import type { F, Kernels } from "../types.js";
import { getRows, type Ops, putRows, type Wasm } from "./instance.js";
import { layerBackward, layerForward } from "./layer.js";
import { ceRowsSplit, colsumSplit, gemmSplit, job, packSplit, runJob, transposeSplit } from "./split.js";

/** `ref.w`: the instance to run on, read at every call (index.ts replaces it between calls when threads start). */
export function makeWasmKernels(ref: { readonly w: Wasm }): Kernels {
  const opsOf = (x: F): Ops => (x instanceof Float64Array ? ref.w.f64ops : ref.w.f32ops);
  const sizeOf = (x: F) => (x instanceof Float64Array ? 8 : 4);
  /** Begins a call holding these element counts; returns their pointers and the memory view. */
  const frame = (x: F, counts: readonly number[], extraBytes = 0) => {
    const sz = sizeOf(x);
    let total = extraBytes;
    for (const n of counts) total += n * sz;
    ref.w.begin(total, counts.length + 1);
    const ptrs = counts.map((n) => ref.w.take(n * sz));
    return { ptrs, mem: ref.w.view(x instanceof Float64Array) };
  };
  const sameType = (x: F, ...ys: (F | null)[]) => {
    for (const y of ys)
      if (y && y.constructor !== x.constructor)
        throw new TypeError("rnnkit internal error: wasm kernels need every array of one dtype");
  };

  return {
    name: "wasm-simd",
    detail: `WebAssembly ${ref.w.variant === "relaxed-simd" ? "relaxed SIMD (FMA)" : "SIMD (mul + add)"}, AssemblyScript`,
    gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc) {
      const aRows = transA ? k : m;
      const aCols = transA ? m : k;
      const bRows = transB ? n : k;
      const bCols = transB ? k : n;
      checkBounds("A", a, aOff, aRows, aCols, lda);
      checkBounds("B", b, bOff, bRows, bCols, ldb);
      checkBounds("C", c, cOff, m, n, ldc);
      sameType(c, a, b);
      if (m === 0 || n === 0) return;
      if (k === 0) {
        if (beta === 0) for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
        return;
      }
      // Pack op(B) and transpose A (transA) into scratch, then the product: each phase split over
      // the threads when the product is large enough (a Linear layer), the same bits either way.
      const o = opsOf(c);
      const prep = job(ref.w, m * n * k);
      const prod = job(ref.w, m * n * k);
      if (prep.threads > 1) ref.w.wake();
      const packed = ref.w.ex.packed_bytes(o.f64, n, k);
      const { ptrs, mem } = frame(c, [aRows * aCols, bRows * bCols, m * n, transA ? m * k : 0], packed);
      const [pa, pb, pc, pat] = ptrs as [number, number, number, number];
      const ps = ref.w.take(packed);
      putRows(mem, pa, a, aOff, aRows, aCols, lda);
      putRows(mem, pb, b, bOff, bRows, bCols, ldb);
      if (beta === 1) putRows(mem, pc, c, cOff, m, n, ldc);
      packSplit(prep, o, false, transB, n, k, pb, bCols, ps);
      if (transA) transposeSplit(prep, o, m, k, pa, aCols, pat);
      runJob(ref.w, prep);
      gemmSplit(prod, o, m, n, k, transA ? pat : pa, transA ? k : aCols, ps, beta, null, pc, n);
      runJob(ref.w, prod);
      getRows(mem, pc, c, cOff, m, n, ldc);
    },

    linearCrossEntropy(rows, I, C, x, w, b, t, loss, grads) {
      sameType(x, w, b, grads?.dx ?? null, grads?.dw ?? null, grads?.db ?? null);
      if (rows === 0) return;
      // Everything stays in the instance's memory from the logits to the gradients: the logits
      // (rows × C, the largest array) are written, exponentiated and turned into dZ in place, and
      // only the losses and the gradients are copied out. Each phase is split over the threads.
      const o = opsOf(x);
      const sz = sizeOf(x);
      const ex = ref.w.ex;
      const work = rows * C * I;
      const packF = ex.packed_bytes(o.f64, C, I);
      const packX = grads ? ex.packed_bytes(o.f64, I, C) : 0;
      const packW = grads ? ex.packed_bytes(o.f64, I, rows) : 0;
      const counts = [
        rows * I,
        C * I,
        b ? C : 0,
        rows * C,
        grads ? C * rows : 0,
        grads ? rows * I : 0,
        grads ? C * I : 0,
        grads && b ? C : 0,
      ];
      let bytes = packF + packX + packW + rows * 4 + rows * 16;
      for (const n of counts) bytes += n * sz;
      const j1 = job(ref.w, work);
      if (j1.threads > 1) ref.w.wake();
      ref.w.begin(bytes, counts.length + 6);
      const [px, pw, pb, pz, pzt, pdx, pdw, pdb] = counts.map((n) => ref.w.take(n * sz)) as number[];
      const [psF, psX, psW] = [ref.w.take(packF), ref.w.take(packX), ref.w.take(packW)] as number[];
      const pt = ref.w.take(rows * 4);
      const ps = ref.w.take(rows * 8);
      const pl = ref.w.take(rows * 8);
      const mem = ref.w.view(o.f64);
      const m64 = ref.w.f64();
      putRows(mem, px!, x, 0, 1, rows * I, rows * I);
      putRows(mem, pw!, w, 0, 1, C * I, C * I);
      if (b) putRows(mem, pb!, b, 0, 1, C, C);
      new Int32Array(m64.buffer, pt, rows).set(t.subarray(0, rows));
      if (grads) m64.set(grads.scale.subarray(0, rows), ps / 8);
      packSplit(j1, o, false, true, C, I, pw!, I, psF!);
      runJob(ref.w, j1);
      const j2 = job(ref.w, work);
      gemmSplit(j2, o, rows, C, I, px!, I, psF!, 0, b ? pb! : null, pz!, C);
      runJob(ref.w, j2);
      // About 16 multiply-adds' worth per logit (an exp, a max, a sum, a scale).
      const j3 = job(ref.w, rows * C * 16);
      ceRowsSplit(j3, o, rows, C, pz!, pt, ps, pl, grads !== null);
      runJob(ref.w, j3);
      loss.set(m64.subarray(pl / 8, pl / 8 + rows));
      if (!grads) return;
      const j4 = job(ref.w, work);
      packSplit(j4, o, false, false, I, C, pw!, I, psX!);
      packSplit(j4, o, false, false, I, rows, px!, I, psW!);
      transposeSplit(j4, o, C, rows, pz!, C, pzt!);
      runJob(ref.w, j4);
      const j5 = job(ref.w, work);
      gemmSplit(j5, o, rows, I, C, pz!, C, psX!, 0, null, pdx!, I);
      gemmSplit(j5, o, C, I, rows, pzt!, rows, psW!, 0, null, pdw!, I);
      if (b && grads.db) colsumSplit(j5, o, pz!, rows, C, pdb!);
      runJob(ref.w, j5);
      getRows(mem, pdx!, grads.dx, 0, 1, rows * I, rows * I);
      getRows(mem, pdw!, grads.dw, 0, 1, C * I, C * I);
      if (b && grads.db) getRows(mem, pdb!, grads.db, 0, 1, C, C);
    },

    layerForward: (spec, weights, run) => layerForward(ref.w, spec, weights, run),
    layerBackward: (spec, weights, saved, g) => layerBackward(ref.w, spec, weights, saved, g),
  };
}
