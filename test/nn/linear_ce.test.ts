// nn.linearCrossEntropy (crossEntropy of a Linear's logits, fused) against PyTorch 1.13: fixture
// group `linear_ce` (scripts/fixtures/linear_ce.py: shapes past every SIMD width and register tile,
// bias, mean and sum, ignored rows, class weights, ×30 inputs, every row ignored), on every kernel
// implementation; against the unfused ops and central differences in float64; and its checks.

import assert from "node:assert/strict";
import { after, beforeEach, describe, test } from "node:test";
import { ArgumentError, manualSeed, nn, noGrad, randn, Tensor, tensor } from "../../src/index.js";
import { availableKernels, useKernels } from "../../src/kernels/select.js";
import { assertClose, CloseTracker } from "../helpers/assert.js";
import { type FixtureCase, loadFixtures } from "../helpers/fixtures.js";
import { assertGradcheck } from "../helpers/gradcheck.js";

const fx = loadFixtures("linear_ce");
const tracker = new CloseTracker();
const gradTracker = new CloseTracker("grad");

function leaf(t: Tensor, requiresGrad = true): Tensor {
  const x = new Tensor(t.data.slice(), t.shape);
  x.requiresGrad = requiresGrad;
  return x;
}

function checkCase(c: FixtureCase): void {
  const input = leaf(c.t("input"));
  const weight = leaf(c.t("weight"));
  const bias = c.has("bias") ? leaf(c.t("bias")) : null;
  const options = {
    ...(c.meta.options as nn.LinearCrossEntropyOptions),
    classWeight: c.has("classWeight") ? c.t("classWeight") : null,
  };
  const out = nn.linearCrossEntropy(input, weight, bias, c.t("target"), options);
  tracker.check(out, c.t("output"), `${c.name} output`);
  // The loss alone (no gradient wanted) is the same value.
  const plain = noGrad(() => nn.linearCrossEntropy(input, weight, bias, c.t("target"), options));
  assert.equal(plain.gradFn, null, `${c.name}: no node recorded without grad`);
  assert.equal(plain.item(), out.item(), `${c.name}: the same loss with and without gradients`);
  out.backward(c.t("gradOutput"));
  gradTracker.check(input.grad!, c.t("grad.input"), `${c.name} grad.input`);
  gradTracker.check(weight.grad!, c.t("grad.weight"), `${c.name} grad.weight`);
  if (bias) gradTracker.check(bias.grad!, c.t("grad.bias"), `${c.name} grad.bias`);
}

after(() => {
  useKernels(availableKernels()[0]!);
  for (const line of tracker.report("linear_ce fixtures, loss")) console.log(line);
  for (const line of gradTracker.report("linear_ce fixtures, gradients")) console.log(line);
});

for (const k of availableKernels())
  describe(`kernels: ${k.name}`, () => {
    beforeEach(() => useKernels(k));
    describe(`fixtures ${fx.group} (PyTorch ${fx.torch})`, () => {
      for (const c of fx.cases) test(`${c.name} matches PyTorch`, () => checkCase(c));
    });

    test("equals crossEntropy(linear(x)) with a Linear module's own parameters", () => {
      manualSeed(5);
      const lin = new nn.Linear({ inFeatures: 6, outFeatures: 13, dtype: "float64" });
      const x = randn([9, 6], { dtype: "float64", requiresGrad: true });
      const t = tensor(Int32Array.from([0, 12, 3, 3, 7, 1, 0, 11, 5]));
      const ref = nn.crossEntropy(lin.forward(x), t, { reduction: "sum" });
      ref.backward();
      const [gx, gw, gb] = [x.grad!, lin.weight.grad!, lin.bias!.grad!];
      x.grad = null;
      lin.zeroGrad();
      const fused = nn.linearCrossEntropy(x, lin.weight, lin.bias, t, { reduction: "sum" });
      fused.backward();
      assertClose(fused, ref, "loss", "forward");
      assertClose(x.grad!, gx, "grad x", "grad");
      assertClose(lin.weight.grad!, gw, "grad weight", "grad");
      assertClose(lin.bias!.grad!, gb, "grad bias", "grad");
    });

    test("central differences in float64 (class weights, an ignored row, mean)", () => {
      manualSeed(6);
      const x = randn([5, 4], { dtype: "float64", requiresGrad: true });
      const w = randn([7, 4], { dtype: "float64", requiresGrad: true });
      const b = randn([7], { dtype: "float64", requiresGrad: true });
      const classWeight = tensor(Float64Array.from([1, 0.5, 2, 1.5, 0.7, 1.1, 0.9]));
      const t = tensor(Int32Array.from([6, -100, 0, 2, 2]));
      assertGradcheck(() => nn.linearCrossEntropy(x, w, b, t, { classWeight }), [x, w, b]);
    });
  });

test("linearCrossEntropy refuses bad arguments before any work, naming them", () => {
  const x = randn([3, 4]);
  const w = randn([5, 4]);
  const b = randn([5]);
  const t = tensor(Int32Array.from([0, 4, 2]));
  const refuses = (f: () => unknown, argument: string) =>
    assert.throws(f, (e: unknown) => e instanceof ArgumentError && e.message.includes(argument), argument);
  refuses(() => nn.linearCrossEntropy(x, randn([5, 3]), b, t), "weight.shape");
  refuses(() => nn.linearCrossEntropy(x, w, randn([4]), t), "bias");
  refuses(() => nn.linearCrossEntropy(randn([3, 4, 1]), w, b, t), "input.dim()");
  refuses(() => nn.linearCrossEntropy(x, w, b, tensor(Int32Array.from([0, 5, 1]))), "target");
  refuses(() => nn.linearCrossEntropy(x, w, b, tensor(Int32Array.from([0, 1]))), "target.size(0)");
  refuses(() => nn.linearCrossEntropy(x, w, b, t, { reduction: "none" as "sum" }), "reduction");
  refuses(() => nn.linearCrossEntropy(x, randn([5, 4], { dtype: "float64" }), b, t), "weight.dtype");
  refuses(() => nn.linearCrossEntropy(x, w, b, t, { classWeight: randn([4]) }), "weight");
});
