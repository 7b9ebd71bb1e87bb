// Recurrent cells (nn layer): torch/nn/modules/rnn.py's RNNCell, LSTMCell, GRUCell. A cell is one
// step of the same code the sequence modules run (kernels/layer.ts with one time step).

import { ArgumentError } from "../errors.js";
import { type CellKind, GATES } from "../kernels/layer.js";
import { type FloatDType, Tensor, uniform } from "../tensor/index.js";
import { Module } from "./module.js";
import { bool, checkKnownOptions, floatDType, positiveInt } from "./options.js";
import { recurrentLayer } from "./recurrent.js";

export interface RNNCellBaseOptions {
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** Use bias_ih and bias_hh (default true). */
  readonly bias?: boolean;
  readonly dtype?: FloatDType;
}

export interface RNNCellOptions extends RNNCellBaseOptions {
  readonly nonlinearity?: "tanh" | "relu";
}

const CELL_OPTIONS = ["inputSize", "hiddenSize", "bias", "dtype"] as const;

abstract class RNNCellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  readonly dtype: FloatDType;
  readonly weightIh: Tensor;
  readonly weightHh: Tensor;
  readonly biasIh: Tensor | null;
  readonly biasHh: Tensor | null;
  protected readonly cell: CellKind;

  protected constructor(
    typeName: string,
    cell: CellKind,
    options: RNNCellOptions,
    allowed: readonly string[],
  ) {
    super(typeName);
    checkKnownOptions(typeName, options, allowed);
    this.cell = cell;
    this.inputSize = positiveInt(typeName, "inputSize", options.inputSize);
    this.hiddenSize = positiveInt(typeName, "hiddenSize", options.hiddenSize);
    this.bias = bool(typeName, "bias", options.bias, true);
    this.dtype = floatDType(typeName, options.dtype);
    const H = this.hiddenSize;
    const G = GATES[cell] * H;
    const k = 1 / Math.sqrt(H);
    const init = (shape: number[]) => uniform(shape, -k, k, { dtype: this.dtype });
    this.weightIh = init([G, this.inputSize]);
    this.weightHh = init([G, H]);
    this.biasIh = this.bias ? init([G]) : null;
    this.biasHh = this.bias ? init([G]) : null;
    this.registerParameter("weight_ih", this.weightIh);
    this.registerParameter("weight_hh", this.weightHh);
    this.registerParameter("bias_ih", this.biasIh);
    this.registerParameter("bias_hh", this.biasHh);
  }

  protected override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? "" : ", bias=False"}`;
  }

  /** One step on (B, I) or unbatched (I,) input; hx is [h] or [h, c] (null: zeros). Returns [h'] or [h', c']. */
  protected step(input: Tensor, hx: readonly Tensor[] | null): Tensor[] {
    const name = this.typeName;
    if (!(input instanceof Tensor))
      throw new ArgumentError(name, "input", "must be a Tensor", "Tensor", typeof input);
    if (input.ndim !== 1 && input.ndim !== 2)
      throw new ArgumentError(
        name,
        "input.dim()",
        "must be 1 (unbatched) or 2 (batched)",
        "1 or 2",
        input.ndim,
      );
    if (input.shape.at(-1) !== this.inputSize)
      throw new ArgumentError(
        name,
        "input.size(-1)",
        "must be equal to inputSize",
        this.inputSize,
        input.shape.at(-1),
      );
    if (input.dtype !== this.dtype)
      throw new ArgumentError(
        name,
        "input.dtype",
        "must match the parameters' dtype",
        this.dtype,
        input.dtype,
      );
    const batched = input.ndim === 2;
    const B = batched ? input.shape[0]! : 1;
    const H = this.hiddenSize;
    const names = this.cell === "lstm" ? ["h", "c"] : ["hx"];
    for (const [i, h] of (hx ?? []).entries()) {
      const what = names[i]!;
      if (!(h instanceof Tensor)) throw new ArgumentError(name, what, "must be a Tensor", "Tensor", typeof h);
      const expected = batched ? [B, H] : [H];
      if (h.ndim !== expected.length || h.shape.some((d, j) => d !== expected[j]))
        throw new ArgumentError(
          name,
          `${what}.shape`,
          batched ? "must be [batch, hiddenSize]" : "must be [hiddenSize] for unbatched 1-D input",
          expected,
          h.shape,
        );
      if (h.dtype !== this.dtype)
        throw new ArgumentError(
          name,
          `${what}.dtype`,
          "must match the parameters' dtype",
          this.dtype,
          h.dtype,
        );
    }
    const x = batched ? input : input.unsqueeze(0);
    const state = (hx ?? []).map((h) => (batched ? h : h.unsqueeze(0)).unsqueeze(0));
    const [out, , cN] = recurrentLayer({
      spec: { kind: this.cell, inputSize: this.inputSize, hiddenSize: H, projSize: 0 },
      params: [{ wIh: this.weightIh, wHh: this.weightHh, bIh: this.biasIh, bHh: this.biasHh, wHr: null }],
      x,
      batchSizes: [B],
      h0: state[0] ?? null,
      c0: state[1] ?? null,
    });
    const shape = batched ? [B, H] : [H];
    return cN ? [out.reshape(shape), cN.reshape(shape)] : [out.reshape(shape)];
  }
}

/** h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh). input (N, H_in) or (H_in); hx (N, H) or (H). */
export class RNNCell extends RNNCellBase {
  readonly nonlinearity: "tanh" | "relu";

  constructor(options: RNNCellOptions) {
    const nonlinearity = (options as RNNCellOptions | undefined)?.nonlinearity ?? "tanh";
    if (nonlinearity !== "tanh" && nonlinearity !== "relu")
      throw new ArgumentError(
        "RNNCell",
        "nonlinearity",
        "is unknown. Select from 'tanh' or 'relu'",
        "'tanh' or 'relu'",
        nonlinearity,
      );
    super("RNNCell", nonlinearity === "relu" ? "rnn_relu" : "rnn_tanh", options, [
      ...CELL_OPTIONS,
      "nonlinearity",
    ]);
    this.nonlinearity = nonlinearity;
  }

  forward(input: Tensor, hx?: Tensor | null): Tensor {
    return this.step(input, hx ? [hx] : null)[0]!;
  }

  protected override extraRepr(): string {
    return super.extraRepr() + (this.nonlinearity !== "tanh" ? `, nonlinearity='${this.nonlinearity}'` : "");
  }
}

/** One LSTM step: forward(input, [h, c]?) returns [h', c']. */
export class LSTMCell extends RNNCellBase {
  constructor(options: RNNCellBaseOptions) {
    super("LSTMCell", "lstm", options, CELL_OPTIONS);
  }

  forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, Tensor] {
    if (hx !== undefined && hx !== null && (!Array.isArray(hx) || hx.length !== 2))
      throw new ArgumentError(
        "LSTMCell",
        "hx",
        "must be a pair [h, c]",
        "[h, c]",
        Array.isArray(hx) ? `${hx.length} tensors` : typeof hx,
      );
    const [h, c] = this.step(input, hx ?? null);
    return [h!, c!];
  }
}

/** One GRU step: forward(input, hx?) returns h'. */
export class GRUCell extends RNNCellBase {
  constructor(options: RNNCellBaseOptions) {
    super("GRUCell", "gru", options, CELL_OPTIONS);
  }

  forward(input: Tensor, hx?: Tensor | null): Tensor {
    return this.step(input, hx ? [hx] : null)[0]!;
  }
}
