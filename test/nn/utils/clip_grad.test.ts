// nn.utils clipGradNorm / clipGradValue against PyTorch 1.13's clip_grad_norm_ / clip_grad_value_:
// fixture group `optim`, kinds "clip_grad_norm" and "clip_grad_value" (scripts/fixtures/optim.py):
// norm types 2, 1, inf, 3 and 0.5, clipping and not, a parameter without a gradient, one parameter,
// a non-finite gradient, no gradients at all; float32 and float64.

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { clipGradNorm, clipGradValue } from "../../../src/nn/utils/clip_grad.js";
import { Tensor, zeros } from "../../../src/tensor/index.js";
import { check, fx, kind, report } from "../../optim/cases.js";

interface ClipMeta {
  readonly kind: "clip_grad_norm" | "clip_grad_value";
  readonly norm_type?: number | "inf" | "-inf";
  readonly max_norm?: number;
  readonly clip_value?: number;
  readonly dtype: "float32" | "float64";
  readonly shapes: number[][];
  readonly no_grad: number[];
  readonly clipped?: boolean;
}

const normCases = kind("clip_grad_norm");
const valueCases = kind("clip_grad_value");

after(() => report(`clipping fixtures (${normCases.length + valueCases.length} cases)`));

function paramsOf(c: (typeof normCases)[number], meta: ClipMeta): Tensor[] {
  return meta.shapes.map((shape, j) => {
    const p = zeros(shape, { dtype: meta.dtype });
    p.grad = c.has(`grad${j}.before`) ? c.t(`grad${j}.before`).clone() : null;
    return p;
  });
}

describe(`gradient clipping matches PyTorch ${fx.torch}`, () => {
  for (const c of normCases) {
    const meta = c.meta as unknown as ClipMeta;
    test(`${c.name}: clipGradNorm returns PyTorch's total norm and leaves PyTorch's gradients`, () => {
      const params = paramsOf(c, meta);
      const normType =
        typeof meta.norm_type === "string"
          ? Number(meta.norm_type.replace("inf", "Infinity"))
          : meta.norm_type!;
      const total = clipGradNorm(params, meta.max_norm!, normType);
      assert.deepEqual([...total.shape], []);
      check(total, c.t("total_norm"), `${c.name} total norm`);
      params.forEach((p, j) => {
        if (meta.no_grad.includes(j)) assert.equal(p.grad, null, `${c.name} param${j} has no gradient`);
        else check(p.grad!, c.t(`grad${j}.after`), `${c.name} grad${j}`);
      });
    });
  }

  for (const c of valueCases) {
    const meta = c.meta as unknown as ClipMeta;
    test(`${c.name}: clipGradValue leaves PyTorch's gradients`, () => {
      const params = paramsOf(c, meta);
      clipGradValue(params, meta.clip_value!);
      params.forEach((p, j) => {
        if (meta.no_grad.includes(j)) assert.equal(p.grad, null);
        else check(p.grad!, c.t(`grad${j}.after`), `${c.name} grad${j}`);
      });
    });
  }

  test("the fixtures clip in some cases and not in others", () => {
    const clipped = normCases.map((c) => (c.meta as unknown as ClipMeta).clipped);
    assert.ok(clipped.includes(true) && clipped.includes(false));
  });
});

describe("clipGradNorm details", () => {
  const withGrad = (values: number[], dtype: "float32" | "float64" = "float64") => {
    const p = zeros([values.length], { dtype });
    p.grad = new Tensor(dtype === "float32" ? Float32Array.from(values) : Float64Array.from(values), [
      values.length,
    ]);
    return p;
  };

  test("a single Tensor is accepted as the parameters", () => {
    const p = withGrad([3, 4]);
    assert.equal(clipGradNorm(p, 1).item(), 5);
    const coef = (1 / (5 + 1e-6)) * 1; // PyTorch: (total_norm + 1e-6).reciprocal() * max_norm
    assert.deepEqual([...p.grad!.data], [3 * coef, 4 * coef]);
  });

  test("a float32 and a float64 gradient give a float64 total norm (torch.stack promotes)", () => {
    const a = withGrad([3, 4], "float32");
    const b = withGrad([1, 0], "float64");
    const total = clipGradNorm([a, b], 1);
    assert.equal(total.dtype, "float64");
    assert.equal(total.item(), Math.sqrt(26));
    assert.equal(a.grad!.dtype, "float32");
  });

  test("errorIfNonfinite throws on an infinite total norm and leaves the gradients", () => {
    const p = withGrad([1, Infinity]);
    assert.throws(
      () => clipGradNorm([p], 1, 2, { errorIfNonfinite: true }),
      /clipGradNorm: the total norm of order 2 of the gradients is non-finite, so it cannot be clipped.*Expected a finite norm, got Infinity/,
    );
    assert.deepEqual([...p.grad!.data], [1, Infinity]);
  });

  test("a NaN gradient gives a NaN total norm and NaN gradients unless errorIfNonfinite", () => {
    const p = withGrad([1, Number.NaN]);
    assert.ok(Number.isNaN(clipGradNorm([p], 1).item()));
    assert.ok([...p.grad!.data].every(Number.isNaN));
    assert.throws(() => clipGradNorm([withGrad([Number.NaN])], 1, 2, { errorIfNonfinite: true }), /got NaN/);
  });

  test("the 0-norm counts the nonzero gradient entries, and -Infinity takes the smallest magnitude", () => {
    assert.equal(clipGradNorm([withGrad([0, 2, -3]), withGrad([0, 0])], 100, 0).item(), 1);
    assert.equal(clipGradNorm([withGrad([0.5, -2]), withGrad([4])], 100, -Infinity).item(), 0.5);
  });

  test("bad arguments are named", () => {
    assert.throws(() => clipGradNorm([withGrad([1])], Number.NaN), /clipGradNorm: maxNorm must be a number/);
    assert.throws(
      () => clipGradNorm([withGrad([1])], 1, "inf" as unknown as number),
      /clipGradNorm: normType must be a number/,
    );
    assert.throws(
      () => clipGradNorm([1 as unknown as Tensor], 1),
      /clipGradNorm: parameters\[0\] must be a Tensor/,
    );
    assert.throws(
      () => clipGradValue([withGrad([1])], Number.NaN),
      /clipGradValue: clipValue must be a number/,
    );
    const empty = zeros([0]);
    empty.grad = zeros([0]);
    assert.throws(
      () => clipGradNorm([empty], 1, Infinity),
      /clipGradNorm: gradient 0 has no elements, so it has no infinity norm/,
    );
  });

  test("clipGradValue keeps NaN and clamps ±Infinity", () => {
    const p = withGrad([Number.NaN, Infinity, -Infinity, 0.25]);
    clipGradValue([p], 0.5);
    const d = [...p.grad!.data];
    assert.ok(Number.isNaN(d[0]));
    assert.deepEqual(d.slice(1), [0.5, -0.5, 0.25]);
  });
});
