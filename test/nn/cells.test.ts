// nn.RNNCell / nn.LSTMCell / nn.GRUCell against PyTorch: fixture group `cells` (every kind × bias ×
// batched/unbatched × hx × dtype, plus edge cases; scripts/fixtures/cells.py). One test per case, on
// every kernel implementation.

import assert from "node:assert/strict";
import { after, beforeEach, describe, test } from "node:test";
import { nn, type Tensor } from "../../src/index.js";
import { availableKernels, useKernels } from "../../src/kernels/select.js";
import { assertClose, FORWARD_TOL } from "../helpers/assert.js";
import { type FixtureCase, loadFixtures } from "../helpers/fixtures.js";

interface CellMeta {
  readonly module: "RNNCell" | "LSTMCell" | "GRUCell";
  readonly options: nn.RNNCellOptions;
  readonly batched: boolean;
  readonly hx: boolean;
  readonly call: string;
}

const fx = loadFixtures("cells");

/**
 * Per dtype, the largest |actual − expected| over every float tensor compared, and the largest share
 * of the tolerance used, |diff| / (atol + rtol·|expected|) (the lead's figures).
 */
const worst = {
  float32: { diff: 0, where: "", budget: 0, budgetWhere: "" },
  float64: { diff: 0, where: "", budget: 0, budgetWhere: "" },
};

function check(actual: Tensor, expected: Tensor, what: string): void {
  const { maxAbs } = assertClose(actual, expected, what);
  if (expected.dtype === "int32") return;
  const w = worst[expected.dtype];
  if (maxAbs > w.diff) {
    w.diff = maxAbs;
    w.where = what;
  }
  const { atol, rtol } = FORWARD_TOL[expected.dtype];
  let budget = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const e = expected.data[i]!;
    if (Number.isFinite(e))
      budget = Math.max(budget, Math.abs(actual.data[i]! - e) / (atol + rtol * Math.abs(e)));
  }
  if (budget > w.budget) {
    w.budget = budget;
    w.budgetWhere = what;
  }
}

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
  for (const dtype of ["float32", "float64"] as const) {
    const w = worst[dtype];
    console.log(
      `%s fixtures, ${dtype}: worst |diff| ${w.diff.toExponential(3)} (${w.where || "none"}); ` +
        `worst share of the tolerance ${w.budget.toExponential(2)} (${w.budgetWhere || "none"})`,
      "cells",
    );
  }
});

for (const k of availableKernels())
  describe(`kernels: ${k.name}`, () => {
    beforeEach(() => useKernels(k));
    describe(`fixtures ${fx.group} (PyTorch ${fx.torch})`, () => {
      for (const c of fx.cases) test(`${c.name} matches PyTorch`, () => checkCase(c));
    });
  });
