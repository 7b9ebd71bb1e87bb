// nn.RNNCell / nn.LSTMCell / nn.GRUCell against PyTorch: fixture group `cells` (every kind × bias ×
// batched/unbatched × hx × dtype, plus edge cases; scripts/fixtures/cells.py). One test per case, on
// every kernel implementation.

import assert from "node:assert/strict";
import { after, beforeEach, describe, test } from "node:test";
import { nn, type Tensor } from "../../src/index.js";
import { availableKernels, useKernels } from "../../src/kernels/select.js";
import { CloseTracker } from "../helpers/assert.js";
import { type FixtureCase, loadFixtures } from "../helpers/fixtures.js";

interface CellMeta {
  readonly module: "RNNCell" | "LSTMCell" | "GRUCell";
  readonly options: nn.RNNCellOptions;
  readonly batched: boolean;
  readonly hx: boolean;
  readonly call: string;
}

const fx = loadFixtures("cells");

const tracker = new CloseTracker();
const check = (actual: Tensor, expected: Tensor, what: string) => tracker.check(actual, expected, what);

function checkCase(c: FixtureCase): void {
  const meta = c.meta as unknown as CellMeta;
  const x = c.t("input");
  assert.equal(x.ndim, meta.batched ? 2 : 1, `${c.name}: input rank`);
  const state = c.withPrefix("state.");
  let keys: string[];
  if (meta.module === "LSTMCell") {
    const m = new nn.LSTMCell(meta.options);
    m.loadStateDict(state);
    const [h1, c1] = m.forward(x, meta.hx ? [c.t("h0"), c.t("c0")] : undefined);
    check(h1, c.t("h_1"), `${c.name} h'`);
    check(c1, c.t("c_1"), `${c.name} c'`);
    keys = Object.keys(m.stateDict());
  } else {
    const m = meta.module === "RNNCell" ? new nn.RNNCell(meta.options) : new nn.GRUCell(meta.options);
    m.loadStateDict(state);
    const h1 = m.forward(x, meta.hx ? c.t("h0") : undefined);
    check(h1, c.t("h_1"), `${c.name} h'`);
    keys = Object.keys(m.stateDict());
  }
  assert.deepEqual(keys, Object.keys(state), `${c.name}: stateDict keys in PyTorch's order`);
}

after(() => {
  useKernels(availableKernels()[0]!);
  for (const line of tracker.report("cells fixtures")) console.log(line);
});

for (const k of availableKernels())
  describe(`kernels: ${k.name}`, () => {
    beforeEach(() => useKernels(k));
    describe(`fixtures ${fx.group} (PyTorch ${fx.torch})`, () => {
      for (const c of fx.cases) test(`${c.name} matches PyTorch`, () => checkCase(c));
    });
  });
