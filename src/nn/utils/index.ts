// nn.utils: `nn.utils.rnn.packPaddedSequence(...)`, `nn.utils.clipGradNorm(...)`.

export { type ClipGradNormOptions, clipGradNorm, clipGradValue } from "./clip_grad.js";
export * as rnn from "./rnn.js";
