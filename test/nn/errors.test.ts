// Every check PyTorch makes on options and inputs, made before any work, with a message naming the
// argument, the expected and the actual value.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ArgumentError, nn, zeros } from "../../src/index.js";

const lstm = (o: Partial<nn.LSTMOptions> = {}) => new nn.LSTM({ inputSize: 3, hiddenSize: 4, ...o });

test("LSTM rejects projSize >= hiddenSize before creating parameters", () => {
  assert.throws(
    () => lstm({ projSize: 4 }),
    /LSTM: projSize has to be smaller than hiddenSize. Expected < 4, got 4/,
  );
});

test("RNN and GRU reject projSize, even 0", () => {
  assert.throws(
    () => new nn.RNN({ inputSize: 3, hiddenSize: 4, projSize: 2 } as nn.RNNOptions),
    /RNN: projSize argument is only supported for LSTM, not RNN or GRU/,
  );
  assert.throws(
    () => new nn.GRU({ inputSize: 3, hiddenSize: 4, projSize: 0 } as nn.GRUOptions),
    /GRU: projSize argument is only supported for LSTM/,
  );
});

test("RNN and RNNCell reject an unknown nonlinearity", () => {
  const bad = { inputSize: 3, hiddenSize: 4, nonlinearity: "sigmoid" } as unknown as nn.RNNOptions;
  assert.throws(
    () => new nn.RNN(bad),
    /RNN: nonlinearity is unknown. Select from 'tanh' or 'relu'. Expected 'tanh' or 'relu', got 'sigmoid'/,
  );
  assert.throws(() => new nn.RNNCell(bad), /RNNCell: nonlinearity is unknown/);
});

test("dropout outside [0, 1] is refused, naming the value", () => {
  assert.throws(
    () => lstm({ dropout: 1.5, numLayers: 2 }),
    /LSTM: dropout should be a number in range \[0, 1\]. Expected 0 <= p <= 1, got 1.5/,
  );
  assert.throws(() => lstm({ dropout: -0.1, numLayers: 2 }), /got -0.1/);
  assert.throws(() => new nn.Dropout({ p: 2 }), /Dropout: p should be a number in range \[0, 1\]/);
});

test("dropout with one layer warns once, in PyTorch's words", (t) => {
  const warn = t.mock.method(console, "warn", () => {});
  lstm({ dropout: 0.2 });
  lstm({ dropout: 0.2 });
  assert.equal(warn.mock.callCount(), 1);
  assert.match(
    String(warn.mock.calls[0]!.arguments[0]),
    /non-zero dropout expects numLayers greater than 1, but got dropout=0.2 and numLayers=1/,
  );
});

test("sizes must be positive integers and unknown options are named", () => {
  assert.throws(
    () => lstm({ hiddenSize: 0 }),
    /LSTM: hiddenSize must be a positive integer. Expected an integer > 0, got 0/,
  );
  assert.throws(() => lstm({ numLayers: 1.5 }), /LSTM: numLayers must be a positive integer/);
  assert.throws(
    () => new nn.GRU({ inputSize: 3, hidden_size: 4 } as unknown as nn.GRUOptions),
    /GRU: option 'hidden_size' is not an option of this module/,
  );
  assert.throws(
    () => lstm({ dtype: "float16" as never }),
    /LSTM: dtype must be a floating point dtype. Expected float32 or float64, got 'float16'/,
  );
});

test("input of the wrong rank is refused", () => {
  assert.throws(
    () => lstm().forward(zeros([2, 3, 4, 3])),
    /LSTM: input.dim\(\) must be 2 \(unbatched\) or 3 \(batched\). Expected 2 or 3, got 4/,
  );
  assert.throws(
    () => new nn.GRUCell({ inputSize: 3, hiddenSize: 4 }).forward(zeros([1, 2, 3])),
    /GRUCell: input.dim\(\) must be 1 \(unbatched\) or 2 \(batched\)/,
  );
});

test("input with the wrong feature size is refused", () => {
  assert.throws(
    () => lstm().forward(zeros([5, 2, 7])),
    /LSTM: input.size\(-1\) must be equal to inputSize. Expected 3, got 7/,
  );
  assert.throws(
    () => new nn.RNNCell({ inputSize: 3, hiddenSize: 4 }).forward(zeros([2, 5])),
    /RNNCell: input.size\(-1\) must be equal to inputSize. Expected 3, got 5/,
  );
});

test("input of another dtype than the parameters is refused", () => {
  assert.throws(
    () => lstm().forward(zeros([5, 2, 3], { dtype: "float64" })),
    /LSTM: input.dtype must match the parameters' dtype. Expected float32, got 'float64'/,
  );
});

test("h0 and c0 of the wrong shape are refused with the expected shape", () => {
  const m = lstm({ numLayers: 2, projSize: 2 });
  const x = zeros([5, 3, 3]);
  assert.throws(
    () => m.forward(x, [zeros([2, 3, 4]), zeros([2, 3, 4])]),
    /LSTM: h0.shape must be .*Expected \[2, 3, 2\], got \[2, 3, 4\]/,
  );
  assert.throws(
    () => m.forward(x, [zeros([2, 3, 2]), zeros([2, 1, 4])]),
    /LSTM: c0.shape must be .*Expected \[2, 3, 4\], got \[2, 1, 4\]/,
  );
  const g = new nn.GRU({ inputSize: 3, hiddenSize: 4, bidirectional: true });
  assert.throws(
    () => g.forward(x, zeros([1, 3, 4])),
    /GRU: h0.shape .*Expected \[2, 3, 4\], got \[1, 3, 4\]/,
  );
});

test("batched h0 for unbatched input is refused, and the other way round", () => {
  const g = new nn.GRU({ inputSize: 3, hiddenSize: 4 });
  assert.throws(
    () => g.forward(zeros([5, 3]), zeros([1, 1, 4])),
    /GRU: h0.dim\(\) must be 2 for unbatched 2-D input. Expected 2, got 3/,
  );
  assert.throws(
    () => g.forward(zeros([5, 1, 3]), zeros([1, 4])),
    /GRU: h0.dim\(\) must be 3 for batched 3-D input. Expected 3, got 2/,
  );
  const c = new nn.LSTMCell({ inputSize: 3, hiddenSize: 4 });
  assert.throws(
    () => c.forward(zeros([3]), [zeros([1, 4]), zeros([1, 4])]),
    /LSTMCell: h.shape must be \[hiddenSize\] for unbatched 1-D input. Expected \[4\], got \[1, 4\]/,
  );
});

test("LSTM hx must be a pair", () => {
  assert.throws(
    () => lstm().forward(zeros([5, 2, 3]), [zeros([1, 2, 4])] as never),
    /LSTM: hx must be a pair \[h0, c0\]/,
  );
});

test("cells check the hidden state's batch and size", () => {
  const c = new nn.GRUCell({ inputSize: 3, hiddenSize: 4 });
  assert.throws(
    () => c.forward(zeros([2, 3]), zeros([3, 4])),
    /GRUCell: hx.shape must be \[batch, hiddenSize\]. Expected \[2, 4\], got \[3, 4\]/,
  );
});

test("errors are ArgumentErrors carrying the argument, expected and actual values", () => {
  try {
    lstm().forward(zeros([5, 2, 7]));
    assert.fail("no error");
  } catch (e) {
    assert.ok(e instanceof ArgumentError);
    assert.equal(e.argument, "input.size(-1)");
    assert.equal(e.expected, 3);
    assert.equal(e.actual, 7);
  }
});
