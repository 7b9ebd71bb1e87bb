// nn.traceRecurrent against PyTorch: every layer-direction's activated gates, LSTM cell states and
// outputs at every step (fixture group `trace`: PyTorch's cell formulas stepped over each sequence,
// scripts/fixtures/trace.py), on every kernel implementation, packed and not, batch first, unbatched.

import assert from "node:assert/strict";
import { after, beforeEach, describe, test } from "node:test";
import { manualSeed, nn, randn } from "../../src/index.js";
import { availableKernels, useKernels } from "../../src/kernels/select.js";
import { CloseTracker } from "../helpers/assert.js";
import { loadFixtures } from "../helpers/fixtures.js";

const fx = loadFixtures("trace");
const tracker = new CloseTracker();

after(() => {
  useKernels(availableKernels()[0]!);
  for (const line of tracker.report("traceRecurrent vs PyTorch")) console.log(line);
});

for (const k of availableKernels())
  describe(`kernels: ${k.name}`, () => {
    beforeEach(() => useKernels(k));
    for (const c of fx.cases)
      test(`${c.name}: every step's gates and states match PyTorch ${fx.torch}`, () => {
        const meta = c.meta as { module: "RNN" | "LSTM" | "GRU"; options: nn.LSTMOptions & nn.RNNOptions };
        const m =
          meta.module === "LSTM"
            ? new nn.LSTM(meta.options)
            : meta.module === "GRU"
              ? new nn.GRU(meta.options)
              : new nn.RNN(meta.options);
        m.loadStateDict(c.withPrefix("state."));
        m.eval();
        const lengths = c.has("lengths") ? [...c.t("lengths").data] : null;
        const r = nn.traceRecurrent(m, c.t("input"), { lengths });
        const seen = new Set<string>();
        for (const s of r.steps) {
          const key = `trace.l${s.layer}${s.reverse ? "_reverse" : ""}`;
          for (const [part, t] of [
            ["gates", s.gates],
            ["c", s.c],
            ["h", s.h],
          ] as const) {
            assert.equal(
              t !== null,
              c.has(`${key}.${part}`),
              `${c.name} ${key}.${part} present as in PyTorch`,
            );
            if (!t) continue;
            tracker.check(t, c.t(`${key}.${part}`), `${c.name} ${key}.${part}`);
            seen.add(`${key}.${part}`);
          }
        }
        assert.deepEqual(
          [...seen].sort(),
          [...c.tensors.keys()].filter((k) => k.startsWith("trace.")).sort(),
        );
        const plain = nn.runRecurrent(m, c.t("input"), { lengths });
        assert.deepEqual([...r.output.data], [...plain.output.data], "the traced forward is the forward");
      });
  });

test("traceRecurrent leaves a later forward recording gradients as usual", () => {
  manualSeed(3);
  const gru = new nn.GRU({ inputSize: 2, hiddenSize: 3 });
  const x = randn([4, 1, 2]);
  nn.traceRecurrent(gru, x);
  const [out] = gru.forward(x);
  out.sum().backward();
  assert.ok(new Map(gru.namedParameters()).get("weight_hh_l0")!.grad, "weight_hh_l0 got a gradient");
});
