// SGD with momentum, dampening, Nesterov momentum, weight decay and maximize: torch/optim/sgd.py
// (1.13), `_single_tensor_sgd`, one PyTorch tensor op after another, rounded as PyTorch rounds them.

import { ArgumentError } from "../errors.js";
import type { FloatArray, Tensor } from "../tensor/index.js";
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

export interface SGDOptions {
  /** Required, here or in every parameter group (PyTorch's `lr=required`). */
  readonly lr?: number;
  readonly momentum?: number;
  readonly dampening?: number;
  readonly weightDecay?: number;
  readonly nesterov?: boolean;
  readonly maximize?: boolean;
}

export interface SGDParamGroup extends ParamGroup {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/** One parameter's state: the momentum buffer, null while momentum is 0 (PyTorch stores None). */
export type SGDState = { momentum_buffer: Tensor | null };

const GROUP_KEYS: readonly GroupKey[] = [
  { torch: "lr", own: "lr" },
  { torch: "momentum", own: "momentum" },
  { torch: "dampening", own: "dampening" },
  { torch: "weight_decay", own: "weightDecay" },
  { torch: "nesterov", own: "nesterov", fallback: false },
  { torch: "maximize", own: "maximize", fallback: false },
  { torch: "foreach", fallback: null },
  { torch: "differentiable", fallback: false },
];

/** Stochastic gradient descent, optionally with momentum (PyTorch's `torch.optim.SGD`). */
export class SGD extends Optimizer<SGDParamGroup, SGDOptions, SGDState> {
  constructor(params: ParamsInput<SGDOptions>, options: SGDOptions = {}) {
    super("SGD", params, sgdDefaults(options), GROUP_KEYS);
  }

  protected resolveGroup(o: SGDOptions, where: string, prefix: string): Omit<SGDParamGroup, "params"> {
    if (o.lr === undefined)
      throw new ArgumentError(
        where,
        `${prefix}lr`,
        "is required (parameter group didn't specify a value of required optimization parameter lr)",
        "a number >= 0",
        undefined,
      );
    return checkSGD(o, where, prefix) as Omit<SGDParamGroup, "params">;
  }

  protected loadParamState(
    param: Tensor,
    _group: SGDParamGroup,
    s: Record<string, unknown>,
    where: string,
  ): SGDState {
    const buf = s.momentum_buffer;
    return {
      momentum_buffer:
        buf === null || buf === undefined ? null : stateTensor(param, s, "momentum_buffer", where),
    };
  }

  protected updateGroup(group: SGDParamGroup): void {
    const { momentum, dampening, weightDecay, nesterov, maximize, lr } = group;
    group.params.forEach((param, i) => {
      const grad = this.gradOf(param, i);
      if (grad === null) return;
      let state = this.state.get(param);
      if (state === undefined) {
        state = { momentum_buffer: null };
        this.state.set(param, state);
      }
      const p = param.data as FloatArray;
      const g = grad.data as FloatArray;
      const R = roundingFor(p);
      const mulAdd = mulAddFor(p);
      // PyTorch casts each Python-float scalar to the tensor's dtype before using it.
      const wd = R(weightDecay);
      const mom = R(momentum);
      const oneMinusDampening = R(1 - dampening);
      const negLr = R(-lr);
      let buf: FloatArray | null = null;
      let fresh = false;
      if (momentum !== 0) {
        if (state.momentum_buffer === null) {
          state.momentum_buffer = zerosLike(param);
          fresh = true; // buf = torch.clone(d_p).detach()
        }
        buf = state.momentum_buffer.data as FloatArray;
      }
      for (let k = 0; k < p.length; k++) {
        let d = maximize ? -g[k]! : g[k]!;
        if (weightDecay !== 0) d = mulAdd(d, wd, p[k]!); // d_p = d_p.add(param, alpha=weight_decay)
        if (buf !== null) {
          // buf.mul_(momentum).add_(d_p, alpha=1 - dampening)
          buf[k] = fresh ? d : mulAdd(R(buf[k]! * mom), oneMinusDampening, d);
          d = nesterov ? mulAdd(d, mom, buf[k]!) : buf[k]!; // d_p.add(buf, alpha=momentum) or buf
        }
        p[k] = mulAdd(p[k]!, negLr, d); // param.add_(d_p, alpha=-lr)
      }
    });
  }
}

function sgdDefaults(options: SGDOptions): SGDOptions {
  if (options === null || typeof options !== "object")
    throw new ArgumentError("SGD", "options", "must be an object", "{ lr, momentum, ... }", options);
  return checkSGD(
    {
      ...(options.lr === undefined ? {} : { lr: options.lr }),
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      weightDecay: options.weightDecay ?? 0,
      nesterov: options.nesterov ?? false,
      maximize: options.maximize ?? false,
    },
    "SGD",
    "",
  );
}

/** PyTorch's checks of SGD's options (lr may be missing: groups may each give one). */
function checkSGD(o: SGDOptions, where: string, prefix: string): SGDOptions {
  const lr = o.lr === undefined ? undefined : nonNegative(where, `${prefix}lr`, o.lr, "learning rate");
  const momentum = nonNegative(where, `${prefix}momentum`, o.momentum, "momentum value");
  const weightDecay = nonNegative(where, `${prefix}weightDecay`, o.weightDecay, "weight_decay value");
  if (typeof o.dampening !== "number" || Number.isNaN(o.dampening))
    throw new ArgumentError(where, `${prefix}dampening`, "must be a number", "a number", o.dampening);
  const nesterov = boolean(where, `${prefix}nesterov`, o.nesterov);
  const maximize = boolean(where, `${prefix}maximize`, o.maximize);
  if (nesterov && (momentum <= 0 || o.dampening !== 0))
    throw new ArgumentError(
      where,
      `${prefix}nesterov`,
      "requires a momentum and zero dampening (Nesterov momentum requires a momentum and zero dampening)",
      "momentum > 0 and dampening = 0",
      `momentum ${momentum}, dampening ${o.dampening}`,
    );
  return {
    ...(lr === undefined ? {} : { lr }),
    momentum,
    dampening: o.dampening,
    weightDecay,
    nesterov,
    maximize,
  };
}
