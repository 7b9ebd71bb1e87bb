// AdamW: torch/optim/adamw.py (1.13), `_single_tensor_adamw`. The update is Adam's (adam.ts) with the
// weight decay decoupled: `param.mul_(1 - lr * weight_decay)` before the moments, none on the gradient.

import type { Tensor } from "../tensor/index.js";
import {
  type AdamOptions,
  type AdamParamGroup,
  type AdamState,
  adamDefaults,
  adamStep,
  checkAdam,
  loadAdamState,
  stateFor,
} from "./adam.js";
import { type GroupKey, Optimizer, type ParamsInput } from "./optimizer.js";

export type AdamWOptions = AdamOptions;
export type AdamWParamGroup = AdamParamGroup;
export type AdamWState = AdamState;

// 1.13's AdamW has no `differentiable` or `fused`, and lists `foreach` before `maximize`.
const ADAMW_KEYS: readonly GroupKey[] = [
  { torch: "lr", own: "lr" },
  { torch: "betas", own: "betas" },
  { torch: "eps", own: "eps" },
  { torch: "weight_decay", own: "weightDecay" },
  { torch: "amsgrad", own: "amsgrad", fallback: false },
  { torch: "foreach", fallback: null },
  { torch: "maximize", own: "maximize", fallback: false },
  { torch: "capturable", fallback: false },
];

/** AdamW (PyTorch's `torch.optim.AdamW`): Adam with decoupled weight decay, 1e-2 by default. */
export class AdamW extends Optimizer<AdamWParamGroup, AdamWOptions, AdamWState> {
  constructor(params: ParamsInput<AdamWOptions>, options: AdamWOptions = {}) {
    super("AdamW", params, adamDefaults("AdamW", options, 1e-2), ADAMW_KEYS);
  }

  protected resolveGroup(o: AdamWOptions, where: string, prefix: string): Omit<AdamWParamGroup, "params"> {
    return checkAdam(o, where, prefix);
  }

  protected loadParamState(
    param: Tensor,
    group: AdamWParamGroup,
    s: Record<string, unknown>,
    where: string,
  ): AdamWState {
    return loadAdamState(param, group, s, where);
  }

  protected updateGroup(group: AdamWParamGroup): void {
    group.params.forEach((param, i) => {
      const grad = this.gradOf(param, i);
      if (grad !== null) adamStep(param, grad, stateFor(this.state, param, group), group, true);
    });
  }
}
