// nn.RNN / nn.LSTM / nn.GRU against PyTorch: fixture groups `rnn` (a 4-wise covering of the options,
// input forms and dtypes, plus edge cases; scripts/fixtures/rnn.py) and `seeds` (the checks of the
// tutorials in the seeds; scripts/fixtures/seeds.py). One test per case, on every kernel implementation.

import assert from "node:assert/strict";
import { after, beforeEach, describe, test } from "node:test";
import { nn, type Tensor } from "../../src/index.js";
import { availableKernels, useKernels } from "../../src/kernels/select.js";
import { CloseTracker } from "../helpers/assert.js";
import { type FixtureCase, loadFixtures } from "../helpers/fixtures.js";

type PackedSequence = InstanceType<typeof nn.utils.rnn.PackedSequence>;

interface ModuleMeta {
  readonly module: "RNN" | "LSTM" | "GRU";
  readonly options: nn.RNNOptions & nn.LSTMOptions;
  readonly batched: boolean;
  readonly packed: null | "sorted" | "unsorted";
  readonly hx: boolean;
  readonly call: string;
}

const groups = [loadFixtures("rnn"), loadFixtures("seeds")];

const tracker = new CloseTracker();
const check = (actual: Tensor, expected: Tensor, what: string) => tracker.check(actual, expected, what);

interface Result {
  readonly output: Tensor | PackedSequence;
  readonly hN: Tensor;
  readonly cN: Tensor | null;
  readonly stateKeys: string[];
}

function run(c: FixtureCase, meta: ModuleMeta, input: Tensor | PackedSequence): Result {
  const state = c.withPrefix("state.");
  if (meta.module === "LSTM") {
    const m = new nn.LSTM(meta.options);
    m.loadStateDict(state);
    m.eval();
    const hx = meta.hx ? ([c.t("h0"), c.t("c0")] as const) : undefined;
    const [output, [hN, cN]] =
      input instanceof nn.utils.rnn.PackedSequence ? m.forward(input, hx) : m.forward(input, hx);
    return { output, hN, cN, stateKeys: Object.keys(m.stateDict()) };
  }
  const m = meta.module === "RNN" ? new nn.RNN(meta.options) : new nn.GRU(meta.options);
  m.loadStateDict(state);
  m.eval();
  const h0 = meta.hx ? c.t("h0") : undefined;
  const [output, hN] =
    input instanceof nn.utils.rnn.PackedSequence ? m.forward(input, h0) : m.forward(input, h0);
  return { output, hN, cN: null, stateKeys: Object.keys(m.stateDict()) };
}

function checkCase(c: FixtureCase): void {
  const meta = c.meta as unknown as ModuleMeta;
  const batchFirst = meta.options.batchFirst ?? false;
  const x = c.t("input");
  assert.equal(x.ndim, meta.batched ? 3 : 2, `${c.name}: input rank`);
  const input =
    meta.packed === null
      ? x
      : nn.utils.rnn.packPaddedSequence(x, [...c.t("lengths").data], {
          batchFirst,
          enforceSorted: meta.packed === "sorted",
        });
  const { output, hN, cN, stateKeys } = run(c, meta, input);

  assert.deepEqual(
    stateKeys,
    Object.keys(c.withPrefix("state.")),
    `${c.name}: stateDict keys in PyTorch's order`,
  );
  if (meta.packed === null) {
    assert.ok(!(output instanceof nn.utils.rnn.PackedSequence), `${c.name}: a Tensor in, a Tensor out`);
    check(output, c.t("output"), `${c.name} output`);
  } else {
    assert.ok(output instanceof nn.utils.rnn.PackedSequence, `${c.name}: a PackedSequence in, one out`);
    check(output.data, c.t("output_data"), `${c.name} output.data`);
    check(output.batchSizes, c.t("batch_sizes"), `${c.name} output.batchSizes`);
    if (meta.packed === "unsorted") {
      assert.ok(
        output.sortedIndices && output.unsortedIndices,
        `${c.name}: sortedIndices/unsortedIndices kept`,
      );
      check(output.sortedIndices, c.t("sorted_indices"), `${c.name} output.sortedIndices`);
      const sorted = c.t("sorted_indices").data;
      const inverse = new Int32Array(sorted.length);
      sorted.forEach((orig, i) => {
        inverse[orig] = i;
      });
      assert.deepEqual([...output.unsortedIndices.data], [...inverse], `${c.name} output.unsortedIndices`);
    } else {
      assert.equal(output.sortedIndices, null, `${c.name}: sortedIndices null when enforceSorted`);
      assert.equal(output.unsortedIndices, null, `${c.name}: unsortedIndices null when enforceSorted`);
    }
    const [padded, lengths] = nn.utils.rnn.padPackedSequence(output, { batchFirst });
    check(padded, c.t("output"), `${c.name} padPackedSequence(output)`);
    assert.deepEqual([...lengths.data], [...c.t("lengths").data], `${c.name} padPackedSequence lengths`);
  }
  check(hN, c.t("h_n"), `${c.name} h_n`);
  if (meta.module === "LSTM") {
    assert.ok(cN, `${c.name}: LSTM returns c_n`);
    check(cN, c.t("c_n"), `${c.name} c_n`);
  }
}

after(() => {
  useKernels(availableKernels()[0]!);
  for (const line of tracker.report("rnn/seeds fixtures")) console.log(line);
});

for (const k of availableKernels())
  describe(`kernels: ${k.name}`, () => {
    beforeEach(() => useKernels(k));
    for (const fx of groups)
      describe(`fixtures ${fx.group} (PyTorch ${fx.torch})`, () => {
        for (const c of fx.cases) test(`${c.name} matches PyTorch`, () => checkCase(c));
      });
  });
