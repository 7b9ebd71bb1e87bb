// Losses against PyTorch 1.13 (fixtures from scripts/fixtures/losses.py: loss and gradients), against
// central differences in float64, and PyTorch's checks with their messages. The losses run no
// kernels, so these tests do not repeat per kernel implementation.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ArgumentError, manualSeed, rand, randn, Tensor, tensor } from "../../src/index.js";
import {
  BCEWithLogitsLoss,
  binaryCrossEntropyWithLogits,
  CrossEntropyLoss,
  type CrossEntropyLossOptions,
  crossEntropy,
  MSELoss,
  type MSELossOptions,
  mseLoss,
  NLLLoss,
  nllLoss,
} from "../../src/nn/losses.js";
import { assertClose } from "../helpers/assert.js";
import { type FixtureCase, loadFixtures } from "../helpers/fixtures.js";
import { assertGradcheck } from "../helpers/gradcheck.js";

const fx = loadFixtures("losses");

/** A fresh leaf with the fixture tensor's values (fixture tensors are shared between tests). */
function leaf(t: Tensor, requiresGrad: boolean): Tensor {
  const x = new Tensor(t.data.slice(), t.shape);
  x.requiresGrad = requiresGrad;
  return x;
}

function lossModule(c: FixtureCase, weight: Tensor | null, posWeight: Tensor | null) {
  const options = { ...(c.meta.options as Record<string, unknown>) };
  if (weight) options.weight = weight;
  if (posWeight) options.posWeight = posWeight;
  switch (c.meta.loss) {
    case "CrossEntropyLoss":
      return new CrossEntropyLoss(options);
    case "NLLLoss":
      return new NLLLoss(options);
    case "MSELoss":
      return new MSELoss(options);
    case "BCEWithLogitsLoss":
      return new BCEWithLogitsLoss(options);
    default:
      throw new Error(`fixture ${c.name}: unknown loss ${String(c.meta.loss)}`);
  }
}

describe(`losses match PyTorch ${fx.torch}: loss and gradients`, () => {
  for (const c of fx.cases)
    test(`${c.name} gives PyTorch's loss and gradients`, () => {
      const input = leaf(c.t("input"), true);
      const target = leaf(c.t("target"), c.has("grad.target"));
      const weight = c.has("weight") ? leaf(c.t("weight"), c.has("grad.weight")) : null;
      const posWeight = c.has("posWeight") ? c.t("posWeight") : null;
      const out = lossModule(c, weight, posWeight).forward(input, target);
      assertClose(out, c.t("output"), `${c.name} output`, "forward");
      out.backward(c.t("gradOutput"));
      assertClose(input.grad!, c.t("grad.input"), `${c.name} grad.input`, "grad");
      if (c.has("grad.target"))
        assertClose(target.grad!, c.t("grad.target"), `${c.name} grad.target`, "grad");
      else assert.equal(target.grad, null, `${c.name}: PyTorch gives the target no gradient`);
      if (c.has("grad.weight"))
        assertClose(weight!.grad!, c.t("grad.weight"), `${c.name} grad.weight`, "grad");
    });
});

test("the fixtures cover every loss, both dtypes and every reduction", () => {
  const seen = new Set(
    fx.cases.map(
      (c) =>
        `${String(c.meta.loss)} ${c.t("input").dtype} ${String((c.meta.options as { reduction: string }).reduction ?? "mean")}`,
    ),
  );
  for (const loss of ["CrossEntropyLoss", "NLLLoss", "MSELoss", "BCEWithLogitsLoss"])
    for (const dtype of ["float32", "float64"])
      for (const reduction of ["none", "sum", "mean"]) assert.ok(seen.has(`${loss} ${dtype} ${reduction}`));
  assert.ok(
    fx.cases.some((c) => c.has("grad.weight")),
    "class-probability weight gradients",
  );
});

test("the functional forms give the modules' results", () => {
  manualSeed(5);
  const x = randn([4, 3], { dtype: "float64" });
  const t = tensor([0, 2, -100, 1], { dtype: "int32" });
  const p = rand([4, 3], { dtype: "float64" });
  const w = rand([3], { dtype: "float64" });
  const o = { weight: w, labelSmoothing: 0.1, reduction: "sum" } as const;
  assert.equal(crossEntropy(x, t, o).item(), new CrossEntropyLoss(o).forward(x, t).item());
  assert.equal(nllLoss(x, t, { weight: w }).item(), new NLLLoss({ weight: w }).forward(x, t).item());
  assert.equal(mseLoss(x, p).item(), new MSELoss().forward(x, p).item());
  assert.equal(
    binaryCrossEntropyWithLogits(x, p, { posWeight: w }).item(),
    new BCEWithLogitsLoss({ posWeight: w }).forward(x, p).item(),
  );
});

test("cross entropy stays finite and exact for logits of ±1e4 (no softmax overflow)", () => {
  const x = tensor([[1e4, 0, -1e4]], { dtype: "float64", requiresGrad: true });
  const loss = crossEntropy(x, tensor([2], { dtype: "int32" }));
  assert.equal(loss.item(), 2e4);
  loss.backward();
  assert.deepEqual([...x.grad!.data], [1, 0, -1]);
});

test("each loss is one recorded node whose inputs are the loss's own arguments", () => {
  const x = randn([3, 4]).requiresGrad_();
  const p = rand([3, 4]);
  const ce = crossEntropy(x, idx([0, 1, 2]), { labelSmoothing: 0.1 });
  assert.equal(ce.gradFn?.name, "CrossEntropyLossBackward");
  assert.deepEqual(ce.gradFn?.inputs, [x]);
  assert.equal(nllLoss(x, idx([0, 1, 2])).gradFn?.inputs[0], x);
  assert.equal(mseLoss(x, p).gradFn?.name, "MseLossBackward");
  assert.equal(binaryCrossEntropyWithLogits(x, p).gradFn?.name, "BinaryCrossEntropyWithLogitsBackward");
});

test("MSE takes an int32 target as its float values and gives it no gradient", () => {
  const x = tensor([0.5, -1, 2], { requiresGrad: true });
  const t = tensor([1, -1, 3], { dtype: "int32" });
  const loss = mseLoss(x, t);
  assert.equal(loss.item(), mseLoss(x, tensor([1, -1, 3])).item());
  loss.backward();
  assert.equal(t.grad, null);
  assertClose(x.grad!, tensor([-1 / 3, 0, -2 / 3]), "grad", "grad");
});

test("loss modules hold no parameters and print as PyTorch does", () => {
  const ce = new CrossEntropyLoss({ labelSmoothing: 0.1 });
  assert.deepEqual(ce.parameters(), []);
  assert.equal(String(ce), "CrossEntropyLoss()");
  assert.equal(ce.ignoreIndex, -100);
  assert.equal(ce.reduction, "mean");
  assert.equal(String(new BCEWithLogitsLoss()), "BCEWithLogitsLoss()");
});

// ---------------------------------------------------------------------------------------------
// Central differences in float64, independent of PyTorch

describe("loss gradients match central differences (float64)", () => {
  const f64 = (shape: number[], seed: number) => {
    manualSeed(seed);
    return randn(shape, { dtype: "float64" }).requiresGrad_();
  };
  /** Σ loss·u with a fixed random u, so that upstream gradients are not all ones. */
  const weighted = (loss: Tensor, seed: number) => {
    manualSeed(seed);
    return loss.mul(randn([...loss.shape], { dtype: "float64" })).sum();
  };
  const labels = tensor(
    [
      [0, 3, -100],
      [2, 2, 1],
    ],
    { dtype: "int32" },
  );

  test("crossEntropy with class indices, weight, ignored targets and label smoothing", () => {
    const x = f64([2, 4, 3], 1);
    const weight = rand([4], { dtype: "float64" });
    for (const reduction of ["none", "mean"] as const)
      assertGradcheck(
        () => weighted(crossEntropy(x, labels, { weight, labelSmoothing: 0.1, reduction }), 2),
        [x],
      );
  });

  test("crossEntropy with class probabilities: input, target and weight", () => {
    const x = f64([3, 4], 3);
    const p = rand([3, 4], { dtype: "float64" }).requiresGrad_();
    const weight = rand([4], { dtype: "float64" }).requiresGrad_();
    assertGradcheck(
      () => weighted(crossEntropy(x, p, { weight, labelSmoothing: 0.1, reduction: "none" }), 4),
      [x, p, weight],
    );
  });

  test("nllLoss with weight and ignored targets", () => {
    const x = f64([2, 4, 3], 5);
    const weight = rand([4], { dtype: "float64" });
    assertGradcheck(() => nllLoss(x, labels, { weight }).mul(1.7), [x]);
    assertGradcheck(() => weighted(nllLoss(x, labels, { weight, reduction: "none" }), 6), [x]);
  });

  test("mseLoss with a broadcast target: input and target", () => {
    const x = f64([3, 4], 7);
    const t = f64([4], 8);
    assertGradcheck(() => weighted(mseLoss(x, t, { reduction: "none" }), 9), [x, t]);
    assertGradcheck(() => mseLoss(x, t).mul(0.7), [x, t]);
  });

  test("binaryCrossEntropyWithLogits with weight and posWeight: input and target", () => {
    const x = f64([3, 4], 10);
    const t = rand([3, 4], { dtype: "float64" }).requiresGrad_();
    const weight = rand([4], { dtype: "float64" });
    const posWeight = rand([4], { dtype: "float64" });
    assertGradcheck(
      () => weighted(binaryCrossEntropyWithLogits(x, t, { weight, posWeight, reduction: "none" }), 11),
      [x, t],
    );
    assertGradcheck(() => binaryCrossEntropyWithLogits(x, t).mul(1.3), [x, t]);
  });
});

// ---------------------------------------------------------------------------------------------
// PyTorch's checks

const logits = () => randn([3, 4]);
const idx = (values: number[]) => tensor(values, { dtype: "int32" });

test("crossEntropy rejects a target whose batch size differs from the input's", () => {
  assert.throws(
    () => crossEntropy(logits(), idx([0, 1])),
    /crossEntropy: target.size\(0\) must match the input's batch size \(Expected input batch_size \(3\) to match target batch_size \(2\).\). Expected 3, got 2/,
  );
});

test("the error is an ArgumentError naming the argument, the expected and the actual value", () => {
  assert.throws(
    () => new CrossEntropyLoss().forward(logits(), idx([0, 1])),
    (e: unknown) =>
      e instanceof ArgumentError &&
      e.where === "CrossEntropyLoss" &&
      e.argument === "target.size(0)" &&
      e.expected === 3 &&
      e.actual === 2,
  );
});

test("crossEntropy and nllLoss reject a class index out of bounds", () => {
  assert.throws(
    () => crossEntropy(logits(), idx([0, 1, 7])),
    /crossEntropy: target is out of bounds at index 2 \(Target 7 is out of bounds.\). Expected class indices in \[0, 3\] or ignoreIndex -100, got 7/,
  );
  assert.throws(() => nllLoss(logits(), idx([-1, 1, 2])), /Target -1 is out of bounds/);
});

test("with ignoreIndex in range, -100 is an out-of-bounds target", () => {
  assert.throws(
    () => crossEntropy(logits(), idx([2, -100, 1]), { ignoreIndex: 2 }),
    /Target -100 is out of bounds.*or ignoreIndex 2, got -100/,
  );
});

test("crossEntropy rejects a float target that is not of the input's shape", () => {
  assert.throws(
    () => crossEntropy(logits(), tensor([0, 1, 2])),
    /crossEntropy: target.dtype must be int32 for class indices \(PyTorch: expected scalar type Long\).*Expected int32, got 'float32'/,
  );
});

test("crossEntropy rejects an int32 target of the input's shape (probabilities must be float)", () => {
  assert.throws(
    () => crossEntropy(randn([4]), idx([0, 1, 0, 0])),
    /crossEntropy: target.dtype must be floating point.*Expected floating point type for target with class probabilities/,
  );
});

test("an invalid reduction is refused by every loss, at construction", () => {
  const bad = { reduction: "avg" } as unknown as MSELossOptions;
  assert.throws(
    () => new MSELoss(bad),
    /MSELoss: reduction is not a valid value for reduction \(avg is not a valid value for reduction\). Expected 'none', 'mean' or 'sum', got 'avg'/,
  );
  assert.throws(() => new CrossEntropyLoss(bad), /CrossEntropyLoss: reduction is not a valid value/);
  assert.throws(() => new NLLLoss(bad), /NLLLoss: reduction is not a valid value/);
  assert.throws(() => new BCEWithLogitsLoss(bad), /BCEWithLogitsLoss: reduction is not a valid value/);
  assert.throws(() => crossEntropy(logits(), idx([0, 1, 2]), bad), /crossEntropy: reduction/);
});

test("labelSmoothing outside [0, 1] is refused", () => {
  assert.throws(
    () => new CrossEntropyLoss({ labelSmoothing: 1.5 }),
    /CrossEntropyLoss: labelSmoothing must be between 0.0 and 1.0. Expected 0 <= labelSmoothing <= 1, got 1.5/,
  );
  assert.throws(() => crossEntropy(logits(), idx([0, 1, 2]), { labelSmoothing: -0.1 }), /got -0.1/);
});

test("a class weight of the wrong length is refused", () => {
  assert.throws(
    () => crossEntropy(logits(), idx([0, 1, 2]), { weight: rand([3]) }),
    /crossEntropy: weight tensor should be defined either for all 4 classes or no classes but got weight tensor of shape: \[3\]. Expected \[4\], got \[3\]/,
  );
  assert.throws(() => crossEntropy(logits(), rand([3, 4]), { weight: rand([5]) }), /all 4 classes/);
  assert.throws(() => nllLoss(logits(), idx([0, 1, 2]), { weight: rand([5]) }), /all 4 classes/);
});

test("a target of the wrong spatial shape is refused", () => {
  assert.throws(
    () =>
      crossEntropy(
        randn([2, 4, 3]),
        tensor(
          [
            [0, 1],
            [1, 2],
          ],
          { dtype: "int32" },
        ),
      ),
    /target.shape must be the input's shape without the class dimension \(Expected target size \[2, 3\], got \[2, 2\]\)/,
  );
  assert.throws(
    () => crossEntropy(logits(), tensor([[0], [1], [2]], { dtype: "int32" })),
    /0D or 1D target tensor expected, multi-target not supported/,
  );
  assert.throws(
    () => crossEntropy(randn([4]), idx([1])),
    /size mismatch \(got input: \[4\], target: \[1\]\)/,
  );
});

test("ignoreIndex >= 0 is refused with class-probability targets", () => {
  assert.throws(
    () => crossEntropy(logits(), rand([3, 4]), { ignoreIndex: 1 }),
    /crossEntropy: ignoreIndex is not supported for floating point target/,
  );
});

test("a weight that requires grad is refused where PyTorch is not differentiable in it", () => {
  const w = rand([4]).requiresGrad_();
  assert.throws(
    () => nllLoss(logits(), idx([0, 1, 2]), { weight: w }),
    /nllLoss: weight.requiresGrad must be false: nll_loss is not differentiable with respect to weight/,
  );
  assert.throws(
    () => binaryCrossEntropyWithLogits(logits(), rand([3, 4]), { posWeight: w }),
    /posWeight.requiresGrad must be false/,
  );
});

test("BCEWithLogitsLoss rejects a target of another size than the input", () => {
  assert.throws(
    () => new BCEWithLogitsLoss().forward(logits(), rand([3, 5])),
    /BCEWithLogitsLoss: target.shape must be the same as the input's \(Target size \[3, 5\] must be the same as input size \[3, 4\]\). Expected \[3, 4\], got \[3, 5\]/,
  );
  assert.throws(
    () => binaryCrossEntropyWithLogits(logits(), rand([3, 4]), { weight: rand([2, 3, 4]) }),
    /weight.shape must broadcast to the input's shape/,
  );
});

test("MSELoss rejects shapes that do not broadcast", () => {
  assert.throws(() => new MSELoss().forward(logits(), rand([3, 5])), /MSELoss: target.shape must broadcast/);
});

test("an unknown option is refused, not ignored", () => {
  assert.throws(
    () => new CrossEntropyLoss({ ignore_index: 3 } as unknown as CrossEntropyLossOptions),
    /CrossEntropyLoss: option 'ignore_index' is not an option of this module/,
  );
});
