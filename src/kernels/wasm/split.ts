// Splitting kernel work over threads (kernels layer). A Job is one phase of a kernel call: a list
// of independent calls ("chunks") that threads claim one at a time (threads.ts), with how many
// threads it is worth. Each helper below appends the chunks of one task, every output element in
// exactly one chunk and computed there exactly as the whole task would compute it: products split
// by rows or by packed panels (asm/kernels.ts: each element of C is one FMA chain over k in order,
// whichever tile computes it), packing and transposing by panels or rows, column sums by columns,
// time loops by batch rows. So results have the same bits at any thread count and whichever thread
// runs a chunk; with one thread a task is one chunk, the single-thread call itself.

import type { Call, Ops, Wasm } from "./instance.js";

export const tuning = {
  /**
   * Work (multiply-adds, or their equivalent) below which a job is not worth another thread. A
   * hand-over to a spinning worker costs 1–3 µs, but a worker that went to sleep between calls
   * takes 30 µs to ~3 ms to wake (2-core VM, measured): 2^22 multiply-adds take ~120 µs on one
   * thread. So a batch-1 layer (lstm-latency: a 4M multiply-add input projection, then a GEMV per
   * step) stays on one thread. Tests lower it to split even tiny jobs.
   */
  minWorkPerThread: 1 << 22,
  /** Chunks per thread and task: enough for a late or slow thread to be made up by the others. */
  chunksPerThread: 4,
};

/** One phase of a kernel call: its chunks, the threads it may use and how many chunks each task gets. */
export interface Job {
  readonly threads: number;
  readonly pieces: number;
  readonly calls: Call[];
}

/** A job of `work` multiply-adds: on as many threads as are usable, each with enough work. */
export function job(w: Wasm, work: number, cap = Number.POSITIVE_INFINITY): Job {
  const threads = Math.max(1, Math.min(w.threads(), cap, Math.floor(work / tuning.minWorkPerThread)));
  return { threads, pieces: threads === 1 ? 1 : Math.min(32, threads * tuning.chunksPerThread), calls: [] };
}

/** Runs a job's chunks (on its threads) and returns when all are done. */
export function runJob(w: Wasm, j: Job): void {
  w.run(j.calls, j.threads);
}

/** [lo, hi) ranges splitting [0, n) into at most `parts` non-empty pieces, inner bounds multiples of `unit`. */
export function ranges(n: number, parts: number, unit = 1): [number, number][] {
  const units = Math.ceil(n / unit);
  const p = Math.max(1, Math.min(parts, units));
  const out: [number, number][] = [];
  for (let i = 0; i < p; i++) {
    const lo = Math.min(n, Math.round((i * units) / p) * unit);
    const hi = Math.min(n, Math.round(((i + 1) * units) / p) * unit);
    if (hi > lo) out.push([lo, hi]);
  }
  return out;
}

const sizeOf = (o: Ops) => (o.f64 ? 8 : 4);
/** Columns of a packed panel (2 vectors) and of a wide panel (7 vectors): asm/kernels.ts NR, WV·L. */
const panelWidth = (o: Ops, wide: boolean) => (o.f64 ? 2 : 4) * (wide ? 7 : 2);

/**
 * Packs op(B) [k, n] (b[p·ldb + j], or b[j·ldb + p] when transB) into panels at dst (wide panels
 * when `wide`), by ranges of panels.
 */
export function packSplit(
  j: Job,
  o: Ops,
  wide: boolean,
  transB: boolean,
  n: number,
  k: number,
  b: number,
  ldb: number,
  dst: number,
): void {
  if (n <= 0 || k <= 0) return;
  const sz = sizeOf(o);
  const NR = panelWidth(o, wide);
  for (const [p0, p1] of ranges(Math.ceil(n / NR), j.pieces)) {
    const j0 = p0 * NR;
    const cols = Math.min(n, p1 * NR) - j0;
    const src = transB ? b + j0 * ldb * sz : b + j0 * sz;
    j.calls.push([
      o.name(wide ? "pack_wide" : "pack"),
      transB ? 1 : 0,
      cols,
      k,
      src,
      ldb,
      dst + p0 * k * NR * sz,
    ]);
  }
}

/**
 * C[m, n] = β·C + A·op(B) (bias !== null: C = bias row + A·op(B)), op(B) packed at bp: by ranges
 * of rows in blocks of 4 (the register tile) when there are enough, else by panels.
 */
export function gemmSplit(
  j: Job,
  o: Ops,
  m: number,
  n: number,
  k: number,
  a: number,
  lda: number,
  bp: number,
  beta: 0 | 1,
  bias: number | null,
  c: number,
  ldc: number,
): void {
  if (m <= 0 || n <= 0) return;
  const sz = sizeOf(o);
  const call = (mm: number, nn: number, aa: number, bb: number, cc: number, j0: number): Call =>
    bias !== null
      ? [o.name("gemm_packed_bias"), mm, nn, k, aa, lda, bb, bias + j0 * sz, cc, ldc]
      : [o.name("gemm_packed"), mm, nn, k, aa, lda, bb, beta, cc, ldc];
  if (j.pieces === 1 || m >= 16 * j.pieces) {
    for (const [i0, i1] of ranges(m, j.pieces, 4))
      j.calls.push(call(i1 - i0, n, a + i0 * lda * sz, bp, c + i0 * ldc * sz, 0));
    return;
  }
  const NR = panelWidth(o, false);
  for (const [p0, p1] of ranges(Math.ceil(n / NR), j.pieces)) {
    const j0 = p0 * NR;
    j.calls.push(call(m, Math.min(n, p1 * NR) - j0, a, bp + p0 * k * NR * sz, c + j0 * sz, j0));
  }
}

/** dst[m, k] = A[k, m]ᵀ (a[p·lda + i]), by ranges of the rows of dst. */
export function transposeSplit(
  j: Job,
  o: Ops,
  m: number,
  k: number,
  a: number,
  lda: number,
  dst: number,
): void {
  if (m <= 0 || k <= 0) return;
  const sz = sizeOf(o);
  for (const [i0, i1] of ranges(m, j.pieces, 4))
    j.calls.push([o.name("transpose"), i1 - i0, k, a + i0 * sz, lda, dst + i0 * k * sz]);
}

/** out[j] = Σ_r m[r·cols + j], by ranges of columns. */
export function colsumSplit(j: Job, o: Ops, m: number, rows: number, cols: number, out: number): void {
  if (cols <= 0) return;
  const sz = sizeOf(o);
  for (const [j0, j1] of ranges(cols, j.pieces, 4))
    j.calls.push([o.name("colsum"), m + j0 * sz, rows, j1 - j0, cols, out + j0 * sz]);
}

/**
 * Softmax cross entropy over rows of logits z [rows, C] (asm/kernels.ts ceRows), by ranges of
 * rows: targets t (int32), scales s and losses (float64) per row.
 */
export function ceRowsSplit(
  j: Job,
  o: Ops,
  rows: number,
  C: number,
  z: number,
  t: number,
  s: number,
  loss: number,
  grad: boolean,
): void {
  const sz = sizeOf(o);
  for (const [r0, r1] of ranges(rows, j.pieces))
    j.calls.push([
      o.name("ce_rows"),
      r1 - r0,
      C,
      z + r0 * C * sz,
      t + r0 * 4,
      s + r0 * 8,
      loss + r0 * 8,
      grad ? 1 : 0,
    ]);
}
