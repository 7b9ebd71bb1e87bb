// StepLR, ExponentialLR and CosineAnnealingLR against PyTorch 1.13: fixture group `optim`, kind
// "scheduler" (scripts/fixtures/optim.py): SGD with two groups, lr after construction and after each
// of 30 (45) steps, the final scheduler state dict and the optimizer's groups; and their round trip.

import assert from "node:assert/strict";
import { after, describe, mock, test } from "node:test";
import {
  CosineAnnealingLR,
  ExponentialLR,
  type LRScheduler,
  type LRSchedulerStateDict,
  SGD,
  StepLR,
} from "../../src/optim/index.js";
import { Tensor, zeros } from "../../src/tensor/index.js";
import { check, fx, kind, report } from "./cases.js";

interface SchedulerMeta {
  readonly scheduler: "StepLR" | "ExponentialLR" | "CosineAnnealingLR";
  readonly options: Record<string, number>;
  readonly group_lrs: [number, number];
  readonly steps: number;
  readonly resume: boolean;
  readonly scheduler_state: Record<string, unknown>;
  readonly param_groups: Record<string, unknown>[];
}

function setUp(meta: SchedulerMeta): { opt: SGD; sched: LRScheduler } {
  const opt = new SGD([{ params: [zeros([2])] }, { params: [zeros([3])], lr: meta.group_lrs[1] }], {
    lr: meta.group_lrs[0],
  });
  if (meta.resume) for (const g of opt.paramGroups) g.initialLr = g.lr;
  const o = meta.options;
  const lastEpoch = o.last_epoch === undefined ? {} : { lastEpoch: o.last_epoch };
  const sched =
    meta.scheduler === "StepLR"
      ? new StepLR(opt, {
          stepSize: o.step_size!,
          ...(o.gamma === undefined ? {} : { gamma: o.gamma }),
          ...lastEpoch,
        })
      : meta.scheduler === "ExponentialLR"
        ? new ExponentialLR(opt, { gamma: o.gamma!, ...lastEpoch })
        : new CosineAnnealingLR(opt, {
            tMax: o.T_max!,
            ...(o.eta_min === undefined ? {} : { etaMin: o.eta_min }),
            ...lastEpoch,
          });
  return { opt, sched };
}

const cases = kind("scheduler");

after(() => report(`scheduler fixtures (${cases.length} cases)`));

describe(`learning-rate schedulers match PyTorch ${fx.torch}`, () => {
  for (const c of cases) {
    const meta = c.meta as unknown as SchedulerMeta;
    test(`${c.name}: the lr after every step, the state dict and the groups match`, () => {
      const { opt, sched } = setUp(meta);
      const lrs: number[] = [...sched.getLastLr()];
      for (let t = 0; t < meta.steps; t++) {
        opt.step();
        sched.step();
        lrs.push(...sched.getLastLr());
      }
      check(new Tensor(Float64Array.from(lrs), [meta.steps + 1, 2]), c.t("lrs"), c.name);
      assert.deepEqual(Object.keys(sched.stateDict()), Object.keys(meta.scheduler_state), "state dict keys");
      const state = sched.stateDict();
      for (const [k, v] of Object.entries(meta.scheduler_state))
        if (Array.isArray(v))
          check(
            new Tensor(Float64Array.from(state[k] as number[]), [v.length]),
            new Tensor(Float64Array.from(v), [v.length]),
            `${c.name} ${k}`,
          );
        else assert.equal(state[k], v, `${c.name} state ${k}`);
      const groups = opt.stateDict().param_groups.map(({ params: _, ...g }) => g);
      groups.forEach((g, i) => {
        const e = meta.param_groups[i]!;
        assert.deepEqual(Object.keys(g).sort(), Object.keys(e).sort());
        assert.equal(g.initial_lr, e.initial_lr);
        check(
          new Tensor(Float64Array.of(g.lr as number), [1]),
          new Tensor(Float64Array.of(e.lr as number), [1]),
          `${c.name} group ${i} lr`,
        );
      });
    });
  }

  for (const c of cases) {
    const meta = c.meta as unknown as SchedulerMeta;
    test(`${c.name}: 12 steps, save both state dicts, load into fresh ones, the rest equals straight stepping`, () => {
      const straight = setUp(meta);
      const want: number[][] = [];
      for (let t = 0; t < meta.steps; t++) {
        straight.opt.step();
        straight.sched.step();
        want.push(straight.sched.getLastLr());
      }
      const first = setUp(meta);
      for (let t = 0; t < 12; t++) {
        first.opt.step();
        first.sched.step();
      }
      const optState = first.opt.stateDict();
      const schedState = JSON.parse(JSON.stringify(first.sched.stateDict())) as LRSchedulerStateDict;
      const fresh = setUp({ ...meta, resume: false, options: { ...meta.options, last_epoch: -1 } });
      fresh.opt.loadStateDict(optState);
      fresh.sched.loadStateDict(schedState);
      for (let t = 12; t < meta.steps; t++) {
        fresh.opt.step();
        fresh.sched.step();
        assert.deepEqual(fresh.sched.getLastLr(), want[t], `${c.name} step ${t + 1}`);
      }
    });
  }

  test("the lr a scheduler sets is the lr the optimizer steps with", () => {
    const p = new Tensor(Float64Array.of(1), [1]);
    const opt = new SGD([p], { lr: 1 });
    const sched = new StepLR(opt, { stepSize: 1, gamma: 0.5 });
    const seen: number[] = [];
    for (let t = 0; t < 3; t++) {
      const before = p.data[0]!;
      p.grad = new Tensor(Float64Array.of(1), [1]);
      opt.step();
      seen.push(before - p.data[0]!);
      sched.step();
    }
    assert.deepEqual(seen, [1, 0.5, 0.25]);
  });

  test("scheduler.step() before optimizer.step() warns once, in PyTorch's words", () => {
    const warn = mock.method(console, "warn", () => {});
    try {
      const opt = new SGD([zeros([1])], { lr: 0.1 });
      const sched = new ExponentialLR(opt, { gamma: 0.5 });
      sched.step();
      sched.step();
      assert.equal(warn.mock.callCount(), 1);
      assert.match(
        String(warn.mock.calls[0]!.arguments[0]),
        /Detected call of `scheduler\.step\(\)` before `optimizer\.step\(\)`/,
      );
    } finally {
      warn.mock.restore();
    }
  });

  test("a scheduler resuming at lastEpoch needs initialLr in every group", () => {
    const opt = new SGD([zeros([1])], { lr: 0.1 });
    assert.throws(
      () => new CosineAnnealingLR(opt, { tMax: 10, lastEpoch: 3 }),
      /CosineAnnealingLR: optimizer\.paramGroups\[0\]\.initialLr is not specified when resuming an optimizer/,
    );
  });

  test("scheduler options are checked", () => {
    const opt = new SGD([zeros([1])], { lr: 0.1 });
    assert.throws(
      () => new StepLR(opt, { stepSize: 0 }),
      /StepLR: stepSize must be a positive integer\. Expected a positive integer, got 0/,
    );
    assert.throws(
      () => new CosineAnnealingLR(opt, { tMax: 0 }),
      /CosineAnnealingLR: tMax must be a number > 0/,
    );
    assert.throws(
      () => new ExponentialLR(opt, { gamma: Number.NaN }),
      /ExponentialLR: gamma must be a finite number/,
    );
    assert.throws(
      () => new StepLR(opt, { stepSize: 2, lastEpoch: -2 }),
      /StepLR: lastEpoch must be an integer >= -1/,
    );
  });
});
