// SGD, Adam, AdamW and RMSprop against PyTorch 1.13: fixture group `optim` (scripts/fixtures/optim.py),
// 20 steps of each covering option set in float32 and float64, every step's parameters and the final
// state dict compared; and the state dict's round trip (10 steps, save, load, 10 more = 20 straight).

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import {
  type AnyOptimizer,
  check,
  checkStateDict,
  expectedStateDict,
  fx,
  initialParams,
  kind,
  makeOptimizer,
  type OptimizerMeta,
  report,
  row,
  setGrads,
} from "./cases.js";

const cases = kind("optimizer");

after(() => report(`optimizer fixtures (${cases.length} cases)`));

describe(`optimizers match PyTorch ${fx.torch}`, () => {
  test("the fixture group covers every optimizer and option in both dtypes", () => {
    const metas = cases.map((c) => c.meta as unknown as OptimizerMeta);
    for (const name of ["SGD", "Adam", "AdamW", "RMSprop"])
      for (const dtype of ["float32", "float64"])
        assert.ok(
          metas.some((m) => m.optimizer === name && m.dtype === dtype && m.groups !== null),
          `${name} ${dtype} groups`,
        );
    const flags = [
      "momentum",
      "dampening",
      "nesterov",
      "weight_decay",
      "maximize",
      "amsgrad",
      "centered",
      "betas",
      "alpha",
    ];
    for (const f of flags)
      assert.ok(
        metas.some((m) => f in m.options),
        f,
      );
    assert.ok(
      metas.some((m) => m.no_grad.length > 0),
      "steps without a gradient",
    );
  });

  for (const c of cases) {
    const meta = c.meta as unknown as OptimizerMeta;
    test(`${c.name}: every step's parameters and the final state dict match`, () => {
      const params = initialParams(c, meta);
      const opt = makeOptimizer(meta, params);
      for (let t = 0; t < meta.steps; t++) {
        setGrads(c, meta, params, t);
        opt.step();
        for (const [j, p] of params.entries())
          check(p, row(c.t(`param${j}.traj`), t), `${c.name} step ${t + 1} param${j}`);
      }
      checkStateDict(opt.stateDict(), expectedStateDict(c, meta), c.name);
    });
  }
});

/** Runs steps [from, to) of the case on `opt`. */
function run(
  c: (typeof cases)[number],
  meta: OptimizerMeta,
  opt: AnyOptimizer,
  params: ReturnType<typeof initialParams>,
  from: number,
  to: number,
) {
  for (let t = from; t < to; t++) {
    setGrads(c, meta, params, t);
    opt.step();
  }
}

describe("stateDict / loadStateDict", () => {
  for (const c of cases) {
    const meta = c.meta as unknown as OptimizerMeta;
    test(`${c.name}: 10 steps, save, load into a fresh optimizer, 10 more equal 20 straight steps bit for bit`, () => {
      const straight = initialParams(c, meta);
      run(c, meta, makeOptimizer(meta, straight), straight, 0, 20);

      const first = initialParams(c, meta);
      const a = makeOptimizer(meta, first);
      run(c, meta, a, first, 0, 10);
      const saved = a.stateDict();
      const resumed = first.map((p) => p.clone());
      const b = makeOptimizer({ ...meta, options: { ...meta.options, lr: 123 } } as OptimizerMeta, resumed);
      b.loadStateDict(saved);
      run(c, meta, a, first, 10, 12); // the saved dict was copied on load: stepping `a` does not disturb `b`
      run(c, meta, b, resumed, 10, 20);
      for (const [j, p] of resumed.entries())
        assert.deepEqual(p.data, straight[j]!.data, `${c.name} param${j}`);
    });
  }

  test("loading PyTorch's state dict and saving it again gives PyTorch's state dict", () => {
    for (const c of cases) {
      const meta = c.meta as unknown as OptimizerMeta;
      const opt = makeOptimizer(meta, initialParams(c, meta));
      const expected = expectedStateDict(c, meta);
      opt.loadStateDict(expected);
      checkStateDict(opt.stateDict(), expected, `${c.name} reloaded`);
    }
  });

  test("loading PyTorch's state dict then stepping continues from it", () => {
    // A state dict saved at step 20 by PyTorch, loaded with the step-20 parameters: one more step here
    // equals one more step of our own 20-step run (whose state matched PyTorch's above).
    for (const c of cases) {
      const meta = c.meta as unknown as OptimizerMeta;
      const ours = initialParams(c, meta);
      const own = makeOptimizer(meta, ours);
      run(c, meta, own, ours, 0, 20);
      const theirs = meta.shapes.map((_, j) => row(c.t(`param${j}.traj`), meta.steps - 1));
      const loaded = makeOptimizer(meta, theirs);
      loaded.loadStateDict(expectedStateDict(c, meta));
      for (const o of [own, loaded]) {
        const ps = o === own ? ours : theirs;
        setGrads(c, meta, ps, 19);
        o.step();
      }
      for (const [j, p] of theirs.entries()) check(p, ours[j]!, `${c.name} step 21 param${j}`);
    }
  });

  test("Adam keeps step as a 0-D float32 tensor and RMSprop as a number, as PyTorch 1.13 does", () => {
    for (const c of cases) {
      const meta = c.meta as unknown as OptimizerMeta;
      const params = initialParams(c, meta);
      const opt = makeOptimizer(meta, params);
      run(c, meta, opt, params, 0, 3);
      for (const s of Object.values(opt.stateDict().state)) {
        if (meta.optimizer === "Adam" || meta.optimizer === "AdamW") {
          const step = s.step as { dtype: string; shape: readonly number[] };
          assert.equal(step.dtype, "float32");
          assert.deepEqual([...step.shape], []);
        } else if (meta.optimizer === "RMSprop") assert.equal(typeof s.step, "number");
        else assert.deepEqual(Object.keys(s), ["momentum_buffer"]);
      }
    }
  });
});
