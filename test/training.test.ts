// Training trajectories against PyTorch (fixtures: scripts/fixtures/training.py): Embedding →
// LSTM/GRU (2 layers) → Linear, cross-entropy with ignoreIndex, clipGradNorm and each optimizer,
// 20 steps from PyTorch's initial weights, half through packed sequences. The loss of every step,
// the gradient norm of every step and the final weights must be PyTorch's (issue 5: float64 1e-9
// relative, float32 2e-3 relative).

import assert from "node:assert/strict";
import { after, beforeEach, describe, test } from "node:test";
import { nn, optim, type Tensor } from "../src/index.js";
import { availableKernels, useKernels } from "../src/kernels/select.js";
import { type FixtureCase, loadFixtures } from "./helpers/fixtures.js";

const TOL = { float64: 1e-9, float32: 2e-3 } as const;
const worst = { float32: { loss: 0, weight: 0 }, float64: { loss: 0, weight: 0 } };

interface Meta {
  kind: "LSTM" | "GRU";
  optimizer: "SGD" | "Adam" | "AdamW" | "RMSprop";
  optimizerOptions: Record<string, unknown>;
  dtype: "float32" | "float64";
  packed: boolean;
  lengths: number[];
  V: number;
  E: number;
  H: number;
  numLayers: number;
  steps: number;
  maxNorm: number;
  ignoreIndex: number;
}

class CharModel extends nn.Module {
  readonly embedding: nn.Embedding;
  readonly rnn: nn.LSTM | nn.GRU;
  readonly head: nn.Linear;

  constructor(readonly m: Meta) {
    super("CharModel");
    const dtype = m.dtype;
    this.embedding = this.registerModule(
      "embedding",
      new nn.Embedding({ numEmbeddings: m.V, embeddingDim: m.E, paddingIdx: 0, dtype }),
    );
    const o = { inputSize: m.E, hiddenSize: m.H, numLayers: m.numLayers, batchFirst: true, dtype };
    this.rnn = this.registerModule("rnn", m.kind === "LSTM" ? new nn.LSTM(o) : new nn.GRU(o));
    this.head = this.registerModule("head", new nn.Linear({ inFeatures: m.H, outFeatures: m.V, dtype }));
  }

  forward(x: Tensor): Tensor {
    const e = this.embedding.forward(x);
    const T = x.shape[1]!;
    let y: Tensor;
    if (this.m.packed) {
      const packed = nn.utils.rnn.packPaddedSequence(e, this.m.lengths, {
        batchFirst: true,
        enforceSorted: false,
      });
      const [out] = (this.rnn as nn.GRU).forward(packed);
      y = nn.utils.rnn.padPackedSequence(out, { batchFirst: true, totalLength: T })[0];
    } else y = (this.rnn as nn.GRU).forward(e)[0];
    return this.head.forward(y);
  }
}

function relErr(a: number, e: number): number {
  return Math.abs(a - e) / Math.max(Math.abs(e), 1e-30);
}

function train(c: FixtureCase): void {
  const m = c.meta as unknown as Meta;
  const model = new CharModel(m);
  model.loadStateDict(c.withPrefix("initial."));
  const Opt = { SGD: optim.SGD, Adam: optim.Adam, AdamW: optim.AdamW, RMSprop: optim.RMSprop }[m.optimizer];
  const opt = new Opt(model.parameters(), m.optimizerOptions as never);
  const lossFn = new nn.CrossEntropyLoss({ ignoreIndex: m.ignoreIndex });
  const x = c.t("x");
  const y = c.t("y").reshape(-1);
  const losses = c.t("losses").data;
  const norms = c.t("norms").data;
  const tol = TOL[m.dtype];
  const w = worst[m.dtype];
  for (let step = 0; step < m.steps; step++) {
    opt.zeroGrad();
    const logits = model.forward(x);
    const loss = lossFn.forward(logits.reshape(-1, m.V), y);
    loss.backward();
    const norm = nn.utils.clipGradNorm(model.parameters(), m.maxNorm).item();
    opt.step();
    const e = relErr(loss.item(), losses[step]!);
    w.loss = Math.max(w.loss, e);
    assert.ok(
      e <= tol,
      `${c.name} step ${step}: loss ${loss.item()}, PyTorch ${losses[step]} (rel ${e.toExponential(2)})`,
    );
    assert.ok(
      relErr(norm, norms[step]!) <= tol,
      `${c.name} step ${step}: grad norm ${norm}, PyTorch ${norms[step]}`,
    );
  }
  const final = c.withPrefix("final.");
  for (const [k, p] of model.namedParameters()) {
    const expected = final[k]!;
    // Relative to the tensor's largest magnitude: elementwise relative error means nothing at 0.
    let scale = 0;
    for (const v of expected.data) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < expected.data.length; i++) {
      const e = Math.abs(p.data[i]! - expected.data[i]!) / scale;
      w.weight = Math.max(w.weight, e);
      assert.ok(
        e <= tol,
        `${c.name} final ${k}[${i}]: ${p.data[i]}, PyTorch ${expected.data[i]} (rel ${e.toExponential(2)})`,
      );
    }
  }
}

after(() => {
  useKernels(availableKernels()[0]!);
  for (const d of ["float32", "float64"] as const)
    console.log(
      `training vs PyTorch, ${d}: worst loss rel error ${worst[d].loss.toExponential(2)}, final weights ${worst[d].weight.toExponential(2)} (of the tensor's max)`,
    );
});

const fx = loadFixtures("training");
for (const k of availableKernels())
  describe(`kernels: ${k.name}`, () => {
    beforeEach(() => useKernels(k));
    for (const c of fx.cases)
      test(`${c.name}: 20 training steps follow PyTorch's trajectory`, () => train(c));
  });
