// The native implementation of the kernel contract (kernels layer), for Node: native/src/ built
// by node-gyp, called on the JavaScript arrays themselves (no copies in or out). A layer's weights
// are packed into GEMM panels once and kept until their version changes (WeightCache); the
// outputs and what BPTT needs are written straight into arrays allocated here, in the reference's
// layout. The arithmetic is the WASM relaxed-SIMD kernels' (native/src/kernels.h), so float32
// results are bit-identical to them.

import { layerDims, WeightCache } from "../layer.js";
import { checkBounds } from "../ts/gemm.js";
import type { F, Kernels, LayerGrads, LayerSaved, LayerSpec, LayerWeights } from "../types.js";
import type { Addon } from "./addon.js";

const KIND = { rnn_tanh: 0, rnn_relu: 1, lstm: 2, gru: 3 } as const;

/** A layer's weights packed for one direction of the computation, at element offsets into `buf`. */
interface Packed {
  readonly buf: F;
  readonly wIh: number;
  readonly wHh: number;
  readonly wHr: number;
}

function sameType(x: F, ...ys: (F | null)[]): void {
  for (const y of ys)
    if (y && y.constructor !== x.constructor)
      throw new TypeError("rnnkit internal error: native kernels need every array of one dtype");
}

function need(what: string, x: F | null, n: number): void {
  if (x && x.length < n)
    throw new RangeError(`rnnkit internal error: ${what} has ${x.length} elements, the layer needs ${n}`);
}

const NO_OFFSETS = new Int32Array(24);

export function makeNativeKernels(addon: Addon): Kernels {
  const cache = new WeightCache<Packed>();
  const alloc = (f64: boolean, n: number): F => (f64 ? new Float64Array(n) : new Float32Array(n));

  /** Packs op(B) panels for each [transB, n, k, b, ldb] into one array. */
  const packAll = (f64: boolean, parts: readonly [boolean, number, number, F | null, number][]): Packed => {
    const offs: number[] = [];
    let total = 0;
    for (const [, n, k, b] of parts) {
      offs.push(total);
      if (b) total += addon.packedElems(f64, n, k);
    }
    const buf = alloc(f64, total);
    parts.forEach(([tB, n, k, b, ldb], i) => {
      if (b) addon.pack(f64, tB, n, k, b, 0, ldb, buf, offs[i]!);
    });
    return { buf, wIh: offs[0]!, wHh: offs[1]!, wHr: offs[2]! };
  };

  const checkWeights = (spec: LayerSpec, w: LayerWeights, G: number, P: number): void => {
    const { inputSize: I, hiddenSize: H } = spec;
    sameType(w.wIh, w.wHh, w.bIh, w.bHh, w.wHr);
    need("w_ih", w.wIh, G * I);
    need("w_hh", w.wHh, G * P);
    need("b_ih", w.bIh, G);
    need("b_hh", w.bHh, G);
    if (spec.projSize > 0) {
      if (!w.wHr) throw new RangeError("rnnkit internal error: a projected LSTM needs w_hr");
      need("w_hr", w.wHr, P * H);
    }
  };

  const steps = (bs: ArrayLike<number>, starts: readonly number[]) => [
    Int32Array.from(bs),
    Int32Array.from(starts),
  ];

  return {
    name: "native",
    detail: `native ${addon.isa()}, C++ (node-gyp)`,

    gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc) {
      checkBounds("A", a, aOff, transA ? k : m, transA ? m : k, lda);
      checkBounds("B", b, bOff, transB ? n : k, transB ? k : n, ldb);
      checkBounds("C", c, cOff, m, n, ldc);
      sameType(c, a, b);
      if (m === 0 || n === 0) return;
      if (k === 0) {
        if (beta === 0) for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
        return;
      }
      const f64 = c instanceof Float64Array ? 1 : 0;
      addon.gemm(
        Int32Array.of(f64, transA ? 1 : 0, transB ? 1 : 0, m, n, k, lda, ldb, beta, ldc),
        [a, b, c],
        Int32Array.of(aOff, bOff, cOff),
      );
    },

    linearCrossEntropy(rows, I, C, x, w, b, t, loss, grads) {
      sameType(x, w, b, grads?.dx ?? null, grads?.dw ?? null, grads?.db ?? null);
      if (rows === 0) return;
      need("x", x, rows * I);
      need("w", w, C * I);
      need("b", b, C);
      if (t.length < rows || loss.length < rows)
        throw new RangeError("rnnkit internal error: targets or losses too short");
      if (grads) {
        need("dx", grads.dx, rows * I);
        need("dw", grads.dw, C * I);
        need("db", grads.db, C);
        if (grads.scale.length < rows) throw new RangeError("rnnkit internal error: scale too short");
      }
      addon.linearCrossEntropy(
        Int32Array.of(x instanceof Float64Array ? 1 : 0, rows, I, C),
        [
          x,
          w,
          b,
          t,
          loss,
          grads?.scale ?? null,
          grads?.dx ?? null,
          grads?.dw ?? null,
          (b && grads?.db) || null,
        ],
        NO_OFFSETS.subarray(0, 9),
      );
    },

    layerForward(spec, w, run): LayerSaved | null {
      const { kind, inputSize: I, hiddenSize: H } = spec;
      const bs = run.batchSizes;
      const { P, G, T, B, N, starts } = layerDims(spec, bs);
      const f64 = run.out instanceof Float64Array;
      const isLstm = kind === "lstm";
      const isGru = kind === "gru";
      const proj = spec.projSize > 0;
      if (isLstm && !run.cN) throw new RangeError("rnnkit internal error: layerForward needs cN for an LSTM");
      checkWeights(spec, w, G, P);
      sameType(run.out, run.x, run.hN, run.cN, run.h0, run.c0, w.wIh);
      checkBounds("x", run.x, run.xOff, N, I, run.xLd);
      checkBounds("out", run.out, run.outOff, N, P, run.outLd);
      checkBounds("hN", run.hN, run.hNOff, 1, B * P, B * P);
      if (run.cN) checkBounds("cN", run.cN, run.cNOff, 1, B * H, B * H);
      if (run.h0) checkBounds("h0", run.h0, run.h0Off, 1, B * P, B * P);
      if (run.c0 && isLstm) checkBounds("c0", run.c0, run.c0Off, 1, B * H, B * H);

      // The running state lives in hN / cN (see ts/layer.ts).
      const h = run.hN;
      if (run.h0) h.set(run.h0.subarray(run.h0Off, run.h0Off + B * P), run.hNOff);
      else h.fill(0, run.hNOff, run.hNOff + B * P);
      if (isLstm) {
        const c = run.cN!;
        if (run.c0) c.set(run.c0.subarray(run.c0Off, run.c0Off + B * H), run.cNOff);
        else c.fill(0, run.cNOff, run.cNOff + B * H);
      }
      if (N === 0) return run.save ? emptySaved(f64, isLstm, proj, isGru) : null;

      // One time step (the cells, streaming): the products run on the weights as stored.
      const direct = T === 1;
      const pk = direct
        ? null
        : cache.get(w, f64 ? "f64:fwd" : "f32:fwd", () =>
            packAll(f64, [
              [true, G, I, w.wIh, I],
              [true, G, P, w.wHh, P],
              [true, P, H, w.wHr, H],
            ]),
          );
      const save = run.save === true;
      const saved: LayerSaved | null = save
        ? {
            gates: alloc(f64, N * G),
            hPrev: alloc(f64, N * P),
            cPrev: isLstm ? alloc(f64, N * H) : null,
            c: isLstm ? alloc(f64, N * H) : null,
            hPre: proj ? alloc(f64, N * H) : null,
            ghn: isGru ? alloc(f64, N * H) : null,
            h: !isLstm && !isGru ? alloc(f64, N * H) : null,
          }
        : null;
      const [bsA, stA] = steps(bs, starts);
      addon.layerForward(
        Int32Array.of(
          f64 ? 1 : 0,
          KIND[kind],
          T,
          B,
          N,
          I,
          H,
          P,
          run.reverse ? 1 : 0,
          save ? 1 : 0,
          direct ? 1 : 0,
          run.xLd,
          run.outLd,
        ),
        [
          bsA!,
          stA!,
          run.x,
          pk ? pk.buf : w.wIh,
          pk ? pk.buf : w.wHh,
          proj ? (pk ? pk.buf : w.wHr) : null,
          w.bIh,
          w.bHh,
          saved?.gates ?? null,
          run.hN,
          isLstm ? run.cN : null,
          run.out,
          saved?.hPrev ?? null,
          saved?.cPrev ?? null,
          saved?.c ?? null,
          saved?.hPre ?? null,
          saved?.ghn ?? null,
          saved?.h ?? null,
        ],
        Int32Array.of(
          0,
          0,
          run.xOff,
          pk ? pk.wIh : 0,
          pk ? pk.wHh : 0,
          pk ? pk.wHr : 0,
          0,
          0,
          0,
          run.hNOff,
          run.cNOff,
          run.outOff,
          0,
          0,
          0,
          0,
          0,
          0,
        ),
      );
      return saved;
    },

    layerBackward(spec, w, saved, g): LayerGrads {
      const { kind, inputSize: I, hiddenSize: H } = spec;
      const bs = g.batchSizes;
      const { P, G, T, B, N, starts } = layerDims(spec, bs);
      const f64 = saved.gates instanceof Float64Array;
      const isLstm = kind === "lstm";
      const proj = saved.hPre !== null;
      checkWeights(spec, w, G, P);
      sameType(
        saved.gates,
        g.x,
        g.dOut,
        g.dhN,
        g.dcN,
        w.wIh,
        saved.hPrev,
        saved.c,
        saved.cPrev,
        saved.ghn,
        saved.h,
        saved.hPre,
      );
      checkBounds("x", g.x, g.xOff, N, I, g.xLd);
      if (g.dOut) checkBounds("dOut", g.dOut, g.dOutOff, N, P, g.dOutLd);
      need("gates", saved.gates, N * G);
      need("hPrev", saved.hPrev, N * P);
      need("c", saved.c, N * H);
      need("cPrev", saved.cPrev, N * H);
      need("ghn", saved.ghn, N * H);
      need("h", saved.h, N * H);
      need("hPre", saved.hPre, N * H);
      const dh = alloc(f64, B * P);
      if (g.dhN) {
        checkBounds("dhN", g.dhN, g.dhNOff, 1, B * P, B * P);
        dh.set(g.dhN.subarray(g.dhNOff, g.dhNOff + B * P));
      }
      const dc = isLstm ? alloc(f64, B * H) : null;
      if (dc && g.dcN) {
        checkBounds("dcN", g.dcN, g.dcNOff, 1, B * H, B * H);
        dc.set(g.dcN.subarray(g.dcNOff, g.dcNOff + B * H));
      }
      const grads: LayerGrads = {
        dx: alloc(f64, N * I),
        dh0: dh,
        dc0: dc,
        dWih: alloc(f64, G * I),
        dWhh: alloc(f64, G * P),
        dBih: w.bIh ? alloc(f64, G) : null,
        dBhh: w.bHh ? alloc(f64, G) : null,
        dWhr: proj ? alloc(f64, P * H) : null,
      };
      if (N === 0) return grads;
      const pk = cache.get(w, f64 ? "f64:bwd" : "f32:bwd", () =>
        packAll(f64, [
          [false, I, G, w.wIh, I],
          [false, P, G, w.wHh, P],
          [false, H, P, w.wHr, H],
        ]),
      );
      const [bsA, stA] = steps(bs, starts);
      addon.layerBackward(
        Int32Array.of(f64 ? 1 : 0, KIND[kind], T, B, N, I, H, P, g.reverse ? 1 : 0, g.xLd, g.dOutLd),
        [
          bsA!,
          stA!,
          g.x,
          saved.gates,
          saved.c,
          saved.cPrev,
          saved.ghn,
          saved.hPrev,
          saved.h,
          saved.hPre,
          g.dOut,
          pk.buf,
          proj ? pk.buf : null,
          pk.buf,
          dh,
          dc,
          grads.dx,
          grads.dWih,
          grads.dWhh,
          grads.dWhr,
          grads.dBih,
          grads.dBhh,
        ],
        Int32Array.of(
          0,
          0,
          g.xOff,
          0,
          0,
          0,
          0,
          0,
          0,
          0,
          g.dOutOff,
          pk.wHh,
          pk.wHr,
          pk.wIh,
          0,
          0,
          0,
          0,
          0,
          0,
          0,
          0,
        ),
      );
      return grads;
    },
  };
}

function emptySaved(f64: boolean, isLstm: boolean, proj: boolean, isGru: boolean): LayerSaved {
  const e = (): F => (f64 ? new Float64Array(0) : new Float32Array(0));
  return {
    gates: e(),
    hPrev: e(),
    cPrev: isLstm ? e() : null,
    c: isLstm ? e() : null,
    hPre: proj ? e() : null,
    ghn: isGru ? e() : null,
    h: !isLstm && !isGru ? e() : null,
  };
}
