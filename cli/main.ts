// The rnnkit command line: run, inspect and convert PyTorch recurrent models (train and sample
// come with the main job). It composes the library; exit 0 ok, 1 failure, 2 bad usage.

import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { Generator, setThreads, threadsReady } from "../src/index.js";
import { convert } from "./convert.js";
import { formatReport, inspect } from "./inspect.js";
import { loadCheckpoint } from "./poetry/checkpoint.js";
import { checkPrompt, layout, parseForm, samplePoem } from "./poetry/sample.js";
import { positive, train } from "./poetry/train.js";
import { run } from "./run.js";
import { UsageError } from "./usage.js";

const USAGE = `Usage: rnnkit <command> [options]

Commands:
  run MODEL --input X.npy --out DIR   PyTorch's forward of a saved nn.RNN / LSTM / GRU
  inspect MODEL [--json]              the architecture a .pt / .safetensors file holds, and its tensors
  convert IN OUT                      between .pt and .safetensors (format by extension)
  train [options]                     train a Tang-poetry model (about 3 minutes by default)
  sample CKPT [options]               write poems with a trained model

Options: --help (any command; or rnnkit help COMMAND), --version, --verbose (stack traces on errors)`;

const HELP: Record<string, string> = {
  run: `Usage: rnnkit run MODEL --input X.npy --out DIR [options]

MODEL is a .pt or .safetensors state dict of an nn.RNN, nn.LSTM or nn.GRU; the architecture is
inferred from its tensors' names and shapes. Writes DIR/output.npy, DIR/h_n.npy and, for an
LSTM, DIR/c_n.npy, in the weights' dtype (inputs of another dtype are converted).

  --input X.npy        (L, N, H_in), (N, L, H_in) with --batch-first, or (L, H_in) unbatched
  --h0 H0.npy          initial hidden state (D*num_layers, N, H_out), or (D*num_layers, H_out)
  --c0 C0.npy          initial cell state of an LSTM
  --lengths 5,3,2      the input is padded: pack it (enforce_sorted=False), pad the output back
  --batch-first        input and output are (N, L, ...), as batch_first=True
  --nonlinearity NAME  tanh (default) or relu, for an nn.RNN (a state dict does not record it)
  --prefix PREFIX      the module's key prefix when the file holds several (e.g. encoder.rnn.)
  --out DIR            where to write the results (created if missing)
  --threads N          threads for the kernels (default: every core; results do not depend on it)`,
  inspect: `Usage: rnnkit inspect MODEL [--json] [--prefix PREFIX]

Prints the architecture inferred from MODEL (.pt or .safetensors) and every tensor's name, shape
and dtype. --json prints { "architecture": {...} | null, "tensors": [{ "name", "shape", "dtype" }] }
with PyTorch's dtype names.`,
  convert: `Usage: rnnkit convert IN OUT

Converts a state dict between .pt and .safetensors (the format follows each extension). Keys,
their order, dtypes and bytes are kept; PyTorch's torch.load(OUT, weights_only=True) reads a .pt.`,
};

HELP.train = `Usage: rnnkit train [options]

Trains Embedding → LSTM/GRU → Linear on whole poems (each batch packed, never padded) with AdamW
and gradient clipping, showing step, loss, validation loss, tokens/s and ETA, printing a sample
poem every --sample-every steps, and writing a checkpoint folder (config.json, model.safetensors,
model.pt, optimizer.safetensors) every --checkpoint-every steps, at the end and on Ctrl-C (exit 130).

Data
  --corpus NAME|FILE   five (default: the 26.9k poems of the Complete Tang Poems written wholly in
                       five-character lines), quatrains (the 3.9k four-line ones among them), or a
                       UTF-8 file, one poem a line
  --min-count N        characters seen fewer times become <unk> (default 2)
Model
  --kind lstm|gru      (default lstm)   --layers N (1)   --hidden N (256)   --embedding N (128)
  --dropout P          between layers (default 0)
Training
  --batch N (64)   --lr X (0.003)   --weight-decay X (0.01)   --clip X (1.0)   --seed N (0)
  --minutes X          stop after X minutes (the default is 3 unless --steps or --epochs is given)
  --steps N            stop after N steps        --epochs X   stop after X passes over the data
  --out DIR            checkpoint folder (default runs/poetry)
  --resume DIR         continue a checkpoint exactly where it stopped (model, optimizer, data order)
  --eval-every N (50)  --sample-every N (50)  --checkpoint-every N (500)  --poems N (4, at the end)
  --save-initial FILE  also write the initial weights (.safetensors), e.g. for the PyTorch comparison
  --threads N          threads for the kernels (default: every core; results do not depend on it)`;

HELP.sample = `Usage: rnnkit sample CKPT [options]

Writes poems with the model in the checkpoint folder CKPT (written by rnnkit train).

  --prompt TEXT        the first characters (each must be in the model's vocabulary)
  --form 5x4|free      characters per line x lines, punctuation placed (default 5x4)
  --temperature X      (default 0.8)   --top-k N (default 20; 0 = all)   --greedy
  --count N            poems to write (default 4)   --seed N (default 0)`;

const OPTIONS: Record<string, ParseArgsConfig["options"]> = {
  run: {
    input: { type: "string" },
    h0: { type: "string" },
    c0: { type: "string" },
    lengths: { type: "string" },
    "batch-first": { type: "boolean" },
    nonlinearity: { type: "string" },
    prefix: { type: "string" },
    out: { type: "string" },
    threads: { type: "string" },
  },
  inspect: { json: { type: "boolean" }, prefix: { type: "string" } },
  convert: {},
  train: Object.fromEntries(
    [
      "corpus",
      "min-count",
      "kind",
      "layers",
      "hidden",
      "embedding",
      "dropout",
      "batch",
      "lr",
      "weight-decay",
      "clip",
      "seed",
      "minutes",
      "steps",
      "epochs",
      "out",
      "resume",
      "eval-every",
      "sample-every",
      "checkpoint-every",
      "poems",
      "save-initial",
      "threads",
    ].map((k) => [k, { type: "string" as const }]),
  ),
  sample: {
    prompt: { type: "string" },
    form: { type: "string" },
    temperature: { type: "string" },
    "top-k": { type: "string" },
    greedy: { type: "boolean" },
    count: { type: "string" },
    seed: { type: "string" },
  },
};

export interface Console {
  out(text: string): void;
  err(text: string): void;
}

const processConsole: Console = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

function nonNegative(name: string, text: string): number {
  const v = Number(text);
  if (!Number.isSafeInteger(v) || v < 0)
    throw new UsageError(`--${name} must be a non-negative integer, got '${text}'`);
  return v;
}

function version(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    const p = join(dir, "package.json");
    if (existsSync(p)) return (JSON.parse(readFileSync(p, "utf8")) as { version: string }).version;
  }
  return "unknown";
}

/** Sets the kernels' threads from --threads N (default: every core) and waits for the workers. */
async function useThreadsOption(text: string | undefined): Promise<void> {
  const cores = availableParallelism();
  const n = text === undefined ? cores : positive("threads", text, 1);
  if (n > cores)
    throw new UsageError(`--threads must be at most the ${cores} cores this machine has, got ${text}`);
  setThreads(n);
  await threadsReady();
}

/** What a checkpoint fixes: `train --resume` continues with its own, so these cannot be given with it. */
const FIXED_BY_CHECKPOINT = [
  "corpus",
  "min-count",
  "kind",
  "layers",
  "hidden",
  "embedding",
  "dropout",
  "batch",
  "lr",
  "weight-decay",
  "clip",
  "seed",
];

/** Runs one command line; returns the exit code. */
export async function main(argv: readonly string[], con: Console = processConsole): Promise<number> {
  const verbose = argv.includes("--verbose");
  const args = argv.filter((a) => a !== "--verbose");
  const command = args[0];
  try {
    if (command === "help" && args[1] !== undefined) {
      if (!Object.hasOwn(HELP, args[1]))
        throw new UsageError(`help: unknown command '${args[1]}'\n\n${USAGE}`);
      con.out(HELP[args[1]]!);
      return 0;
    }
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      con.out(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === "--version" || command === "-v") {
      con.out(version());
      return 0;
    }
    const options = OPTIONS[command];
    if (!options) throw new UsageError(`unknown command '${command}'\n\n${USAGE}`);
    const rest = args.slice(1);
    if (rest.includes("--help") || rest.includes("-h")) {
      con.out(HELP[command]!);
      return 0;
    }
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const v = parsed.values as Record<string, string | boolean | undefined>;
    const pos = parsed.positionals;
    const str = (name: string) => v[name] as string | undefined;
    switch (command) {
      case "run": {
        if (pos.length !== 1) throw new UsageError(`run takes one MODEL, got ${pos.length}\n\n${HELP.run}`);
        const input = str("input");
        const out = str("out");
        if (!input || !out) throw new UsageError(`run needs --input and --out\n\n${HELP.run}`);
        const nl = str("nonlinearity");
        if (nl !== undefined && nl !== "tanh" && nl !== "relu")
          throw new UsageError(`--nonlinearity must be tanh or relu, got '${nl}'`);
        await useThreadsOption(str("threads"));
        const written = await run(
          {
            model: pos[0]!,
            input,
            h0: str("h0"),
            c0: str("c0"),
            lengths: str("lengths"),
            batchFirst: v["batch-first"] === true,
            nonlinearity: nl,
            prefix: str("prefix"),
            out,
          },
          con.err,
        );
        con.err(`wrote ${written.join(", ")}`);
        return 0;
      }
      case "inspect": {
        if (pos.length !== 1)
          throw new UsageError(`inspect takes one MODEL, got ${pos.length}\n\n${HELP.inspect}`);
        const report = await inspect(pos[0]!, str("prefix"));
        con.out(
          v.json
            ? JSON.stringify(report.architecture ? { ...report, note: undefined } : report, null, 2)
            : formatReport(report),
        );
        return 0;
      }
      case "train": {
        if (pos.length !== 0)
          throw new UsageError(`train takes no positional arguments, got '${pos[0]}'\n\n${HELP.train}`);
        const resume = str("resume");
        const fixed = FIXED_BY_CHECKPOINT.filter((k) => str(k) !== undefined);
        if (resume !== undefined && fixed.length > 0)
          throw new UsageError(
            `--resume continues ${resume} with the settings it was trained with; ` +
              `${fixed.map((k) => `--${k}`).join(", ")} cannot be changed (leave ${fixed.length === 1 ? "it" : "them"} out, or start a new run)`,
          );
        const kind = str("kind") ?? "lstm";
        if (kind !== "lstm" && kind !== "gru")
          throw new UsageError(`--kind must be lstm or gru, got '${kind}'`);
        const dropout = str("dropout") === undefined ? 0 : Number(str("dropout"));
        if (!(dropout >= 0 && dropout < 1))
          throw new UsageError(`--dropout must be in [0, 1), got '${str("dropout")}'`);
        const steps = str("steps") === undefined ? null : positive("steps", str("steps"), 0);
        const epochs = str("epochs") === undefined ? null : positive("epochs", str("epochs"), 0, false);
        const minutes =
          str("minutes") !== undefined
            ? positive("minutes", str("minutes"), 0, false)
            : steps === null && epochs === null
              ? 3
              : null;
        await useThreadsOption(str("threads"));
        const result = await train(
          {
            corpus: str("corpus") ?? "five",
            model: {
              kind,
              embeddingDim: positive("embedding", str("embedding"), 128),
              hiddenSize: positive("hidden", str("hidden"), 256),
              numLayers: positive("layers", str("layers"), 1),
              dropout,
            },
            training: {
              minCount: positive("min-count", str("min-count"), 2),
              batchSize: positive("batch", str("batch"), 64),
              lr: positive("lr", str("lr"), 3e-3, false),
              weightDecay:
                str("weight-decay") === "0" ? 0 : positive("weight-decay", str("weight-decay"), 0.01, false),
              clip: positive("clip", str("clip"), 1, false),
              seed: str("seed") === undefined ? 0 : nonNegative("seed", str("seed")!),
            },
            minutes,
            steps,
            epochs,
            out: str("out") ?? join("runs", "poetry"),
            resume: resume ?? null,
            evalEvery: positive("eval-every", str("eval-every"), 50),
            sampleEvery: positive("sample-every", str("sample-every"), 50),
            checkpointEvery: positive("checkpoint-every", str("checkpoint-every"), 500),
            poems: str("poems") === "0" ? 0 : positive("poems", str("poems"), 4),
            saveInitial: str("save-initial") ?? null,
          },
          con,
        );
        return result.exitCode;
      }
      case "sample": {
        if (pos.length !== 1)
          throw new UsageError(`sample takes one CKPT folder, got ${pos.length}\n\n${HELP.sample}`);
        const ckpt = loadCheckpoint(pos[0]!, { optimizer: false });
        const prompt = checkPrompt(str("prompt") ?? "", ckpt.vocab, con.err);
        const formText = str("form") ?? "5x4";
        const form = formText === "free" ? null : parseForm(formText);
        const temperature = positive("temperature", str("temperature"), 0.8, false);
        const topK = str("top-k") === "0" ? 0 : positive("top-k", str("top-k"), 20);
        const count = positive("count", str("count"), 4);
        const g = new Generator(str("seed") === undefined ? 0 : nonNegative("seed", str("seed")!));
        ckpt.model.eval();
        const poems: string[] = [];
        for (let i = 0; i < count; i++)
          poems.push(
            layout(
              samplePoem(
                ckpt.model,
                ckpt.vocab,
                { prompt, temperature, topK, greedy: v.greedy === true, form, maxLength: 128 },
                g,
              ),
              form,
            ),
          );
        con.out(poems.join("\n\n"));
        return 0;
      }
      case "convert": {
        if (pos.length !== 2)
          throw new UsageError(`convert takes IN and OUT, got ${pos.length} argument(s)\n\n${HELP.convert}`);
        const n = await convert(pos[0]!, pos[1]!, con.err);
        con.err(`wrote ${n} tensors to ${pos[1]}`);
        return 0;
      }
    }
    return 2;
  } catch (e) {
    if (e instanceof UsageError) {
      con.err(`rnnkit: ${e.message}`);
      return 2;
    }
    const err = e as Error & { code?: string; path?: string };
    con.err(`rnnkit: ${err.code === "ENOENT" ? `no such file: ${err.path}` : err.message}`);
    if (verbose && err.stack) con.err(err.stack);
    return 1;
  }
}
