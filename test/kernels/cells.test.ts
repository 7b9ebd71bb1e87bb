// Every kernel implementation against the reference (ts) on odd sizes: H = 1, 3, 7 (no full SIMD
// vector), 8, 13 (a vector plus a remainder), rows 1..5 (GEMM row tiles of 4 plus remainders),
// offsets into larger arrays, float32 and float64. The gate kernels, then whole layers through
// runLayer / runLayerBackward (the WASM kernels run those whole, with packed weights).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runLayer, runLayerBackward } from "../../src/kernels/layer.js";
import { availableKernels } from "../../src/kernels/select.js";
import { tsKernels } from "../../src/kernels/ts/index.js";
import type { CellKind, F, LayerRun, LayerSpec, LayerWeights } from "../../src/kernels/types.js";
import { Generator } from "../../src/tensor/random.js";

type DT = "float32" | "float64";
const TOL = { float32: { atol: 2e-6, rtol: 2e-5 }, float64: { atol: 1e-13, rtol: 1e-12 } } as const;

function arr(dt: DT, g: Generator, n: number, scale = 1): F {
  const a = dt === "float32" ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = g.normal() * scale;
  return a;
}

const copy = (x: F): F => x.slice();

function close(actual: F, expected: F, dt: DT, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const { atol, rtol } = TOL[dt];
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!Number.isFinite(e)) {
      assert.ok(
        Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)),
        `${what}[${i}]: expected ${e}, got ${a}`,
      );
      continue;
    }
    assert.ok(Math.abs(a - e) <= atol + rtol * Math.abs(e), `${what}[${i}]: expected ${e}, got ${a}`);
  }
}

const others = availableKernels().filter((k) => k !== tsKernels);
const SIZES = [1, 3, 7, 8, 13];
const DTYPES: DT[] = ["float32", "float64"];

for (const k of others)
  describe(`kernels: ${k.name} (${k.detail}) against the reference`, () => {
    test("gate kernels, forward and backward, odd sizes, offsets, both dtypes", () => {
      const g = new Generator(5);
      for (const dt of DTYPES)
        for (const H of SIZES)
          for (const rows of [1, 2, 5]) {
            const at = `${dt} H=${H} rows=${rows}`;
            const off = 3; // every operand starts at an offset into a larger array
            for (const relu of [false, true]) {
              const xg = arr(dt, g, off + rows * H + 2, 2);
              const hg = arr(dt, g, off + rows * H + 1, 2);
              const h1 = arr(dt, g, off + rows * H + 4);
              const h2 = copy(h1);
              tsKernels.rnnCell(rows, H, relu, xg, off, hg, off, h1, off);
              k.rnnCell(rows, H, relu, xg, off, hg, off, h2, off);
              close(h2, h1, dt, `rnnCell relu=${relu} ${at}`);
              const dh = arr(dt, g, off + rows * H);
              const d1 = arr(dt, g, off + rows * H + 3);
              const d2 = copy(d1);
              tsKernels.rnnCellBackward(rows, H, relu, h1, off, H, dh, off, d1, off);
              k.rnnCellBackward(rows, H, relu, h2, off, H, dh, off, d2, off);
              close(d2, d1, dt, `rnnCellBackward relu=${relu} ${at}`);
            }
            {
              const G = 4 * H;
              const xg1 = arr(dt, g, off + rows * G, 2);
              const xg2 = copy(xg1);
              const hg = arr(dt, g, off + rows * G, 2);
              const c1 = arr(dt, g, off + rows * H);
              const c2 = copy(c1);
              const cPrev = copy(c1);
              const h1 = arr(dt, g, off + rows * H);
              const h2 = copy(h1);
              tsKernels.lstmCell(rows, H, xg1, off, hg, off, c1, off, h1, off);
              k.lstmCell(rows, H, xg2, off, hg, off, c2, off, h2, off);
              close(xg2, xg1, dt, `lstmCell gates ${at}`);
              close(c2, c1, dt, `lstmCell c ${at}`);
              close(h2, h1, dt, `lstmCell h ${at}`);
              const dh = arr(dt, g, off + rows * H);
              const dc1 = arr(dt, g, off + rows * H);
              const dc2 = copy(dc1);
              const dG1 = arr(dt, g, off + rows * G);
              const dG2 = copy(dG1);
              tsKernels.lstmCellBackward(rows, H, xg1, off, c1, off, cPrev, off, dh, off, dc1, off, dG1, off);
              k.lstmCellBackward(rows, H, xg1, off, c1, off, cPrev, off, dh, off, dc2, off, dG2, off);
              close(dc2, dc1, dt, `lstmCellBackward dc ${at}`);
              close(dG2, dG1, dt, `lstmCellBackward dG ${at}`);
            }
            for (const withBias of [true, false]) {
              const G = 3 * H;
              const xg1 = arr(dt, g, off + rows * G, 2);
              const xg2 = copy(xg1);
              const hg1 = arr(dt, g, off + rows * G, 2);
              const hg2 = copy(hg1);
              const b = withBias ? arr(dt, g, off + G) : null;
              const hPrev = arr(dt, g, off + rows * H);
              const h1 = copy(hPrev);
              const h2 = copy(hPrev);
              tsKernels.gruCell(rows, H, xg1, off, hg1, off, b, off, h1, off);
              k.gruCell(rows, H, xg2, off, hg2, off, b, off, h2, off);
              close(xg2, xg1, dt, `gruCell gates ${at}`);
              close(hg2, hg1, dt, `gruCell hg ${at}`);
              close(h2, h1, dt, `gruCell h ${at}`);
              const ghn = arr(dt, g, off + rows * H);
              const dh1 = arr(dt, g, off + rows * H);
              const dh2 = copy(dh1);
              const dx1 = arr(dt, g, off + rows * G);
              const dx2 = copy(dx1);
              const dhg1 = arr(dt, g, off + rows * G);
              const dhg2 = copy(dhg1);
              tsKernels.gruCellBackward(
                rows,
                H,
                xg1,
                off,
                ghn,
                off,
                hPrev,
                off,
                dh1,
                off,
                dx1,
                off,
                dhg1,
                off,
              );
              k.gruCellBackward(rows, H, xg1, off, ghn, off, hPrev, off, dh2, off, dx2, off, dhg2, off);
              close(dh2, dh1, dt, `gruCellBackward dh ${at}`);
              close(dx2, dx1, dt, `gruCellBackward dXG ${at}`);
              close(dhg2, dhg1, dt, `gruCellBackward dHG ${at}`);
            }
          }
    });

    test("activations saturate without NaN and keep NaN and infinities", () => {
      for (const dt of DTYPES) {
        const vals = [0, -0, 1e-30, -1e-30, 1e-6, 0.3, -0.7, 5, -5, 30, -30, 100, -100, 1e30, -1e30];
        const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
        const all = [...vals, ...specials];
        const H = all.length;
        const mk = (xs: number[]) => (dt === "float32" ? Float32Array.from(xs) : Float64Array.from(xs));
        const zeros = mk(new Array<number>(4 * H).fill(0));
        const xg1 = mk([...all, ...all, ...all, ...all]);
        const xg2 = copy(xg1);
        const c1 = mk(all);
        const c2 = copy(c1);
        const h1 = mk(new Array<number>(H).fill(0));
        const h2 = copy(h1);
        tsKernels.lstmCell(1, H, xg1, 0, zeros, 0, c1, 0, h1, 0);
        k.lstmCell(1, H, xg2, 0, zeros, 0, c2, 0, h2, 0);
        close(xg2, xg1, dt, `lstm gates of specials ${dt}`);
        close(c2, c1, dt, `lstm c of specials ${dt}`);
        close(h2, h1, dt, `lstm h of specials ${dt}`);
      }
    });

    test("gemm: every transpose case, odd shapes, offsets, β, both dtypes, against the reference", () => {
      const g = new Generator(9);
      for (const dt of DTYPES)
        for (const [m, n, kk] of [
          [1, 1, 1],
          [1, 37, 5],
          [2, 9, 16],
          [3, 33, 7],
          [5, 17, 3],
          [4, 8, 1],
          [9, 70, 20],
          [1, 64, 128],
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
                const c2 = copy(c1);
                tsKernels.gemm(tA, tB, m, n, kk, a, 2, lda, b, 1, ldb, beta, c1, 5, ldc);
                k.gemm(tA, tB, m, n, kk, a, 2, lda, b, 1, ldb, beta, c2, 5, ldc);
                close(c2, c1, dt, `gemm ${dt} tA=${tA} tB=${tB} β=${beta} [${m},${n},${kk}]`);
              }
    });

    test("whole layers (runLayer / runLayerBackward): every cell, packed, reverse, projection", () => {
      const g = new Generator(21);
      const kinds: CellKind[] = ["rnn_tanh", "rnn_relu", "lstm", "gru"];
      const cases: { H: number; I: number; P: number; bs: number[] }[] = [
        { H: 1, I: 2, P: 0, bs: [1, 1, 1] },
        { H: 3, I: 5, P: 0, bs: [5, 4, 4, 2, 1] },
        { H: 7, I: 4, P: 2, bs: [3, 3, 1] },
        { H: 13, I: 9, P: 0, bs: [6, 6, 5, 3] },
        { H: 8, I: 3, P: 5, bs: [2, 2] },
        { H: 5, I: 6, P: 3, bs: [4] },
        { H: 9, I: 4, P: 0, bs: [1] },
      ];
      for (const dt of DTYPES)
        for (const kind of kinds)
          for (const cs of cases) {
            const P = kind === "lstm" ? cs.P : 0;
            const spec: LayerSpec = { kind, inputSize: cs.I, hiddenSize: cs.H, projSize: P };
            const G = { rnn_tanh: 1, rnn_relu: 1, lstm: 4, gru: 3 }[kind] * cs.H;
            const Pout = P > 0 ? P : cs.H;
            const N = cs.bs.reduce((s, v) => s + v, 0);
            const B = cs.bs[0]!;
            for (const reverse of [false, true])
              for (const bias of [true, false]) {
                const at = `${dt} ${kind} H=${cs.H} P=${P} bs=${cs.bs} reverse=${reverse} bias=${bias}`;
                const w: LayerWeights = {
                  wIh: arr(dt, g, G * cs.I, 0.5),
                  wHh: arr(dt, g, G * Pout, 0.5),
                  bIh: bias ? arr(dt, g, G, 0.5) : null,
                  bHh: bias ? arr(dt, g, G, 0.5) : null,
                  wHr: P > 0 ? arr(dt, g, P * cs.H, 0.5) : null,
                };
                const xLd = cs.I + 2;
                const x = arr(dt, g, 1 + N * xLd);
                const h0 = arr(dt, g, 2 + B * Pout);
                const c0 = arr(dt, g, 2 + B * cs.H);
                const outLd = 2 * Pout;
                const mkRun = (): LayerRun => ({
                  x,
                  xOff: 1,
                  xLd,
                  batchSizes: cs.bs,
                  reverse,
                  h0,
                  h0Off: 2,
                  c0: kind === "lstm" ? c0 : null,
                  c0Off: 2,
                  out: arr(dt, g, 1 + N * outLd),
                  outOff: 1 + (reverse ? Pout : 0),
                  outLd,
                  hN: arr(dt, g, 3 + B * Pout),
                  hNOff: 3,
                  cN: kind === "lstm" ? arr(dt, g, 3 + B * cs.H) : null,
                  cNOff: 3,
                  save: true,
                });
                const r1 = mkRun();
                const r2 = { ...mkRun(), out: copy(r1.out), hN: copy(r1.hN), cN: r1.cN ? copy(r1.cN) : null };
                const s1 = runLayer(tsKernels, spec, w, r1)!;
                const s2 = runLayer(k, spec, w, r2)!;
                close(r2.out, r1.out, dt, `out ${at}`);
                close(r2.hN, r1.hN, dt, `hN ${at}`);
                if (r1.cN) close(r2.cN!, r1.cN, dt, `cN ${at}`);
                for (const key of ["gates", "hPrev", "cPrev", "c", "hPre", "ghn", "h"] as const) {
                  assert.equal(s2[key] === null, s1[key] === null, `saved.${key} presence ${at}`);
                  if (s1[key]) close(s2[key]!, s1[key]!, dt, `saved.${key} ${at}`);
                }
                const dOutLd = Pout + 1;
                const grads = {
                  x,
                  xOff: 1,
                  xLd,
                  batchSizes: cs.bs,
                  reverse,
                  dOut: arr(dt, g, 2 + N * dOutLd),
                  dOutOff: 2,
                  dOutLd,
                  dhN: arr(dt, g, 1 + B * Pout),
                  dhNOff: 1,
                  dcN: kind === "lstm" ? arr(dt, g, B * cs.H) : null,
                  dcNOff: 0,
                };
                const g1 = runLayerBackward(tsKernels, spec, w, s1, grads);
                const g2 = runLayerBackward(k, spec, w, s1, grads);
                for (const key of ["dx", "dh0", "dc0", "dWih", "dWhh", "dBih", "dBhh", "dWhr"] as const) {
                  assert.equal(g2[key] === null, g1[key] === null, `${key} presence ${at}`);
                  if (g1[key]) close(g2[key]!, g1[key]!, dt, `${key} ${at}`);
                }
              }
          }
    });
  });
