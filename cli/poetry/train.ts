// rnnkit train (CLI, poetry): a character model of Tang poems, trained with AdamW and gradient
// clipping on whole-poem batches (each batch packed, never padded), with a progress bar, sample
// poems as it learns, atomic checkpoints, exact --resume and a checkpoint on Ctrl-C.

import { MultiBar, Presets } from "cli-progress";
import { Generator, getThreads, io, kernels, manualSeed, nn, noGrad, optim } from "../../src/index.js";
import { temporaries, writeBytesAtomicSync } from "../../src/io/node.js";
import { checkOutputFolder } from "../folders.js";
import { UsageError } from "../usage.js";
import {
  CHECKPOINT,
  type Checkpoint,
  loadCheckpoint,
  type Progress,
  saveCheckpoint,
  type TrainOptions,
} from "./checkpoint.js";
import { type BuiltinCorpus, loadTang, loadTextFile } from "./corpus.js";
import { type Batch, epochOrder, makeBatch, splitPoems } from "./data.js";
import { type ModelConfig, PoetryModel } from "./model.js";
import { layout, samplePoem } from "./sample.js";
import { Vocab } from "./vocab.js";

export interface TrainArgs {
  readonly corpus: string;
  readonly model: Omit<ModelConfig, "vocabSize">;
  readonly training: Omit<TrainOptions, "corpus">;
  readonly minutes: number | null;
  readonly steps: number | null;
  readonly epochs: number | null;
  readonly out: string;
  readonly resume: string | null;
  readonly evalEvery: number;
  readonly sampleEvery: number;
  readonly checkpointEvery: number;
  readonly poems: number;
  /** Write the initial weights here before the first step (for examples/pytorch/train_poetry.py). */
  readonly saveInitial: string | null;
}

export interface Say {
  out(text: string): void;
  err(text: string): void;
}

export function loadPoems(corpus: string): string[] {
  return corpus === "quatrains" || corpus === "five"
    ? loadTang(corpus as BuiltinCorpus)
    : loadTextFile(corpus);
}

const EVAL_BATCH = 256;

/**
 * Mean cross-entropy per token over `poems` (nats/char), in eval mode, without recording. Yields to
 * the event loop between batches so a Ctrl-C is seen; returns null if `stopped()` turns true.
 */
export async function evaluate(
  model: PoetryModel,
  encoded: readonly (readonly number[])[],
  stopped: () => boolean = () => false,
): Promise<number | null> {
  const wasTraining = model.training;
  model.eval();
  let total = 0;
  let tokens = 0;
  try {
    for (let i = 0; i < encoded.length; i += EVAL_BATCH) {
      const batch = makeBatch(encoded.slice(i, i + EVAL_BATCH));
      total += noGrad(() => model.loss(batch, "sum").item());
      tokens += batch.tokens;
      await new Promise((r) => setImmediate(r));
      if (stopped()) return null;
    }
  } finally {
    model.train(wasTraining);
  }
  return total / tokens;
}

export async function train(args: TrainArgs, say: Say): Promise<{ exitCode: number; progress: Progress }> {
  checkOutputFolder(args.out, CHECKPOINT);
  const resumed: Checkpoint | null = args.resume ? loadCheckpoint(args.resume) : null;
  const corpus = resumed ? resumed.config.training.corpus : args.corpus;
  const poems = loadPoems(corpus);
  const split = splitPoems(
    poems,
    corpus === "quatrains" || corpus === "five" ? `the ${corpus} corpus` : corpus,
  );
  const training: TrainOptions = resumed ? resumed.config.training : { corpus, ...args.training };
  const vocab = Vocab.build(split.train, training.minCount);
  if (resumed && resumed.vocab.itos.join("\u0000") !== vocab.itos.join("\u0000"))
    throw new Error(
      `${args.resume}: its vocabulary is not the one ${corpus} gives now; the corpus changed since the checkpoint`,
    );
  manualSeed(training.seed);
  const model = resumed ? resumed.model : new PoetryModel({ ...args.model, vocabSize: vocab.size });
  if (!resumed) model.rnn.generator = new Generator(training.seed + 1);
  model.train();
  if (args.saveInitial && !resumed)
    writeBytesAtomicSync(args.saveInitial, io.saveSafetensors(model.stateDict(), { format: "pt" }));
  const opt = new optim.AdamW(model.parameters(), { lr: training.lr, weightDecay: training.weightDecay });
  if (resumed) opt.loadStateDict(resumed.optimizerState);
  const train = split.train.map((p) => vocab.encode(p));
  const val = split.val.map((p) => vocab.encode(p));
  const batchesPerEpoch = Math.ceil(train.length / training.batchSize);

  let p: Progress = resumed?.config.progress ?? {
    step: 0,
    epoch: 0,
    batchInEpoch: 0,
    tokens: 0,
    elapsedMs: 0,
    trainLoss: null,
    valLoss: null,
  };
  const startStep = p.step;
  say.err(
    `${corpus}: ${poems.length} poems (${split.train.length} train, ${split.val.length} validation), ${vocab.size} tokens in the vocabulary; ` +
      `${model.config.kind.toUpperCase()} ${model.config.numLayers}x${model.config.hiddenSize}, ${model
        .parameters()
        .reduce((n, t) => n + t.numel(), 0)
        .toLocaleString("en")} parameters` +
      (resumed ? `; resuming at step ${p.step}` : ""),
  );
  const threads = getThreads();
  say.err(`kernels: ${kernels().detail}, ${threads} thread${threads === 1 ? "" : "s"}`);

  // The first Ctrl-C stops after the current step and saves; a second one exits at once, leaving
  // the last complete checkpoint (checkpoints are renamed into place whole) and no temporaries.
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) {
      temporaries.removeAll();
      say.err("interrupted again: stopped without saving; the last checkpoint is as it was");
      process.exit(130);
    }
    interrupted = true;
    say.err("interrupted: saving a checkpoint (Ctrl-C again to stop at once without saving)");
  };
  process.on("SIGINT", onSigint);
  const tty = process.stderr.isTTY === true;
  const bars = tty
    ? new MultiBar(
        {
          format:
            " {bar} {percentage}% | step {step} | loss {loss} | val {val} | {tps} tok/s | ETA {eta_formatted}",
          hideCursor: true,
          etaBuffer: 20,
        },
        Presets.shades_classic,
      )
    : null;
  const bar = bars?.create(1000, 0, { step: p.step, loss: "-", val: "-", tps: "-" }) ?? null;
  const log = (line: string) => (bars ? bars.log(`${line}\n`) : say.err(line));
  const started = performance.now();
  const sessionMs = () => performance.now() - started;
  let sessionTokens = 0;
  let trainMs = 0;
  const fractionDone = () =>
    Math.max(
      args.steps !== null ? (p.step - startStep) / args.steps : 0,
      args.minutes !== null ? sessionMs() / (args.minutes * 60_000) : 0,
      args.epochs !== null ? (p.epoch + p.batchInEpoch / batchesPerEpoch) / args.epochs : 0,
    );
  const save = () => {
    const note = saveCheckpoint(args.out, {
      model,
      vocab,
      training,
      progress: { ...p, elapsedMs: p.elapsedMs + sessionMs() },
      optimizer: opt,
    });
    if (note) log(note);
  };
  const validate = async () => {
    const v = await evaluate(model, val, () => interrupted);
    if (v !== null) p = { ...p, valLoss: v };
  };
  const sampler = (seed: number) =>
    layout(
      samplePoem(
        model,
        vocab,
        { prompt: "", temperature: 0.8, topK: 20, greedy: false, form: [5, 4], maxLength: 64 },
        new Generator(seed),
      ),
      [5, 4],
    );

  try {
    while (fractionDone() < 1 && !interrupted) {
      const order = epochOrder(train.length, training.seed, p.epoch);
      const first = p.batchInEpoch * training.batchSize;
      const batch: Batch = makeBatch(order.slice(first, first + training.batchSize).map((i) => train[i]!));
      const t0 = performance.now();
      opt.zeroGrad();
      const loss = model.loss(batch);
      loss.backward();
      nn.utils.clipGradNorm(model.parameters(), training.clip);
      opt.step();
      trainMs += performance.now() - t0;
      sessionTokens += batch.tokens;
      const next = p.batchInEpoch + 1;
      p = {
        ...p,
        step: p.step + 1,
        tokens: p.tokens + batch.tokens,
        trainLoss: loss.item(),
        epoch: next >= batchesPerEpoch ? p.epoch + 1 : p.epoch,
        batchInEpoch: next >= batchesPerEpoch ? 0 : next,
      };
      if (p.step % args.evalEvery === 0) await validate();
      const tps = Math.round(sessionTokens / (trainMs / 1000));
      if (bar)
        bar.update(Math.min(1000, Math.round(fractionDone() * 1000)), {
          step: p.step,
          loss: p.trainLoss!.toFixed(3),
          val: p.valLoss?.toFixed(3) ?? "-",
          tps,
        });
      else if (p.step % args.evalEvery === 0)
        say.err(
          `step ${p.step}  loss ${p.trainLoss!.toFixed(3)}  val ${p.valLoss?.toFixed(3) ?? "-"}  ${tps} tok/s`,
        );
      if (p.step % args.sampleEvery === 0) log(`step ${p.step}:\n${sampler(p.step)}`);
      if (p.step % args.checkpointEvery === 0) save();
      await new Promise((r) => setImmediate(r)); // lets Ctrl-C through between steps
    }
    if (!interrupted && (p.valLoss === null || p.step % args.evalEvery !== 0)) await validate();
    save();
  } finally {
    bar?.update(Math.min(1000, Math.round(fractionDone() * 1000)));
    bars?.stop();
    process.off("SIGINT", onSigint);
  }
  const tps = Math.round(sessionTokens / Math.max(trainMs / 1000, 1e-9));
  say.err(
    `${interrupted ? "interrupted" : "done"} at step ${p.step} (epoch ${(p.epoch + p.batchInEpoch / batchesPerEpoch).toFixed(2)}): ` +
      `train loss ${p.trainLoss?.toFixed(3) ?? "-"}, validation loss ${p.valLoss?.toFixed(3) ?? "-"} nats/char${interrupted && p.valLoss !== null ? " (last measured)" : ""}, ${tps} tokens/s; checkpoint ${args.out}`,
  );
  if (!interrupted && args.poems > 0) {
    model.eval();
    for (let i = 0; i < args.poems; i++) say.out(`${sampler(training.seed * 100 + i)}\n`);
  }
  return { exitCode: interrupted ? 130 : 0, progress: p };
}

export function positive(name: string, text: string | undefined, fallback: number, integer = true): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v)))
    throw new UsageError(`--${name} must be a positive ${integer ? "integer" : "number"}, got '${text}'`);
  return v;
}
