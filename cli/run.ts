// rnnkit run MODEL --input X.npy [...] --out DIR: PyTorch's forward of a saved nn.RNN/LSTM/GRU.

import { join } from "node:path";
import { io, nn, noGrad, type Tensor } from "../src/index.js";
import { readBytes } from "../src/io/node.js";
import { checkOutputFolder, type FolderKind, writeOutputFolder } from "./folders.js";
import { buildModule, readModelFile } from "./model.js";
import { UsageError } from "./usage.js";

/** A run's output folder holds these files, written together (cli/folders.ts). */
export const RUN_OUTPUT: FolderKind = {
  what: "a run output folder",
  option: "--out",
  names: ["output.npy", "h_n.npy", "c_n.npy"],
};

export interface RunArgs {
  readonly model: string;
  readonly input: string;
  readonly h0?: string | undefined;
  readonly c0?: string | undefined;
  readonly lengths?: string | undefined;
  readonly batchFirst: boolean;
  readonly nonlinearity?: "tanh" | "relu" | undefined;
  readonly prefix?: string | undefined;
  readonly out: string;
}

export function parseLengths(text: string): number[] {
  const lengths = nn.parseLengths(text);
  if (!lengths)
    throw new UsageError(
      `--lengths must be positive integers separated by commas (like 5,3,2), got '${text}'`,
    );
  return lengths;
}

async function readArray(
  path: string,
  what: string,
  dtype: "float32" | "float64",
  say: (s: string) => void,
): Promise<Tensor> {
  const stored = io.loadNpy(await readBytes(path), { name: path });
  let t = io.toTensor(stored, what);
  if (t.dtype !== dtype) {
    say(`${what}: ${path} is ${stored.dtype}; converting to the weights' ${dtype}`);
    t = t.to(dtype);
  }
  return t;
}

/**
 * Runs the model and writes DIR/output.npy, DIR/h_n.npy and (LSTM) DIR/c_n.npy, as one folder.
 * Returns the paths written.
 */
export async function run(args: RunArgs, say: (line: string) => void): Promise<string[]> {
  const lengths = args.lengths !== undefined ? parseLengths(args.lengths) : null;
  checkOutputFolder(args.out, RUN_OUTPUT);
  const file = await readModelFile(args.model);
  const {
    module: m,
    architecture,
    notes,
  } = buildModule(file, {
    prefix: args.prefix,
    nonlinearity: args.nonlinearity,
    batchFirst: args.batchFirst,
  });
  for (const n of notes) say(n);
  const dtype = m.dtype;
  const x = await readArray(args.input, "input", dtype, say);
  const h0 = args.h0 !== undefined ? await readArray(args.h0, "h0", dtype, say) : null;
  const c0 = args.c0 !== undefined ? await readArray(args.c0, "c0", dtype, say) : null;
  if (architecture.kind === "LSTM" && (h0 === null) !== (c0 === null))
    throw new UsageError("an LSTM takes --h0 and --c0 together (or neither)");
  if (architecture.kind !== "LSTM" && c0)
    throw new UsageError(`--c0 applies to an LSTM only; ${args.model} holds an ${architecture.kind}`);
  const features = x.shape[x.ndim - 1];
  if ((x.ndim === 2 || x.ndim === 3) && features !== architecture.inputSize)
    throw new Error(
      `--input ${args.input}: the model takes ${architecture.inputSize} features (the last dimension), ` +
        `the array has shape [${x.shape.join(", ")}]`,
    );
  if (lengths && x.ndim !== 3)
    throw new UsageError(
      `--lengths needs a batched 3-D input, (T, B, I) or with --batch-first (B, T, I); got ${x.ndim}-D`,
    );
  // Inference only: nothing is recorded for backward (half the memory and time at long T).
  const { output, hN, cN } = noGrad(() => nn.runRecurrent(m, x, { lengths, h0, c0 }));
  const results: [string, Tensor][] = [
    ["output.npy", output],
    ["h_n.npy", hN],
  ];
  if (cN) results.push(["c_n.npy", cN]);
  const note = writeOutputFolder(
    args.out,
    results.map(([name, t]) => [name, io.saveNpy(t)] as const),
    RUN_OUTPUT,
  );
  if (note) say(note);
  return results.map(([name]) => join(args.out, name));
}
