// The tensor layer's public names.

export {
  type CreationOptions,
  full,
  normal,
  ones,
  type RandomOptions,
  rand,
  randn,
  type TensorOptions,
  tensor,
  uniform,
  zeros,
} from "./creation.js";
export { bernoulliFill, normalFill, uniformFill } from "./distributions.js";
export {
  allocArray,
  type DType,
  type FloatArray,
  type FloatDType,
  isFloatDType,
  type TypedArray,
} from "./dtype.js";
export { needsGrad, record } from "./grad.js";
export {
  cat,
  exp,
  gatherRows,
  indexSelect,
  log,
  logSoftmax,
  narrow,
  relu,
  select,
  sigmoid,
  softmax,
  stack,
  sumTo,
  tanh,
} from "./ops.js";
export { defaultGenerator, Generator, type GeneratorState, manualSeed } from "./random.js";
export type { Shape } from "./shape.js";
export { type NestedArray, Tensor } from "./tensor.js";
