import assert from "node:assert/strict";
import { after, beforeEach, describe, test } from "node:test";
import { manualSeed, nn, randn, tensor } from "../../src/index.js";
import { availableKernels, useKernels } from "../../src/kernels/select.js";
import { assertClose } from "../helpers/assert.js";
import { loadFixtures } from "../helpers/fixtures.js";
import { assertGradcheck } from "../helpers/gradcheck.js";

const fx = loadFixtures("layers");
after(() => useKernels(availableKernels()[0]!));

for (const k of availableKernels())
  describe(`kernels: ${k.name}`, () => {
    beforeEach(() => useKernels(k));
    for (const c of fx.cases)
      test(`${c.name} forward and gradients match PyTorch ${fx.torch}`, () => {
        const options = c.meta.options as never;
        const m = c.meta.module === "Linear" ? new nn.Linear(options) : new nn.Embedding(options);
        m.loadStateDict(c.withPrefix("state."));
        const x = c.t("input");
        const input = x.dtype === "int32" ? x : x.detach().clone().requiresGrad_();
        const y = m.forward(input);
        assertClose(y, c.t("output"), `${c.name} output`);
        y.mul(c.t("w.output")).sum().backward();
        if (c.has("grad.input")) assertClose(input.grad!, c.t("grad.input"), `${c.name} grad.input`, "grad");
        for (const [k, p] of m.namedParameters())
          assertClose(p.grad!, c.t(`grad.state.${k}`), `${c.name} grad.${k}`, "grad");
      });
  });

test("Linear and Embedding gradients match central differences (float64)", () => {
  manualSeed(2);
  const l = new nn.Linear({ inFeatures: 3, outFeatures: 2, dtype: "float64" });
  const x = randn([4, 3], { dtype: "float64" }).requiresGrad_();
  const w = randn([4, 2], { dtype: "float64" });
  assertGradcheck(() => l.forward(x).mul(w).sum(), [x, ...l.parameters()]);
  // Without paddingIdx: by design the padding row gets no gradient though the output depends on it.
  const e = new nn.Embedding({ numEmbeddings: 5, embeddingDim: 2, dtype: "float64" });
  const idx = tensor([0, 1, 4, 0], { dtype: "int32" });
  assertGradcheck(() => e.forward(idx).mul(w).sum(), e.parameters());
});

test("Embedding zeroes the paddingIdx row at construction (negative index counts from the end)", () => {
  manualSeed(1);
  const e = new nn.Embedding({ numEmbeddings: 5, embeddingDim: 3, paddingIdx: -2 });
  assert.equal(e.paddingIdx, 3);
  assert.deepEqual([...e.weight.data.subarray(9, 12)], [0, 0, 0]);
  assert.ok(e.weight.data.subarray(0, 9).some((v) => v !== 0));
});

test("Embedding rejects an index out of range and names it", () => {
  const e = new nn.Embedding({ numEmbeddings: 5, embeddingDim: 3 });
  assert.throws(
    () => e.forward(tensor([1, 5], { dtype: "int32" })),
    /Embedding: input\[1\] is out of range. Expected 0 <= index < 5, got 5/,
  );
  assert.throws(() => e.forward(tensor([1, 2])), /Embedding: input.dtype must be int32/);
});

test("Embedding rejects a paddingIdx outside numEmbeddings", () => {
  assert.throws(
    () => new nn.Embedding({ numEmbeddings: 5, embeddingDim: 3, paddingIdx: 5 }),
    /Embedding: paddingIdx must be within numEmbeddings/,
  );
});

test("Linear rejects an input whose last dimension is not inFeatures", () => {
  const l = new nn.Linear({ inFeatures: 4, outFeatures: 2 });
  assert.throws(
    () => l.forward(tensor([[1, 2, 3]])),
    /Linear: input.size\(-1\) must be equal to inFeatures. Expected 4, got 3/,
  );
});

test("Linear initialises weight and bias in U(-1/sqrt(inFeatures), 1/sqrt(inFeatures))", () => {
  manualSeed(3);
  const l = new nn.Linear({ inFeatures: 16, outFeatures: 8 });
  for (const p of l.parameters()) for (const v of p.data) assert.ok(Math.abs(v) <= 0.25, `${v}`);
  assert.deepEqual(
    [...l.namedParameters()].map(([n, p]) => [n, p.shape]),
    [
      ["weight", [8, 16]],
      ["bias", [8]],
    ],
  );
});
