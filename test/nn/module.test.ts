import assert from "node:assert/strict";
import { test } from "node:test";
import { nn, zeros } from "../../src/index.js";

test("LSTM parameters have PyTorch's names, shapes and order", () => {
  const m = new nn.LSTM({ inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, projSize: 2 });
  const names = [...m.namedParameters()].map(([n, p]) => `${n} ${p.shape.join("x")}`);
  assert.deepEqual(names, [
    "weight_ih_l0 20x3",
    "weight_hh_l0 20x2",
    "bias_ih_l0 20",
    "bias_hh_l0 20",
    "weight_hr_l0 2x5",
    "weight_ih_l0_reverse 20x3",
    "weight_hh_l0_reverse 20x2",
    "bias_ih_l0_reverse 20",
    "bias_hh_l0_reverse 20",
    "weight_hr_l0_reverse 2x5",
    "weight_ih_l1 20x4",
    "weight_hh_l1 20x2",
    "bias_ih_l1 20",
    "bias_hh_l1 20",
    "weight_hr_l1 2x5",
    "weight_ih_l1_reverse 20x4",
    "weight_hh_l1_reverse 20x2",
    "bias_ih_l1_reverse 20",
    "bias_hh_l1_reverse 20",
    "weight_hr_l1_reverse 2x5",
  ]);
});

test("GRU without bias has only weights; cells name theirs weight_ih, weight_hh, bias_ih, bias_hh", () => {
  const g = new nn.GRU({ inputSize: 3, hiddenSize: 4, bias: false });
  assert.deepEqual(Object.keys(g.stateDict()), ["weight_ih_l0", "weight_hh_l0"]);
  const c = new nn.LSTMCell({ inputSize: 3, hiddenSize: 4 });
  assert.deepEqual(
    Object.entries(c.stateDict()).map(([k, v]) => [k, v.shape]),
    [
      ["weight_ih", [16, 3]],
      ["weight_hh", [16, 4]],
      ["bias_ih", [16]],
      ["bias_hh", [16]],
    ],
  );
});

test("every parameter is initialised in U(-1/sqrt(H), 1/sqrt(H)) and requires grad", () => {
  const m = new nn.RNN({ inputSize: 3, hiddenSize: 16, numLayers: 2 });
  for (const p of m.parameters()) {
    assert.equal(p.requiresGrad, true);
    for (const v of p.data) assert.ok(Math.abs(v) <= 0.25);
    assert.ok(p.data.some((v) => v !== 0));
  }
});

test("loadStateDict lists missing, unexpected and mis-shaped keys in one message and copies nothing", () => {
  const m = new nn.GRU({ inputSize: 3, hiddenSize: 4 });
  const before = m.stateDict().weight_ih_l0!.clone();
  const sd: Record<string, ReturnType<typeof zeros>> = { ...m.stateDict() };
  delete sd.bias_hh_l0;
  sd.weight_ih_l0 = zeros([12, 5]);
  sd.extra = zeros([1]);
  assert.throws(
    () => m.loadStateDict(sd),
    (e: Error) =>
      /Error\(s\) in loading stateDict for GRU:/.test(e.message) &&
      /Unexpected key\(s\) in stateDict: "extra"/.test(e.message) &&
      /Missing key\(s\) in stateDict: "bias_hh_l0"/.test(e.message) &&
      /size mismatch for weight_ih_l0: copying a param with shape \[12, 5\] from checkpoint, the shape in current model is \[12, 3\]/.test(
        e.message,
      ),
  );
  assert.deepEqual([...m.stateDict().weight_ih_l0!.data], [...before.data]);
});

test("loadStateDict with strict false ignores missing and unexpected keys but reports them", () => {
  const m = new nn.GRU({ inputSize: 3, hiddenSize: 4 });
  const r = m.loadStateDict({ weight_ih_l0: zeros([12, 3]), other: zeros([2]) }, { strict: false });
  assert.deepEqual(r.unexpectedKeys, ["other"]);
  assert.deepEqual(r.missingKeys, ["weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]);
  assert.ok(m.stateDict().weight_ih_l0!.data.every((v) => v === 0));
});

test("loadStateDict converts dtype as PyTorch's copy_ does", () => {
  const m = new nn.RNN({ inputSize: 1, hiddenSize: 1, bias: false, dtype: "float64" });
  m.loadStateDict({ weight_ih_l0: zeros([1, 1]).add(0.5), weight_hh_l0: zeros([1, 1]) });
  assert.equal(m.stateDict().weight_ih_l0!.dtype, "float64");
  assert.equal(m.stateDict().weight_ih_l0!.item(), 0.5);
});

test("train and eval set the mode recursively; modules print as PyTorch prints them", () => {
  const m = new nn.LSTM({ inputSize: 10, hiddenSize: 20, numLayers: 2, batchFirst: true });
  assert.equal(m.training, true);
  assert.equal(m.eval().training, false);
  assert.equal(String(m), "LSTM(10, 20, num_layers=2, batch_first=True)");
  assert.equal(
    String(new nn.RNNCell({ inputSize: 3, hiddenSize: 4, nonlinearity: "relu", bias: false })),
    "RNNCell(3, 4, bias=False, nonlinearity='relu')",
  );
});

test("loadStateDict takes a Map as well as a plain object", () => {
  const m = new nn.GRU({ inputSize: 3, hiddenSize: 4 });
  const other = new nn.GRU({ inputSize: 3, hiddenSize: 4 });
  other.loadStateDict(new Map(Object.entries(m.stateDict())));
  assert.deepEqual([...other.stateDict().weight_hh_l0!.data], [...m.stateDict().weight_hh_l0!.data]);
});
