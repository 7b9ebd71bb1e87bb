// One recurrent layer, both directions, as one node on the tape (nn layer): the forward runs the
// active kernels' layerForward per direction, writing each direction's columns of the layer output directly;
// when a gradient is wanted it keeps what BPTT needs and records one backward that runs
// layerBackward per direction. The sequence modules stack these; the cells are one step of it.

import { type LayerSaved, type LayerSpec, type LayerWeights, outputSize } from "../kernels/layer.js";
import { kernels } from "../kernels/select.js";
import type { F } from "../kernels/types.js";
import { allocArray, needsGrad, record, Tensor } from "../tensor/index.js";

/** A layer-direction's parameters, PyTorch's shapes (null where bias=False or no projection). */
export interface DirectionParams {
  readonly wIh: Tensor;
  readonly wHh: Tensor;
  readonly bIh: Tensor | null;
  readonly bHh: Tensor | null;
  readonly wHr: Tensor | null;
}

export interface RecurrentLayerCall {
  readonly spec: LayerSpec;
  /** One entry per direction: [forward] or [forward, reverse]. */
  readonly params: readonly DirectionParams[];
  /** Input rows [N, I] in the packed layout (Note [packed layout]). */
  readonly x: Tensor;
  readonly batchSizes: ArrayLike<number>;
  /** Initial states [D, B, P] and [D, B, H], or null for zeros. */
  readonly h0: Tensor | null;
  readonly c0: Tensor | null;
}

/** What one layer call of a forward reports to traceRecurrent (nn/trace.ts). */
export interface LayerTraceCall {
  readonly kind: LayerSpec["kind"];
  readonly hiddenSize: number;
  /** Output rows [N, D·P]. */
  readonly out: Tensor;
  /** Per direction, what BPTT keeps (the activated gates, the cell states ...). */
  readonly saved: readonly LayerSaved[];
}
export type LayerTraceHook = (call: LayerTraceCall) => void;

/** Set by traceRecurrent for the length of one forward: every layer call then saves and reports. */
export const traceHook: { fn: LayerTraceHook | null } = { fn: null };

/** Output rows [N, D·P], final states hN [D, B, P] and (LSTM) cN [D, B, H]. */
export function recurrentLayer(call: RecurrentLayerCall): [Tensor, Tensor, Tensor | null] {
  const { spec, params, x, batchSizes, h0, c0 } = call;
  const k = kernels();
  const D = params.length;
  const H = spec.hiddenSize;
  const P = outputSize(spec);
  const B = batchSizes.length > 0 ? batchSizes[0]! : 0;
  const N = x.shape[0]!;
  const dtype = x.dtype;
  const isLstm = spec.kind === "lstm";
  const weights = params.flatMap((p) => [p.wIh, p.wHh, p.bIh, p.bHh, p.wHr]);
  const inputs = [x, h0, c0, ...weights];
  const save = needsGrad(...inputs) || traceHook.fn !== null;
  const raw = params.map(rawWeights);

  const out = allocArray(dtype, N * D * P) as F;
  const hN = allocArray(dtype, D * B * P) as F;
  const cN = isLstm ? (allocArray(dtype, D * B * H) as F) : null;
  const saved: (LayerSaved | null)[] = raw.map((w, d) =>
    k.layerForward(spec, w, {
      x: x.data as F,
      xOff: 0,
      xLd: spec.inputSize,
      batchSizes,
      reverse: d === 1,
      h0: (h0?.data as F | undefined) ?? null,
      h0Off: d * B * P,
      c0: (c0?.data as F | undefined) ?? null,
      c0Off: d * B * H,
      out,
      outOff: d * P,
      outLd: D * P,
      hN,
      hNOff: d * B * P,
      cN,
      cNOff: d * B * H,
      save,
    }),
  );
  const outputs = [new Tensor(out, [N, D * P]), new Tensor(hN, [D, B, P])];
  if (cN) outputs.push(new Tensor(cN, [D, B, H]));
  traceHook.fn?.({ kind: spec.kind, hiddenSize: H, out: outputs[0]!, saved: saved as LayerSaved[] });
  const name = `${{ rnn_tanh: "RnnTanh", rnn_relu: "RnnRelu", lstm: "Lstm", gru: "Gru" }[spec.kind]}LayerBackward`;
  record(name, inputs, outputs, ([gOut, ghN, gcN]) => {
    const dx = allocArray(dtype, N * spec.inputSize) as F;
    const dh0 = allocArray(dtype, D * B * P) as F;
    const dc0 = isLstm ? (allocArray(dtype, D * B * H) as F) : null;
    const dWeights: (Tensor | null)[] = [];
    for (const [d, w] of raw.entries()) {
      const g = k.layerBackward(spec, w, saved[d]!, {
        x: x.data as F,
        xOff: 0,
        xLd: spec.inputSize,
        batchSizes,
        reverse: d === 1,
        dOut: (gOut?.data as F | undefined) ?? null,
        dOutOff: d * P,
        dOutLd: D * P,
        dhN: (ghN?.data as F | undefined) ?? null,
        dhNOff: d * B * P,
        dcN: (gcN?.data as F | undefined) ?? null,
        dcNOff: d * B * H,
      });
      for (let i = 0; i < dx.length; i++) dx[i]! += g.dx[i]!;
      dh0.set(g.dh0, d * B * P);
      if (dc0 && g.dc0) dc0.set(g.dc0, d * B * H);
      const p = params[d]!;
      dWeights.push(
        new Tensor(g.dWih, p.wIh.shape),
        new Tensor(g.dWhh, p.wHh.shape),
        g.dBih && p.bIh ? new Tensor(g.dBih, p.bIh.shape) : null,
        g.dBhh && p.bHh ? new Tensor(g.dBhh, p.bHh.shape) : null,
        g.dWhr && p.wHr ? new Tensor(g.dWhr, p.wHr.shape) : null,
      );
    }
    return [
      new Tensor(dx, x.shape),
      h0 ? new Tensor(dh0, h0.shape) : null,
      c0 && dc0 ? new Tensor(dc0, c0.shape) : null,
      ...dWeights,
    ];
  });
  return [outputs[0]!, outputs[1]!, outputs[2] ?? null];
}

function rawWeights(p: DirectionParams): LayerWeights {
  return {
    wIh: p.wIh.data as F,
    wHh: p.wHh.data as F,
    bIh: (p.bIh?.data as F | undefined) ?? null,
    bHh: (p.bHh?.data as F | undefined) ?? null,
    wHr: (p.wHr?.data as F | undefined) ?? null,
    version:
      p.wIh.version + p.wHh.version + (p.bIh?.version ?? 0) + (p.bHh?.version ?? 0) + (p.wHr?.version ?? 0),
  };
}
