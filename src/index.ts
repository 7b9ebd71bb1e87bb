// rnnkit's public surface, name by name (DESIGN.md "Public names"). What is not exported here is
// internal and may change.

export { ArgumentError } from "./errors.js";
export { availableKernels, kernels, useKernels } from "./kernels/select.js";
export type { Kernels } from "./kernels/types.js";
export * as nn from "./nn/index.js";
export {
  cat,
  type DType,
  type FloatDType,
  full,
  Generator,
  indexSelect,
  manualSeed,
  type NestedArray,
  narrow,
  ones,
  rand,
  randn,
  stack,
  Tensor,
  type TensorOptions,
  tensor,
  zeros,
} from "./tensor/index.js";
