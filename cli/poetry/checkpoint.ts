// Poetry checkpoints (CLI, poetry): a folder holding config.json (architecture, vocabulary,
// training options and progress, optimizer scalars, generator states), model.safetensors and
// model.pt (the same weights: PyTorch loads either) and optimizer.safetensors. A checkpoint is
// written to a temporary folder and renamed into place, so a crash never leaves half of one.

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { Generator, type GeneratorState, io, type optim, Tensor } from "../../src/index.js";
import { type ModelConfig, PoetryModel } from "./model.js";
import { Vocab } from "./vocab.js";

export const FORMAT = "rnnkit-poetry";
export const VERSION = 1;

export interface TrainOptions {
  readonly corpus: string;
  readonly minCount: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly weightDecay: number;
  readonly clip: number;
  readonly seed: number;
}

export interface Progress {
  readonly step: number;
  readonly epoch: number;
  /** Batches of `epoch` already trained on. */
  readonly batchInEpoch: number;
  readonly tokens: number;
  readonly elapsedMs: number;
  readonly trainLoss: number | null;
  readonly valLoss: number | null;
}

export interface CheckpointConfig {
  readonly format: typeof FORMAT;
  readonly version: number;
  readonly model: ModelConfig;
  readonly vocab: readonly string[];
  readonly training: TrainOptions;
  readonly progress: Progress;
  readonly dropoutGenerator: GeneratorState;
  readonly optimizer: {
    readonly paramGroups: optim.OptimizerStateDict["param_groups"];
    readonly scalars: Record<string, Record<string, number | null>>;
  };
}

export interface Checkpoint {
  readonly config: CheckpointConfig;
  readonly model: PoetryModel;
  readonly vocab: Vocab;
  /** The optimizer's state dict, tensors and scalars together again. */
  readonly optimizerState: optim.OptimizerStateDict;
}

/** Writes a checkpoint folder at `dir`, replacing one that is there only once the new one is complete. */
export function saveCheckpoint(
  dir: string,
  parts: {
    model: PoetryModel;
    vocab: Vocab;
    training: TrainOptions;
    progress: Progress;
    optimizer: optim.Optimizer;
  },
): void {
  const sd = parts.optimizer.stateDict();
  const tensors = new Map<string, Tensor>();
  const scalars: Record<string, Record<string, number | null>> = {};
  for (const [i, entry] of Object.entries(sd.state)) {
    scalars[i] = {};
    for (const [k, v] of Object.entries(entry)) {
      if (v instanceof Tensor) tensors.set(`state.${i}.${k}`, v);
      else scalars[i][k] = v;
    }
  }
  const config: CheckpointConfig = {
    format: FORMAT,
    version: VERSION,
    model: parts.model.config,
    vocab: parts.vocab.itos,
    training: parts.training,
    progress: parts.progress,
    dropoutGenerator: parts.model.rnn.generator.getState(),
    optimizer: { paramGroups: sd.param_groups, scalars },
  };
  const weights = parts.model.stateDict();
  const tmp = join(dirname(dir), `.${basename(dir)}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, "model.safetensors"), io.saveSafetensors(weights, { format: "pt" }));
  writeFileSync(join(tmp, "model.pt"), io.saveTorch(weights));
  writeFileSync(join(tmp, "optimizer.safetensors"), io.saveSafetensors(tensors));
  writeFileSync(join(tmp, "config.json"), `${JSON.stringify(config, null, 1)}\n`);
  const old = join(dirname(dir), `.${basename(dir)}.old-${process.pid}`);
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

/** Reads a checkpoint folder, checking that its config and its weights agree. */
export function loadCheckpoint(dir: string): Checkpoint {
  const path = join(dir, "config.json");
  if (!existsSync(path)) throw new Error(`${dir} is not a poetry checkpoint (no config.json)`);
  const config = JSON.parse(readFileSync(path, "utf8")) as CheckpointConfig;
  if (config.format !== FORMAT || config.version !== VERSION)
    throw new Error(
      `${path}: not an ${FORMAT} v${VERSION} checkpoint (format ${String(config.format)}, version ${String(config.version)})`,
    );
  const vocab = new Vocab(config.vocab);
  if (config.model.vocabSize !== vocab.size)
    throw new Error(
      `${path}: the model's vocabSize ${config.model.vocabSize} does not match the vocabulary's ${vocab.size} entries`,
    );
  const model = new PoetryModel(config.model);
  const weights = io.loadSafetensors(readFileSync(join(dir, "model.safetensors")), {
    name: join(dir, "model.safetensors"),
  });
  try {
    model.loadStateDict(io.toTensors(weights.tensors));
  } catch (e) {
    throw new Error(
      `${dir}: config.json does not match model.safetensors: ${(e as Error).message.replaceAll("\n\t", " ")}`,
    );
  }
  // Checkpoints written before rnnkit drew PyTorch's stream hold a xoshiro128** state ({ words:
  // [4 numbers] }), which no longer exists: they sample as before, and a resumed run's dropout
  // masks start afresh from the training seed (its batches and masks differ from the old run's).
  model.rnn.generator =
    config.dropoutGenerator.kind === "mt19937"
      ? new Generator().setState(config.dropoutGenerator)
      : new Generator(config.training.seed + 1);
  const opt = io.loadSafetensors(readFileSync(join(dir, "optimizer.safetensors")), {
    name: join(dir, "optimizer.safetensors"),
  });
  const state: Record<number, Record<string, Tensor | number | null>> = {};
  for (const [i, entry] of Object.entries(config.optimizer.scalars)) state[Number(i)] = { ...entry };
  for (const [key, stored] of opt.tensors) {
    const [, i, name] = key.split(".");
    const entry = state[Number(i)] ?? {};
    entry[name!] = io.toTensor(stored, key);
    state[Number(i)] = entry;
  }
  return { config, model, vocab, optimizerState: { state, param_groups: config.optimizer.paramGroups } };
}
