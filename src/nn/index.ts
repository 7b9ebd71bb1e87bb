// The nn layer's public names: `import { nn } from "rnnkit"`.

export { GRUCell, LSTMCell, RNNCell, type RNNCellBaseOptions, type RNNCellOptions } from "./cells.js";
export { dropout } from "./functional.js";
export {
  Dropout,
  type DropoutOptions,
  Embedding,
  type EmbeddingOptions,
  Linear,
  type LinearOptions,
} from "./linear.js";
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
export * as utils from "./utils/index.js";
