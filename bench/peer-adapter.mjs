// rnnkit's adapter for ../shared/bench-peers (its README, "Adapter protocol"):
//   node bench/peer-adapter.mjs job-rnnkit-t1.json weights.safetensors
// run from the workload's cache folder. Loads the weights and input, times whole forwards (or train
// steps: forward, loss = sum(y²), BPTT, plain SGD) and prints one JSON line on stdout; everything
// else goes to stderr. rnnkit runs from its TypeScript sources through tsx (no build needed), with
// the kernels rnnkit picks by itself (native where the addon is built, else WebAssembly SIMD;
// relaxed SIMD where the engine has it: in Node 20 that needs V8's --experimental-wasm-relaxed-simd,
// set below before anything compiles). RNNKIT_KERNELS=ts|wasm|native and RNNKIT_WASM=simd force a
// choice, as in the library (the harness passes its environment on). The job's
// `threads` goes to rnnkit's setThreads; the line reports the threads the kernels could use.

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";

v8.setFlagsFromString("--experimental-wasm-relaxed-simd");

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const log = (...a) => console.error("[rnnkit adapter]", ...a);

function fail(message) {
  console.error(`rnnkit adapter: ${message}`);
  process.exit(1);
}

/** safetensors: 8-byte LE header length, JSON header, raw little-endian data. F32 only here. */
function readSafetensors(path) {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8"));
  const base = 8 + n;
  const out = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    if (t.dtype !== "F32") fail(`${path}: ${name} has dtype ${t.dtype}, expected F32`);
    const [b, e] = t.data_offsets;
    const data = new Float32Array((e - b) / 4);
    new Uint8Array(data.buffer).set(buf.subarray(base + b, base + e));
    out[name] = { data, shape: t.shape };
  }
  return out;
}

/** .npy v1/v2/v3, '<f4', C order. */
function readNpy(path) {
  const buf = readFileSync(path);
  if (buf[0] !== 0x93 || buf.toString("latin1", 1, 6) !== "NUMPY") fail(`${path}: not a .npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hstart = major === 1 ? 10 : 12;
  const header = buf.toString("latin1", hstart, hstart + hlen);
  if (!/'descr':\s*'<f4'/.test(header)) fail(`${path}: expected '<f4' data, header ${header}`);
  if (/'fortran_order':\s*True/.test(header)) fail(`${path}: Fortran order is not supported`);
  const shape = header
    .match(/'shape':\s*\(([^)]*)\)/)[1]
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(Number);
  const start = hstart + hlen;
  const count = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  new Uint8Array(data.buffer).set(buf.subarray(start, start + count * 4));
  return { data, shape };
}

/** The harness's timing rule (README step 2). */
function timeReps(job, rep) {
  const maxMs = job.max_seconds * 1000;
  let warmMs = 0;
  let last = null;
  for (let i = 0; i < job.warmup; i++) {
    const t0 = performance.now();
    rep();
    last = performance.now() - t0;
    if (i === 0 && last >= maxMs) return [last];
    warmMs += last;
    if (warmMs > maxMs / 4) break;
  }
  const n = last === null ? job.reps : Math.min(job.reps, Math.max(1, Math.floor(maxMs / last)));
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    rep();
    times.push(performance.now() - t0);
  }
  return times;
}

async function main() {
  const [jobPath, weightsArg] = process.argv.slice(2);
  if (!jobPath) fail("usage: peer-adapter.mjs JOB.json WEIGHTS.safetensors");
  const job = JSON.parse(readFileSync(jobPath, "utf8"));
  const wl = job.workload;
  const { tsImport } = await import("tsx/esm/api");
  const rnnkit = await tsImport(join(root, "src", "index.ts"), import.meta.url);
  const { nn, tensor, noGrad, kernels, setThreads, threadsReady } = rnnkit;
  setThreads(Math.max(1, Math.floor(job.threads ?? 1)));
  const threads = await threadsReady();

  const Cls = { lstm: nn.LSTM, gru: nn.GRU, rnn: nn.RNN }[wl.cell];
  if (!Cls) fail(`unknown cell ${wl.cell}`);
  const model = new Cls({
    inputSize: wl.input_size,
    hiddenSize: wl.hidden_size,
    numLayers: wl.num_layers,
    bidirectional: wl.bidirectional,
    ...(wl.cell === "rnn" ? { nonlinearity: "tanh" } : {}),
  });
  const weights = readSafetensors(resolve(weightsArg ?? job.weights));
  const dict = {};
  for (const [name, t] of Object.entries(weights)) dict[name] = tensor(t.data, { shape: t.shape });
  model.loadStateDict(dict);
  const inp = readNpy(resolve(job.input));
  const x = tensor(inp.data, { shape: inp.shape });
  const k = kernels();
  const info = `rnnkit ${JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version}, kernels: ${k.name} (${k.detail}), ${threads} thread${threads === 1 ? "" : "s"}`;
  log(info);

  if (wl.mode === "forward") {
    model.eval();
    let result = null;
    const times = timeReps(job, () => {
      result = noGrad(() => model.forward(x));
    });
    const [y, state] = result;
    const [hN, cN] = Array.isArray(state) ? state : [state, null];
    const parts = [y.data, hN.data, ...(cN ? [cN.data] : [])];
    const total = parts.reduce((a, p) => a + p.length, 0);
    const out = new Float32Array(total);
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    writeFileSync(resolve(job.output), new Uint8Array(out.buffer));
    let ySum = 0;
    let yAbs = 0;
    for (const v of y.data) {
      ySum += v;
      yAbs += Math.abs(v);
    }
    console.log(
      JSON.stringify({
        peer: "rnnkit",
        workload: wl.id,
        threads,
        forward_ms: times,
        train_ms: null,
        checksum: { y_sum: ySum, y_abs_sum: yAbs },
        info,
      }),
    );
  } else if (wl.mode === "train") {
    model.train();
    const params = [...model.parameters()];
    const lr = wl.lr;
    const losses = [];
    const step = () => {
      model.zeroGrad();
      const [y] = model.forward(x);
      const loss = y.mul(y).sum();
      loss.backward();
      if (losses.length < 2) losses.push(loss.item());
      for (const p of params) {
        const d = p.data;
        const g = p.grad.data;
        for (let i = 0; i < d.length; i++) d[i] -= lr * g[i];
        p.bumpVersion(); // written in place: the kernels drop what they packed from it
      }
    };
    const times = timeReps(job, step);
    while (losses.length < 2) step();
    console.log(
      JSON.stringify({
        peer: "rnnkit",
        workload: wl.id,
        threads,
        forward_ms: null,
        train_ms: times,
        checksum: { losses },
        info,
      }),
    );
  } else fail(`unknown mode ${wl.mode}`);
}

main().catch((e) => fail(e?.stack ?? String(e)));
