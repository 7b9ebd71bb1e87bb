// Dropout: its semantics (which outputs it touches, the 1/(1−p) scaling, eval mode untouched;
// RNN.cpp apply_layer_stack, at::dropout) and its masks, which are PyTorch's for the same seed
// (test/fixtures/torch_random, train-dropout-*). Every test seeds what it draws, so the order
// the tests run in does not matter.

import assert from "node:assert/strict";
import { test } from "node:test";
import { Generator, manualSeed, nn, ones, randn, Tensor } from "../../src/index.js";
import { assertClose } from "../helpers/assert.js";
import { loadFixtures } from "../helpers/fixtures.js";

/** An input of its own seed, independent of whatever ran before. */
const input = (seed: number, shape: number[]) =>
  randn(shape, { dtype: "float64", generator: new Generator(seed) });

function lstm(dropout: number) {
  manualSeed(7);
  return new nn.LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, dropout, dtype: "float64" });
}

test("dropout zeroes elements with probability p and scales the rest by exactly 1/(1-p)", () => {
  const x = ones([20000], { dtype: "float64" });
  const y = nn.dropout(x, 0.25, true, new Generator(1));
  const zeros = y.data.filter((v) => v === 0).length;
  assert.ok(Math.abs(zeros / 20000 - 0.25) < 0.02, `zero fraction ${zeros / 20000}`);
  for (const v of y.data) assert.ok(v === 0 || v === 1 / 0.75);
});

test("dropout with p = 1 zeroes everything and with p = 0 or eval mode returns the input", () => {
  const x = input(1, [50]);
  const g = new Generator(3);
  const before = JSON.stringify(g.getState());
  assert.ok(nn.dropout(x, 1, true, g).data.every((v) => v === 0));
  assert.equal(JSON.stringify(g.getState()), before, "p = 1 draws nothing, as _dropout_impl");
  assert.equal(nn.dropout(x, 0, true), x);
  assert.equal(nn.dropout(x, 0.5, false), x);
});

test("LSTM dropout in eval mode gives exactly the output of the same weights without dropout", () => {
  const x = input(11, [5, 2, 3]);
  const a = lstm(0.5).eval();
  const b = lstm(0);
  b.loadStateDict(a.stateDict());
  const [ya, [ha, ca]] = a.forward(x);
  const [yb, [hb, cb]] = b.forward(x);
  assert.deepEqual([...ya.data], [...yb.data]);
  assert.deepEqual([...ha.data], [...hb.data]);
  assert.deepEqual([...ca.data], [...cb.data]);
});

test("LSTM dropout in training leaves the first layer's states alone and changes the last layer", () => {
  const x = input(12, [5, 2, 3]);
  const m = lstm(0.5);
  const [yTrain, [hTrain, cTrain]] = m.train().forward(x);
  const [yEval, [hEval, cEval]] = m.eval().forward(x);
  const layer0 = (t: Tensor) => [...t.data.subarray(0, 8)];
  assert.deepEqual(layer0(hTrain), layer0(hEval));
  assert.deepEqual(layer0(cTrain), layer0(cEval));
  assert.notDeepEqual([...yTrain.data], [...yEval.data]);
});

test("LSTM dropout p = 1 feeds zeros to the second layer", () => {
  const x = input(13, [5, 2, 3]);
  const m = lstm(1).train();
  const [y] = m.forward(x);
  // The second layer alone, on a zero input of the first layer's width.
  const second = new nn.LSTM({ inputSize: 4, hiddenSize: 4, dtype: "float64" });
  const sd = m.stateDict();
  second.loadStateDict(
    Object.fromEntries(
      Object.entries(sd)
        .filter(([k]) => k.endsWith("_l1"))
        .map(([k, v]) => [k.replace("_l1", "_l0"), v]),
    ),
  );
  const [expected] = second.forward(new Tensor(new Float64Array(5 * 2 * 4), [5, 2, 4]));
  assert.deepEqual([...y.data], [...expected.data]);
});

test("LSTM dropout draws from the module's generator, so a seeded run repeats", () => {
  const x = input(14, [5, 2, 3]);
  const m = lstm(0.3);
  m.generator = new Generator(42);
  const [a] = m.forward(x);
  m.generator = new Generator(42);
  const [b] = m.forward(x);
  assert.deepEqual([...a.data], [...b.data]);
});

for (const c of loadFixtures("torch_random").cases.filter((c) => c.name.startsWith("train-dropout-")))
  test(`${c.meta.module} with dropout in training mode follows PyTorch from the same seed (${c.name})`, () => {
    const options = c.meta.options as nn.LSTMOptions & nn.RNNOptions;
    manualSeed(c.meta.seed as number);
    const lstm = c.meta.module === "LSTM" ? new nn.LSTM(options) : null;
    const other = lstm ? null : c.meta.module === "GRU" ? new nn.GRU(options) : new nn.RNN(options);
    // Drawing the input moves the stream as PyTorch's did; its float64 values may differ in the
    // last bits (glibc's libm, see src/tensor/libm.ts), so the forward runs on PyTorch's input.
    const x = randn(c.t("input").shape, { dtype: options.dtype ?? "float32" });
    assertClose(x, c.t("input"), `${c.name} input`);
    if (lstm) {
      const [output, [hN, cN]] = lstm.train().forward(c.t("input"));
      assertClose(output, c.t("output"), `${c.name} output`);
      assertClose(hN, c.t("h_n"), `${c.name} h_n`);
      assertClose(cN, c.t("c_n"), `${c.name} c_n`);
    } else {
      const [output, hN] = other!.train().forward(c.t("input"));
      assertClose(output, c.t("output"), `${c.name} output`);
      assertClose(hN, c.t("h_n"), `${c.name} h_n`);
    }
  });
