// Recurrent modules (nn layer): torch/nn/modules/rnn.py's RNNBase, RNN, LSTM, GRU. The time loop
// itself is kernels/layer.ts (RNN.cpp's layers); this file checks options and inputs as PyTorch
// does, lays the input out as packed rows, and stacks layers and directions with dropout between.

import { ArgumentError } from "../errors.js";
import { type CellKind, GATES } from "../kernels/layer.js";
import { cat, defaultGenerator, type FloatDType, type Generator, Tensor, uniform } from "../tensor/index.js";
import { dropout as dropoutFn } from "./functional.js";
import { Module } from "./module.js";
import {
  bool,
  checkKnownOptions,
  floatDType,
  nonNegativeInt,
  positiveInt,
  probability,
  warnOnce,
} from "./options.js";
import { type DirectionParams, recurrentLayer } from "./recurrent.js";
import { PackedSequence, permuteBatch } from "./utils/packed_sequence.js";

export interface RNNBaseOptions {
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** Stacked layers (default 1). */
  readonly numLayers?: number;
  /** Use b_ih and b_hh (default true). */
  readonly bias?: boolean;
  /** input and output are (N, L, H) instead of (L, N, H); h0/c0/hN/cN are unaffected (default false). */
  readonly batchFirst?: boolean;
  /** Dropout on every layer's output except the last, in training mode (default 0). */
  readonly dropout?: number;
  readonly bidirectional?: boolean;
  readonly dtype?: FloatDType;
}

export interface RNNOptions extends RNNBaseOptions {
  readonly nonlinearity?: "tanh" | "relu";
}

export interface LSTMOptions extends RNNBaseOptions {
  /** If > 0, h is projected to projSize features by weight_hr (default 0). */
  readonly projSize?: number;
}

export type GRUOptions = RNNBaseOptions;

const BASE_OPTIONS = [
  "inputSize",
  "hiddenSize",
  "numLayers",
  "bias",
  "batchFirst",
  "dropout",
  "bidirectional",
  "dtype",
] as const;

/** Flat weight names in rnn.py's order: w_ih, w_hh, [b_ih, b_hh], [w_hr]. */
export function flatWeightNames(layer: number, reverse: boolean, bias: boolean, proj: boolean): string[] {
  const s = `l${layer}${reverse ? "_reverse" : ""}`;
  return [
    `weight_ih_${s}`,
    `weight_hh_${s}`,
    ...(bias ? [`bias_ih_${s}`, `bias_hh_${s}`] : []),
    ...(proj ? [`weight_hr_${s}`] : []),
  ];
}

/** What forward works on: time-major packed rows and where they came from. */
interface Rows {
  /** [N, inputSize] */
  readonly x: Tensor;
  readonly batchSizes: ArrayLike<number>;
  /** Batch size (batchSizes[0]; 1 for unbatched input). */
  readonly B: number;
  readonly T: number;
  readonly packed: PackedSequence | null;
  readonly batched: boolean;
}

export abstract class RNNBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly projSize: number;
  readonly dtype: FloatDType;
  /** Generator for the dropout between layers. */
  generator: Generator = defaultGenerator;
  protected readonly cell: CellKind;
  /** Parameters per layer, per direction: layers[l][d]. */
  protected readonly layers: DirectionParams[][];

  protected constructor(typeName: string, cell: CellKind, options: LSTMOptions, allowed: readonly string[]) {
    super(typeName);
    checkKnownOptions(typeName, options, allowed);
    this.cell = cell;
    this.inputSize = positiveInt(typeName, "inputSize", options.inputSize);
    this.hiddenSize = positiveInt(typeName, "hiddenSize", options.hiddenSize);
    this.numLayers = positiveInt(typeName, "numLayers", options.numLayers ?? 1);
    this.bias = bool(typeName, "bias", options.bias, true);
    this.batchFirst = bool(typeName, "batchFirst", options.batchFirst, false);
    this.bidirectional = bool(typeName, "bidirectional", options.bidirectional, false);
    this.dtype = floatDType(typeName, options.dtype);
    if (typeof options.dropout !== "undefined" && typeof options.dropout !== "number")
      throw new ArgumentError(
        typeName,
        "dropout",
        "should be a number in range [0, 1]",
        "0 <= p <= 1",
        options.dropout,
      );
    this.dropout = probability(typeName, "dropout", options.dropout);
    if (this.dropout > 0 && this.numLayers === 1)
      warnOnce(
        `dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects numLayers greater than 1, but got dropout=${this.dropout} and numLayers=${this.numLayers}`,
      );
    this.projSize = nonNegativeInt(typeName, "projSize", options.projSize ?? 0);
    if (this.projSize > 0 && this.projSize >= this.hiddenSize)
      throw new ArgumentError(
        typeName,
        "projSize",
        "has to be smaller than hiddenSize",
        `< ${this.hiddenSize}`,
        this.projSize,
      );

    // PyTorch's RNNBase.__init__ loop: names and order, U(−1/√H, 1/√H) for every parameter.
    const H = this.hiddenSize;
    const G = GATES[cell] * H;
    const P = this.outputSize;
    const D = this.numDirections;
    const k = 1 / Math.sqrt(H);
    const init = (shape: number[]) => uniform(shape, -k, k, { dtype: this.dtype });
    this.layers = [];
    for (let l = 0; l < this.numLayers; l++) {
      const perDir: DirectionParams[] = [];
      for (let d = 0; d < D; d++) {
        const names = flatWeightNames(l, d === 1, this.bias, this.projSize > 0);
        const wIh = init([G, l === 0 ? this.inputSize : P * D]);
        const wHh = init([G, P]);
        const bIh = this.bias ? init([G]) : null;
        const bHh = this.bias ? init([G]) : null;
        const wHr = this.projSize > 0 ? init([this.projSize, H]) : null;
        for (const [i, t] of [wIh, wHh, bIh, bHh, wHr].filter((x) => x !== null).entries())
          this.registerParameter(names[i]!, t);
        perDir.push({ wIh, wHh, bIh, bHh, wHr });
      }
      this.layers.push(perDir);
    }
  }

  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** Features of h: projSize when projecting, else hiddenSize. */
  get outputSize(): number {
    return this.projSize > 0 ? this.projSize : this.hiddenSize;
  }

  protected override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.projSize !== 0) s += `, proj_size=${this.projSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += ", bias=False";
    if (this.batchFirst) s += ", batch_first=True";
    if (this.dropout !== 0) s += `, dropout=${this.dropout}`;
    if (this.bidirectional) s += ", bidirectional=True";
    return s;
  }

  /**
   * The shared forward: `hx` is [h0] or [h0, c0] (null: zeros). Returns the output in the input's
   * form and [hN] or [hN, cN]. Each layer is one node on the tape (nn/recurrent.ts); dropout,
   * reshapes and the permutation of packed batches are ordinary recorded operations.
   */
  protected run(
    input: Tensor | PackedSequence,
    hx: readonly Tensor[] | null,
  ): [Tensor | PackedSequence, Tensor[]] {
    const rows = this.inputRows(input, hx);
    const D = this.numDirections;
    // PyTorch's permute_hidden: h0 rows follow the sorted order of a packed batch.
    const sorted = rows.packed?.sortedIndices ?? null;
    const [h0, c0] = (hx ?? []).map((h) => permuteBatch(rows.batched ? h : h.unsqueeze(1), sorted));
    const hNs: Tensor[] = [];
    const cNs: Tensor[] = [];
    let x = rows.x;
    for (let l = 0; l < this.numLayers; l++) {
      const [out, hN, cN] = recurrentLayer({
        spec: {
          kind: this.cell,
          inputSize: x.shape[1]!,
          hiddenSize: this.hiddenSize,
          projSize: this.projSize,
        },
        params: this.layers[l]!,
        x,
        batchSizes: rows.batchSizes,
        h0: h0 ? h0.narrow(0, l * D, D) : null,
        c0: c0 ? c0.narrow(0, l * D, D) : null,
      });
      hNs.push(hN);
      if (cN) cNs.push(cN);
      x =
        this.training && this.dropout > 0 && l < this.numLayers - 1
          ? dropoutFn(out, this.dropout, true, this.generator)
          : out;
    }
    const finals = [hNs.length > 1 ? cat(hNs, 0) : hNs[0]!];
    if (cNs.length > 0) finals.push(cNs.length > 1 ? cat(cNs, 0) : cNs[0]!);
    return this.outputs(rows, x, finals);
  }

  /** Checks input and hx as RNNBase.forward / check_forward_args do, then lays the input out as time-major rows. */
  private inputRows(input: Tensor | PackedSequence, hx: readonly Tensor[] | null): Rows {
    const name = this.typeName;
    let rows: Rows;
    if (input instanceof PackedSequence) {
      const data = input.data;
      if (data.ndim !== 2)
        throw new ArgumentError(name, "input.data.dim()", "must be 2 for a PackedSequence", 2, data.ndim);
      this.checkFeatures(data);
      const bs = input.batchSizes.data;
      rows = { x: data, batchSizes: bs, B: bs[0] ?? 0, T: bs.length, packed: input, batched: true };
    } else if (input instanceof Tensor) {
      if (input.ndim !== 2 && input.ndim !== 3)
        throw new ArgumentError(
          name,
          "input.dim()",
          "must be 2 (unbatched) or 3 (batched)",
          "2 or 3",
          input.ndim,
        );
      this.checkFeatures(input);
      const batched = input.ndim === 3;
      const timeMajor = batched && this.batchFirst ? input.transpose(0, 1) : input;
      const T = timeMajor.shape[0]!;
      const B = batched ? timeMajor.shape[1]! : 1;
      if (T === 0)
        throw new ArgumentError(
          name,
          "input's sequence length",
          'must be larger than 0 (PyTorch: "Expected sequence length to be larger than 0 in RNN")',
          "at least 1",
          0,
        );
      rows = {
        x: timeMajor.reshape(T * B, this.inputSize),
        // An empty batch (B = 0, as PyTorch allows) has no rows at any step: no step runs, so the work
        // is bounded by the data present however long T claims to be.
        batchSizes: B === 0 ? [] : new Array<number>(T).fill(B),
        B,
        T,
        packed: null,
        batched,
      };
    } else {
      throw new ArgumentError(
        name,
        "input",
        "must be a Tensor or a PackedSequence",
        "Tensor | PackedSequence",
        typeof input,
      );
    }
    this.checkHidden(rows, hx);
    return rows;
  }

  private checkFeatures(x: Tensor): void {
    if (x.shape.at(-1) !== this.inputSize)
      throw new ArgumentError(
        this.typeName,
        "input.size(-1)",
        "must be equal to inputSize",
        this.inputSize,
        x.shape.at(-1),
      );
    if (x.dtype !== this.dtype)
      throw new ArgumentError(
        this.typeName,
        "input.dtype",
        "must match the parameters' dtype",
        this.dtype,
        x.dtype,
      );
  }

  private checkHidden(rows: Rows, hx: readonly Tensor[] | null): void {
    if (!hx) return;
    const LD = this.numLayers * this.numDirections;
    const names = this.cell === "lstm" ? ["h0", "c0"] : ["h0"];
    const sizes = [this.outputSize, this.hiddenSize];
    for (const [i, h] of hx.entries()) {
      const what = names[i]!;
      if (!(h instanceof Tensor))
        throw new ArgumentError(this.typeName, what, "must be a Tensor", "Tensor", typeof h);
      if (rows.batched && h.ndim !== 3)
        throw new ArgumentError(this.typeName, `${what}.dim()`, "must be 3 for batched 3-D input", 3, h.ndim);
      if (!rows.batched && h.ndim !== 2)
        throw new ArgumentError(
          this.typeName,
          `${what}.dim()`,
          "must be 2 for unbatched 2-D input",
          2,
          h.ndim,
        );
      const expected = rows.batched ? [LD, rows.B, sizes[i]!] : [LD, sizes[i]!];
      if (h.shape.some((d, j) => d !== expected[j]))
        throw new ArgumentError(
          this.typeName,
          `${what}.shape`,
          "must be [numLayers * numDirections, batch, size]",
          expected,
          h.shape,
        );
      if (h.dtype !== this.dtype)
        throw new ArgumentError(
          this.typeName,
          `${what}.dtype`,
          "must match the parameters' dtype",
          this.dtype,
          h.dtype,
        );
    }
  }

  /** Wraps output rows and final states in the input's form (packed, batch-first, unbatched). */
  private outputs(rows: Rows, out: Tensor, finals: Tensor[]): [Tensor | PackedSequence, Tensor[]] {
    if (rows.packed) {
      const p = rows.packed;
      return [
        new PackedSequence(out, p.batchSizes, p.sortedIndices, p.unsortedIndices),
        finals.map((h) => permuteBatch(h, p.unsortedIndices)),
      ];
    }
    if (!rows.batched) return [out, finals.map((h) => h.squeeze(1))];
    const output = out.reshape(rows.T, rows.B, out.shape[1]!);
    return [this.batchFirst ? output.transpose(0, 1) : output, finals];
  }
}

/**
 * Elman RNN: h_t = act(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh), act = tanh (default) or relu.
 * input (L, N, H_in), or (N, L, H_in) when batchFirst, or (L, H_in) unbatched, or a PackedSequence;
 * h0 (D·numLayers, N, H_out). forward returns [output (L, N, D·H_out), hN (D·numLayers, N, H_out)].
 */
export class RNN extends RNNBase {
  readonly nonlinearity: "tanh" | "relu";

  constructor(options: RNNOptions) {
    if (typeof options === "object" && options !== null && "projSize" in options)
      throw new ArgumentError(
        "RNN",
        "projSize",
        "argument is only supported for LSTM, not RNN or GRU",
        "no projSize",
        (options as LSTMOptions).projSize,
      );
    const nonlinearity = (options as RNNOptions | undefined)?.nonlinearity ?? "tanh";
    if (nonlinearity !== "tanh" && nonlinearity !== "relu")
      throw new ArgumentError(
        "RNN",
        "nonlinearity",
        "is unknown. Select from 'tanh' or 'relu'",
        "'tanh' or 'relu'",
        nonlinearity,
      );
    super("RNN", nonlinearity === "relu" ? "rnn_relu" : "rnn_tanh", options, [
      ...BASE_OPTIONS,
      "nonlinearity",
    ]);
    this.nonlinearity = nonlinearity;
  }

  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  forward(input: Tensor | PackedSequence, hx?: Tensor | null): [Tensor | PackedSequence, Tensor] {
    const [output, [hN]] = this.run(input, hx ? [hx] : null);
    return [output, hN!];
  }

  protected override extraRepr(): string {
    return super.extraRepr() + (this.nonlinearity !== "tanh" ? `, nonlinearity='${this.nonlinearity}'` : "");
  }
}

/**
 * LSTM (gate order i, f, g, o): c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t), projected by
 * W_hr when projSize > 0. forward(input, [h0, c0]?) returns [output, [hN, cN]];
 * h0/hN (D·numLayers, N, H_out), c0/cN (D·numLayers, N, H_cell).
 */
export class LSTM extends RNNBase {
  constructor(options: LSTMOptions) {
    super("LSTM", "lstm", options, [...BASE_OPTIONS, "projSize"]);
  }

  forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]];
  forward(input: PackedSequence, hx?: readonly [Tensor, Tensor] | null): [PackedSequence, [Tensor, Tensor]];
  forward(
    input: Tensor | PackedSequence,
    hx?: readonly [Tensor, Tensor] | null,
  ): [Tensor | PackedSequence, [Tensor, Tensor]] {
    if (hx !== undefined && hx !== null && (!Array.isArray(hx) || hx.length !== 2))
      throw new ArgumentError(
        "LSTM",
        "hx",
        "must be a pair [h0, c0]",
        "[h0, c0]",
        Array.isArray(hx) ? `${hx.length} tensors` : typeof hx,
      );
    const [output, [hN, cN]] = this.run(input, hx ?? null);
    return [output, [hN!, cN!]];
  }
}

/**
 * GRU (gate order r, z, n): n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.
 * Same input forms and shapes as RNN.
 */
export class GRU extends RNNBase {
  constructor(options: GRUOptions) {
    if (typeof options === "object" && options !== null && "projSize" in options)
      throw new ArgumentError(
        "GRU",
        "projSize",
        "argument is only supported for LSTM, not RNN or GRU",
        "no projSize",
        (options as LSTMOptions).projSize,
      );
    super("GRU", "gru", options, BASE_OPTIONS);
  }

  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  forward(input: Tensor | PackedSequence, hx?: Tensor | null): [Tensor | PackedSequence, Tensor] {
    const [output, [hN]] = this.run(input, hx ? [hx] : null);
    return [output, hN!];
  }
}
