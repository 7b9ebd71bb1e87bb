// rnnkit's public surface, name by name (DESIGN.md "Public names"). What is not exported here is
// internal and may change.

export { type BackwardOptions, enableGrad, isGradEnabled, noGrad } from "./autograd/tape.js";
export { ArgumentError } from "./errors.js";
export * as io from "./io/index.js";
export {
  availableKernels,
  getThreads,
  initKernels,
  kernelBuild,
  kernels,
  setThreads,
  threadsReady,
  useKernels,
} from "./kernels/select.js";
export type { Kernels } from "./kernels/types.js";
export * as nn from "./nn/index.js";
export * as optim from "./optim/index.js";
export {
  cat,
  type DType,
  exp,
  type FloatDType,
  full,
  Generator,
  type GeneratorState,
  indexSelect,
  log,
  logSoftmax,
  manualSeed,
  type NestedArray,
  narrow,
  ones,
  rand,
  randn,
  relu,
  select,
  sigmoid,
  softmax,
  stack,
  Tensor,
  type TensorOptions,
  tanh,
  tensor,
  zeros,
} from "./tensor/index.js";
