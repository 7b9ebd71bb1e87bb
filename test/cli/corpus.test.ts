// The corpus asset rnnkit train ships (assets/, made by scripts/make-corpus.ts): it loads without
// chinese-poetry, and wherever that package is installed it is exactly what a rebuild gives.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, test } from "node:test";
import { assetPath, decodeCorpus, loadTang } from "../../cli/poetry/corpus.js";
import { splitPoems } from "../../cli/poetry/data.js";
import { Vocab } from "../../cli/poetry/vocab.js";
import { chinesePoetryDir, encodeCorpus, simplifiedMap, tangPoems } from "../../scripts/make-corpus.js";

describe("the shipped corpus", () => {
  test("holds the 26,932 five-character Tang poems, 3,897 of them quatrains", () => {
    const five = loadTang("five");
    const quatrains = loadTang("quatrains");
    assert.equal(five.length, 26932);
    assert.equal(quatrains.length, 3897);
    assert.equal(
      five[0],
      "秦川雄帝宅，函谷壯皇居。綺殿千尋起，離宮百雉餘。連甍遙接漢，飛觀迥凌虛。雲日隱層闕，風煙出綺疎。",
    );
    // The vocabularies of rnnkit train's defaults (its training split, --min-count 2). The split is
    // drawn from PyTorch's generator since manualSeed follows torch's stream (6325 / 2844 before).
    assert.equal(Vocab.build(splitPoems(five, "five").train, 2).size, 6341);
    assert.equal(Vocab.build(splitPoems(quatrains, "quatrains").train, 2).size, 2834);
  });

  test("a damaged asset is refused, not read as poems", () => {
    const bytes = readFileSync(assetPath("tang-five.bin.gz"));
    const message = /^Error: rnnkit's corpus asset is damaged \(reinstall rnnkit\)$/;
    assert.throws(() => decodeCorpus(bytes.subarray(0, bytes.length - 100)), message);
    assert.throws(() => decodeCorpus(new Uint8Array([1, 2, 3])), message);
  });
});

const pkg = chinesePoetryDir();
let opencc = false;
try {
  createRequire(import.meta.url).resolve("opencc-js");
  opencc = true;
} catch {}

describe("the shipped corpus is what scripts/make-corpus.ts makes from chinese-poetry", () => {
  const skip = pkg === null ? "chinese-poetry is not installed" : false;

  test("the same poems in the same order, for five and quatrains", { skip }, () => {
    assert.deepEqual(loadTang("five"), tangPoems(pkg!, "five"));
    assert.deepEqual(loadTang("quatrains"), tangPoems(pkg!, "quatrains"));
  });

  test("the same bytes (rerun npm run corpus if this fails after an update)", { skip }, () => {
    const rebuilt = encodeCorpus(tangPoems(pkg!, "five"));
    assert.deepEqual(readFileSync(assetPath("tang-five.bin.gz")), Buffer.from(rebuilt));
    assert.equal(
      readFileSync(assetPath("chinese-poetry.LICENSE"), "utf8"),
      readFileSync(join(pkg!, "LICENSE"), "utf8"),
    );
  });

  test("the same simplified → traditional map", {
    skip: skip || (!opencc && "opencc-js is not installed"),
  }, async () => {
    const map = await simplifiedMap(tangPoems(pkg!, "five"));
    assert.deepEqual(JSON.parse(readFileSync(assetPath("simplified.json"), "utf8")), map);
    assert.equal(map["风"], "風");
    assert.equal(map["静"], "靜");
  });
});
