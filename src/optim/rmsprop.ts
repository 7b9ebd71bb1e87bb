// RMSprop (with momentum, centered, weight decay and maximize): torch/optim/rmsprop.py (1.13),
// `_single_tensor_rmsprop`, one PyTorch tensor op after another, rounded as PyTorch rounds them.

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
  roundingFor,
  stateTensor,
  zerosLike,
} from "./optimizer.js";

export interface RMSpropOptions {
  readonly lr?: number;
  readonly alpha?: number;
  readonly eps?: number;
  readonly weightDecay?: number;
  readonly momentum?: number;
  readonly centered?: boolean;
  readonly maximize?: boolean;
}

export interface RMSpropParamGroup extends ParamGroup {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize: boolean;
}

/**
 * One parameter's state, with PyTorch 1.13's keys. Unlike Adam's, RMSprop's `step` is a Python int
 * in 1.13 (a number here); the update does not use it.
 */
export type RMSpropState = {
  step: number;
  square_avg: Tensor;
  momentum_buffer?: Tensor;
  grad_avg?: Tensor;
};

const GROUP_KEYS: readonly GroupKey[] = [
  { torch: "lr", own: "lr" },
  { torch: "momentum", own: "momentum", fallback: 0 },
  { torch: "alpha", own: "alpha" },
  { torch: "eps", own: "eps" },
  { torch: "centered", own: "centered", fallback: false },
  { torch: "weight_decay", own: "weightDecay" },
  { torch: "foreach", fallback: null },
  { torch: "maximize", own: "maximize", fallback: false },
  { torch: "differentiable", fallback: false },
];

/** RMSprop (PyTorch's `torch.optim.RMSprop`). */
export class RMSprop extends Optimizer<RMSpropParamGroup, RMSpropOptions, RMSpropState> {
  constructor(params: ParamsInput<RMSpropOptions>, options: RMSpropOptions = {}) {
    if (options === null || typeof options !== "object")
      throw new ArgumentError("RMSprop", "options", "must be an object", "{ lr, alpha, ... }", options);
    const defaults = {
      lr: options.lr ?? 1e-2,
      alpha: options.alpha ?? 0.99,
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      momentum: options.momentum ?? 0,
      centered: options.centered ?? false,
      maximize: options.maximize ?? false,
    };
    super("RMSprop", params, checkRMSprop(defaults, "RMSprop", ""), GROUP_KEYS);
  }

  protected resolveGroup(
    o: RMSpropOptions,
    where: string,
    prefix: string,
  ): Omit<RMSpropParamGroup, "params"> {
    return checkRMSprop(o, where, prefix);
  }

  protected loadParamState(
    param: Tensor,
    group: RMSpropParamGroup,
    s: Record<string, unknown>,
    where: string,
  ): RMSpropState {
    let step = s.step;
    if (step instanceof Tensor && step.numel() === 1) step = step.item(); // 1.12-style tensor steps
    if (typeof step !== "number")
      throw new ArgumentError(where, "step", "must be a number", "a step count", step);
    const state: RMSpropState = { step, square_avg: stateTensor(param, s, "square_avg", where) };
    if (s.momentum_buffer !== undefined || group.momentum > 0)
      state.momentum_buffer = stateTensor(param, s, "momentum_buffer", where);
    if (s.grad_avg !== undefined || group.centered) state.grad_avg = stateTensor(param, s, "grad_avg", where);
    return state;
  }

  protected updateGroup(group: RMSpropParamGroup): void {
    const { lr, alpha, eps, weightDecay, momentum, centered, maximize } = group;
    group.params.forEach((param, i) => {
      const grad = this.gradOf(param, i);
      if (grad === null) return;
      let state = this.state.get(param);
      if (state === undefined) {
        state = { step: 0, square_avg: zerosLike(param) };
        this.state.set(param, state);
      }
      if (momentum > 0 && state.momentum_buffer === undefined) state.momentum_buffer = zerosLike(param);
      if (centered && state.grad_avg === undefined) state.grad_avg = zerosLike(param);
      state.step += 1;

      const p = param.data as FloatArray;
      const g = grad.data as FloatArray;
      const sq = state.square_avg.data as FloatArray;
      const avgG = centered ? (state.grad_avg!.data as FloatArray) : null;
      const buf = momentum > 0 ? (state.momentum_buffer!.data as FloatArray) : null;
      const R = roundingFor(p);
      const mulAdd = mulAddFor(p);
      const wd = R(weightDecay);
      const a = R(alpha);
      const oneMinusA = R(1 - alpha);
      const epsT = R(eps);
      const mom = R(momentum);
      const negLr = R(-lr);
      for (let k = 0; k < p.length; k++) {
        let gk = maximize ? -g[k]! : g[k]!;
        if (weightDecay !== 0) gk = mulAdd(gk, wd, p[k]!); // grad = grad.add(param, alpha=weight_decay)
        // square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        sq[k] = mulAdd(R(sq[k]! * a), R(oneMinusA * gk), gk);
        let avg: number;
        if (avgG !== null) {
          // grad_avg.mul_(alpha).add_(grad, alpha=1 - alpha)
          avgG[k] = mulAdd(R(avgG[k]! * a), oneMinusA, gk);
          // avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
          avg = R(Math.sqrt(mulAdd(sq[k]!, -avgG[k]!, avgG[k]!)));
        } else avg = R(Math.sqrt(sq[k]!));
        avg = R(avg + epsT); // avg.add_(eps)
        if (buf !== null) {
          buf[k] = R(R(buf[k]! * mom) + R(gk / avg)); // buf.mul_(momentum).addcdiv_(grad, avg)
          p[k] = mulAdd(p[k]!, negLr, buf[k]!); // param.add_(buf, alpha=-lr)
        } else p[k] = R(p[k]! + R(R(negLr * gk) / avg)); // param.addcdiv_(grad, avg, value=-lr)
      }
    });
  }
}

/** PyTorch's checks of RMSprop's options. */
function checkRMSprop(o: RMSpropOptions, where: string, prefix: string): Omit<RMSpropParamGroup, "params"> {
  return {
    lr: nonNegative(where, `${prefix}lr`, o.lr, "learning rate"),
    eps: nonNegative(where, `${prefix}eps`, o.eps, "epsilon value"),
    momentum: nonNegative(where, `${prefix}momentum`, o.momentum, "momentum value"),
    weightDecay: nonNegative(where, `${prefix}weightDecay`, o.weightDecay, "weight_decay value"),
    alpha: nonNegative(where, `${prefix}alpha`, o.alpha, "alpha value"),
    centered: boolean(where, `${prefix}centered`, o.centered),
    maximize: boolean(where, `${prefix}maximize`, o.maximize),
  };
}
