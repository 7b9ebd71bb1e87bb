// nn.utils: `nn.utils.rnn.packPaddedSequence(...)` and friends.

export * as rnn from "./rnn.js";
