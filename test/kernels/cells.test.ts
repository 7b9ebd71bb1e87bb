// Every kernel implementation against the reference (ts) on odd sizes: H = 1, 3, 7 (no full SIMD
// vector), 8, 13 (a vector plus a remainder), rows 1..5 (GEMM row tiles of 4 plus remainders),
// offsets into larger arrays, float32 and float64. One-step layers (the cells, whose products run
// on the weights as stored), then whole layers (packed weights, the batch-1 GEMV).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { availableKernels } from "../../src/kernels/select.js";
import { tsKernels } from "../../src/kernels/ts/index.js";
import type { CellKind, F, Kernels, LayerRun, LayerSpec, LayerWeights } from "../../src/kernels/types.js";
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

interface LayerCase {
  readonly H: number;
  readonly I: number;
  readonly P: number;
  readonly bs: number[];
}

/** One layer-direction forward (saving) and backward on k and on the reference, every result compared. */
function compareLayer(
  k: Kernels,
  g: Generator,
  dt: DT,
  kind: CellKind,
  cs: LayerCase,
  reverse: boolean,
  bias: boolean,
): void {
  const P = cs.P;
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
  const s1 = tsKernels.layerForward(spec, w, r1)!;
  const s2 = k.layerForward(spec, w, r2)!;
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
  const g1 = tsKernels.layerBackward(spec, w, s1, grads);
  const g2 = k.layerBackward(spec, w, s1, grads);
  for (const key of ["dx", "dh0", "dc0", "dWih", "dWhh", "dBih", "dBhh", "dWhr"] as const) {
    assert.equal(g2[key] === null, g1[key] === null, `${key} presence ${at}`);
    if (g1[key]) close(g2[key]!, g1[key]!, dt, `${key} ${at}`);
  }
}

const others = availableKernels().filter((k) => k !== tsKernels);
const SIZES = [1, 3, 7, 8, 13];
const DTYPES: DT[] = ["float32", "float64"];
const KINDS: CellKind[] = ["rnn_tanh", "rnn_relu", "lstm", "gru"];

for (const k of others)
  describe(`kernels: ${k.name} (${k.detail}) against the reference`, () => {
    test("one-step layers (the cells): every cell, odd sizes, rows 1..5, both dtypes", () => {
      const g = new Generator(5);
      for (const dt of DTYPES)
        for (const kind of KINDS)
          for (const H of SIZES)
            for (const rows of [1, 2, 5])
              for (const bias of [true, false])
                compareLayer(
                  k,
                  g,
                  dt,
                  kind,
                  { H, I: H + 2, P: kind === "lstm" && H > 2 ? 2 : 0, bs: [rows] },
                  false,
                  bias,
                );
    });

    test("activations saturate without NaN and keep NaN and infinities", () => {
      for (const dt of DTYPES) {
        const vals = [0, -0, 1e-30, -1e-30, 1e-6, 0.3, -0.7, 5, -5, 30, -30, 100, -100, 1e30, -1e30];
        const specials = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
        const all = [...vals, ...specials];
        const H = all.length;
        const mk = (xs: number[]) => (dt === "float32" ? Float32Array.from(xs) : Float64Array.from(xs));
        const zeros = (n: number) => mk(new Array<number>(n).fill(0));
        // One LSTM step whose pre-activation gates are exactly the values (b_ih; every weight 0) and
        // whose c_{t−1} is the values too.
        const spec: LayerSpec = { kind: "lstm", inputSize: 1, hiddenSize: H, projSize: 0 };
        const w: LayerWeights = {
          wIh: zeros(4 * H),
          wHh: zeros(4 * H * H),
          bIh: mk([...all, ...all, ...all, ...all]),
          bHh: zeros(4 * H),
          wHr: null,
        };
        const run = (): LayerRun => ({
          x: zeros(1),
          xOff: 0,
          xLd: 1,
          batchSizes: [1],
          reverse: false,
          h0: zeros(H),
          h0Off: 0,
          c0: mk(all),
          c0Off: 0,
          out: zeros(H),
          outOff: 0,
          outLd: H,
          hN: zeros(H),
          hNOff: 0,
          cN: zeros(H),
          cNOff: 0,
          save: true,
        });
        const r1 = run();
        const r2 = run();
        const s1 = tsKernels.layerForward(spec, w, r1)!;
        const s2 = k.layerForward(spec, w, r2)!;
        close(s2.gates, s1.gates, dt, `lstm gates of specials ${dt}`);
        close(r2.cN!, r1.cN!, dt, `lstm c of specials ${dt}`);
        close(r2.hN, r1.hN, dt, `lstm h of specials ${dt}`);
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

    test("whole layers: every cell, packed, reverse, projection", () => {
      const g = new Generator(21);
      const cases: LayerCase[] = [
        { H: 1, I: 2, P: 0, bs: [1, 1, 1] },
        { H: 3, I: 5, P: 0, bs: [5, 4, 4, 2, 1] },
        { H: 7, I: 4, P: 2, bs: [3, 3, 1] },
        { H: 13, I: 9, P: 0, bs: [6, 6, 5, 3] },
        { H: 8, I: 3, P: 5, bs: [2, 2] },
        { H: 5, I: 6, P: 3, bs: [4] },
        { H: 9, I: 4, P: 0, bs: [1] },
      ];
      for (const dt of DTYPES)
        for (const kind of KINDS)
          for (const cs of cases)
            for (const reverse of [false, true])
              for (const bias of [true, false])
                compareLayer(k, g, dt, kind, { ...cs, P: kind === "lstm" ? cs.P : 0 }, reverse, bias);
    });
  });
