// The rnnkit command line: run, inspect and convert PyTorch recurrent models (train and sample
// come with the main job). It composes the library; exit 0 ok, 1 failure, 2 bad usage.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { convert } from "./convert.js";
import { formatReport, inspect } from "./inspect.js";
import { run } from "./run.js";
import { UsageError } from "./usage.js";

const USAGE = `Usage: rnnkit <command> [options]

Commands:
  run MODEL --input X.npy --out DIR   PyTorch's forward of a saved nn.RNN / LSTM / GRU
  inspect MODEL [--json]              the architecture a .pt / .safetensors file holds, and its tensors
  convert IN OUT                      between .pt and .safetensors (format by extension)

Options: --help (any command), --version, --verbose (stack traces on errors)`;

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
  --out DIR            where to write the results (created if missing)`,
  inspect: `Usage: rnnkit inspect MODEL [--json] [--prefix PREFIX]

Prints the architecture inferred from MODEL (.pt or .safetensors) and every tensor's name, shape
and dtype. --json prints { "architecture": {...} | null, "tensors": [{ "name", "shape", "dtype" }] }
with PyTorch's dtype names.`,
  convert: `Usage: rnnkit convert IN OUT

Converts a state dict between .pt and .safetensors (the format follows each extension). Keys,
their order, dtypes and bytes are kept; PyTorch's torch.load(OUT, weights_only=True) reads a .pt.`,
};

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
  },
  inspect: { json: { type: "boolean" }, prefix: { type: "string" } },
  convert: {},
};

export interface Console {
  out(text: string): void;
  err(text: string): void;
}

const processConsole: Console = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

function version(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    const p = join(dir, "package.json");
    if (existsSync(p)) return (JSON.parse(readFileSync(p, "utf8")) as { version: string }).version;
  }
  return "unknown";
}

/** Runs one command line; returns the exit code. */
export async function main(argv: readonly string[], con: Console = processConsole): Promise<number> {
  const verbose = argv.includes("--verbose");
  const args = argv.filter((a) => a !== "--verbose");
  const command = args[0];
  try {
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
      case "convert": {
        if (pos.length !== 2)
          throw new UsageError(`convert takes IN and OUT, got ${pos.length} argument(s)\n\n${HELP.convert}`);
        const n = await convert(pos[0]!, pos[1]!);
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
