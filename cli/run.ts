// rnnkit run MODEL --input X.npy [...] --out DIR: PyTorch's forward of a saved nn.RNN/LSTM/GRU.

import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { io, nn, type Tensor } from "../src/index.js";
import { readBytes, writeBytesAtomic } from "../src/io/node.js";
import { buildModule, readModelFile } from "./model.js";
import { UsageError } from "./usage.js";

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

/** Runs the model and writes DIR/output.npy, DIR/h_n.npy and (LSTM) DIR/c_n.npy. Returns the paths written. */
export async function run(args: RunArgs, say: (line: string) => void): Promise<string[]> {
  const lengths = args.lengths !== undefined ? parseLengths(args.lengths) : null;
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
  if (lengths && x.ndim !== 3)
    throw new UsageError(
      `--lengths needs a batched 3-D input, (T, B, I) or with --batch-first (B, T, I); got ${x.ndim}-D`,
    );
  const { output, hN, cN } = nn.runRecurrent(m, x, { lengths, h0, c0 });
  await mkdir(args.out, { recursive: true });
  const results: [string, Tensor][] = [
    ["output.npy", output],
    ["h_n.npy", hN],
  ];
  if (cN) results.push(["c_n.npy", cN]);
  const written: string[] = [];
  for (const [name, t] of results) {
    const path = join(args.out, name);
    await writeBytesAtomic(path, io.saveNpy(t));
    written.push(path);
  }
  return written;
}
