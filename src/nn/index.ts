// The nn layer's public names: `import { nn } from "rnnkit"`.

export { GRUCell, LSTMCell, RNNCell, type RNNCellBaseOptions, type RNNCellOptions } from "./cells.js";
export { dropout } from "./functional.js";
export { findRecurrent, type InferredRecurrent, inferRecurrent, type RecurrentKind } from "./infer.js";
export {
  Dropout,
  type DropoutOptions,
  Embedding,
  type EmbeddingOptions,
  Linear,
  type LinearOptions,
} from "./linear.js";
export {
  BCEWithLogitsLoss,
  type BCEWithLogitsLossOptions,
  binaryCrossEntropyWithLogits,
  CrossEntropyLoss,
  type CrossEntropyLossOptions,
  crossEntropy,
  type LinearCrossEntropyOptions,
  linearCrossEntropy,
  MSELoss,
  type MSELossOptions,
  mseLoss,
  NLLLoss,
  type NLLLossOptions,
  nllLoss,
  type Reduction,
} from "./losses.js";
export { type LoadStateDictOptions, type LoadStateDictResult, Module } from "./module.js";
export {
  flatWeightNames,
  GRU,
  type GRUOptions,
  LSTM,
  type LSTMOptions,
  RNN,
  RNNBase,
  type RNNBaseOptions,
  type RNNOptions,
} from "./rnn.js";
export { parseLengths, type RunRecurrentOptions, type RunRecurrentResult, runRecurrent } from "./run.js";
export { type StepTrace, type TraceResult, traceRecurrent } from "./trace.js";
export * as utils from "./utils/index.js";
