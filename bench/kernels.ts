// Microbenchmarks of the WASM kernels alone (no tensors, no copies): GEMM on packed panels, the
// batch-1 GEMV, one LSTM step's gate math, and the float32 activations. For profiling the kernels.
//   node --experimental-wasm-relaxed-simd --import tsx bench/kernels.ts      (relaxed SIMD, FMA)
//   RNNKIT_WASM=simd node --import tsx bench/kernels.ts                        (plain SIMD)

import { detectVariant, instantiateSync } from "../src/kernels/wasm/instance.js";

const variant = detectVariant();
if (!variant) throw new Error("no WebAssembly SIMD here");
const w = instantiateSync(variant);
const o = w.f32ops;
console.log(`WASM kernels: ${variant}, float32, 1 thread`);

function time(fn: () => void, flopsPerCall: number): number {
  const reps = Math.max(20, Math.min(100000, Math.floor(2e9 / Math.max(1, flopsPerCall))));
  for (let r = 0; r < Math.min(reps, 100); r++) fn();
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) fn();
  return (performance.now() - t0) / reps;
}

function fill(ptr: number, n: number): void {
  const mem = w.f32();
  for (let i = 0; i < n; i++) mem[ptr / 4 + i] = Math.random() - 0.5;
}

for (const [m, n, k] of [
  [2048, 2048, 256],
  [64, 2048, 512],
  [8, 1024, 256],
  [8, 768, 256],
  [16, 800, 200],
  [1, 512, 128],
] as const) {
  const Bp = w.ex.packed_bytes(false, n, k);
  w.begin(m * k * 4 + Bp + m * n * 4 + n * k * 4, 8);
  const pa = w.take(m * k * 4);
  const pb = w.take(Bp);
  const pc = w.take(m * n * 4);
  const raw = w.take(n * k * 4);
  fill(pa, m * k);
  fill(raw, n * k);
  o.pack(true, n, k, raw, k, pb);
  const ms = time(() => o.gemmPacked(m, n, k, pa, k, pb, 0, pc, n), 2 * m * n * k);
  console.log(`gemm ${m}x${n}x${k}: ${ms.toFixed(4)} ms, ${((2 * m * n * k) / ms / 1e6).toFixed(1)} GFLOP/s`);
}

for (const [n, k] of [
  [512, 128],
  [1024, 256],
] as const) {
  const Bp = w.ex.packed_wide_bytes(false, n, k);
  w.begin(k * 4 + Bp + n * 4 + n * k * 4, 8);
  const pa = w.take(k * 4);
  const pb = w.take(Bp);
  const pc = w.take(n * 4);
  const raw = w.take(n * k * 4);
  fill(pa, k);
  fill(raw, n * k);
  o.packWide(true, n, k, raw, k, pb);
  const ms = time(() => o.gemvWide(n, k, pa, pb, 0, pc), 2 * n * k);
  console.log(
    `gemv 1x${n}x${k}: ${(ms * 1000).toFixed(2)} µs, ${((2 * n * k) / ms / 1e6).toFixed(1)} GFLOP/s`,
  );
}

{
  const rows = 8;
  const H = 256;
  w.begin(rows * 4 * H * 4 * 2 + rows * H * 8, 8);
  const xg = w.take(rows * 4 * H * 4);
  const hg = w.take(rows * 4 * H * 4);
  const c = w.take(rows * H * 4);
  const h = w.take(rows * H * 4);
  fill(hg, rows * 4 * H);
  fill(c, rows * H);
  fill(xg, rows * 4 * H); // the step activates xg in place: repeated steps stay in range
  const ms = time(() => o.lstmCell(rows, H, xg, hg, c, h), 1e5);
  console.log(
    `lstm cell 8x256: ${(ms * 1000).toFixed(2)} µs, ${((ms * 1e6) / (rows * H)).toFixed(2)} ns per unit`,
  );
}

{
  const n = 1 << 16;
  w.begin(n * 4, 2);
  const p = w.take(n * 4);
  for (const [which, name] of [
    [0, "exp"],
    [1, "tanh"],
    [2, "sigmoid"],
  ] as const) {
    fill(p, n);
    const ms = time(() => w.ex.act_f32(which, p, n), 1e6);
    console.log(`${name}: ${((ms * 1e6) / n).toFixed(2)} ns per element`);
  }
}
