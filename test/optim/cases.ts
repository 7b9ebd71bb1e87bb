// Shared by the optim tests: the `optim` fixture group (scripts/fixtures/optim.py), optimizers built
// from a case's PyTorch call, and the running tally of the worst differences from PyTorch.

import assert from "node:assert/strict";
import {
  Adam,
  AdamW,
  type Optimizer,
  type OptimizerStateDict,
  type ParamGroup,
  RMSprop,
  SGD,
} from "../../src/optim/index.js";
import { Tensor } from "../../src/tensor/index.js";
import { assertClose, FORWARD_TOL } from "../helpers/assert.js";
import { type FixtureCase, loadFixtures } from "../helpers/fixtures.js";

export const fx = loadFixtures("optim");

export const kind = (k: string) => fx.cases.filter((c) => c.meta.kind === k);

/** DESIGN.md's float32 forward tolerance, and ≤ 1e-12 relative for float64 (the bar). */
export const TOL = { float32: FORWARD_TOL.float32, float64: { atol: 1e-15, rtol: 1e-12 } } as const;

/** Per dtype: the largest |diff|, the largest |diff| / |expected|, and how many values differ at all. */
export const worst = {
  float32: { abs: 0, rel: 0, where: "", differing: 0, compared: 0 },
  float64: { abs: 0, rel: 0, where: "", differing: 0, compared: 0 },
};

/** assertClose at TOL, recording the figures in `worst`. */
export function check(actual: Tensor, expected: Tensor, what: string): void {
  if (expected.dtype === "int32") throw new Error(`${what}: int32 is not compared here`);
  assertClose(actual, expected, what, TOL[expected.dtype]);
  const w = worst[expected.dtype];
  for (let i = 0; i < expected.data.length; i++) {
    const a = actual.data[i]!;
    const e = expected.data[i]!;
    w.compared += 1;
    if (Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e))) continue;
    w.differing += 1;
    const d = Math.abs(a - e);
    if (d > w.abs) {
      w.abs = d;
      w.where = `${what}[${i}]`;
    }
    if (e !== 0) w.rel = Math.max(w.rel, d / Math.abs(e));
  }
}

export function report(label: string): void {
  for (const dtype of ["float32", "float64"] as const) {
    const w = worst[dtype];
    console.log(
      `${label}, ${dtype}: ${w.differing} of ${w.compared} values differ from PyTorch's bits; worst |diff| ` +
        `${w.abs.toExponential(3)} (${w.where || "none"}), worst relative ${w.rel.toExponential(3)}`,
    );
  }
}

export interface OptimizerMeta {
  readonly optimizer: "SGD" | "Adam" | "AdamW" | "RMSprop";
  readonly options: Record<string, unknown>;
  readonly groups: ({ params: number[] } & Record<string, unknown>)[] | null;
  readonly dtype: "float32" | "float64";
  readonly steps: number;
  readonly shapes: number[][];
  readonly no_grad: [number, number][];
  readonly state_dict: {
    state: Record<string, Record<string, { tensor: string } | number | null>>;
    param_groups: Record<string, unknown>[];
  };
}

const CAMEL: Record<string, string> = {
  lr: "lr",
  momentum: "momentum",
  dampening: "dampening",
  weight_decay: "weightDecay",
  nesterov: "nesterov",
  maximize: "maximize",
  betas: "betas",
  eps: "eps",
  amsgrad: "amsgrad",
  alpha: "alpha",
  centered: "centered",
};

/** PyTorch keyword arguments as our options. */
export function camel(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(options).map(([k, v]) => {
      const c = CAMEL[k];
      if (c === undefined) throw new Error(`no camelCase name for option ${k}`);
      return [c, v];
    }),
  );
}

export type AnyOptimizer = Optimizer<ParamGroup, object, Record<string, Tensor | number | null>>;

/** The case's optimizer over `params`, built as its PyTorch call built it. */
export function makeOptimizer(meta: OptimizerMeta, params: Tensor[]): AnyOptimizer {
  const spec: unknown =
    meta.groups === null
      ? params
      : meta.groups.map(({ params: idx, ...rest }) => ({
          params: idx.map((i) => params[i]!),
          ...camel(rest),
        }));
  const options = camel(meta.options);
  const make: Record<OptimizerMeta["optimizer"], () => unknown> = {
    SGD: () => new SGD(spec as never, options),
    Adam: () => new Adam(spec as never, options),
    AdamW: () => new AdamW(spec as never, options),
    RMSprop: () => new RMSprop(spec as never, options),
  };
  return make[meta.optimizer]() as AnyOptimizer;
}

/** Row `t` of a (steps, ...shape) tensor, as a fresh tensor. */
export function row(t: Tensor, i: number): Tensor {
  const shape = t.shape.slice(1);
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(t.data.slice(i * n, (i + 1) * n), shape);
}

export function initialParams(c: FixtureCase, meta: OptimizerMeta): Tensor[] {
  return meta.shapes.map((_, j) => c.t(`param${j}.init`).clone());
}

/** Sets the gradients of step `t` (none where the case says so). */
export function setGrads(c: FixtureCase, meta: OptimizerMeta, params: Tensor[], t: number): void {
  params.forEach((p, j) => {
    p.grad = meta.no_grad.some(([s, k]) => s === t && k === j) ? null : row(c.t(`grad${j}`), t);
  });
}

/** PyTorch's final state dict of the case, with the fixture's tensors in place of {"tensor": key}. */
export function expectedStateDict(c: FixtureCase, meta: OptimizerMeta): OptimizerStateDict {
  const state: OptimizerStateDict["state"] = {};
  for (const [k, entry] of Object.entries(meta.state_dict.state))
    state[Number(k)] = Object.fromEntries(
      Object.entries(entry).map(([key, v]) => [key, v !== null && typeof v === "object" ? c.t(v.tensor) : v]),
    );
  return { state, param_groups: meta.state_dict.param_groups as OptimizerStateDict["param_groups"] };
}

/** Asserts that `actual` has PyTorch's structure and values (state tensors within TOL). */
export function checkStateDict(actual: OptimizerStateDict, expected: OptimizerStateDict, what: string): void {
  assert.deepEqual(
    Object.keys(actual.state).sort(),
    Object.keys(expected.state).sort(),
    `${what}: state indices`,
  );
  for (const [k, e] of Object.entries(expected.state)) {
    const a = actual.state[Number(k)]!;
    assert.deepEqual(Object.keys(a), Object.keys(e), `${what}: state[${k}] keys in PyTorch's order`);
    for (const [key, ev] of Object.entries(e)) {
      const av = a[key];
      if (ev instanceof Tensor) {
        assert.ok(av instanceof Tensor, `${what}: state[${k}].${key} is a tensor`);
        check(av, ev, `${what} state[${k}].${key}`);
      } else assert.equal(av, ev, `${what}: state[${k}].${key}`);
    }
  }
  assert.equal(actual.param_groups.length, expected.param_groups.length, `${what}: number of groups`);
  expected.param_groups.forEach((e, i) => {
    const a = actual.param_groups[i]!;
    assert.deepEqual(Object.keys(a).sort(), Object.keys(e).sort(), `${what}: param_groups[${i}] keys`);
    assert.deepEqual(a, e, `${what}: param_groups[${i}]`);
  });
}
