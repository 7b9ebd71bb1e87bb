// The optim layer's public names: `import { optim } from "rnnkit"`.

export { Adam, type AdamOptions, type AdamParamGroup, type AdamState } from "./adam.js";
export { AdamW, type AdamWOptions, type AdamWParamGroup, type AdamWState } from "./adamw.js";
export {
  CosineAnnealingLR,
  type CosineAnnealingLROptions,
  ExponentialLR,
  type ExponentialLROptions,
  LRScheduler,
  type LRSchedulerOptions,
  type LRSchedulerStateDict,
  type SchedulableOptimizer,
  StepLR,
  type StepLROptions,
} from "./lr_scheduler.js";
export {
  Optimizer,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupDict,
  type ParamGroupInput,
  type ParamStateDict,
  type ParamsInput,
} from "./optimizer.js";
export { RMSprop, type RMSpropOptions, type RMSpropParamGroup, type RMSpropState } from "./rmsprop.js";
export { SGD, type SGDOptions, type SGDParamGroup, type SGDState } from "./sgd.js";
