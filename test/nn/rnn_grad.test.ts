// Gradients of nn.RNN / LSTM / GRU and the cells against PyTorch's autograd: the same fixture
// cases as the forward tests (groups rnn, seeds, cells), each with a backward of
// loss = Σ output·w.output + Σ h_n·w.h_n [+ Σ c_n·w.c_n] (seeded weights w.*, written by
// scripts/fixtures/rnn.py and cells.py). Checked: the input's, h0's, c0's and every parameter's
// gradient, at DESIGN.md's gradient tolerances, on every kernel implementation.

import { after, beforeEach, describe, test } from "node:test";
import { nn, type Tensor } from "../../src/index.js";
import { availableKernels, useKernels } from "../../src/kernels/select.js";
import { CloseTracker } from "../helpers/assert.js";
import { type FixtureCase, loadFixtures } from "../helpers/fixtures.js";

const tracker = new CloseTracker("grad");

function check(actual: Tensor | null, expected: Tensor, what: string): void {
  if (!actual) throw new Error(`${what}: no gradient reached it`);
  tracker.check(actual, expected, what);
}

/** Leaves that want gradients: the input and, when given, h0/c0. */
function leaves(c: FixtureCase, keys: string[]): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const k of keys) if (c.has(k)) out[k] = c.t(k).detach().clone().requiresGrad_();
  return out;
}

function weighted(ys: Record<string, Tensor>, c: FixtureCase): Tensor {
  let loss: Tensor | null = null;
  for (const [k, y] of Object.entries(ys)) {
    const term = y.mul(c.t(`w.${k}`)).sum();
    loss = loss ? loss.add(term) : term;
  }
  return loss!;
}

function runModule(c: FixtureCase): { params: [string, Tensor][]; leaf: Record<string, Tensor> } {
  const meta = c.meta as { module: string; options: nn.LSTMOptions & nn.RNNOptions; packed: string | null };
  const leaf = leaves(c, ["input", "h0", "c0"]);
  const m =
    meta.module === "LSTM"
      ? new nn.LSTM(meta.options)
      : meta.module === "GRU"
        ? new nn.GRU(meta.options)
        : new nn.RNN(meta.options);
  m.loadStateDict(c.withPrefix("state."));
  m.eval();
  const batchFirst = meta.options.batchFirst ?? false;
  const x = leaf.input!;
  const input = meta.packed
    ? nn.utils.rnn.packPaddedSequence(x, c.t("lengths"), {
        batchFirst,
        enforceSorted: meta.packed === "sorted",
      })
    : x;
  const pad = (o: Tensor | nn.utils.rnn.PackedSequence) =>
    o instanceof nn.utils.rnn.PackedSequence ? nn.utils.rnn.padPackedSequence(o, { batchFirst })[0] : o;
  let ys: Record<string, Tensor>;
  if (m instanceof nn.LSTM) {
    const [out, [hN, cN]] = m.forward(input as Tensor, leaf.h0 ? [leaf.h0, leaf.c0!] : null);
    ys = { output: pad(out), h_n: hN, c_n: cN };
  } else {
    const [out, hN] = (m as nn.GRU).forward(input as Tensor, leaf.h0 ?? null);
    ys = { output: pad(out), h_n: hN };
  }
  weighted(ys, c).backward();
  return { params: [...m.namedParameters()], leaf };
}

function runCell(c: FixtureCase): { params: [string, Tensor][]; leaf: Record<string, Tensor> } {
  const meta = c.meta as { module: string; options: nn.RNNCellOptions };
  const leaf = leaves(c, ["input", "h0", "c0"]);
  const m =
    meta.module === "LSTMCell"
      ? new nn.LSTMCell(meta.options)
      : meta.module === "GRUCell"
        ? new nn.GRUCell(meta.options)
        : new nn.RNNCell(meta.options);
  m.loadStateDict(c.withPrefix("state."));
  let ys: Record<string, Tensor>;
  if (m instanceof nn.LSTMCell) {
    const [h1, c1] = m.forward(leaf.input!, leaf.h0 ? [leaf.h0, leaf.c0!] : null);
    ys = { h_1: h1, c_1: c1 };
  } else ys = { h_1: (m as nn.GRUCell).forward(leaf.input!, leaf.h0 ?? null) };
  weighted(ys, c).backward();
  return { params: [...m.namedParameters()], leaf };
}

function checkCase(
  c: FixtureCase,
  run: (c: FixtureCase) => { params: [string, Tensor][]; leaf: Record<string, Tensor> },
) {
  const { params, leaf } = run(c);
  for (const [k, t] of Object.entries(leaf)) check(t.grad, c.t(`grad.${k}`), `${c.name} grad.${k}`);
  for (const [k, p] of params) check(p.grad, c.t(`grad.state.${k}`), `${c.name} grad.${k}`);
}

after(() => {
  useKernels(availableKernels()[0]!);
  for (const line of tracker.report("gradients vs PyTorch")) console.log(line);
});

for (const k of availableKernels())
  describe(`kernels: ${k.name}`, () => {
    beforeEach(() => useKernels(k));
    for (const group of ["rnn", "seeds"]) {
      const fx = loadFixtures(group);
      describe(`gradients, fixtures ${group} (PyTorch ${fx.torch})`, () => {
        for (const c of fx.cases) test(`${c.name} gradients match PyTorch`, () => checkCase(c, runModule));
      });
    }
    const cells = loadFixtures("cells");
    describe(`gradients, fixtures cells (PyTorch ${cells.torch})`, () => {
      for (const c of cells.cases) test(`${c.name} gradients match PyTorch`, () => checkCase(c, runCell));
    });
  });
