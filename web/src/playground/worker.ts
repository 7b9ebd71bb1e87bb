// The playground's worker: parses the model and input files and runs the model, so the page never
// freezes on a large file. Everything here is the library's (io.loadModelFile, io.buildRecurrent,
// nn.runRecurrent, io.saveNpy: what `rnnkit run` composes); the worker only moves bytes.

import {
  getThreads,
  initKernels,
  io,
  kernels,
  manualSeed,
  nn,
  randn,
  setThreads,
  type Tensor,
  threadsReady,
} from "rnnkit";
import { layerTraces } from "../common/layers.js";
import type { Download, Reply, Request } from "./protocol.js";

let file: io.ModelFile | null = null;
const ready = (async () => {
  await initKernels();
  // Threads need shared memory, which a page has only when cross-origin isolated (COOP/COEP).
  if (globalThis.crossOriginIsolated) {
    setThreads(Math.min(navigator.hardwareConcurrency || 1, 4));
    await threadsReady();
  }
})();

const post = (reply: Reply, transfer: Transferable[] = []) => postMessage(reply, { transfer });

function lengthsOf(text: string): number[] | null {
  if (text.trim() === "") return null;
  const lengths = nn.parseLengths(text);
  if (!lengths)
    throw new Error(`Lengths must be positive integers separated by commas (like 5,3,2), got '${text}'`);
  return lengths;
}

function bytesOf(t: Tensor): ArrayBuffer {
  const b = io.saveNpy(t);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

function load(id: number, name: string, bytes: ArrayBuffer): void {
  file = null;
  const format = io.modelFormatOf(name);
  if (!format)
    throw new Error(
      `Model '${name}' must end in .pt, .pth or .safetensors (the format follows the extension)`,
    );
  const f = io.loadModelFile(new Uint8Array(bytes), { name, format });
  const tensors = [...f.tensors].map(([n, t]) => ({ name: n, shape: [...t.shape], dtype: t.dtype }));
  let modules: (nn.InferredRecurrent & { dtype: string })[] = [];
  let problem: string | null = null;
  try {
    modules = nn
      .findRecurrent(io.shapesOf(f.tensors))
      .map((a) => ({ ...a, dtype: f.tensors.get(`${a.prefix}weight_ih_l0`)!.dtype }));
    if (modules.length === 0) nn.inferRecurrent(io.shapesOf(f.tensors));
  } catch (e) {
    problem = (e as Error).message;
  }
  file = f;
  post({ type: "loaded", id, name, format, tensors, modules, problem });
}

function run(r: Extract<Request, { type: "run" }>): void {
  if (!file) throw new Error("Choose a Model file first");
  const t0 = performance.now();
  const lengths = lengthsOf(r.lengths);
  const options = { prefix: r.prefix, nonlinearity: r.nonlinearity, batchFirst: r.batchFirst };
  const { module: m, architecture: a, notes } = io.buildRecurrent(file, options);
  const dtype = m.dtype;
  let x: Tensor;
  if (r.input.kind === "npy") {
    const stored = io.loadNpy(new Uint8Array(r.input.bytes), { name: r.input.name });
    x = io.toTensor(stored, "input");
    if (x.dtype !== dtype) {
      notes.push(`input: ${r.input.name} is ${stored.dtype}; converting to the weights' ${dtype}`);
      x = x.to(dtype);
    }
  } else {
    manualSeed(r.input.seed);
    const { length: L, batch: N } = r.input;
    x = randn(r.batchFirst ? [N, L, a.inputSize] : [L, N, a.inputSize], { dtype });
    notes.push(`input: randn(${x.shape.join(", ")}) after manualSeed(${r.input.seed}), ${dtype}`);
  }
  const { output, hN, cN } = nn.runRecurrent(m, x, { lengths });
  const downloads: Download[] = [
    { name: "output.npy", shape: [...output.shape], bytes: bytesOf(output) },
    { name: "h_n.npy", shape: [...hN.shape], bytes: bytesOf(hN) },
  ];
  if (cN) downloads.push({ name: "c_n.npy", shape: [...cN.shape], bytes: bytesOf(cN) });

  // Each layer's output over time (the top one is `output`).
  const traces = layerTraces(m, x, lengths);
  const batch = traces[0]!.batch;
  const steps = traces[0]!.steps;
  post(
    {
      type: "result",
      id: r.id,
      downloads,
      kind: a.kind,
      traces,
      lengths: lengths ?? Array.from({ length: batch }, () => steps),
      inputShape: [...x.shape],
      notes,
      kernels: kernels().detail,
      threads: getThreads(),
      ms: performance.now() - t0,
    },
    [...new Set([...downloads.map((d) => d.bytes), ...traces.map((t) => t.data.buffer as ArrayBuffer)])],
  );
}

addEventListener("message", async (e: MessageEvent<Request>) => {
  const r = e.data;
  try {
    await ready;
    if (r.type === "load") load(r.id, r.name, r.bytes);
    else run(r);
  } catch (err) {
    post({ type: "error", id: r.id, message: (err as Error).message });
  }
});
