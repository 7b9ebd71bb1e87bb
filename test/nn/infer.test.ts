import assert from "node:assert/strict";
import { test } from "node:test";
import { nn } from "../../src/index.js";
import { inferRecurrent } from "../../src/nn/infer.js";
import { loadFixtures } from "../helpers/fixtures.js";

const shapesOf = (dict: Record<string, { shape: readonly number[] }>, prefix = "") =>
  new Map(Object.entries(dict).map(([k, v]) => [prefix + k, v.shape]));

test("every PyTorch state dict of the rnn fixtures is inferred back to its options", () => {
  for (const c of loadFixtures("rnn").cases) {
    const o = c.meta.options as nn.LSTMOptions;
    const a = inferRecurrent(shapesOf(c.withPrefix("state.")));
    assert.deepEqual(
      [a.kind, a.inputSize, a.hiddenSize, a.numLayers, a.bias, a.bidirectional, a.projSize],
      [
        c.meta.module,
        o.inputSize,
        o.hiddenSize,
        o.numLayers ?? 1,
        o.bias ?? true,
        o.bidirectional ?? false,
        o.projSize ?? 0,
      ],
      c.name,
    );
  }
});

test("an LSTM with hiddenSize 3 and a GRU with hiddenSize 4 have the same weight_ih rows but are told apart", () => {
  const lstm = inferRecurrent(shapesOf(new nn.LSTM({ inputSize: 2, hiddenSize: 3 }).stateDict()));
  const gru = inferRecurrent(shapesOf(new nn.GRU({ inputSize: 2, hiddenSize: 4 }).stateDict()));
  assert.equal(lstm.kind, "LSTM");
  assert.equal(gru.kind, "GRU");
});

test("a prefix is found when the dict holds one recurrent module among others", () => {
  const dict = new Map([
    ...shapesOf(new nn.GRU({ inputSize: 2, hiddenSize: 4 }).stateDict(), "encoder.rnn."),
    ["head.weight", [5, 4]],
  ]);
  assert.equal(inferRecurrent(dict).prefix, "encoder.rnn.");
});

test("several recurrent modules need a prefix, and the error lists them", () => {
  const dict = new Map([
    ...shapesOf(new nn.GRU({ inputSize: 2, hiddenSize: 4 }).stateDict(), "a."),
    ...shapesOf(new nn.RNN({ inputSize: 2, hiddenSize: 4 }).stateDict(), "b."),
  ]);
  assert.throws(
    () => inferRecurrent(dict),
    /several recurrent modules; choose one with a prefix. Expected a prefix, one of 'a.', 'b.'/,
  );
  assert.equal(inferRecurrent(dict, "b.").kind, "RNN");
  assert.throws(
    () => inferRecurrent(dict, "c."),
    /prefix names no recurrent module in the state dict. Expected one of 'a.', 'b.', got 'c.'/,
  );
});

test("a missing or mis-shaped tensor is named", () => {
  const dict = shapesOf(new nn.LSTM({ inputSize: 2, hiddenSize: 3, numLayers: 2 }).stateDict());
  dict.delete("bias_hh_l1");
  dict.set("weight_ih_l1", [12, 5]);
  assert.throws(
    () => inferRecurrent(dict),
    /weight_ih_l1 has shape \[12, 5\], expected \[12, 3\]; missing bias_hh_l1/,
  );
});

test("a dict without recurrent weights is refused", () => {
  assert.throws(() => inferRecurrent(new Map([["weight", [2, 2]]])), /holds no recurrent module/);
});
