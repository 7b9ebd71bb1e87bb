// The PyTorch fixture cases the browser suite runs (browser-safe: no Node imports), forward and
// backward, for every recurrent module and cell and their options (groups rnn, seeds, cells) and
// Linear / Embedding (layers). The same function runs in Chromium (harness/main.ts) and in Node
// (kernels.spec.ts), which compares the two bit for bit and both with PyTorch.

import { manualSeed, nn, randn, type Tensor } from "../../src/index.js";
import type { FixtureCase } from "../helpers/fixture_data.js";

export const GROUPS = ["rnn", "seeds", "cells", "layers"] as const;
export type Group = (typeof GROUPS)[number];

type PackedSequence = InstanceType<typeof nn.utils.rnn.PackedSequence>;

/** Loss = Σ y·w.y over the outputs (seeded weights, so upstream gradients are not all ones). */
function weighted(ys: Record<string, Tensor>, c: FixtureCase): Tensor {
  let loss: Tensor | null = null;
  for (const [k, y] of Object.entries(ys)) {
    const term = y.mul(c.t(`w.${k}`)).sum();
    loss = loss ? loss.add(term) : term;
  }
  return loss!;
}

function leaves(c: FixtureCase, keys: string[]): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const k of keys)
    if (c.has(k)) {
      const t = c.t(k).detach().clone();
      out[k] = t.dtype === "int32" ? t : t.requiresGrad_();
    }
  return out;
}

/**
 * Runs case `c` of `group`: its forward, then backward of the weighted loss. Returns every result
 * under the fixture's key for PyTorch's value (`output`, `h_n`, `grad.input`, `grad.state.weight_ih_l0` ...).
 */
export function runCase(group: Group, c: FixtureCase): Map<string, Tensor> {
  const meta = c.meta as {
    module: string;
    options: nn.LSTMOptions & nn.RNNOptions & nn.RNNCellOptions;
    packed?: null | "sorted" | "unsorted";
  };
  const leaf = leaves(c, ["input", "h0", "c0"]);
  const results = new Map<string, Tensor>();
  let ys: Record<string, Tensor>;
  let params: [string, Tensor][];
  if (group === "layers") {
    const options = meta.options as never;
    const m = meta.module === "Linear" ? new nn.Linear(options) : new nn.Embedding(options);
    m.loadStateDict(c.withPrefix("state."));
    ys = { output: m.forward(leaf.input!) };
    params = [...m.namedParameters()];
  } else if (group === "cells") {
    const m =
      meta.module === "LSTMCell"
        ? new nn.LSTMCell(meta.options)
        : meta.module === "GRUCell"
          ? new nn.GRUCell(meta.options)
          : new nn.RNNCell(meta.options);
    m.loadStateDict(c.withPrefix("state."));
    if (m instanceof nn.LSTMCell) {
      const [h1, c1] = m.forward(leaf.input!, leaf.h0 ? [leaf.h0, leaf.c0!] : null);
      ys = { h_1: h1, c_1: c1 };
    } else ys = { h_1: (m as nn.GRUCell).forward(leaf.input!, leaf.h0 ?? null) };
    params = [...m.namedParameters()];
  } else {
    const m =
      meta.module === "LSTM"
        ? new nn.LSTM(meta.options)
        : meta.module === "GRU"
          ? new nn.GRU(meta.options)
          : new nn.RNN(meta.options);
    m.loadStateDict(c.withPrefix("state."));
    m.eval();
    const batchFirst = meta.options.batchFirst ?? false;
    const input = meta.packed
      ? nn.utils.rnn.packPaddedSequence(leaf.input!, c.t("lengths"), {
          batchFirst,
          enforceSorted: meta.packed === "sorted",
        })
      : leaf.input!;
    let out: Tensor | PackedSequence;
    if (m instanceof nn.LSTM) {
      const [o, [hN, cN]] = m.forward(input as Tensor, leaf.h0 ? [leaf.h0, leaf.c0!] : null);
      out = o;
      ys = { h_n: hN, c_n: cN };
    } else {
      const [o, hN] = (m as nn.GRU).forward(input as Tensor, leaf.h0 ?? null);
      out = o;
      ys = { h_n: hN };
    }
    if (out instanceof nn.utils.rnn.PackedSequence) {
      results.set("output_data", out.data);
      ys = { output: nn.utils.rnn.padPackedSequence(out, { batchFirst })[0], ...ys };
    } else ys = { output: out, ...ys };
    params = [...m.namedParameters()];
  }
  for (const [k, y] of Object.entries(ys)) results.set(k, y);
  weighted(ys, c).backward();
  for (const [k, t] of Object.entries(leaf)) if (t.grad) results.set(`grad.${k}`, t.grad);
  for (const [k, p] of params) if (p.grad) results.set(`grad.state.${k}`, p.grad);
  return results;
}

/**
 * A case large enough for the kernels to split over threads (batch 16, H 96: products, packing and
 * the time loops), from rnnkit's own seeded generator: no PyTorch values, only Node's bits to equal.
 */
export function runLarge(): Map<string, Tensor> {
  manualSeed(12);
  const m = new nn.LSTM({ inputSize: 48, hiddenSize: 96, numLayers: 2, bidirectional: true });
  const x = randn([10, 16, 48]).requiresGrad_();
  const [output, [hN, cN]] = m.forward(x);
  const w = randn([...output.shape]);
  output.mul(w).sum().add(hN.sum()).add(cN.mul(cN).sum()).backward();
  const results = new Map<string, Tensor>([
    ["output", output],
    ["h_n", hN],
    ["c_n", cN],
    ["grad.input", x.grad!],
  ]);
  for (const [k, p] of m.namedParameters()) results.set(`grad.state.${k}`, p.grad!);
  return results;
}

/** A result as it crosses from the page to Node: dtype, shape and the raw bytes in base64. */
export interface WireTensor {
  readonly dtype: string;
  readonly shape: number[];
  readonly base64: string;
}

export function toWire(t: Tensor): WireTensor {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    s += String.fromCharCode(...bytes.subarray(i, Math.min(i + 0x8000, bytes.length)));
  return { dtype: t.dtype, shape: [...t.shape], base64: btoa(s) };
}

/** What the harness page's runFixtures(threads) resolves to. */
export interface HarnessResult {
  readonly kernels: string;
  /** The WASM build the engine runs (relaxed-simd or simd). */
  readonly variant: string | null;
  readonly crossOriginIsolated: boolean;
  readonly threads: number;
  /** Chunks of split work the worker threads ran (with more than one thread, they run them all). */
  readonly chunksOnWorkers: number;
  /** `group/case` → result key → tensor; `large` is runLarge(). */
  readonly cases: Record<string, Record<string, WireTensor>>;
  readonly errors: string[];
}
