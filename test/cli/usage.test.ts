// Small things a user of the command line hits first (issue 11, item 16): help for one command,
// sample before any training, a prompt typed in simplified characters.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { main } from "../../cli/main.js";
import { checkPrompt } from "../../cli/poetry/sample.js";
import { SPECIALS, Vocab } from "../../cli/poetry/vocab.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CKPT = join(ROOT, "test", "fixtures", "poetry", "ckpt");
const tmp = mkdtempSync(join(tmpdir(), "rnnkit-usage-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("rnnkit help COMMAND", () => {
  for (const command of ["run", "inspect", "convert", "train", "sample"])
    test(`help ${command} prints what ${command} --help prints`, async () => {
      const help = await cli(["help", command]);
      assert.equal(help.code, 0);
      assert.match(help.out, new RegExp(`^Usage: rnnkit ${command} `));
      assert.equal(help.out, (await cli([command, "--help"])).out);
    });

  test("help with an unknown command is bad usage", async () => {
    const r = await cli(["help", "toString"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /^rnnkit: help: unknown command 'toString'/);
  });

  test("help alone prints the general usage", async () => {
    const r = await cli(["help"]);
    assert.equal(r.code, 0);
    assert.match(r.out, /^Usage: rnnkit <command> \[options\]/);
  });
});

describe("rnnkit sample before any training", () => {
  test("a folder that does not exist says to run rnnkit train first", async () => {
    const r = await cli(["sample", join(tmp, "runs", "poetry")]);
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      `rnnkit: no checkpoint at ${join(tmp, "runs", "poetry")} yet: train one first with rnnkit train (it writes runs/poetry, or --out DIR)`,
    );
  });

  test("a folder without config.json says what writes one", async () => {
    const r = await cli(["sample", tmp]);
    assert.equal(r.code, 1);
    assert.match(r.err, /holds no poetry checkpoint \(no config\.json\); rnnkit train writes one/);
  });
});

describe("a prompt in simplified characters", () => {
  const vocab = new Vocab([...SPECIALS, "，", "。", "風", "靜", "発", "發", "髮"]);

  test("is read as the traditional characters the model knows", () => {
    const notes: string[] = [];
    assert.equal(
      checkPrompt("风静", vocab, (t) => notes.push(t)),
      "風靜",
    );
    assert.deepEqual(notes, ["--prompt: 风静 read as 風靜, the model's characters"]);
  });

  test("picks the most frequent traditional form when several are known (发: 發 before 髮)", () => {
    assert.equal(checkPrompt("发", vocab), "發");
    assert.equal(checkPrompt("发", new Vocab([...SPECIALS, "髮", "發"])), "髮");
  });

  test("a traditional prompt for a model trained on simplified text becomes simplified", () => {
    assert.equal(checkPrompt("風", new Vocab([...SPECIALS, "风"])), "风");
  });

  test("a prompt the model knows is kept, without a note", () => {
    const notes: string[] = [];
    assert.equal(
      checkPrompt("風靜", vocab, (t) => notes.push(t)),
      "風靜",
    );
    assert.deepEqual(notes, []);
  });

  test("rnnkit sample --prompt 九龙 writes the poem of 九龍", async () => {
    const parity = JSON.parse(readFileSync(join(CKPT, "..", "parity.json"), "utf8")) as {
      poems: Record<string, string>;
    };
    const r = await cli(["sample", CKPT, "--greedy", "--count", "1", "--prompt", "九龙"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, parity.poems["九龍"]!.replace(/。(?!$)/g, "。\n"));
    assert.equal(r.err, "--prompt: 九龙 read as 九龍, the model's characters");
  });
});
