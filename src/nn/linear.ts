// Linear, Embedding and Dropout modules (nn layer): torch/nn/modules/{linear,sparse,dropout}.py.

import { ArgumentError } from "../errors.js";
import { kernels } from "../kernels/select.js";
import type { F } from "../kernels/types.js";
import {
  allocArray,
  defaultGenerator,
  type FloatDType,
  type Generator,
  randn,
  record,
  Tensor,
  uniform,
} from "../tensor/index.js";
import { dropout } from "./functional.js";
import { Module } from "./module.js";
import { bool, checkKnownOptions, floatDType, positiveInt, probability } from "./options.js";

export interface LinearOptions {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly bias?: boolean;
  readonly dtype?: FloatDType;
}

/** y = x Wᵀ + b over the last dimension: input (*, H_in) → (*, H_out). */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(options: LinearOptions) {
    super("Linear");
    checkKnownOptions("Linear", options, ["inFeatures", "outFeatures", "bias", "dtype"]);
    this.inFeatures = positiveInt("Linear", "inFeatures", options.inFeatures);
    this.outFeatures = positiveInt("Linear", "outFeatures", options.outFeatures);
    const hasBias = bool("Linear", "bias", options.bias, true);
    const dtype = floatDType("Linear", options.dtype);
    // Linear.reset_parameters: init.kaiming_uniform_(weight, a=√5), then the bias U(−1/√in, 1/√in),
    // each bound computed in float64 as torch/nn/init.py does (gain = √(2/(1 + a²)), std =
    // gain/√fan_in, bound = √3·std; not simplified to 1/√in, which rounds differently).
    const a = Math.sqrt(5);
    const gain = Math.sqrt(2 / (1 + a * a));
    const bound = Math.sqrt(3) * (gain / Math.sqrt(this.inFeatures));
    this.weight = uniform([this.outFeatures, this.inFeatures], -bound, bound, { dtype });
    const biasBound = 1 / Math.sqrt(this.inFeatures);
    this.bias = hasBias ? uniform([this.outFeatures], -biasBound, biasBound, { dtype }) : null;
    this.registerParameter("weight", this.weight);
    this.registerParameter("bias", this.bias);
  }

  forward(input: Tensor): Tensor {
    if (input.ndim < 1 || input.shape.at(-1) !== this.inFeatures)
      throw new ArgumentError(
        "Linear",
        "input.size(-1)",
        "must be equal to inFeatures",
        this.inFeatures,
        input.shape.at(-1),
      );
    if (input.dtype !== this.weight.dtype)
      throw new ArgumentError(
        "Linear",
        "input.dtype",
        "must match the parameters' dtype",
        this.weight.dtype,
        input.dtype,
      );
    return linear(input, this.weight, this.bias);
  }

  protected override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? "True" : "False"}`;
  }
}

/**
 * y = x Wᵀ + b over the last dimension, one recorded node: dX = dY·W, dW = dYᵀ·X, db = Σ dY
 * over rows (each one GEMM over every row of the batch).
 */
export function linear(input: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const [O, I] = weight.shape as [number, number];
  const rows = input.numel() / I;
  const dtype = weight.dtype;
  const k = kernels();
  const x = input.data as F;
  const w = weight.data as F;
  const out = allocArray(dtype, rows * O) as F;
  if (bias) for (let r = 0; r < rows; r++) out.set(bias.data, r * O);
  k.gemm(false, true, rows, O, I, x, 0, I, w, 0, I, bias ? 1 : 0, out, 0, O);
  const y = new Tensor(out, [...input.shape.slice(0, -1), O]);
  return record("LinearBackward", [input, weight, bias], [y], ([g]) => {
    const dy = g!.data as F;
    const dx = allocArray(dtype, rows * I) as F;
    k.gemm(false, false, rows, I, O, dy, 0, O, w, 0, I, 0, dx, 0, I);
    const dw = allocArray(dtype, O * I) as F;
    k.gemm(true, false, O, I, rows, dy, 0, O, x, 0, I, 0, dw, 0, I);
    let db: Tensor | null = null;
    if (bias) {
      const sums = allocArray(dtype, O);
      for (let r = 0; r < rows; r++) for (let j = 0; j < O; j++) sums[j]! += dy[r * O + j]!;
      db = new Tensor(sums, bias.shape);
    }
    return [new Tensor(dx, input.shape), new Tensor(dw, weight.shape), db];
  });
}

export interface EmbeddingOptions {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** This index's row is zero and (in training) gets no gradient; negative counts from the end. */
  readonly paddingIdx?: number | null;
  readonly dtype?: FloatDType;
}

/** A lookup table: int32 indices (*) → (*, embeddingDim). Initialised N(0, 1), the padding row zero. */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  readonly weight: Tensor;

  constructor(options: EmbeddingOptions) {
    super("Embedding");
    checkKnownOptions("Embedding", options, ["numEmbeddings", "embeddingDim", "paddingIdx", "dtype"]);
    this.numEmbeddings = positiveInt("Embedding", "numEmbeddings", options.numEmbeddings);
    this.embeddingDim = positiveInt("Embedding", "embeddingDim", options.embeddingDim);
    const dtype = floatDType("Embedding", options.dtype);
    const p = options.paddingIdx ?? null;
    if (p !== null && !(Number.isInteger(p) && p >= -this.numEmbeddings && p < this.numEmbeddings))
      throw new ArgumentError(
        "Embedding",
        "paddingIdx",
        "must be within numEmbeddings",
        `-${this.numEmbeddings} <= paddingIdx < ${this.numEmbeddings}`,
        p,
      );
    this.paddingIdx = p === null ? null : p < 0 ? p + this.numEmbeddings : p;
    this.weight = randn([this.numEmbeddings, this.embeddingDim], { dtype });
    if (this.paddingIdx !== null)
      this.weight.data.fill(
        0,
        this.paddingIdx * this.embeddingDim,
        (this.paddingIdx + 1) * this.embeddingDim,
      );
    this.registerParameter("weight", this.weight);
  }

  forward(input: Tensor): Tensor {
    if (input.dtype !== "int32")
      throw new ArgumentError("Embedding", "input.dtype", "must be int32 (indices)", "int32", input.dtype);
    const D = this.embeddingDim;
    for (let i = 0; i < input.data.length; i++) {
      const v = input.data[i]!;
      if (v < 0 || v >= this.numEmbeddings)
        throw new ArgumentError(
          "Embedding",
          `input[${i}]`,
          "is out of range",
          `0 <= index < ${this.numEmbeddings}`,
          v,
        );
    }
    // A row gather of the weight; backward sums each output row's gradient into its index's row,
    // except the padding row, which gets none (at::embedding_backward).
    const w = this.weight;
    const out = allocArray(w.dtype, input.data.length * D);
    for (let i = 0; i < input.data.length; i++) {
      const row = input.data[i]! * D;
      out.set(w.data.subarray(row, row + D), i * D);
    }
    return record("EmbeddingBackward", [w], [new Tensor(out, [...input.shape, D])], ([g]) => {
      const dw = allocArray(w.dtype, w.numel());
      for (let i = 0; i < input.data.length; i++) {
        const idx = input.data[i]!;
        if (idx === this.paddingIdx) continue;
        for (let j = 0; j < D; j++) dw[idx * D + j]! += g!.data[i * D + j]!;
      }
      return [new Tensor(dw, w.shape)];
    });
  }

  protected override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ""}`;
  }
}

export interface DropoutOptions {
  /** Probability of zeroing an element (default 0.5). */
  readonly p?: number;
}

/** Inverted dropout in training mode; the identity in eval mode. */
export class Dropout extends Module {
  readonly p: number;
  generator: Generator = defaultGenerator;

  constructor(options: DropoutOptions = {}) {
    super("Dropout");
    checkKnownOptions("Dropout", options, ["p"]);
    this.p = options.p === undefined ? 0.5 : probability("Dropout", "p", options.p);
  }

  forward(input: Tensor): Tensor {
    return dropout(input, this.p, this.training, this.generator);
  }

  protected override extraRepr(): string {
    return `p=${this.p}`;
  }
}
