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
    // kaiming_uniform_(a=√5) on [out, in] is U(−1/√in, 1/√in); the bias uses the same bound.
    const k = 1 / Math.sqrt(this.inFeatures);
    this.weight = uniform([this.outFeatures, this.inFeatures], -k, k, { dtype });
    this.bias = hasBias ? uniform([this.outFeatures], -k, k, { dtype }) : null;
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
    const rows = input.numel() / this.inFeatures;
    const out = allocArray(this.weight.dtype, rows * this.outFeatures) as F;
    if (this.bias) for (let r = 0; r < rows; r++) out.set(this.bias.data, r * this.outFeatures);
    kernels().gemm(
      false,
      true,
      rows,
      this.outFeatures,
      this.inFeatures,
      input.data as F,
      0,
      this.inFeatures,
      this.weight.data as F,
      0,
      this.inFeatures,
      this.bias ? 1 : 0,
      out,
      0,
      this.outFeatures,
    );
    return new Tensor(out, [...input.shape.slice(0, -1), this.outFeatures]);
  }

  protected override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? "True" : "False"}`;
  }
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
    const out = allocArray(this.weight.dtype, input.data.length * D);
    for (let i = 0; i < input.data.length; i++) {
      const row = input.data[i]! * D;
      out.set(this.weight.data.subarray(row, row + D), i * D);
    }
    return new Tensor(out, [...input.shape, D]);
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
