// Threads for the WebAssembly kernels: results must not depend on the thread count. Every output
// element is computed by exactly one thread with the single-thread arithmetic, so one thread and
// two must give identical bytes: gemm in every transpose case, and whole layers forward and
// backward (every cell kind, packed batches, reverse, projection, both dtypes). The split threshold
// is lowered so that small, fast cases exercise every split (rows, panels, packing, transposes,
// column sums, time loops), the worker runs every chunk, and one case runs at the real threshold
// with setThreads(1) against setThreads(2). Then worker shutdown (a process with threads exits by
// itself; setThreads(1) ends the workers) and setThreads' argument errors.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ArgumentError } from "../../src/errors.js";
import { getThreads, setThreads, threadsReady } from "../../src/kernels/select.js";
import type {
  CellKind,
  F,
  Kernels,
  LayerGradIn,
  LayerRun,
  LayerSpec,
  LayerWeights,
} from "../../src/kernels/types.js";
import { loadWasmKernels, wasmPool } from "../../src/kernels/wasm/index.js";
import { tuning } from "../../src/kernels/wasm/split.js";
import { poolTuning } from "../../src/kernels/wasm/threads.js";
import { Generator } from "../../src/tensor/random.js";

type DT = "float32" | "float64";
const DTYPES: DT[] = ["float32", "float64"];

function arr(dt: DT, g: Generator, n: number, scale = 1): F {
  const a = dt === "float32" ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = g.normal() * scale;
  return a;
}

/** Byte equality (so −0 ≠ +0 and NaN payloads count). */
function same(a: F | null, b: F | null, what: string): void {
  assert.equal(a === null, b === null, `${what}: presence`);
  if (!a || !b) return;
  assert.equal(a.length, b.length, `${what}: length`);
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < x.length; i++)
    if (x[i] !== y[i])
      assert.fail(
        `${what}: element ${Math.floor(i / a.BYTES_PER_ELEMENT)} differs: ${a[Math.floor(i / a.BYTES_PER_ELEMENT)]} vs ${b[Math.floor(i / a.BYTES_PER_ELEMENT)]}`,
      );
}

const wasm = loadWasmKernels();
const here = dirname(fileURLToPath(import.meta.url));
const selectTs = join(here, "..", "..", "src", "kernels", "select.ts");

/**
 * Runs fn on one thread and on two, returning both results; asserts that a worker really ran part
 * of the work on two. `real`: one thread by setThreads(1) (no workers); otherwise the workers stay
 * and the split threshold makes every job one thread's, which is the same code path and much faster
 * than restarting a worker per case.
 */
async function atOneAndTwo<R>(fn: () => R, real = false): Promise<[R, R]> {
  const split = tuning.minWorkPerThread;
  let one: R;
  if (real) {
    setThreads(1);
    await threadsReady();
    one = fn();
  } else {
    tuning.minWorkPerThread = Number.POSITIVE_INFINITY;
    const before = wasmPool()?.chunksOnWorkers ?? 0;
    try {
      one = fn();
    } finally {
      tuning.minWorkPerThread = split;
    }
    assert.equal(wasmPool()?.chunksOnWorkers ?? 0, before, "one thread did all the work");
  }
  setThreads(2);
  assert.equal(await threadsReady(), 2, "two threads usable");
  // The worker runs every chunk of every split job (the main thread only waits), so that the
  // worker's side is exercised whatever the timing; real runs share chunks as they come.
  // A worker still finishing its previous call is not idle yet, and then the main thread runs the
  // call alone; so try a few times until the worker took part (the results must match either way).
  poolTuning.mainClaims = false;
  let two: R;
  let ranOnWorker = false;
  try {
    for (let attempt = 0; attempt < 50 && !ranOnWorker; attempt++) {
      const before = wasmPool()!.chunksOnWorkers;
      two = fn();
      ranOnWorker = wasmPool()!.chunksOnWorkers > before;
      if (!ranOnWorker) await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    poolTuning.mainClaims = true;
  }
  assert.ok(ranOnWorker, "the worker ran chunks");
  return [one, two!];
}

describe("threads: identical results at 1 and 2 threads", {
  skip: wasm ? false : "no WebAssembly SIMD here",
}, () => {
  const k = wasm as Kernels;
  const saved = tuning.minWorkPerThread;
  before(() => {
    tuning.minWorkPerThread = 1;
  });
  after(async () => {
    tuning.minWorkPerThread = saved;
    setThreads(1);
    await threadsReady();
  });

  test("gemm: every transpose case, β, odd shapes split by rows and by panels, both dtypes", async () => {
    const g = new Generator(3);
    for (const dt of DTYPES)
      for (const [m, n, kk] of [
        [1, 37, 5],
        [3, 70, 19],
        [13, 9, 7],
        [37, 41, 23],
        [64, 100, 33],
      ] as const)
        for (const tA of [false, true])
          for (const tB of [false, true])
            for (const beta of [0, 1] as const) {
              const lda = (tA ? m : kk) + 1;
              const ldb = (tB ? kk : n) + 2;
              const ldc = n + 3;
              const a = arr(dt, g, 2 + (tA ? kk : m) * lda);
              const b = arr(dt, g, 1 + (tB ? n : kk) * ldb);
              const c0 = arr(dt, g, 5 + m * ldc);
              const [c1, c2] = await atOneAndTwo(() => {
                const c = c0.slice();
                k.gemm(tA, tB, m, n, kk, a, 2, lda, b, 1, ldb, beta, c, 5, ldc);
                return c;
              });
              same(c1, c2, `gemm ${dt} tA=${tA} tB=${tB} β=${beta} [${m},${n},${kk}]`);
            }
  });

  test("linearCrossEntropy: loss and gradients, rows split and ignored, both dtypes", async () => {
    const g = new Generator(4);
    for (const dt of DTYPES)
      for (const [rows, I, C] of [
        [1, 3, 5],
        [13, 9, 37],
        [40, 17, 101],
      ] as const)
        for (const withBias of [false, true]) {
          const x = arr(dt, g, rows * I);
          const w = arr(dt, g, C * I);
          const b = withBias ? arr(dt, g, C) : null;
          const t = Int32Array.from({ length: rows }, (_, r) => (r % 5 === 3 ? -1 : (r * 7) % C));
          const scale = Float64Array.from({ length: rows }, (_, r) => (t[r]! < 0 ? 0 : 1 / rows));
          const [r1, r2] = await atOneAndTwo(() => {
            const loss = new Float64Array(rows);
            const grads = {
              scale,
              dx: x.slice().fill(0),
              dw: w.slice().fill(0),
              db: b ? b.slice().fill(0) : null,
            };
            k.linearCrossEntropy(rows, I, C, x, w, b, t, loss, grads);
            return { loss, ...grads };
          });
          const at = `linearCrossEntropy ${dt} [${rows}, ${I}, ${C}] bias=${withBias}`;
          same(r1.loss, r2.loss, `${at} loss`);
          same(r1.dx, r2.dx, `${at} dx`);
          same(r1.dw, r2.dw, `${at} dw`);
          same(r1.db, r2.db, `${at} db`);
        }
  });

  test("whole layers forward and backward: every cell, packed, reverse, projection, both dtypes", async () => {
    const g = new Generator(8);
    const kinds: CellKind[] = ["rnn_tanh", "rnn_relu", "lstm", "gru"];
    const cases: { H: number; I: number; P: number; bs: number[] }[] = [
      { H: 13, I: 9, P: 0, bs: [16, 16, 16, 16] }, // padded, batch split 8 / 8
      { H: 7, I: 5, P: 3, bs: [14, 12, 9, 9, 6, 2] }, // packed: ranges run dry at different steps
      { H: 16, I: 11, P: 0, bs: [10, 10, 7] }, // a batch of 4k + 2 (split 6 / 4 rows? 2-row blocks)
      { H: 5, I: 3, P: 2, bs: [1, 1, 1, 1] }, // batch 1 (GEMV): one thread for the loop
      { H: 6, I: 4, P: 0, bs: [9] }, // one step (the cells): one thread for the loop
    ];
    for (const dt of DTYPES)
      for (const kind of kinds)
        for (const cs of cases)
          for (const reverse of [false, true]) {
            const P = kind === "lstm" ? cs.P : 0;
            const spec: LayerSpec = { kind, inputSize: cs.I, hiddenSize: cs.H, projSize: P };
            const G = { rnn_tanh: 1, rnn_relu: 1, lstm: 4, gru: 3 }[kind] * cs.H;
            const Pout = P > 0 ? P : cs.H;
            const N = cs.bs.reduce((s, v) => s + v, 0);
            const B = cs.bs[0]!;
            const at = `${dt} ${kind} H=${cs.H} P=${P} bs=${cs.bs} reverse=${reverse}`;
            const w: LayerWeights = {
              wIh: arr(dt, g, G * cs.I, 0.5),
              wHh: arr(dt, g, G * Pout, 0.5),
              bIh: arr(dt, g, G, 0.5),
              bHh: arr(dt, g, G, 0.5),
              wHr: P > 0 ? arr(dt, g, P * cs.H, 0.5) : null,
            };
            const xLd = cs.I + 1;
            const x = arr(dt, g, N * xLd);
            const h0 = arr(dt, g, B * Pout);
            const c0 = arr(dt, g, B * cs.H);
            const dOut = arr(dt, g, N * Pout);
            const dhN = arr(dt, g, B * Pout);
            const dcN = arr(dt, g, B * cs.H);
            const [r1, r2] = await atOneAndTwo(() => {
              const run: LayerRun = {
                x,
                xOff: 0,
                xLd,
                batchSizes: cs.bs,
                reverse,
                h0,
                h0Off: 0,
                c0: kind === "lstm" ? c0 : null,
                c0Off: 0,
                out: dt === "float32" ? new Float32Array(N * Pout) : new Float64Array(N * Pout),
                outOff: 0,
                outLd: Pout,
                hN: dt === "float32" ? new Float32Array(B * Pout) : new Float64Array(B * Pout),
                hNOff: 0,
                cN:
                  kind === "lstm"
                    ? dt === "float32"
                      ? new Float32Array(B * cs.H)
                      : new Float64Array(B * cs.H)
                    : null,
                cNOff: 0,
                save: true,
              };
              const saved = k.layerForward(spec, w, run)!;
              const gin: LayerGradIn = {
                x,
                xOff: 0,
                xLd,
                batchSizes: cs.bs,
                reverse,
                dOut,
                dOutOff: 0,
                dOutLd: Pout,
                dhN,
                dhNOff: 0,
                dcN: kind === "lstm" ? dcN : null,
                dcNOff: 0,
              };
              return { run, saved, grads: k.layerBackward(spec, w, saved, gin) };
            });
            same(r1.run.out, r2.run.out, `out ${at}`);
            same(r1.run.hN, r2.run.hN, `hN ${at}`);
            same(r1.run.cN, r2.run.cN, `cN ${at}`);
            for (const key of ["gates", "hPrev", "cPrev", "c", "hPre", "ghn", "h"] as const)
              same(r1.saved[key], r2.saved[key], `saved.${key} ${at}`);
            for (const key of ["dx", "dh0", "dc0", "dWih", "dWhh", "dBih", "dBhh", "dWhr"] as const)
              same(r1.grads[key], r2.grads[key], `${key} ${at}`);
          }
  });

  test("at the real split threshold: an LSTM layer and a Linear-sized gemm", async () => {
    tuning.minWorkPerThread = saved;
    try {
      const g = new Generator(4);
      const spec: LayerSpec = { kind: "lstm", inputSize: 128, hiddenSize: 128, projSize: 0 };
      const G = 512;
      const bs = new Array<number>(16).fill(16);
      const N = 16 * 16;
      const w: LayerWeights = {
        wIh: arr("float32", g, G * 128, 0.2),
        wHh: arr("float32", g, G * 128, 0.2),
        bIh: arr("float32", g, G),
        bHh: null,
        wHr: null,
      };
      const x = arr("float32", g, N * 128);
      const runLstm = () => {
        const out = new Float32Array(N * 128);
        k.layerForward(spec, w, {
          x,
          xOff: 0,
          xLd: 128,
          batchSizes: bs,
          reverse: false,
          h0: null,
          h0Off: 0,
          c0: null,
          c0Off: 0,
          out,
          outOff: 0,
          outLd: 128,
          hN: new Float32Array(16 * 128),
          hNOff: 0,
          cN: new Float32Array(16 * 128),
          cNOff: 0,
        });
        return out;
      };
      const [o1, o2] = await atOneAndTwo(runLstm, true);
      same(o1, o2, "LSTM output");
      // And with both threads claiming chunks as they come (the normal schedule, timing-dependent).
      same(o1, runLstm(), "LSTM output, chunks shared");
      const a = arr("float32", g, 256 * 128);
      const b = arr("float32", g, 300 * 128);
      const [c1, c2] = await atOneAndTwo(() => {
        const c = new Float32Array(256 * 300);
        k.gemm(false, true, 256, 300, 128, a, 0, 128, b, 0, 128, 0, c, 0, 300);
        return c;
      }, true);
      same(c1, c2, "gemm 256x300x128");
    } finally {
      tuning.minWorkPerThread = 1;
    }
  });
});

describe("threads: workers start and stop", { skip: wasm ? false : "no WebAssembly SIMD here" }, () => {
  test("setThreads(1) ends the workers; threadsReady reports the usable count", async () => {
    setThreads(2);
    assert.equal(getThreads(), 2);
    assert.equal(await threadsReady(), 2);
    setThreads(1);
    assert.equal(getThreads(), 1);
    assert.equal(await threadsReady(), 1);
    assert.equal(wasmPool()!.workers, 0);
  });

  test("a process using threads exits by itself when its work is done (idle workers keep nothing alive)", () => {
    const script = `import { setThreads, threadsReady, kernels } from ${JSON.stringify(selectTs)};
setThreads(2);
const n = await threadsReady();
const a = new Float32Array(256 * 256).fill(1);
const c = new Float32Array(256 * 256);
kernels().gemm(false, false, 256, 256, 256, a, 0, 256, a, 0, 256, 0, c, 0, 256);
console.log(JSON.stringify({ n, c0: c[0] }));`;
    const t0 = performance.now();
    const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 30000,
    });
    assert.deepEqual(JSON.parse(out.trim().split("\n").at(-1)!), { n: 2, c0: 256 });
    assert.ok(performance.now() - t0 < 20000, "exited promptly");
  });

  test("RNNKIT_THREADS sets the count at start-up and is checked", () => {
    const script = `import { getThreads, threadsReady } from ${JSON.stringify(selectTs)};
console.log(JSON.stringify({ n: getThreads(), ready: await threadsReady() }));`;
    const run = (v: string) =>
      execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        encoding: "utf8",
        env: { ...process.env, RNNKIT_THREADS: v },
        stdio: ["ignore", "pipe", "pipe"],
      });
    assert.deepEqual(JSON.parse(run("2").trim().split("\n").at(-1)!), { n: 2, ready: 2 });
    assert.throws(() => run("two"), /RNNKIT_THREADS must be a whole number/);
  });
});

test("setThreads refuses what is not a whole number of threads", () => {
  for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 100000, "2" as unknown as number])
    assert.throws(
      () => setThreads(bad),
      (e: unknown) => e instanceof ArgumentError && e.argument === "n" && /setThreads/.test(e.message),
      `setThreads(${String(bad)})`,
    );
  assert.equal(getThreads(), 1);
});
