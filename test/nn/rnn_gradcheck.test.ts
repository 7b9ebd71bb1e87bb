// BPTT against central differences in float64, independent of PyTorch: every module kind, with
// layers, directions, projection, packed (unsorted) batches, unbatched input, h0/c0 and cells.
// The outputs are weighted before summing so that upstream gradients are not all ones.

import { describe, test } from "node:test";
import { Generator, manualSeed, nn, randn, type Tensor } from "../../src/index.js";
import { assertGradcheck } from "../helpers/gradcheck.js";

const f64 = (shape: number[]) => randn(shape, { dtype: "float64" }).requiresGrad_();
function weigh(...ys: Tensor[]): Tensor {
  let total: Tensor | null = null;
  for (const y of ys) {
    const term = y.mul(randn([...y.shape], { dtype: "float64" })).sum();
    total = total ? total.add(term) : term;
  }
  return total!;
}
/** A scalar function of the module's outputs with fixed weights (re-drawn from the same seed each call). */
function objective(run: () => Tensor[]): () => Tensor {
  return () => {
    const ys = run();
    manualSeed(1234);
    return weigh(...ys);
  };
}

type Kind = "rnn_tanh" | "rnn_relu" | "lstm" | "lstm_proj" | "gru";
function make(kind: Kind, o: Partial<nn.LSTMOptions>) {
  const base = { inputSize: 3, hiddenSize: 4, dtype: "float64" as const, ...o };
  switch (kind) {
    case "rnn_tanh":
      return new nn.RNN(base);
    case "rnn_relu":
      return new nn.RNN({ ...base, nonlinearity: "relu" });
    case "lstm":
      return new nn.LSTM(base);
    case "lstm_proj":
      return new nn.LSTM({ ...base, projSize: 2 });
    case "gru":
      return new nn.GRU(base);
  }
}

function forward(
  m: nn.RNN | nn.LSTM | nn.GRU,
  x: Tensor | nn.utils.rnn.PackedSequence,
  h0: Tensor | null,
  c0: Tensor | null,
): Tensor[] {
  if (m instanceof nn.LSTM) {
    const [out, [h, c]] = m.forward(x as Tensor, h0 && c0 ? [h0, c0] : null);
    return [out instanceof nn.utils.rnn.PackedSequence ? out.data : (out as Tensor), h, c];
  }
  const [out, h] = (m as nn.GRU).forward(x as Tensor, h0);
  return [out instanceof nn.utils.rnn.PackedSequence ? out.data : (out as Tensor), h];
}

const kinds: Kind[] = ["rnn_tanh", "rnn_relu", "lstm", "lstm_proj", "gru"];
describe("BPTT matches central differences (float64)", () => {
  for (const kind of kinds) {
    test(`${kind}: 2 layers, bidirectional, h0/c0 given`, () => {
      manualSeed(1);
      const m = make(kind, { numLayers: 2, bidirectional: true });
      const P = kind === "lstm_proj" ? 2 : 4;
      const x = f64([4, 2, 3]);
      const h0 = f64([4, 2, P]);
      const c0 = f64([4, 2, 4]);
      const withC = kind === "lstm" || kind === "lstm_proj";
      assertGradcheck(
        objective(() => forward(m, x, h0, withC ? c0 : null)),
        [x, h0, ...(withC ? [c0] : []), ...m.parameters()],
      );
    });

    test(`${kind}: packed unsorted lengths, batchFirst, 3 layers, no h0`, () => {
      manualSeed(2);
      const m = make(kind, { numLayers: 3, batchFirst: true, bidirectional: kind !== "gru" });
      const x = f64([3, 5, 3]);
      const packedFn = () =>
        forward(
          m,
          nn.utils.rnn.packPaddedSequence(x, [2, 5, 3], { batchFirst: true, enforceSorted: false }),
          null,
          null,
        );
      assertGradcheck(objective(packedFn), [x, ...m.parameters()]);
    });

    test(`${kind}: unbatched input with h0, no bias, dropout in eval`, () => {
      manualSeed(3);
      const m = make(kind, { bias: false, numLayers: 2, dropout: 0.5 }).eval();
      const P = kind === "lstm_proj" ? 2 : 4;
      const x = f64([5, 3]);
      const h0 = f64([2, P]);
      const c0 = f64([2, 4]);
      const withC = kind === "lstm" || kind === "lstm_proj";
      assertGradcheck(
        objective(() => forward(m, x, h0, withC ? c0 : null)),
        [x, h0, ...(withC ? [c0] : []), ...m.parameters()],
      );
    });
  }

  test("LSTM with dropout between layers in training mode (the mask fixed by reseeding its generator)", () => {
    manualSeed(5);
    const m = make("lstm", { numLayers: 3, dropout: 0.4, bidirectional: true }).train();
    const x = f64([4, 2, 3]);
    assertGradcheck(
      objective(() => {
        m.generator = new Generator(77);
        return forward(m, x, null, null);
      }),
      [x, ...m.parameters()],
    );
  });

  test("cells: RNNCell (tanh, relu), LSTMCell, GRUCell, batched and unbatched", () => {
    manualSeed(4);
    const o = { inputSize: 3, hiddenSize: 4, dtype: "float64" as const };
    const x = f64([2, 3]);
    const h = f64([2, 4]);
    const c = f64([2, 4]);
    for (const cell of [new nn.RNNCell(o), new nn.RNNCell({ ...o, nonlinearity: "relu" }), new nn.GRUCell(o)])
      assertGradcheck(
        objective(() => [cell.forward(x, h)]),
        [x, h, ...cell.parameters()],
      );
    const lstm = new nn.LSTMCell(o);
    assertGradcheck(
      objective(() => lstm.forward(x, [h, c])),
      [x, h, c, ...lstm.parameters()],
    );
    const x1 = f64([3]);
    assertGradcheck(
      objective(() => lstm.forward(x1)),
      [x1, ...lstm.parameters()],
    );
  });
});
