// Poetry checkpoints (CLI, poetry): a folder holding config.json (architecture, vocabulary,
// training options and progress, optimizer scalars, generator states), model.safetensors and
// model.pt (the same weights: PyTorch loads either) and optimizer.safetensors. A checkpoint is
// written to a temporary folder, flushed and renamed into place (cli/folders.ts), so a crash never
// leaves half of one, and a folder that is not a checkpoint is never replaced.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Generator, type GeneratorState, io, type optim, Tensor } from "../../src/index.js";
import { readBytesSync } from "../../src/io/node.js";
import { type FolderKind, writeOutputFolder } from "../folders.js";
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

/** What a checkpoint folder may hold: the proof that an existing --out folder is one to replace. */
export const CHECKPOINT: FolderKind = {
  what: "a poetry checkpoint",
  option: "--out",
  names: ["config.json", "model.safetensors", "model.pt", "optimizer.safetensors"],
  check(dir) {
    const path = join(dir, "config.json");
    if (!existsSync(path)) return "it has no config.json";
    try {
      const c = JSON.parse(readFileSync(path, "utf8")) as { format?: unknown };
      return c.format === FORMAT ? null : `its config.json is not an ${FORMAT} config`;
    } catch {
      return "its config.json is not valid JSON";
    }
  },
};

/**
 * Writes a checkpoint folder at `dir`, replacing one that is there only once the new one is complete
 * (and only when it is a poetry checkpoint: see CHECKPOINT). Returns a note for the user, or null.
 */
export function saveCheckpoint(
  dir: string,
  parts: {
    model: PoetryModel;
    vocab: Vocab;
    training: TrainOptions;
    progress: Progress;
    optimizer: optim.Optimizer;
  },
): string | null {
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
  return writeOutputFolder(
    dir,
    [
      ["model.safetensors", io.saveSafetensors(weights, { format: "pt" })],
      ["model.pt", io.saveTorch(weights)],
      ["optimizer.safetensors", io.saveSafetensors(tensors)],
      ["config.json", `${JSON.stringify(config, null, 1)}\n`],
    ],
    CHECKPOINT,
  );
}

/** Refuses a CKPT folder with no checkpoint in it (yet), saying how one is made. */
export function checkCheckpointFolder(dir: string): void {
  if (existsSync(join(dir, "config.json"))) return;
  throw new Error(
    existsSync(dir)
      ? `${dir} holds no poetry checkpoint (no config.json); rnnkit train writes one (--out DIR, default runs/poetry)`
      : `no checkpoint at ${dir} yet: train one first with rnnkit train (it writes runs/poetry, or --out DIR)`,
  );
}

/** Checks a parsed config.json field by field; throws naming the file and the field. */
function validateConfig(path: string, c: unknown): CheckpointConfig {
  const bad = (field: string, expected: string, actual: unknown): never => {
    throw new Error(
      `${path}: ${field} must be ${expected}, got ${JSON.stringify(actual)?.slice(0, 60) ?? "nothing"}`,
    );
  };
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(c)) return bad("the config", "a JSON object", c);
  if (c.format !== FORMAT || c.version !== VERSION)
    throw new Error(
      `${path}: not an ${FORMAT} v${VERSION} checkpoint (format ${JSON.stringify(c.format)}, version ${JSON.stringify(c.version)})`,
    );
  const count = (o: Record<string, unknown>, field: string, where: string, min = 1) => {
    const v = o[field];
    if (!Number.isSafeInteger(v) || (v as number) < min)
      bad(`${where}.${field}`, min === 0 ? "a non-negative integer" : "a positive integer", v);
  };
  const m = c.model;
  if (!isObject(m)) return bad("model", "an object", m);
  if (m.kind !== "lstm" && m.kind !== "gru") bad("model.kind", "'lstm' or 'gru'", m.kind);
  for (const f of ["vocabSize", "embeddingDim", "hiddenSize", "numLayers"]) count(m, f, "model");
  if (typeof m.dropout !== "number" || !(m.dropout >= 0 && m.dropout < 1))
    bad("model.dropout", "a number in [0, 1)", m.dropout);
  if (!Array.isArray(c.vocab) || !c.vocab.every((t) => typeof t === "string"))
    bad("vocab", "an array of strings", c.vocab);
  const t = c.training;
  if (!isObject(t)) return bad("training", "an object", t);
  if (typeof t.corpus !== "string") bad("training.corpus", "a string", t.corpus);
  for (const f of ["minCount", "batchSize"]) count(t, f, "training");
  count(t, "seed", "training", 0);
  for (const f of ["lr", "weightDecay", "clip"])
    if (typeof t[f] !== "number" || !Number.isFinite(t[f])) bad(`training.${f}`, "a number", t[f]);
  const p = c.progress;
  if (!isObject(p)) return bad("progress", "an object", p);
  for (const f of ["step", "epoch", "batchInEpoch", "tokens"]) count(p, f, "progress", 0);
  if (typeof p.elapsedMs !== "number") bad("progress.elapsedMs", "a number", p.elapsedMs);
  for (const f of ["trainLoss", "valLoss"])
    if (p[f] !== null && typeof p[f] !== "number") bad(`progress.${f}`, "a number or null", p[f]);
  const o = c.optimizer;
  if (!isObject(o) || !Array.isArray(o.paramGroups) || !isObject(o.scalars))
    bad("optimizer", "{ paramGroups: [...], scalars: {...} }", o);
  if (!isObject(c.dropoutGenerator)) bad("dropoutGenerator", "a generator state", c.dropoutGenerator);
  return c as unknown as CheckpointConfig;
}

/** The shapes model.safetensors must hold for `m`, checked before the model is built (its size bounds the allocation). */
function checkWeightShapes(
  path: string,
  m: ModelConfig,
  shapes: ReadonlyMap<string, readonly number[]>,
): void {
  const gates = m.kind === "lstm" ? 4 : 3;
  const expect = (key: string, shape: readonly number[]) => {
    const got = shapes.get(key);
    if (!got || got.length !== shape.length || got.some((d, i) => d !== shape[i]))
      throw new Error(
        `${path}: config.json does not match model.safetensors: size mismatch for ${key}: ` +
          `the config gives [${shape.join(", ")}], the file ${got ? `[${got.join(", ")}]` : "has no such tensor"}`,
      );
  };
  expect("embedding.weight", [m.vocabSize, m.embeddingDim]);
  for (let l = 0; l < m.numLayers; l++) {
    expect(`rnn.weight_ih_l${l}`, [gates * m.hiddenSize, l === 0 ? m.embeddingDim : m.hiddenSize]);
    expect(`rnn.weight_hh_l${l}`, [gates * m.hiddenSize, m.hiddenSize]);
  }
  expect("head.weight", [m.vocabSize, m.hiddenSize]);
}

/**
 * Reads a checkpoint folder, checking that its config and its weights agree. The optimizer's state
 * is read only when asked for (training resumes; sampling does not need it).
 */
export function loadCheckpoint(dir: string, { optimizer = true }: { optimizer?: boolean } = {}): Checkpoint {
  const path = join(dir, "config.json");
  checkCheckpointFolder(dir);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(readBytesSync(path)));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const config = validateConfig(path, parsed);
  const vocab = new Vocab(config.vocab);
  if (config.model.vocabSize !== vocab.size)
    throw new Error(
      `${path}: the model's vocabSize ${config.model.vocabSize} does not match the vocabulary's ${vocab.size} entries`,
    );
  const weightsPath = join(dir, "model.safetensors");
  const weights = io.loadSafetensors(readBytesSync(weightsPath), { name: weightsPath });
  checkWeightShapes(dir, config.model, new Map([...weights.tensors].map(([k, t]) => [k, t.shape])));
  const model = new PoetryModel(config.model);
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
  try {
    model.rnn.generator =
      (config.dropoutGenerator as { kind?: unknown }).kind === "mt19937"
        ? new Generator().setState(config.dropoutGenerator)
        : new Generator(config.training.seed + 1);
  } catch (e) {
    throw new Error(`${path}: dropoutGenerator: ${(e as Error).message}`);
  }
  const state: Record<number, Record<string, Tensor | number | null>> = {};
  if (optimizer) {
    const optPath = join(dir, "optimizer.safetensors");
    const opt = io.loadSafetensors(readBytesSync(optPath), { name: optPath });
    for (const [i, entry] of Object.entries(config.optimizer.scalars)) state[Number(i)] = { ...entry };
    for (const [key, stored] of opt.tensors) {
      const [, i, name] = key.split(".");
      if (name === undefined || !Number.isSafeInteger(Number(i)))
        throw new Error(`${optPath}: unexpected tensor '${key}' (expected state.INDEX.NAME)`);
      const entry = state[Number(i)] ?? {};
      entry[name] = io.toTensor(stored, key);
      state[Number(i)] = entry;
    }
  }
  return { config, model, vocab, optimizerState: { state, param_groups: config.optimizer.paramGroups } };
}
