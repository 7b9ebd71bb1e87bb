// Adam (with amsgrad, weight decay and maximize): torch/optim/adam.py (1.13), `_single_tensor_adam`,
// one PyTorch tensor op after another, rounded as PyTorch rounds them. AdamW (adamw.ts) shares the
// update and differs only in how it decays the weights.

import { ArgumentError } from "../errors.js";
import { type FloatArray, Tensor } from "../tensor/index.js";
import {
  boolean,
  type GroupKey,
  mulAddFor,
  nonNegative,
  Optimizer,
  type ParamGroup,
  type ParamsInput,
  powScalar,
  roundingFor,
  stateTensor,
  zerosLike,
} from "./optimizer.js";

export interface AdamOptions {
  readonly lr?: number;
  readonly betas?: readonly [number, number];
  readonly eps?: number;
  readonly weightDecay?: number;
  readonly amsgrad?: boolean;
  readonly maximize?: boolean;
}

export interface AdamParamGroup extends ParamGroup {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

/**
 * One parameter's state, with PyTorch 1.13's keys. `step` is a 0-D float32 tensor, as 1.13 keeps it
 * (`torch.tensor(0.)`), incremented in float32 and read back as a number for the bias corrections.
 */
export type AdamState = {
  step: Tensor;
  exp_avg: Tensor;
  exp_avg_sq: Tensor;
  max_exp_avg_sq?: Tensor;
};

const ADAM_KEYS: readonly GroupKey[] = [
  { torch: "lr", own: "lr" },
  { torch: "betas", own: "betas" },
  { torch: "eps", own: "eps" },
  { torch: "weight_decay", own: "weightDecay" },
  { torch: "amsgrad", own: "amsgrad", fallback: false },
  { torch: "maximize", own: "maximize", fallback: false },
  { torch: "foreach", fallback: null },
  { torch: "capturable", fallback: false },
  { torch: "differentiable", fallback: false },
  { torch: "fused", fallback: false },
];

/** Adam (PyTorch's `torch.optim.Adam`); weight decay is the L2 penalty added to the gradient. */
export class Adam extends Optimizer<AdamParamGroup, AdamOptions, AdamState> {
  constructor(params: ParamsInput<AdamOptions>, options: AdamOptions = {}) {
    super("Adam", params, adamDefaults("Adam", options, 0), ADAM_KEYS);
  }

  protected resolveGroup(o: AdamOptions, where: string, prefix: string): Omit<AdamParamGroup, "params"> {
    return checkAdam(o, where, prefix);
  }

  protected loadParamState(
    param: Tensor,
    group: AdamParamGroup,
    s: Record<string, unknown>,
    where: string,
  ): AdamState {
    return loadAdamState(param, group, s, where);
  }

  protected updateGroup(group: AdamParamGroup): void {
    group.params.forEach((param, i) => {
      const grad = this.gradOf(param, i);
      if (grad !== null) adamStep(param, grad, stateFor(this.state, param, group), group, false);
    });
  }
}

/** The defaults, validated (PyTorch checks them in the constructor). */
export function adamDefaults(
  where: string,
  options: AdamOptions,
  weightDecay: number,
): Required<AdamOptions> {
  if (options === null || typeof options !== "object")
    throw new ArgumentError(where, "options", "must be an object", "{ lr, betas, ... }", options);
  return checkAdam(
    {
      lr: options.lr ?? 1e-3,
      betas: options.betas ?? [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? weightDecay,
      amsgrad: options.amsgrad ?? false,
      maximize: options.maximize ?? false,
    },
    where,
    "",
  );
}

/** PyTorch's checks of Adam's and AdamW's options. */
export function checkAdam(
  o: AdamOptions,
  where: string,
  prefix: string,
): Required<Omit<AdamParamGroup, "params" | "initialLr">> {
  const lr = nonNegative(where, `${prefix}lr`, o.lr, "learning rate");
  const eps = nonNegative(where, `${prefix}eps`, o.eps, "epsilon value");
  const betas = o.betas as unknown;
  if (!Array.isArray(betas) || betas.length !== 2)
    throw new ArgumentError(where, `${prefix}betas`, "must be a pair of numbers", "[beta1, beta2]", betas);
  betas.forEach((b, k) => {
    if (typeof b !== "number" || !(b >= 0 && b < 1))
      throw new ArgumentError(
        where,
        `${prefix}betas[${k}]`,
        `is an invalid beta parameter at index ${k}`,
        "a number in [0, 1)",
        b,
      );
  });
  const weightDecay = nonNegative(where, `${prefix}weightDecay`, o.weightDecay, "weight_decay value");
  return {
    lr,
    betas: [betas[0] as number, betas[1] as number],
    eps,
    weightDecay,
    amsgrad: boolean(where, `${prefix}amsgrad`, o.amsgrad),
    maximize: boolean(where, `${prefix}maximize`, o.maximize),
  };
}

/** The parameter's state, created at its first step (PyTorch's lazy state initialization). */
export function stateFor(states: Map<Tensor, AdamState>, param: Tensor, group: AdamParamGroup): AdamState {
  let s = states.get(param);
  if (s === undefined) {
    s = {
      step: new Tensor(new Float32Array(1), []),
      exp_avg: zerosLike(param),
      exp_avg_sq: zerosLike(param),
    };
    states.set(param, s);
  }
  if (group.amsgrad && s.max_exp_avg_sq === undefined) s.max_exp_avg_sq = zerosLike(param);
  return s;
}

export function loadAdamState(
  param: Tensor,
  group: AdamParamGroup,
  s: Record<string, unknown>,
  where: string,
): AdamState {
  let step = s.step;
  // A number step (PyTorch < 1.12) becomes a float32 tensor, as 1.13's __setstate__ does.
  if (typeof step === "number") step = new Tensor(Float32Array.of(step), []);
  if (!(step instanceof Tensor) || step.numel() !== 1 || step.dtype === "int32")
    throw new ArgumentError(
      where,
      "step",
      "must be a one-element floating-point tensor or a number",
      "tensor(step)",
      step,
    );
  const state: AdamState = {
    step,
    exp_avg: stateTensor(param, s, "exp_avg", where),
    exp_avg_sq: stateTensor(param, s, "exp_avg_sq", where),
  };
  if (s.max_exp_avg_sq !== undefined || group.amsgrad)
    state.max_exp_avg_sq = stateTensor(param, s, "max_exp_avg_sq", where);
  return state;
}

/**
 * One Adam step of one parameter, `_single_tensor_adam`'s non-capturable path (and with `decoupled`,
 * `_single_tensor_adamw`'s). Scalars are Python floats (float64) until a tensor op casts them to the
 * parameter's dtype; every tensor op rounds its result to that dtype.
 */
export function adamStep(
  param: Tensor,
  grad: Tensor,
  state: AdamState,
  group: AdamParamGroup,
  decoupled: boolean,
): void {
  const { lr, eps, weightDecay, amsgrad, maximize } = group;
  const [beta1, beta2] = group.betas;
  const p = param.data as FloatArray;
  const g = grad.data as FloatArray;
  const m = state.exp_avg.data as FloatArray;
  const v = state.exp_avg_sq.data as FloatArray;
  const vMax = amsgrad ? (state.max_exp_avg_sq!.data as FloatArray) : null;
  const R = roundingFor(p);
  const mulAdd = mulAddFor(p);

  state.step.data[0] = state.step.data[0]! + 1; // step_t += 1 (in the step tensor's dtype: float32)
  const step = state.step.data[0]!; // step_t.item()
  const bias1 = 1 - powScalar(beta1, step);
  const bias2 = 1 - powScalar(beta2, step);
  const stepSize = lr / bias1;
  const bias2Sqrt = Math.sqrt(bias2);

  const decay = R(1 - lr * weightDecay); // AdamW: param.mul_(1 - lr * weight_decay)
  const wd = R(weightDecay);
  const b1 = R(beta1);
  const oneMinusB1 = R(1 - beta1);
  const b2 = R(beta2);
  const oneMinusB2 = R(1 - beta2);
  const bias2SqrtT = R(bias2Sqrt);
  const epsT = R(eps);
  const negStepSize = R(-stepSize);
  for (let k = 0; k < p.length; k++) {
    let gk = maximize ? -g[k]! : g[k]!;
    if (decoupled) p[k] = R(p[k]! * decay);
    else if (weightDecay !== 0) gk = mulAdd(gk, wd, p[k]!); // grad = grad.add(param, alpha=weight_decay)
    m[k] = mulAdd(R(m[k]! * b1), oneMinusB1, gk); // exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
    // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    v[k] = mulAdd(R(v[k]! * b2), R(oneMinusB2 * gk), gk);
    let second = v[k]!;
    if (vMax !== null) {
      // torch.maximum (NaN-propagating, as Math.max is)
      vMax[k] = Math.max(vMax[k]!, second);
      second = vMax[k]!;
    }
    // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
    const denom = R(R(R(Math.sqrt(second)) / bias2SqrtT) + epsT);
    p[k] = R(p[k]! + R(R(negStepSize * m[k]!) / denom)); // param.addcdiv_(exp_avg, denom, value=-step_size)
  }
}
