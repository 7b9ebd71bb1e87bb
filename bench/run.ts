// npm run bench: rnnkit's own workloads at 1 and 2 threads on each kernel implementation (native,
// WASM), then (where ../shared/bench-peers exists) two side-by-side tables from the shared harness,
// at 1 thread and at 2: the Node table (rnnkit's native kernels beside PyTorch and ONNX Runtime for
// Node) and the browser-engine table (rnnkit's WASM kernels beside onnxruntime-web and tfjs-wasm).
//
//   npm run bench                          own workloads, then every peer at 1 and 2 threads (~10 min)
//   npm run bench -- --no-peers            own workloads only
//   npm run bench -- --peers-only --threads 2 --only torch,rnnkit --reps 5   (the rest goes to the harness)
//
// Own workloads: the harness's shapes with random weights (forward and train step), at 1 thread and
// at 2 (setThreads; the results are identical), packed vs padded sequences of uneven lengths (a
// packed batch costs its real rows), and the streaming cost of one LSTMCell step; RSS after each
// workload (the largest so far). Median and spread of timed reps after warm-up; machine and kernels
// named. RNNKIT_KERNELS=ts|wasm|native runs one implementation only (and both tables with it).

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  kernels,
  manualSeed,
  nn,
  noGrad,
  randn,
  setThreads,
  type Tensor,
  threadsReady,
} from "../src/index.js";
import { availableKernels, useKernels } from "../src/kernels/select.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const noPeers = args.includes("--no-peers");
const peersOnly = args.includes("--peers-only");
const harnessArgs = args.filter((a) => a !== "--no-peers" && a !== "--peers-only");
/** The thread counts of the own workloads and of the side-by-side runs. */
const THREADS = [1, 2];

function stats(
  fn: () => void,
  minMs = 1500,
  maxReps = 50,
): { median: number; lo: number; hi: number; n: number } {
  const t0 = performance.now();
  for (let i = 0; i < 3 && performance.now() - t0 < minMs / 2; i++) fn();
  const times: number[] = [];
  const t1 = performance.now();
  while (times.length < 3 || (times.length < maxReps && performance.now() - t1 < minMs)) {
    const s = performance.now();
    fn();
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  return {
    median: times[times.length >> 1]!,
    lo: times[Math.floor(times.length * 0.1)]!,
    hi: times[Math.ceil(times.length * 0.9) - 1]!,
    n: times.length,
  };
}

const fmt = (s: { median: number; lo: number; hi: number; n: number }) =>
  `${s.median.toFixed(3).padStart(9)} ms  [p10 ${s.lo.toFixed(3)}, p90 ${s.hi.toFixed(3)}, n=${s.n}]`;

interface Workload {
  id: string;
  mode: "forward" | "train";
  cell: "lstm" | "gru" | "rnn";
  input_size: number;
  hidden_size: number;
  num_layers: number;
  bidirectional: boolean;
  batch: number;
  seq_len: number;
}

type Rnn = InstanceType<typeof nn.LSTM> | InstanceType<typeof nn.GRU> | InstanceType<typeof nn.RNN>;

function make(w: Workload): Rnn {
  const o = {
    inputSize: w.input_size,
    hiddenSize: w.hidden_size,
    numLayers: w.num_layers,
    bidirectional: w.bidirectional,
  };
  return w.cell === "lstm" ? new nn.LSTM(o) : w.cell === "gru" ? new nn.GRU(o) : new nn.RNN(o);
}

function flops(w: Workload): number {
  const G = { lstm: 4, gru: 3, rnn: 1 }[w.cell];
  const D = w.bidirectional ? 2 : 1;
  let f = 0;
  for (let l = 0; l < w.num_layers; l++) {
    const I = l === 0 ? w.input_size : D * w.hidden_size;
    f += D * w.seq_len * 2 * w.batch * G * w.hidden_size * (I + w.hidden_size);
  }
  return w.mode === "train" ? 3 * f : f;
}

const forward = (m: Rnn, x: Tensor | InstanceType<typeof nn.utils.rnn.PackedSequence>) =>
  (m.forward as (x: unknown) => [unknown, unknown])(x);

async function ownWorkloads(): Promise<void> {
  const k = kernels();
  console.log(`rnnkit's own workloads: ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}`);
  console.log(`kernels: ${k.name} (${k.detail}), float32, random weights\n`);
  const file = join(root, "bench", "workloads.json");
  const { workloads } = JSON.parse(readFileSync(file, "utf8")) as { workloads: Workload[] };
  manualSeed(0);
  for (const w of workloads) {
    const m = make(w);
    const x = randn([w.seq_len, w.batch, w.input_size]);
    let rep: () => void;
    if (w.mode === "forward") {
      m.eval();
      rep = () => noGrad(() => forward(m, x));
    } else {
      const params = [...m.parameters()];
      rep = () => {
        m.zeroGrad();
        const [y] = forward(m, x) as unknown as [Tensor];
        y.mul(y).sum().backward();
        for (const p of params) {
          const d = p.data;
          const g = p.grad!.data;
          for (let i = 0; i < d.length; i++) d[i]! -= 1e-4 * g[i]!;
          p.bumpVersion(); // written in place: the kernels drop what they packed from it
        }
      };
    }
    const medians: number[] = [];
    for (const threads of THREADS) {
      setThreads(threads);
      const used = await threadsReady();
      const s = stats(rep);
      medians.push(s.median);
      const gf = flops(w) / s.median / 1e6;
      const rss = process.memoryUsage().rss / 2 ** 20;
      const speedup = threads === THREADS[0] ? "" : `  ×${(medians[0]! / s.median).toFixed(2)}`;
      console.log(
        `${w.id.padEnd(14)} ${w.mode.padEnd(8)} ${String(used).padStart(2)} thr ${fmt(s)}  ${gf.toFixed(1).padStart(5)} GFLOP/s  RSS ${rss.toFixed(0)} MB${speedup}`,
      );
    }
  }
  setThreads(1);
  await threadsReady();

  // Packed vs padded: 16 sequences, lengths 10..100, LSTM I=80 H=256.
  console.log("\npacked vs padded (LSTM I=80 H=256, B=16, T=100, lengths 100, 94, ..., 10):");
  const B = 16;
  const T = 100;
  const lengths = Array.from({ length: B }, (_, i) => Math.round(T - (i * (T - 10)) / (B - 1)));
  const real = lengths.reduce((a, b) => a + b, 0);
  const lstm = new nn.LSTM({ inputSize: 80, hiddenSize: 256 }).eval();
  const x = randn([T, B, 80]);
  const padded = stats(() => noGrad(() => forward(lstm, x)));
  const packed = nn.utils.rnn.packPaddedSequence(x, lengths);
  const packedT = stats(() => noGrad(() => forward(lstm, packed)));
  console.log(`  padded (B×T = ${B * T} rows)      ${fmt(padded)}`);
  console.log(`  packed (Σ lengths = ${real} rows)  ${fmt(packedT)}`);
  console.log(
    `  packed / padded time ${(packedT.median / padded.median).toFixed(2)}, work ratio ${(real / (B * T)).toFixed(2)}`,
  );

  // Streaming: one LSTMCell step, H = 128, batch 1.
  const cell = new nn.LSTMCell({ inputSize: 64, hiddenSize: 128 }).eval();
  const xi = randn([1, 64]);
  let state: [Tensor, Tensor] = [randn([1, 128]), randn([1, 128])];
  const steps = 1000;
  const st = stats(() =>
    noGrad(() => {
      for (let i = 0; i < steps; i++) state = cell.forward(xi, state) as [Tensor, Tensor];
    }),
  );
  console.log(
    `\nstreaming: LSTMCell(64, 128) one step at batch 1: ${((st.median * 1000) / steps).toFixed(2)} µs per step`,
  );
}

const forcedKernels = process.env.RNNKIT_KERNELS;
if (!peersOnly) {
  // Each fast implementation in turn (the reference too, when forced).
  const impls = forcedKernels
    ? [kernels()]
    : availableKernels()
        .filter((k) => k.name !== "ts")
        .reverse();
  for (const k of impls) {
    useKernels(k);
    await ownWorkloads();
    console.log("");
  }
}

const harness = join(root, "..", "shared", "bench-peers", "run");
if (!noPeers) {
  if (existsSync(harness)) {
    // At 1 thread and at 2, unless --threads says which; the Node table with the native kernels,
    // the browser-engine one with WASM (unless --only or RNNKIT_KERNELS says otherwise).
    const native = availableKernels().some((k) => k.name === "native");
    const tables = harnessArgs.includes("--only")
      ? [{ name: "", only: [] as string[], kernels: forcedKernels }]
      : [
          ...(native || forcedKernels
            ? [
                {
                  name: "Node",
                  only: ["--only", "torch,ort-node,rnnkit"],
                  kernels: forcedKernels ?? "native",
                },
              ]
            : []),
          {
            name: "browser engines",
            only: ["--only", "ort-web,tfjs-wasm,rnnkit"],
            kernels: forcedKernels ?? "wasm",
          },
        ];
    const threadRuns = harnessArgs.includes("--threads")
      ? [[]]
      : THREADS.map((t) => ["--threads", String(t)]);
    for (const table of tables)
      for (const threads of threadRuns) {
        const extra = [...table.only, ...threads, ...harnessArgs];
        const env = { ...process.env, ...(table.kernels ? { RNNKIT_KERNELS: table.kernels } : {}) };
        console.log(
          `\nside by side${table.name ? `, ${table.name} (rnnkit on RNNKIT_KERNELS=${table.kernels})` : ""}: ${harness} --project ${root} ${extra.join(" ")}`,
        );
        const r = spawnSync(harness, ["--project", root, ...extra], { stdio: "inherit", env });
        if (r.status !== 0) process.exitCode = r.status ?? 1;
      }
  } else console.log(`\n(no ${harness}: side-by-side table skipped)`);
}
