// Every layer-direction's output over time, for the pages' heatmaps and strips. The library's
// forward returns the top layer's output only; a lower layer's output is the same model cut after
// that layer (the file's tensors of layers 0..l), run by the same library calls. No math here.

import { io, nn, type Tensor } from "rnnkit";

/** One layer-direction's output over time, (N, L, H_out) row-major. */
export interface LayerTrace {
  readonly layer: number;
  readonly reverse: boolean;
  readonly batch: number;
  readonly steps: number;
  readonly units: number;
  readonly dtype: "float32" | "float64";
  readonly data: Float32Array | Float64Array;
}

/** The file's tensors of layers 0..layer only: the model a layer's output comes from. */
function upToLayer(f: io.ModelFile, prefix: string, layer: number): io.ModelFile {
  const keep = new Map(
    [...f.tensors].filter(([k]) => {
      if (!k.startsWith(prefix)) return true;
      const m = /_l(\d+)(_reverse)?$/.exec(k);
      return !m || Number(m[1]) <= layer;
    }),
  );
  return { ...f, tensors: keep };
}

/** A module's state dict as a model file (what the pages build models from). */
export function fileOf(module: nn.Module, name: string): io.ModelFile {
  return {
    name,
    format: "safetensors",
    tensors: new Map(Object.entries(module.stateDict()).map(([k, t]) => [k, io.fromTensor(t)])),
    metadata: null,
  };
}

/**
 * The output of every layer and direction for input `x` (and `lengths`, packed), given the full
 * model's `output` for the top layer. `options` are those the model was built with.
 */
export function layerTraces(
  file: io.ModelFile,
  options: io.BuildRecurrentOptions,
  x: Tensor,
  lengths: readonly number[] | null,
  output: Tensor,
): LayerTrace[] {
  const a = nn.inferRecurrent(io.shapesOf(file.tensors), options.prefix);
  const traces: LayerTrace[] = [];
  const D = a.bidirectional ? 2 : 1;
  for (let layer = 0; layer < a.numLayers; layer++) {
    let y =
      layer === a.numLayers - 1
        ? output
        : nn.runRecurrent(io.buildRecurrent(upToLayer(file, a.prefix, layer), options).module, x, { lengths })
            .output;
    if (y.ndim === 2)
      y = y.reshape([y.shape[0]!, 1, y.shape[1]!]); // unbatched: one sequence
    else if (!options.batchFirst) y = y.transpose(0, 1);
    const [batch, steps, width] = y.shape as [number, number, number];
    const units = width / D;
    for (let d = 0; d < D; d++) {
      const part = y.narrow(-1, d * units, units);
      traces.push({
        layer,
        reverse: d === 1,
        batch,
        steps,
        units,
        dtype: part.dtype as "float32" | "float64",
        data: part.data as Float32Array | Float64Array,
      });
    }
  }
  return traces;
}
