// Weights packed once (kernels/layer.ts WeightCache): a backend may keep a layer's weights in its own
// layout between calls while their version is unchanged. Every path that changes weights in place
// bumps the version, so no stale copy is ever used: after each kind of update the module's output
// equals, bit for bit, that of a fresh module (new arrays, nothing cached) holding the same weights.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { manualSeed, nn, optim, randn, type Tensor } from "../../src/index.js";
import { availableKernels, useKernels } from "../../src/kernels/select.js";

type Recurrent = nn.LSTM | nn.GRU | nn.RNN | nn.LSTMCell;
const OPTIONS = { inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true } as const;
const make = {
  lstm: () => new nn.LSTM({ ...OPTIONS, projSize: 2 }),
  gru: () => new nn.GRU(OPTIONS),
  rnn: () => new nn.RNN(OPTIONS),
  lstmCell: () => new nn.LSTMCell({ inputSize: 3, hiddenSize: 5 }),
} as const;

function forward(m: Recurrent, x: Tensor): Tensor {
  if (m instanceof nn.LSTMCell) return m.forward(x)[0];
  return ((m as nn.GRU).forward as (x: Tensor) => [Tensor, unknown]).call(m, x)[0];
}
const output = (m: Recurrent, x: Tensor) => forward(m, x).data as Float32Array;

/** The output of a fresh module with copies of m's weights (so nothing can be cached for it). */
function fresh(kind: keyof typeof make, m: Recurrent, x: Tensor): Float32Array {
  const other = make[kind]();
  const dict = new Map([...m.namedParameters()].map(([k, p]) => [k, p.detach().mul(1)] as const));
  other.loadStateDict(dict);
  return output(other, x);
}

const bits = (a: Float32Array) => [...new Uint32Array(a.buffer, a.byteOffset, a.length)];

for (const k of availableKernels())
  describe(`weight cache: ${k.name}`, () => {
    for (const kind of Object.keys(make) as (keyof typeof make)[])
      test(`${kind}: optimizer steps, loadStateDict and bumpVersion() after a write are all seen`, () => {
        const previous = useKernels(k);
        try {
          manualSeed(7);
          const m = make[kind]();
          const x = kind === "lstmCell" ? randn([4, 3]) : randn([6, 2, 3]);
          const check = (what: string, before: Float32Array) => {
            const now = output(m, x);
            assert.notDeepEqual(bits(now), bits(before), `${what}: the output did not change`);
            assert.deepEqual(
              bits(now),
              bits(fresh(kind, m, x)),
              `${what}: a stale copy of the weights was used`,
            );
            return now;
          };
          let y = output(m, x);
          assert.deepEqual(bits(output(m, x)), bits(y), "the same weights give the same output");

          // An optimizer step (SGD, then Adam: both update every parameter in place).
          for (const opt of [new optim.SGD(m.parameters(), { lr: 0.1 }), new optim.Adam(m.parameters())]) {
            opt.zeroGrad();
            const h = forward(m, x);
            h.mul(h).sum().backward();
            opt.step();
            y = check(`${opt.constructor.name}.step`, y);
          }

          // loadStateDict into the same parameter arrays.
          manualSeed(8);
          const other = make[kind]();
          m.loadStateDict(new Map(other.namedParameters()));
          y = check("loadStateDict", y);

          // A write into one weight's data, announced with bumpVersion().
          const [, wIh] = [...m.namedParameters()][0]!; // weight_ih_l0 (a cell from h = 0 ignores W_hh)
          wIh.data[0] = wIh.data[0]! + 0.5;
          wIh.bumpVersion();
          check("a write and bumpVersion()", y);
        } finally {
          useKernels(previous);
        }
      });
  });

test("version counts in-place updates and is shared by tensors over the same data", () => {
  const m = new nn.GRU({ inputSize: 2, hiddenSize: 3 });
  const [, w] = [...m.namedParameters()][0]!;
  const v0 = w.version;
  const view = w.detach();
  m.loadStateDict(new Map([...m.namedParameters()].map(([n, p]) => [n, p.detach().mul(2)] as const)));
  assert.equal(w.version, v0 + 1);
  assert.equal(view.version, w.version);
  view.bumpVersion();
  assert.equal(w.version, v0 + 2);
});
