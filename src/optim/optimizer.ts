// The optimizer base (optim layer): parameter groups, per-parameter state and PyTorch-shaped state
// dicts, as torch/optim/optimizer.py (1.13) keeps them. The update rules live in sgd.ts, adam.ts,
// adamw.ts and rmsprop.ts; they touch only `param.data` and `param.grad.data`, in place.

import { ArgumentError, show } from "../errors.js";
import { warnOnce } from "../nn/options.js";
import { type FloatArray, Tensor } from "../tensor/index.js";

/** What every parameter group holds: its parameters and learning rate (a scheduler changes `lr`). */
export interface ParamGroup {
  readonly params: readonly Tensor[];
  lr: number;
  /** The lr a learning-rate scheduler started from (PyTorch's `initial_lr`); set by the scheduler. */
  initialLr?: number;
}

/**
 * A parameter group as given to an optimizer: its parameters and the options that differ from the
 * defaults (an unknown option is an error, where PyTorch would keep it unused).
 */
export type ParamGroupInput<O> = {
  readonly params: Tensor | Iterable<Tensor>;
  readonly initialLr?: number;
} & O;

/** An optimizer's first argument: parameters, or parameter groups (PyTorch's list of dicts). */
export type ParamsInput<O> = Iterable<Tensor> | Iterable<ParamGroupInput<O>>;

/** One parameter's entry in `stateDict().state`: PyTorch's keys (`step`, `exp_avg`, `momentum_buffer` ...). */
export type ParamStateDict = Record<string, Tensor | number | null>;

/** One entry of `stateDict().param_groups`: PyTorch's option names, then `params` as indices. */
export type ParamGroupDict = Record<string, unknown> & { params: number[] };

/**
 * `optimizer.state_dict()` in PyTorch's structure and key names, so that it can be written to a `.pt`
 * file that `torch.optim.*.load_state_dict` accepts. Parameters are numbered across the groups in
 * order. The tensors are the optimizer's own buffers (as in PyTorch): copy the dict to keep it while
 * training goes on. Plain-object keys are ordered by number, so `state` lists parameters by index
 * where PyTorch keeps the order their state was created in; loading does not depend on it.
 */
export interface OptimizerStateDict {
  state: Record<number, ParamStateDict>;
  param_groups: ParamGroupDict[];
}

/**
 * How an optimizer's group options map onto PyTorch's param_group keys, in PyTorch's order. An entry
 * with `own` is an option of ours (camelCase); one without is a PyTorch implementation flag we do not
 * use (`foreach`, `capturable` ...), written with PyTorch's default and carried through loading.
 * `fallback` is the value PyTorch's `__setstate__` fills in when an older state dict lacks the key.
 */
export interface GroupKey {
  readonly torch: string;
  readonly own?: string;
  readonly fallback?: unknown;
}

const PYTORCH_EXTRAS = new WeakMap<object, Record<string, unknown>>();

/** Keys of a group dict that are not options: kept verbatim so that a round trip preserves them. */
function extrasOf(group: object): Record<string, unknown> {
  let extras = PYTORCH_EXTRAS.get(group);
  if (!extras) {
    extras = {};
    PYTORCH_EXTRAS.set(group, extras);
  }
  return extras;
}

/*
 * Note [rounding as PyTorch's optimizers round]
 * The `_single_tensor_*` updates are chains of tensor ops, each of which rounds its result to the
 * parameter's dtype, with Python-float scalars cast to that dtype first. Measured against PyTorch 1.13
 * on x86-64 (AVX2 kernels, with FMA), element by element, for float32 (c, a, b tensors; s a scalar;
 * R = Math.fround):
 *   a.mul_(s)                 R(a · R(s))
 *   c.add_(a, alpha=s)        fma(R(s), a, c)         (ufunc add: vec::fmadd; one rounding)
 *   c.addcmul_(a, b, value=s) fma(R(R(s) · a), b, c)  (the last multiply-add fused)
 *   c.addcdiv_(a, b, value=s) R(c + R(R(R(s) · a) / b))
 *   a / s, a.add_(s), sqrt    R(a / R(s)), R(a + R(s)), R(sqrt(a)) (division, not a reciprocal)
 * float64 is the same with R the identity and fma64 for the fused multiply-add. Scalars such as
 * `1 - beta1 ** step` and `lr / bias_correction1` are Python floats, float64 throughout. With these,
 * every optimizer fixture (52 cases × 20 steps) is reproduced bit for bit in both dtypes. A PyTorch
 * build running its non-vectorized kernels (no FMA) rounds add-with-alpha twice: ≤ 1 ulp per op apart.
 */

/** Returns `x` as PyTorch's float32 ops store it (or unchanged for float64). */
export type Round = (x: number) => number;
const noRounding: Round = (x) => x;

export function roundingFor(data: FloatArray): Round {
  return data instanceof Float32Array ? Math.fround : noRounding;
}

/**
 * `self + alpha·other` as PyTorch's CPU kernels compute `add(self, other, alpha)` and the last step of
 * `addcmul`: one fused multiply-add (`vec::fmadd`), rounded once. Inputs are values of the tensor's
 * dtype.
 */
export type MulAdd = (self: number, alpha: number, other: number) => number;

export function mulAddFor(data: FloatArray): MulAdd {
  return data instanceof Float32Array ? fma32 : fma64;
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** The float32 next to the float32 `r`, upwards or downwards. */
function nextFloat32(r: number, up: boolean): number {
  if (r === 0) return up ? 2 ** -149 : -(2 ** -149);
  F32[0] = r;
  U32[0] = U32[0]! + (r > 0 === up ? 1 : -1);
  return F32[0]!;
}

/**
 * c + a·b rounded once to float32, for float32 values a, b, c (a correctly rounded fmaf). The product
 * is exact in float64 (24 + 24 bits); the sum is rounded to float64 and then to float32, which is the
 * single rounding except when the float64 sum lands exactly halfway between two float32s: then the
 * rounding error of the sum (TwoSum) says which way the exact value lies.
 */
export function fma32(c: number, a: number, b: number): number {
  const p = a * b;
  const s = c + p;
  const r = Math.fround(s);
  if (r === s || !Number.isFinite(s)) return r;
  const bv = s - c;
  const err = c - (s - bv) + (p - bv);
  if (err === 0) return r;
  const other = nextFloat32(r, s > r);
  if (s !== (r + other) / 2) return r;
  return err > 0 === other > r ? other : r;
}

const SPLIT = 134217729; // 2^27 + 1, Veltkamp's splitter for float64

/**
 * c + a·b for float64 with the product exact (Dekker's TwoProduct) and the sum compensated (TwoSum):
 * the fused multiply-add JavaScript lacks, rounded once except in rare cancellations (then ≤ 1 ulp off).
 * Magnitudes the split would overflow fall back to c + a·b.
 */
export function fma64(c: number, a: number, b: number): number {
  if (!(Math.abs(a) < 1e300 && Math.abs(b) < 1e300 && Math.abs(a * b) < 1e300)) return c + a * b;
  const [p, pErr] = twoProduct(a, b); // a·b = p + pErr exactly
  const s = c + p;
  const bv = s - c;
  const sErr = c - (s - bv) + (p - bv); // c + p = s + sErr exactly
  return s + (sErr + pErr);
}

/** a·b as an unevaluated sum hi + lo (hi = a·b rounded), by fma64's splitting. */
function twoProduct(a: number, b: number): [number, number] {
  const p = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

/** (xh + xl)·(yh + yl) in double-double. */
function mulDD(xh: number, xl: number, yh: number, yl: number): [number, number] {
  const [p, e] = twoProduct(xh, yh);
  const err = e + (xh * yl + xl * yh);
  const s = p + err;
  return [s, err - (s - p)];
}

/**
 * `base ** exponent` as Python computes it for the bias corrections (`beta1 ** step`, C's pow,
 * correctly rounded in practice). V8's Math.pow is up to 1 ulp off for small integer exponents
 * (0.9 ** 4 gives 0.6561000000000001), so integer exponents are raised in double-double by repeated
 * squaring and rounded once; others use Math.pow.
 */
export function powScalar(base: number, exponent: number): number {
  if (!Number.isInteger(exponent) || exponent < 0 || exponent > 2 ** 31 || !(Math.abs(base) < 1e150))
    return base ** exponent;
  let rh = 1;
  let rl = 0;
  let xh = base;
  let xl = 0;
  for (let n = exponent; n > 0; n = Math.floor(n / 2)) {
    if (n % 2 === 1) [rh, rl] = mulDD(rh, rl, xh, xl);
    if (n > 1) [xh, xl] = mulDD(xh, xl, xh, xl);
  }
  return rh + rl;
}

/** Validates an option that must be a number >= 0 (PyTorch's `if not 0.0 <= x: raise ValueError(...)`). */
export function nonNegative(where: string, name: string, value: unknown, what: string): number {
  if (typeof value !== "number" || !(value >= 0))
    throw new ArgumentError(where, name, `is an invalid ${what}`, "a number >= 0", value);
  return value;
}

export function boolean(where: string, name: string, value: unknown): boolean {
  if (typeof value !== "boolean")
    throw new ArgumentError(where, name, "must be a boolean", "true or false", value);
  return value;
}

/**
 * The base of every optimizer: PyTorch's `Optimizer`. `G` is a parameter group with its resolved
 * options, `O` the options a caller may give, `S` one parameter's state (PyTorch's keys).
 */
export abstract class Optimizer<
  G extends ParamGroup = ParamGroup,
  O extends object = object,
  S extends ParamStateDict = ParamStateDict,
> {
  /** The parameter groups, each with its options (mutable: a scheduler sets `lr`). */
  readonly paramGroups: G[] = [];
  /** Per-parameter state, created at a parameter's first step with a gradient. */
  readonly state = new Map<Tensor, S>();
  /**
   * Calls of `step()` since a learning-rate scheduler was attached (PyTorch's `_step_count`); the
   * scheduler uses it to warn when it is stepped before the optimizer.
   */
  stepCount = 0;
  /** The class name used in messages ("Adam"). */
  readonly name: string;
  readonly #defaults: O;
  readonly #groupKeys: readonly GroupKey[];

  /** `groupKeys`: the group options' PyTorch names, in PyTorch's order; `defaults`: validated options. */
  protected constructor(name: string, params: ParamsInput<O>, defaults: O, groupKeys: readonly GroupKey[]) {
    this.name = name;
    this.#defaults = defaults;
    this.#groupKeys = groupKeys;
    if (
      params instanceof Tensor ||
      params === null ||
      typeof params !== "object" ||
      !(Symbol.iterator in params)
    )
      throw new ArgumentError(
        name,
        "params",
        "should be an iterable of Tensors or parameter groups",
        "an iterable of Tensors or { params, ...options } objects",
        params instanceof Tensor ? params.toString() : params,
      );
    const list = [...(params as Iterable<unknown>)];
    if (list.length === 0)
      throw new ArgumentError(
        name,
        "params",
        "is empty (optimizer got an empty parameter list)",
        "at least one parameter",
        [],
      );
    if (list[0] instanceof Tensor) this.#addGroup({ params: list }, "");
    else for (const [i, g] of list.entries()) this.#addGroup(g, `params[${i}]`);
  }

  /** Adds a parameter group (PyTorch's `add_param_group`), e.g. to train layers unfrozen later. */
  addParamGroup(group: ParamGroupInput<Partial<O>>): void {
    this.#addGroup(group, `paramGroups[${this.paramGroups.length}]`);
  }

  /** `path` names the group in messages ("params[1]"); "" for the one group made from a list of Tensors. */
  #addGroup(input: unknown, path: string): void {
    const at = (name: string) => (path === "" ? name : `${path}.${name}`);
    if (input === null || typeof input !== "object" || input instanceof Tensor || !("params" in input))
      throw new ArgumentError(
        this.name,
        path,
        "must be a parameter group, as the first item is one (or every item a Tensor)",
        "{ params, ...options }",
        input instanceof Tensor ? input.toString() : input,
      );
    const { params: raw, initialLr, ...options } = input as { params: unknown } & Record<string, unknown>;
    const own = this.#groupKeys.flatMap((k) => (k.own === undefined ? [] : [k.own]));
    for (const key of Object.keys(options))
      if (!own.includes(key))
        throw new ArgumentError(
          this.name,
          at(key),
          `is not an option of ${this.name}`,
          `one of ${own.join(", ")}`,
          key,
        );
    const params =
      raw instanceof Tensor
        ? [raw]
        : raw !== null && typeof raw === "object" && Symbol.iterator in raw
          ? [...(raw as Iterable<unknown>)]
          : undefined;
    if (params === undefined)
      throw new ArgumentError(
        this.name,
        at("params"),
        "must be a Tensor or an iterable of Tensors",
        "Tensors",
        raw,
      );
    const paramPath = (k: number) => (path === "" ? `params[${k}]` : `${path}.params[${k}]`);
    params.forEach((p, k) => {
      if (!(p instanceof Tensor))
        throw new ArgumentError(
          this.name,
          paramPath(k),
          "is not a Tensor (an optimizer can only optimize Tensors)",
          "a Tensor",
          p,
        );
      if (p.dtype !== "float32" && p.dtype !== "float64")
        throw new ArgumentError(
          this.name,
          paramPath(k),
          "is not floating point (an optimizer can only optimize floating-point Tensors)",
          "float32 or float64",
          p.dtype,
        );
    });
    const tensors = params as Tensor[];
    if (new Set(tensors).size !== tensors.length)
      warnOnce(
        "optimizer contains a parameter group with duplicate parameters; in future, this will cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
      );
    tensors.forEach((p, k) => {
      const other = this.paramGroups.findIndex((g) => g.params.includes(p));
      if (other >= 0)
        throw new ArgumentError(
          this.name,
          paramPath(k),
          "is already in another parameter group (some parameters appear in more than one parameter group)",
          "each parameter in one group only",
          `also in group ${other}`,
        );
    });
    const resolved = this.resolveGroup(
      { ...this.#defaults, ...options } as O,
      this.name,
      path === "" ? "" : `${path}.`,
    );
    const group = { ...resolved, params: Object.freeze([...tensors]) } as G;
    if (initialLr !== undefined) {
      if (typeof initialLr !== "number")
        throw new ArgumentError(this.name, at("initialLr"), "must be a number", "a number", initialLr);
      group.initialLr = initialLr;
    }
    this.paramGroups.push(group);
  }

  /**
   * Validates a group's options (the defaults overlaid by the group's own) and returns them resolved.
   * Messages name `where` and the option as `${prefix}${option}` ("Adam: params[1].lr ...").
   */
  protected abstract resolveGroup(options: O, where: string, prefix: string): Omit<G, "params">;

  /** Validates and adopts one parameter's loaded state (tensors already copied and cast to `param`'s dtype). */
  protected abstract loadParamState(
    param: Tensor,
    group: G,
    state: Record<string, unknown>,
    where: string,
  ): S;

  /** One optimization step over every parameter with a gradient; returns what `closure` returns. */
  step<L = undefined>(closure?: () => L): L | undefined {
    const loss = closure ? closure() : undefined;
    this.stepCount += 1;
    for (const group of this.paramGroups) {
      for (const p of group.params) if (p.grad !== null) p.bumpVersion(); // about to change in place
      this.updateGroup(group);
    }
    return loss;
  }

  /** Updates the parameters of one group that have a gradient (PyTorch's `_single_tensor_*` loop). */
  protected abstract updateGroup(group: G): void;

  /** The gradient of `param` after checking it fits (null when the parameter has none: it is skipped). */
  protected gradOf(param: Tensor, index: number): Tensor | null {
    const g = param.grad;
    if (g === null) return null;
    const where = `${this.name}.step`;
    if (g.shape.length !== param.shape.length || g.shape.some((d, i) => d !== param.shape[i]))
      throw new ArgumentError(
        where,
        `params[${index}].grad`,
        "must have the parameter's shape",
        param.shape,
        g.shape,
      );
    if (g.dtype !== param.dtype)
      throw new ArgumentError(
        where,
        `params[${index}].grad`,
        "must have the parameter's dtype",
        param.dtype,
        g.dtype,
      );
    return g;
  }

  /**
   * Clears the gradients: `setToNone` (the default, as PyTorch 2 does) sets them to null so the next
   * step skips parameters that got none; false fills them with zeros (PyTorch 1.13's default).
   */
  zeroGrad(setToNone = true): void {
    for (const group of this.paramGroups)
      for (const p of group.params) {
        if (p.grad === null) continue;
        if (setToNone) p.grad = null;
        else p.grad.data.fill(0);
      }
  }

  /** PyTorch's `state_dict()`: see {@link OptimizerStateDict}. */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    let next = 0;
    const paramGroups = this.paramGroups.map((group) => {
      const dict: Record<string, unknown> = {};
      const extras = extrasOf(group);
      for (const key of this.#groupKeys) {
        if (key.own === undefined) dict[key.torch] = key.torch in extras ? extras[key.torch] : key.fallback;
        else {
          const v = (group as unknown as Record<string, unknown>)[key.own];
          dict[key.torch] = Array.isArray(v) ? [...v] : v;
        }
      }
      for (const [k, v] of Object.entries(extras)) if (!(k in dict)) dict[k] = v;
      if (group.initialLr !== undefined) dict.initial_lr = group.initialLr;
      const params = group.params.map((p) => {
        let i = index.get(p);
        if (i === undefined) {
          i = next;
          index.set(p, i);
        }
        next += 1;
        return i;
      });
      return { ...dict, params } as ParamGroupDict;
    });
    const state: Record<number, ParamStateDict> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state[i] = { ...s };
    }
    return { state, param_groups: paramGroups };
  }

  /**
   * PyTorch's `load_state_dict`: the groups' options and every parameter's state are replaced by
   * copies of `dict`'s (floating-point state cast to the parameter's dtype, except `step`). The groups
   * must have the same sizes; nothing changes unless every check passes.
   */
  loadStateDict(dict: OptimizerStateDict): void {
    const where = `${this.name}.loadStateDict`;
    if (
      dict === null ||
      typeof dict !== "object" ||
      !Array.isArray(dict.param_groups) ||
      dict.state === null ||
      typeof dict.state !== "object"
    )
      throw new ArgumentError(
        where,
        "stateDict",
        "must be an optimizer state dict",
        "{ state, param_groups }",
        dict,
      );
    const saved = dict.param_groups as unknown[];
    if (saved.length !== this.paramGroups.length)
      throw new ArgumentError(
        where,
        "param_groups",
        "has a different number of parameter groups",
        this.paramGroups.length,
        saved.length,
      );
    const known = new Set(this.#groupKeys.map((k) => k.torch));
    const owner = new Map<number, [Tensor, number]>(); // saved index -> [parameter, group]
    const groups = this.paramGroups.map((group, gi) => {
      const at = `param_groups[${gi}]`;
      const s = saved[gi] as Record<string, unknown>;
      if (s === null || typeof s !== "object" || !Array.isArray(s.params))
        throw new ArgumentError(
          where,
          at,
          "must be a parameter group",
          "{ ...options, params: number[] }",
          s,
        );
      const ids = s.params as unknown[];
      if (ids.length !== group.params.length)
        throw new ArgumentError(
          where,
          `${at}.params`,
          "doesn't match the size of the optimizer's group",
          group.params.length,
          ids.length,
        );
      ids.forEach((id, k) => {
        if (typeof id !== "number")
          throw new ArgumentError(where, `${at}.params[${k}]`, "must be a parameter index", "a number", id);
        owner.set(id, [group.params[k]!, gi]);
      });
      const options: Record<string, unknown> = {};
      const extras: Record<string, unknown> = {};
      for (const key of this.#groupKeys) {
        if (key.own === undefined) {
          if (key.torch in s) extras[key.torch] = s[key.torch];
        } else if (key.torch in s) options[key.own] = s[key.torch];
        else if (key.fallback !== undefined) options[key.own] = key.fallback;
        else
          throw new ArgumentError(
            where,
            `${at}.${key.torch}`,
            "is missing",
            `a value for '${key.torch}'`,
            undefined,
          );
      }
      for (const [k, v] of Object.entries(s))
        if (!known.has(k) && k !== "params" && k !== "initial_lr") extras[k] = v;
      const next = { ...this.resolveGroup(options as O, where, `${at}.`), params: group.params } as G;
      if ("initial_lr" in s) {
        if (typeof s.initial_lr !== "number")
          throw new ArgumentError(where, `${at}.initial_lr`, "must be a number", "a number", s.initial_lr);
        next.initialLr = s.initial_lr;
      }
      return { next, extras };
    });
    const state = new Map<Tensor, S>();
    for (const [key, value] of Object.entries(dict.state as Record<string, unknown>)) {
      const target = owner.get(Number(key));
      if (target === undefined) continue; // PyTorch keeps such state aside, unused
      const [param, gi] = target;
      if (value === null || typeof value !== "object" || value instanceof Tensor)
        throw new ArgumentError(
          where,
          `state[${key}]`,
          "must be a parameter's state",
          "an object of PyTorch's state keys",
          value,
        );
      const copy: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) copy[k] = v instanceof Tensor ? castCopy(v, param, k) : v;
      state.set(param, this.loadParamState(param, groups[gi]!.next, copy, `${where} state[${key}]`));
    }
    groups.forEach(({ next, extras }, gi) => {
      PYTORCH_EXTRAS.set(next, extras);
      this.paramGroups[gi] = next;
    });
    this.state.clear();
    for (const [p, s] of state) this.state.set(p, s);
  }
}

/** `state[key]` checked to be a tensor of `param`'s shape (for an optimizer's loadParamState). */
export function stateTensor(
  param: Tensor,
  state: Record<string, unknown>,
  key: string,
  where: string,
): Tensor {
  const v = state[key];
  if (!(v instanceof Tensor))
    throw new ArgumentError(where, key, "must be a Tensor", `a Tensor of shape ${show(param.shape)}`, v);
  if (v.shape.length !== param.shape.length || v.shape.some((d, i) => d !== param.shape[i]))
    throw new ArgumentError(where, key, "must have the parameter's shape", param.shape, v.shape);
  return v;
}

/** A zero tensor of `param`'s shape and dtype (PyTorch's `torch.zeros_like`). */
export function zerosLike(param: Tensor): Tensor {
  const n = param.numel();
  return new Tensor(param.dtype === "float32" ? new Float32Array(n) : new Float64Array(n), param.shape);
}

/**
 * A copy of a loaded state tensor, floating point ones in `param`'s dtype (PyTorch's load_state_dict
 * `value.to(param.dtype)`), except `step`, which keeps its dtype (pytorch/pytorch#74424).
 */
function castCopy(t: Tensor, param: Tensor, key: string): Tensor {
  if (key === "step" || t.dtype === "int32" || t.dtype === param.dtype) return t.clone();
  return t.to(param.dtype);
}
