// Every differentiable operation against central differences (float64), and the tape's rules:
// accumulation, one backward per graph unless retained, scalar roots, noGrad, detach.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  cat,
  indexSelect,
  manualSeed,
  noGrad,
  rand,
  randn,
  stack,
  type Tensor,
  tensor,
} from "../../src/index.js";
import { assertGradcheck } from "../helpers/gradcheck.js";

const f64 = (shape: number[], seed: number, positive = false) => {
  manualSeed(seed);
  const t = positive ? rand(shape, { dtype: "float64" }).add(0.5) : randn(shape, { dtype: "float64" });
  return t.detach().requiresGrad_();
};
/** A weighting so that upstream gradients are not all ones (STYLE §8). */
const weigh = (y: Tensor, seed: number) => {
  manualSeed(seed);
  return y.mul(randn([...y.shape], { dtype: "float64" })).sum();
};

describe("gradients match central differences (float64)", () => {
  test("add, sub, mul, div with broadcasting and scalars", () => {
    const a = f64([2, 3], 1);
    const b = f64([3], 2, true);
    const c = f64([2, 1], 3, true);
    assertGradcheck(() => weigh(a.add(b).sub(c).mul(a).div(b).add(2).mul(0.5).sub(1).div(3), 9), [a, b, c]);
  });

  test("neg, exp, log, tanh, sigmoid, relu", () => {
    const x = f64([7], 4);
    const p = f64([5], 5, true);
    assertGradcheck(() => weigh(x.neg().exp().add(x.tanh()).add(x.sigmoid()).add(x.relu()), 10), [x]);
    assertGradcheck(() => weigh(p.log(), 11), [p]);
  });

  test("sum and mean over dims, with and without keepdim", () => {
    const x = f64([2, 3, 4], 6);
    assertGradcheck(
      () =>
        weigh(x.sum(1), 12)
          .add(weigh(x.mean([0, 2], true), 13))
          .add(x.mean()),
      [x],
    );
  });

  test("matmul: matrices, vectors and broadcast batches", () => {
    const a = f64([2, 3, 4], 7);
    const b = f64([4, 5], 8);
    const v = f64([4], 9);
    assertGradcheck(
      () =>
        weigh(a.matmul(b), 14)
          .add(weigh(a.matmul(v), 15))
          .add(weigh(v.matmul(b), 16)),
      [a, b, v],
    );
  });

  test("reshape, transpose, permute, unsqueeze, squeeze, expand", () => {
    const x = f64([2, 3, 1], 10);
    assertGradcheck(
      () =>
        weigh(x.reshape(3, 2).transpose(0, 1).unsqueeze(0).permute(2, 0, 1).squeeze().expand(4, 3, 2), 17),
      [x],
    );
  });

  test("cat, stack, indexSelect (with repeats), narrow, select", () => {
    const a = f64([2, 3], 11);
    const b = f64([2, 2], 12);
    assertGradcheck(
      () =>
        weigh(cat([a, b], 1), 18)
          .add(weigh(stack([a, a], 0), 19))
          .add(weigh(indexSelect(a, 1, [2, 0, 2]), 20))
          .add(weigh(a.narrow(1, 1, 2), 21))
          .add(weigh(b.select(0, -1), 22)),
      [a, b],
    );
  });

  test("softmax and logSoftmax along any dim", () => {
    const x = f64([3, 4], 13);
    assertGradcheck(() => weigh(x.softmax(1), 23).add(weigh(x.logSoftmax(0), 24)), [x]);
  });
});

test("logSoftmax does not overflow for large inputs", () => {
  const y = tensor([1000, 0, -1000], { dtype: "float64" }).logSoftmax(0);
  assert.deepEqual([...y.data], [0, -1000, -2000]);
});

test("a value used twice gets the sum of both gradients", () => {
  const x = tensor([3], { dtype: "float64", requiresGrad: true });
  x.mul(x).add(x).sum().backward();
  assert.equal(x.grad!.item(), 7);
});

test("gradients accumulate across backward calls until cleared", () => {
  const x = tensor([2], { dtype: "float64", requiresGrad: true });
  x.mul(3).sum().backward();
  x.mul(3).sum().backward();
  assert.equal(x.grad!.item(), 6);
});

test("a second backward through the same graph is refused unless the first retained it", () => {
  const x = tensor([2], { dtype: "float64", requiresGrad: true });
  const y = x.mul(x).sum();
  y.backward(undefined, { retainGraph: true });
  y.backward();
  assert.equal(x.grad!.item(), 8);
  assert.throws(() => y.backward(), /Trying to backward through the graph a second time/);
});

test("backward of a non-scalar needs a gradient of the same shape", () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const y = x.mul(2);
  assert.throws(() => y.backward(), /backward: gradient can be implicitly created only for scalar outputs/);
  assert.throws(
    () => y.backward(tensor([1, 2, 3])),
    /backward: gradient.shape must match the output's shape/,
  );
  y.backward(tensor([1, 10]));
  assert.deepEqual([...x.grad!.data], [2, 20]);
});

test("backward on a tensor that does not require grad is refused", () => {
  assert.throws(() => tensor([1]).backward(), /backward: tensor does not require grad/);
});

test("noGrad records nothing and detach cuts the graph", () => {
  const x = tensor([1, 2], { requiresGrad: true });
  const y = noGrad(() => x.mul(2));
  assert.equal(y.requiresGrad, false);
  assert.equal(y.gradFn, null);
  const z = x.detach();
  assert.equal(z.requiresGrad, false);
  assert.equal(z.data, x.data);
});

test("leaf gradients are copies: changing one does not change another", () => {
  const a = tensor([1], { requiresGrad: true });
  const b = tensor([1], { requiresGrad: true });
  a.add(b).sum().backward();
  a.grad!.data[0] = 5;
  assert.equal(b.grad!.item(), 1);
});
