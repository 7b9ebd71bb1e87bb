// The poetry model (CLI, poetry): Embedding → LSTM or GRU → Linear over the vocabulary. Parameter
// names are PyTorch's for the same module (examples/pytorch/poetry.py defines it), so its
// checkpoints load in PyTorch as they are.

import { nn, noGrad, type Tensor, tensor } from "../../src/index.js";
import type { Batch } from "./data.js";

export interface ModelConfig {
  readonly kind: "lstm" | "gru";
  readonly vocabSize: number;
  readonly embeddingDim: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly dropout: number;
}

export type State = Tensor | [Tensor, Tensor] | null;

export class PoetryModel extends nn.Module {
  readonly embedding: nn.Embedding;
  readonly rnn: nn.LSTM | nn.GRU;
  readonly head: nn.Linear;

  constructor(readonly config: ModelConfig) {
    super("PoetryModel");
    const { kind, vocabSize, embeddingDim, hiddenSize, numLayers, dropout } = config;
    this.embedding = this.registerModule(
      "embedding",
      new nn.Embedding({ numEmbeddings: vocabSize, embeddingDim }),
    );
    const o = { inputSize: embeddingDim, hiddenSize, numLayers, dropout: numLayers > 1 ? dropout : 0 };
    this.rnn = this.registerModule("rnn", kind === "lstm" ? new nn.LSTM(o) : new nn.GRU(o));
    this.head = this.registerModule(
      "head",
      new nn.Linear({ inFeatures: hiddenSize, outFeatures: vocabSize }),
    );
  }

  /** Logits [N, V] for every packed row of the batch. */
  forward(batch: Batch): Tensor {
    return this.head.forward(this.features(batch));
  }

  /**
   * Cross entropy of the next tokens (mean or sum over the batch's rows): the head and the loss
   * fused (nn.linearCrossEntropy), so the N × V logits never become a tensor.
   */
  loss(batch: Batch, reduction: "mean" | "sum" = "mean"): Tensor {
    const { weight, bias } = this.head;
    return nn.linearCrossEntropy(this.features(batch), weight, bias, batch.targets, { reduction });
  }

  /** The recurrent layers' output [N, H] for every packed row of the batch. */
  private features(batch: Batch): Tensor {
    const e = this.embedding.forward(batch.ids);
    const packed = new nn.utils.rnn.PackedSequence(e, batch.batchSizes);
    const [out] = this.rnn instanceof nn.LSTM ? this.rnn.forward(packed) : this.rnn.forward(packed);
    return out.data;
  }

  /** One generation step from `token`: the next token's logits [V] and the new state. */
  step(token: number, state: State): [Tensor, State] {
    return noGrad(() => {
      const e = this.embedding.forward(tensor(Int32Array.of(token), { shape: [1] }));
      let out: Tensor;
      let next: State;
      if (this.rnn instanceof nn.LSTM) {
        const [y, hc] = this.rnn.forward(e, state as [Tensor, Tensor] | null);
        out = y;
        next = hc;
      } else {
        const [y, h] = this.rnn.forward(e, state as Tensor | null);
        out = y;
        next = h;
      }
      return [this.head.forward(out).reshape(-1), next];
    });
  }
}
