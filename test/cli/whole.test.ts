// Whole-model checkpoints (torch.save(model)), read as inert records: PyTorch wrote the files in
// test/fixtures/whole (scripts/fixtures/whole_models.py) with model.state_dict() and the outputs of
// each recurrent submodule. inspect shows the module tree, run takes the recorded options, convert
// writes the state dict, and hostile variants are refused with nothing run.

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { main } from "../../cli/main.js";
import { io, type Tensor } from "../../src/index.js";
import { assertClose } from "../helpers/assert.js";
import { bytesOf, torchZip } from "../io/pickles.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const FIX = join(ROOT, "test", "fixtures", "whole");
const tmp = mkdtempSync(join(tmpdir(), "rnnkit-whole-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const bytes = (name: string) => new Uint8Array(readFileSync(join(FIX, name)));
const npy = (path: string): Tensor => io.toTensor(io.loadNpy(new Uint8Array(readFileSync(path))));

interface Expected {
  keys: string[];
  root: string;
  key?: string;
  runs: { prefix: string; input: string; expected: Record<string, string>; batch_first: boolean }[];
}
const EXPECTED = JSON.parse(readFileSync(join(FIX, "expected.json"), "utf8")) as Record<string, Expected>;

for (const [file, e] of Object.entries(EXPECTED))
  describe(`${file} (${e.root}${e.key ? ` in a checkpoint under '${e.key}'` : ""})`, () => {
    const path = join(FIX, file);
    const state = io.loadSafetensors(bytes(`state_${file.replace(/\.pt$/, "")}.safetensors`)).tensors;

    test("is refused by default, naming the class and how to save a state dict", () =>
      assert.throws(
        () => io.loadTorch(bytes(file), { name: file }),
        new RegExp(
          `global '${e.root.replaceAll(".", "\\.")}' is not allowed: .*torch\\.save\\(model\\.state_dict\\(\\), path\\)`,
        ),
      ));

    test("its records give model.state_dict(): PyTorch's keys, order and bytes", () => {
      const value = io.loadTorch(bytes(file), { name: file, objects: "records" });
      const models = io.findModels(value);
      assert.deepEqual(
        models.map((m) => m.key),
        [e.key ?? null],
      );
      const root = models[0]!.root;
      assert.equal(root.className, e.root);
      const sd = io.moduleStateDict(root);
      assert.deepEqual([...sd.keys()], e.keys);
      for (const [k, t] of sd) assert.ok(Buffer.from(t.bytes).equals(Buffer.from(state.get(k)!.bytes)), k);
      // toModule: rnnkit modules with the same state dict, in PyTorch's order.
      const m = io.toModule(root);
      assert.deepEqual(Object.keys(m.stateDict()), e.keys);
    });

    test("inspect shows the module tree and which modules run takes", async () => {
      const r = await cli(["inspect", path, "--json"]);
      assert.equal(r.code, 0, r.err);
      const report = JSON.parse(r.out) as {
        modules: {
          path: string;
          className: string;
          runnable: boolean;
          options: Record<string, unknown> | null;
        }[];
      };
      assert.equal(report.modules[0]!.className, e.root);
      assert.deepEqual(
        report.modules.filter((m) => m.runnable).map((m) => `${m.path}.`),
        e.runs.map((run) => run.prefix),
      );
      const text = await cli(["inspect", path]);
      for (const run of e.runs) assert.ok(text.out.includes(`[rnnkit run --prefix ${run.prefix}]`), text.out);
    });

    for (const run of e.runs)
      test(`run --prefix ${run.prefix} uses the recorded options and gives PyTorch's numbers`, async () => {
        const out = join(tmp, `${file}-${run.prefix}`);
        const r = await cli([
          "run",
          path,
          "--prefix",
          run.prefix,
          "--input",
          join(FIX, run.input),
          "--out",
          out,
        ]);
        assert.equal(r.code, 0, r.err);
        assert.match(
          r.err,
          new RegExp(
            `running '${run.prefix.slice(0, -1)}'.*saved with batch_first=${run.batch_first ? "True" : "False"}`,
          ),
        );
        for (const [k, f] of Object.entries(run.expected))
          assertClose(npy(join(out, `${k}.npy`)), npy(join(FIX, f)), `${file} ${run.prefix} ${k}`);
      });

    test("convert writes the whole model's state dict (.safetensors and .pt)", async () => {
      for (const ext of ["safetensors", "pt"]) {
        const out = join(tmp, `${file}.${ext}`);
        const r = await cli(["convert", path, out]);
        assert.equal(r.code, 0, r.err);
        assert.match(r.err, /is a whole model .*converting its state_dict\(\)/);
        const got =
          ext === "pt"
            ? io.pickStateDict(io.loadTorch(new Uint8Array(readFileSync(out))))
            : io.loadSafetensors(new Uint8Array(readFileSync(out))).tensors;
        assert.deepEqual([...got.keys()].sort(), [...e.keys].sort());
        if (ext === "pt") assert.deepEqual([...got.keys()], e.keys);
        for (const [k, t] of got) assert.ok(Buffer.from(t.bytes).equals(Buffer.from(state.get(k)!.bytes)), k);
      }
    });
  });

describe("a whole model's records decide; contradicting flags are errors", () => {
  const seq2seq = join(FIX, "seq2seq.pt");
  const input = join(FIX, "seq2seq_encoder_rnn_input.npy");
  const cases: [string, string[], RegExp][] = [
    [
      "no prefix with two recurrent modules",
      [],
      /--prefix must name the recurrent module to run in .*seq2seq.pt \(a whole model, models.seq2seq.Seq2Seq\): choose one with prefix 'encoder.rnn.' or 'decoder.rnn.'/,
    ],
    [
      "a prefix naming a Linear",
      ["--prefix", "decoder.out."],
      /--prefix names module 'decoder.out', a torch.nn.modules.linear.Linear, which is not an nn.RNN, nn.LSTM or nn.GRU/,
    ],
    [
      "a prefix naming nothing",
      ["--prefix", "nope."],
      /--prefix names no module of .*seq2seq.pt .*got 'nope.'/,
    ],
    [
      "--batch-first against batch_first=False",
      ["--prefix", "encoder.rnn.", "--batch-first"],
      /--batch-first contradicts module 'encoder.rnn' .*saved with batch_first=False/,
    ],
    [
      "--nonlinearity tanh against relu",
      ["--prefix", "decoder.rnn.", "--nonlinearity", "tanh"],
      /--nonlinearity contradicts module 'decoder.rnn' .*saved with nonlinearity='relu'. Expected relu, got 'tanh'/,
    ],
  ];
  for (const [name, flags, message] of cases)
    test(name, async () => {
      const out = join(tmp, `bad-${name.replaceAll(/\W+/g, "-")}`);
      const r = await cli(["run", seq2seq, ...flags, "--input", input, "--out", out]);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, message);
      assert.equal(existsSync(out), false);
    });

  test("the recorded nonlinearity is said, and a matching flag is fine", async () => {
    const r = await cli([
      "run",
      seq2seq,
      "--prefix",
      "decoder.rnn.",
      "--nonlinearity",
      "relu",
      "--input",
      input,
      "--out",
      join(tmp, "relu"),
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /an nn.RNN saved with batch_first=False, nonlinearity='relu'/);
  });
});

describe("hostile whole models are refused, with nothing run", () => {
  const MARKER = "/tmp/rnnkit-whole-model-ran";

  test("a REDUCE of posix.system inside a module's state", async () => {
    const r = await cli(["inspect", join(FIX, "system.pt")]);
    assert.equal(r.code, 1);
    assert.match(r.err, /REDUCE at byte \d+: global 'posix.system' is not allowed/);
    assert.equal(existsSync(MARKER), false);
  });

  test("a module that holds itself in _modules", async () => {
    const r = await cli(["inspect", join(FIX, "cycle.pt")]);
    assert.equal(r.code, 1);
    assert.match(r.err, /the data refers to itself at .*\['_modules'\]\['again'\] \(a cycle\)/);
  });

  test("an object whose state is not a dict is no module", async () => {
    // __main__.Net(), then BUILD with the int 5 as its state.
    const pt = join(tmp, "int-state.pt");
    writeFileSync(pt, torchZip(bytesOf(0x80, 0x02, "c__main__\nNet\n)", 0x81, "K", 5, "b.")));
    const value = io.loadTorch(new Uint8Array(readFileSync(pt)), { objects: "records" });
    assert.ok(value instanceof io.TorchObject);
    assert.deepEqual(io.findModels(value), []);
    const r = await cli(["inspect", pt]);
    assert.equal(r.code, 1);
    assert.match(r.err, /the file holds no state dict/);
  });

  test("a torch.nn.LSTM record with a bigint hidden_size is refused when built, and inspect still prints", async () => {
    const value = io.loadTorch(bytes("word_lm.pt"), { objects: "records" });
    const root = io.findModels(value)[0]!.root;
    const rnn = root.children.find((c) => c.path === "rnn")!;
    const bad = { ...rnn, options: { ...rnn.options, hidden_size: 2n ** 70n } };
    assert.throws(() => io.toModule(bad), /rnn.hidden_size of torch.nn.modules.rnn.LSTM must be an int/);
  });
});
