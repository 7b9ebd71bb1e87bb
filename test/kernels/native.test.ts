// The native kernels against the WebAssembly relaxed-SIMD kernels, byte for byte (DESIGN.md: a
// model gives the same bits in Node and in a browser). Both compute every product element as one
// FMA chain over k in order and the float32 activations with the same polynomials, so float32
// results must be identical: gemm in every transpose case, whole layers forward and backward
// (every cell, packed, reverse, projection, one step), the fused linear + cross entropy (its
// gradients; the loss goes through the C library's log, the WASM kernels through musl's, so it is
// held to 1 ulp-scale relative error instead). float64: the products are identical too, but the
// activations call the C library's exp / tanh where the WASM kernels call musl's, whose last bit
// can differ: float64 layers are held to the tests' tolerance, not to bits. Runs only where both
// the native addon and relaxed SIMD are available (npm test's second pass has relaxed SIMD).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { loadAddon } from "../../src/kernels/native/addon.js";
import { loadNativeKernels } from "../../src/kernels/native/index.js";
import type { CellKind, F, Kernels, LayerRun, LayerSpec, LayerWeights } from "../../src/kernels/types.js";
import { loadWasmKernels, wasmVariant } from "../../src/kernels/wasm/index.js";
import { Generator } from "../../src/tensor/random.js";

type DT = "float32" | "float64";

function arr(dt: DT, g: Generator, n: number, scale = 1): F {
  const a = dt === "float32" ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = g.normal() * scale;
  return a;
}

/** Byte equality (−0 ≠ +0); NaN equals NaN whatever its payload. */
function same(a: F | null, b: F | null, what: string): void {
  assert.equal(a === null, b === null, `${what}: presence`);
  if (!a || !b) return;
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++)
    if (!Object.is(a[i], b[i]) && !(Number.isNaN(a[i]) && Number.isNaN(b[i])))
      assert.fail(`${what}: element ${i} differs: ${a[i]} (native) vs ${b[i]} (wasm)`);
}

function close(a: F | null, b: F | null, what: string): void {
  assert.equal(a === null, b === null, `${what}: presence`);
  if (!a || !b) return;
  for (let i = 0; i < a.length; i++)
    assert.ok(
      Math.abs(a[i]! - b[i]!) <= 1e-13 + 1e-12 * Math.abs(b[i]!),
      `${what}[${i}]: ${a[i]} vs ${b[i]}`,
    );
}

const native = loadNativeKernels();
const wasm = wasmVariant() === "relaxed-simd" ? loadWasmKernels() : null;
const skip = !native
  ? "native kernels not built"
  : !wasm
    ? "no relaxed SIMD (run with --experimental-wasm-relaxed-simd)"
    : false;

interface Case {
  readonly H: number;
  readonly I: number;
  readonly P: number;
  readonly bs: number[];
}
const CASES: Case[] = [
  { H: 1, I: 2, P: 0, bs: [1, 1, 1] },
  { H: 3, I: 5, P: 0, bs: [5, 4, 4, 2, 1] },
  { H: 7, I: 4, P: 2, bs: [3, 3, 1] },
  { H: 13, I: 9, P: 0, bs: [6, 6, 5, 3] },
  { H: 8, I: 3, P: 5, bs: [2, 2] },
  { H: 5, I: 6, P: 3, bs: [4] },
  { H: 9, I: 4, P: 0, bs: [1] },
  { H: 33, I: 17, P: 0, bs: [9, 8, 8, 7, 2] },
  { H: 40, I: 24, P: 0, bs: [1, 1, 1, 1] },
  { H: 24, I: 20, P: 7, bs: [13, 13, 11] },
];
const KINDS: CellKind[] = ["rnn_tanh", "rnn_relu", "lstm", "gru"];

/**
 * One layer forward (saving) and backward on two implementations (native and WASM, or native and
 * native at another thread count); `cmp` compares each result.
 */
function bothLayers(
  g: Generator,
  dt: DT,
  kind: CellKind,
  cs: Case,
  reverse: boolean,
  bias: boolean,
  cmp: typeof same,
  second: () => Kernels = () => wasm!,
  first: () => Kernels = () => native!,
) {
  const P = kind === "lstm" ? cs.P : 0;
  const spec: LayerSpec = { kind, inputSize: cs.I, hiddenSize: cs.H, projSize: P };
  const G = { rnn_tanh: 1, rnn_relu: 1, lstm: 4, gru: 3 }[kind] * cs.H;
  const Pout = P > 0 ? P : cs.H;
  const N = cs.bs.reduce((s, v) => s + v, 0);
  const B = cs.bs[0]!;
  const at = `${dt} ${kind} H=${cs.H} P=${P} bs=${cs.bs} reverse=${reverse} bias=${bias}`;
  const w: LayerWeights = {
    wIh: arr(dt, g, G * cs.I, 0.5),
    wHh: arr(dt, g, G * Pout, 0.5),
    bIh: bias ? arr(dt, g, G, 0.5) : null,
    bHh: bias ? arr(dt, g, G, 0.5) : null,
    wHr: P > 0 ? arr(dt, g, P * cs.H, 0.5) : null,
  };
  const x = arr(dt, g, N * cs.I);
  const h0 = arr(dt, g, B * Pout);
  const c0 = arr(dt, g, B * cs.H);
  const mkRun = (): LayerRun => ({
    x,
    xOff: 0,
    xLd: cs.I,
    batchSizes: cs.bs,
    reverse,
    h0,
    h0Off: 0,
    c0: kind === "lstm" ? c0 : null,
    c0Off: 0,
    out: arr(dt, g, N * Pout),
    outOff: 0,
    outLd: Pout,
    hN: arr(dt, g, B * Pout),
    hNOff: 0,
    cN: kind === "lstm" ? arr(dt, g, B * cs.H) : null,
    cNOff: 0,
    save: true,
  });
  const run = (k: Kernels) => {
    const r = mkRun();
    return { r, s: k.layerForward(spec, w, r)! };
  };
  const a = run(first());
  const b = run(second());
  cmp(a.r.out, b.r.out, `out ${at}`);
  cmp(a.r.hN, b.r.hN, `hN ${at}`);
  cmp(a.r.cN, b.r.cN, `cN ${at}`);
  for (const key of ["gates", "hPrev", "cPrev", "c", "hPre", "ghn", "h"] as const)
    cmp(a.s[key], b.s[key], `saved.${key} ${at}`);
  const gin = {
    x,
    xOff: 0,
    xLd: cs.I,
    batchSizes: cs.bs,
    reverse,
    dOut: arr(dt, g, N * Pout),
    dOutOff: 0,
    dOutLd: Pout,
    dhN: arr(dt, g, B * Pout),
    dhNOff: 0,
    dcN: kind === "lstm" ? arr(dt, g, B * cs.H) : null,
    dcNOff: 0,
  };
  // Both backward passes from the same saved buffers (the WASM forward's).
  const ga = first().layerBackward(spec, w, b.s, gin);
  const gb = second().layerBackward(spec, w, b.s, gin);
  for (const key of ["dx", "dh0", "dc0", "dWih", "dWhh", "dBih", "dBhh", "dWhr"] as const)
    cmp(ga[key], gb[key], `${key} ${at}`);
}

describe("native kernels: the same bits as the WASM relaxed-SIMD kernels", { skip }, () => {
  test("gemm: every transpose case, β, odd shapes, offsets, both dtypes", () => {
    const g = new Generator(3);
    for (const dt of ["float32", "float64"] as const)
      for (const [m, n, kk] of [
        [1, 1, 1],
        [1, 37, 5],
        [2, 9, 16],
        [3, 33, 7],
        [7, 17, 3],
        [13, 70, 20],
        [1, 64, 128],
        [64, 300, 129],
      ] as const)
        for (const tA of [false, true])
          for (const tB of [false, true])
            for (const beta of [0, 1] as const) {
              const lda = (tA ? m : kk) + 1;
              const ldb = (tB ? kk : n) + 2;
              const ldc = n + 3;
              const a = arr(dt, g, 2 + (tA ? kk : m) * lda);
              const b = arr(dt, g, 1 + (tB ? n : kk) * ldb);
              const c1 = arr(dt, g, 5 + m * ldc);
              const c2 = c1.slice();
              native!.gemm(tA, tB, m, n, kk, a, 2, lda, b, 1, ldb, beta, c1, 5, ldc);
              wasm!.gemm(tA, tB, m, n, kk, a, 2, lda, b, 1, ldb, beta, c2, 5, ldc);
              same(c1, c2, `gemm ${dt} tA=${tA} tB=${tB} β=${beta} [${m},${n},${kk}]`);
            }
  });

  test("float32 layers, forward and backward: every cell, packed, reverse, projection, one step", () => {
    const g = new Generator(11);
    for (const kind of KINDS)
      for (const cs of CASES)
        for (const reverse of [false, true])
          for (const bias of [true, false]) bothLayers(g, "float32", kind, cs, reverse, bias, same);
  });

  test("float64 layers: within tolerance (the C library's exp / tanh against musl's)", () => {
    const g = new Generator(12);
    for (const kind of KINDS)
      for (const cs of CASES)
        for (const reverse of [false, true]) bothLayers(g, "float64", kind, cs, reverse, true, close);
  });

  test("linearCrossEntropy: gradients bitwise (float32 and float64), losses to 1e-15 relative", () => {
    const g = new Generator(13);
    for (const dt of ["float32", "float64"] as const)
      for (const [rows, I, C] of [
        [1, 3, 5],
        [7, 9, 37],
        [33, 20, 130],
      ] as const)
        for (const bias of [true, false]) {
          const x = arr(dt, g, rows * I);
          const w = arr(dt, g, C * I, 0.5);
          const b = bias ? arr(dt, g, C) : null;
          const t = Int32Array.from({ length: rows }, (_, r) => (r % 5 === 3 ? -1 : (r * 7) % C));
          const scale = Float64Array.from({ length: rows }, (_, r) => 1 / (r + 1));
          const go = (k: Kernels) => {
            const loss = new Float64Array(rows);
            const grads = {
              scale,
              dx: arr(dt, g, rows * I),
              dw: arr(dt, g, C * I),
              db: bias ? arr(dt, g, C) : null,
            };
            k.linearCrossEntropy(rows, I, C, x, w, b, t, loss, grads);
            return { loss, grads };
          };
          const p = go(native!);
          const q = go(wasm!);
          const at = `${dt} [${rows}, ${I}, ${C}] bias=${bias}`;
          for (let r = 0; r < rows; r++)
            assert.ok(
              Math.abs(p.loss[r]! - q.loss[r]!) <= 1e-15 * Math.abs(q.loss[r]!) + 1e-300,
              `loss[${r}] ${at}`,
            );
          if (dt === "float32") {
            same(p.grads.dx, q.grads.dx, `dx ${at}`);
            same(p.grads.dw, q.grads.dw, `dw ${at}`);
            same(p.grads.db, q.grads.db, `db ${at}`);
          } else {
            close(p.grads.dx, q.grads.dx, `dx ${at}`);
            close(p.grads.dw, q.grads.dw, `dw ${at}`);
            close(p.grads.db, q.grads.db, `db ${at}`);
          }
        }
  });
});

describe("native kernels: the same bits at 1 and 2 threads", {
  skip: native ? false : "native kernels not built",
}, () => {
  test("whole layers forward and backward, gemm, linearCrossEntropy, every phase split", () => {
    const addon = loadAddon()!;
    // Split threshold 0: every phase is split, even these small cases (each chunk ≥ 4 batch rows).
    const at = (threads: number) => () => {
      addon.setThreads(threads, threads === 1 ? 2 ** 22 : 0);
      return native!;
    };
    const g = new Generator(14);
    const before = addon.workerChunks();
    try {
      for (const dt of ["float32", "float64"] as const)
        for (const kind of KINDS)
          for (const cs of [
            { H: 13, I: 9, P: 4, bs: [16, 16, 12, 9, 8] },
            { H: 33, I: 17, P: 0, bs: [9, 8, 8, 7, 2] },
          ])
            bothLayers(g, dt, kind, cs, kind === "gru", true, same, at(1), at(2));
      for (const dt of ["float32", "float64"] as const) {
        const [m, n, k] = [77, 50, 33];
        const a = arr(dt, g, m * k);
        const b = arr(dt, g, n * k);
        const c1 = arr(dt, g, m * n);
        const c2 = c1.slice();
        at(1)().gemm(false, true, m, n, k, a, 0, k, b, 0, k, 1, c1, 0, n);
        at(2)().gemm(false, true, m, n, k, a, 0, k, b, 0, k, 1, c2, 0, n);
        same(c2, c1, `gemm ${dt}`);
        const [rows, I, C] = [40, 12, 70];
        const x = arr(dt, g, rows * I);
        const w = arr(dt, g, C * I);
        const bias = arr(dt, g, C);
        const t = Int32Array.from({ length: rows }, (_, r) => (r * 3) % C);
        const scale = new Float64Array(rows).fill(0.5);
        const go = (k: Kernels) => {
          const loss = new Float64Array(rows);
          const grads = { scale, dx: arr(dt, g, rows * I), dw: arr(dt, g, C * I), db: arr(dt, g, C) };
          k.linearCrossEntropy(rows, I, C, x, w, bias, t, loss, grads);
          return { loss, ...grads };
        };
        const p = go(at(1)());
        const q = go(at(2)());
        same(q.loss as unknown as F, p.loss as unknown as F, `loss ${dt}`);
        same(q.dx, p.dx, `dx ${dt}`);
        same(q.dw, p.dw, `dw ${dt}`);
        same(q.db, p.db, `db ${dt}`);
      }
      assert.ok(addon.workerChunks() > before, "the second thread ran part of the work");
    } finally {
      addon.setThreads(1, 2 ** 22);
    }
  });
});
