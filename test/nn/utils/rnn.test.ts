// torch.nn.utils.rnn: every fixture case of group `packing` (scripts/fixtures/packing.py), the
// errors, and round trips. Packing only moves values, so floats must match bitwise (atol = rtol = 0).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ArgumentError } from "../../../src/errors.js";
import { permuteBatch } from "../../../src/nn/utils/packed_sequence.js";
import {
  type Lengths,
  PackedSequence,
  type PackPaddedSequenceOptions,
  type PackSequenceOptions,
  type PadPackedSequenceOptions,
  type PadSequenceOptions,
  packPaddedSequence,
  packSequence,
  padPackedSequence,
  padSequence,
  type UnpadSequenceOptions,
  unpackSequence,
  unpadSequence,
} from "../../../src/nn/utils/rnn.js";
import { Tensor, tensor, zeros } from "../../../src/tensor/index.js";
import { assertClose } from "../../helpers/assert.js";
import { type FixtureCase, loadFixtures } from "../../helpers/fixtures.js";

const EXACT = { atol: 0, rtol: 0 } as const;
const fixtures = loadFixtures("packing");
const casesOf = (fn: string): readonly FixtureCase[] => fixtures.cases.filter((c) => c.meta.fn === fn);

/** Tensors `${prefix}.0`, `${prefix}.1`, ... of a case, in index order. */
function listOf(fx: FixtureCase, prefix: string): Tensor[] {
  const out: Tensor[] = [];
  while (fx.has(`${prefix}.${out.length}`)) out.push(fx.t(`${prefix}.${out.length}`));
  return out;
}

function packedOf(fx: FixtureCase): PackedSequence {
  return new PackedSequence(
    fx.t("data"),
    fx.t("batch_sizes"),
    fx.has("sorted_indices") ? fx.t("sorted_indices") : null,
    fx.has("unsorted_indices") ? fx.t("unsorted_indices") : null,
  );
}

function assertPackedLike(actual: PackedSequence, fx: FixtureCase): void {
  assertClose(actual.data, fx.t("data"), `${fx.name} data`, EXACT);
  assertClose(actual.batchSizes, fx.t("batch_sizes"), `${fx.name} batchSizes`, EXACT);
  for (const [key, got] of [
    ["sorted_indices", actual.sortedIndices],
    ["unsorted_indices", actual.unsortedIndices],
  ] as const) {
    if (fx.has(key)) {
      assert.ok(got, `${fx.name}: ${key} missing`);
      assertClose(got, fx.t(key), `${fx.name} ${key}`, EXACT);
    } else assert.equal(got, null, `${fx.name}: ${key} should be null`);
  }
}

function assertListLike(actual: readonly Tensor[], expected: readonly Tensor[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: count`);
  for (const [i, e] of expected.entries()) assertClose(actual[i]!, e, `${what}[${i}]`, EXACT);
}

/** `x` (T, B, *) or (B, T, *) with every position at or past its sequence's length set to `value`. */
function maskedPadding(x: Tensor, lengths: Tensor, batchFirst: boolean, value: number): Tensor {
  const out = x.clone();
  const [T, B] = batchFirst ? [x.shape[1]!, x.shape[0]!] : [x.shape[0]!, x.shape[1]!];
  const F = x.numel() / (T * B);
  for (let b = 0; b < B; b++)
    for (let t = lengths.data[b]!; t < T; t++)
      out.data.fill(
        value,
        (batchFirst ? b * T + t : t * B + b) * F,
        (batchFirst ? b * T + t + 1 : t * B + b + 1) * F,
      );
  return out;
}

describe("packing fixtures", () => {
  test("were written by PyTorch 1.13 and cover every utility", () => {
    assert.match(fixtures.torch, /^1\.13\./);
    for (const fn of [
      "pack_padded_sequence",
      "pad_packed_sequence",
      "pack_sequence",
      "pad_sequence",
      "unpad_sequence",
      "unpack_sequence",
      "sort",
    ])
      assert.ok(casesOf(fn).length > 0, `no fixture case for ${fn}`);
  });
});

describe("packPaddedSequence matches PyTorch", () => {
  for (const fx of casesOf("pack_padded_sequence"))
    test(`packs ${fx.name} as PyTorch does`, () => {
      const packed = packPaddedSequence(
        fx.t("input"),
        fx.t("lengths"),
        fx.meta.args as PackPaddedSequenceOptions,
      );
      assertPackedLike(packed, fx);
    });

  test("gives the same packing for lengths as number[] as for an int32 tensor", () => {
    for (const fx of casesOf("pack_padded_sequence")) {
      const args = fx.meta.args as PackPaddedSequenceOptions;
      const packed = packPaddedSequence(fx.t("input"), [...fx.t("lengths").data], args);
      assertPackedLike(packed, fx);
    }
  });

  for (const fx of casesOf("sort"))
    test(`sorts ties as torch.sort(descending=True) does: ${fx.name}`, () => {
      const lengths = fx.t("lengths");
      const B = lengths.shape[0]!;
      const T = Math.max(...lengths.data);
      const packed = packPaddedSequence(zeros([B, T], { dtype: "int32" }), lengths, {
        batchFirst: true,
        enforceSorted: false,
      });
      assert.ok(packed.sortedIndices);
      assertClose(packed.sortedIndices, fx.t("sorted_indices"), `${fx.name} sortedIndices`, EXACT);
    });
});

describe("padPackedSequence matches PyTorch", () => {
  for (const fx of casesOf("pad_packed_sequence"))
    test(`pads ${fx.name} as PyTorch does, lengths in the original order`, () => {
      const [padded, lengths] = padPackedSequence(packedOf(fx), fx.meta.args as PadPackedSequenceOptions);
      assertClose(padded, fx.t("padded"), `${fx.name} padded`, EXACT);
      assertClose(lengths, fx.t("lengths"), `${fx.name} lengths`, EXACT);
    });
});

describe("packSequence matches PyTorch", () => {
  for (const fx of casesOf("pack_sequence"))
    test(`packs ${fx.name} as PyTorch does`, () => {
      assertPackedLike(packSequence(listOf(fx, "seq"), fx.meta.args as PackSequenceOptions), fx);
    });
});

describe("padSequence matches PyTorch", () => {
  for (const fx of casesOf("pad_sequence"))
    test(`pads ${fx.name} as PyTorch does`, () => {
      const padded = padSequence(listOf(fx, "seq"), fx.meta.args as PadSequenceOptions);
      assertClose(padded, fx.t("padded"), `${fx.name} padded`, EXACT);
    });
});

describe("unpadSequence matches PyTorch", () => {
  for (const fx of casesOf("unpad_sequence"))
    test(`unpads ${fx.name} as PyTorch does`, () => {
      const out = unpadSequence(fx.t("padded"), fx.t("lengths"), fx.meta.args as UnpadSequenceOptions);
      assertListLike(out, listOf(fx, "out"), fx.name);
    });

  test("leaves its input untouched (PyTorch 1.13 transposes it in place when batchFirst is false)", () => {
    const fx = casesOf("unpad_sequence").find((c) => !(c.meta.args as UnpadSequenceOptions).batchFirst);
    assert.ok(fx);
    const padded = fx.t("padded");
    const before = padded.clone();
    unpadSequence(padded, fx.t("lengths"));
    assertClose(padded, before, "padded after unpadSequence", EXACT);
  });
});

describe("unpackSequence matches PyTorch", () => {
  for (const fx of casesOf("unpack_sequence"))
    test(`unpacks ${fx.name} as PyTorch does, in the original order`, () => {
      assertListLike(unpackSequence(packedOf(fx)), listOf(fx, "out"), fx.name);
    });
});

describe("round trips", () => {
  test("padPackedSequence after packPaddedSequence gives back the input where lengths allow", () => {
    for (const fx of casesOf("pack_padded_sequence")) {
      const args = fx.meta.args as PackPaddedSequenceOptions;
      const batchFirst = args.batchFirst ?? false;
      const input = fx.t("input");
      const T = input.shape[batchFirst ? 1 : 0]!;
      const packed = packPaddedSequence(input, fx.t("lengths"), args);
      const [padded] = padPackedSequence(packed, { batchFirst, paddingValue: -7.5, totalLength: T });
      assertClose(padded, maskedPadding(input, fx.t("lengths"), batchFirst, -7.5), fx.name, EXACT);
    }
  });

  test("padPackedSequence returns the lengths packPaddedSequence was given, in their order", () => {
    for (const fx of casesOf("pack_padded_sequence")) {
      const packed = packPaddedSequence(
        fx.t("input"),
        fx.t("lengths"),
        fx.meta.args as PackPaddedSequenceOptions,
      );
      assertClose(padPackedSequence(packed)[1], fx.t("lengths"), fx.name, EXACT);
    }
  });

  test("unsortedIndices is the inverse permutation of sortedIndices", () => {
    let checked = 0;
    for (const fx of [...casesOf("pack_padded_sequence"), ...casesOf("pack_sequence")]) {
      const packed =
        fx.meta.fn === "pack_sequence"
          ? packSequence(listOf(fx, "seq"), fx.meta.args as PackSequenceOptions)
          : packPaddedSequence(fx.t("input"), fx.t("lengths"), fx.meta.args as PackPaddedSequenceOptions);
      if (!packed.sortedIndices || !packed.unsortedIndices) continue;
      const sorted = packed.sortedIndices.data;
      const unsorted = packed.unsortedIndices.data;
      for (let i = 0; i < sorted.length; i++) assert.equal(unsorted[sorted[i]!], i, `${fx.name}[${i}]`);
      checked++;
    }
    assert.ok(checked > 5);
  });

  test("unpackSequence after packSequence gives back the sequences, sorted or not", () => {
    for (const fx of casesOf("pack_sequence")) {
      const seqs = listOf(fx, "seq");
      assertListLike(unpackSequence(packSequence(seqs, { enforceSorted: false })), seqs, fx.name);
    }
  });

  test("unpadSequence after padSequence gives back the sequences", () => {
    for (const fx of casesOf("pad_sequence")) {
      const seqs = listOf(fx, "seq");
      const args = fx.meta.args as PadSequenceOptions;
      const lengths = seqs.map((s) => s.shape[0]!);
      assertListLike(unpadSequence(padSequence(seqs, args), lengths, args), seqs, fx.name);
    }
  });

  test("packSequence equals packPaddedSequence of padSequence, as PyTorch defines it", () => {
    for (const fx of casesOf("pack_sequence")) {
      const seqs = listOf(fx, "seq");
      const args = fx.meta.args as PackSequenceOptions;
      const viaPad = packPaddedSequence(
        padSequence(seqs),
        seqs.map((s) => s.shape[0]!),
        args,
      );
      assertPackedLike(viaPad, fx);
    }
  });
});

describe("permuteBatch", () => {
  const hx = tensor([
    [
      [1, 2],
      [3, 4],
      [5, 6],
    ],
  ]); // (numLayers·dirs = 1, B = 3, H = 2)

  test("returns hx itself when indices is null", () => {
    assert.equal(permuteBatch(hx, null), hx);
  });

  test("reorders dimension 1 by the indices", () => {
    const out = permuteBatch(hx, tensor([2, 0, 1], { dtype: "int32" }));
    assert.deepEqual(out.toArray(), [
      [
        [5, 6],
        [1, 2],
        [3, 4],
      ],
    ]);
  });

  test("reorders the given dimension", () => {
    const out = permuteBatch(
      tensor([
        [1, 2],
        [3, 4],
      ]),
      tensor([1, 0], { dtype: "int32" }),
      0,
    );
    assert.deepEqual(out.toArray(), [
      [3, 4],
      [1, 2],
    ]);
  });

  test("with sortedIndices then unsortedIndices gives back hx", () => {
    const fx = casesOf("pack_padded_sequence").find(
      (c) => c.has("sorted_indices") && c.t("lengths").numel() === 6,
    );
    assert.ok(fx);
    const B = fx.t("lengths").numel();
    const h = new Tensor(
      Float64Array.from({ length: 2 * B * 3 }, (_, i) => i),
      [2, B, 3],
    );
    const back = permuteBatch(permuteBatch(h, fx.t("sorted_indices")), fx.t("unsorted_indices"));
    assertClose(back, h, "hx", EXACT);
  });

  test("rejects indices that are not an int32 tensor", () => {
    assert.throws(
      () => permuteBatch(hx, tensor([0, 1, 2])),
      /permuteBatch: indices must be a 1-D int32 tensor/,
    );
  });
});

describe("errors", () => {
  const x = zeros([4, 3, 2]); // (T = 4, B = 3, 2)
  const seq = (n: number, ...trailing: number[]) => zeros([n, ...trailing]);

  test("packPaddedSequence rejects unsorted lengths when enforceSorted, naming the option to pass", () => {
    assert.throws(
      () => packPaddedSequence(x, [2, 3, 1]),
      /packPaddedSequence: lengths\[1\] must be sorted in decreasing order when enforceSorted is true\. You can pass enforceSorted: false.*Expected <= 2, got 3/,
    );
  });

  test("packPaddedSequence rejects a zero length", () => {
    assert.throws(
      () => packPaddedSequence(x, [3, 2, 0]),
      /packPaddedSequence: lengths\[2\] must be greater than 0 \(Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0\)\. Expected > 0, got 0/,
    );
  });

  test("packPaddedSequence rejects a negative length even when it sorts the batch", () => {
    assert.throws(
      () => packPaddedSequence(x, [3, -1, 2], { enforceSorted: false }),
      /packPaddedSequence: lengths\[1\] must be greater than 0.*got -1/,
    );
  });

  test("packPaddedSequence rejects a count of lengths other than the batch size", () => {
    assert.throws(
      () => packPaddedSequence(x, [3, 2], { enforceSorted: false }),
      /packPaddedSequence: lengths\.length must be equal to the batch size \(input\.shape\[1\]\)\. Expected 3, got 2/,
    );
  });

  test("packPaddedSequence counts the batch in dimension 0 when batchFirst", () => {
    assert.throws(
      () => packPaddedSequence(x, [2, 2, 2], { batchFirst: true }),
      /packPaddedSequence: lengths\.length must be equal to the batch size \(input\.shape\[0\]\)\. Expected 4, got 3/,
    );
  });

  test("packPaddedSequence rejects a length longer than the time dimension", () => {
    assert.throws(
      () => packPaddedSequence(x, [5, 2, 1]),
      /packPaddedSequence: lengths\[0\] must not exceed the time dimension \(4\)\. Expected <= 4, got 5/,
    );
  });

  test("packPaddedSequence rejects input of fewer than 2 dimensions", () => {
    assert.throws(
      () => packPaddedSequence(zeros([4]), [4]),
      /packPaddedSequence: input\.dim\(\) must be at least 2: \(T, B, \*\)\. Expected >= 2, got 1/,
    );
  });

  test("packPaddedSequence rejects an empty input", () => {
    assert.throws(
      () => packPaddedSequence(zeros([3, 0, 2]), []),
      /packPaddedSequence: input cannot be empty \(Cannot pack empty tensors\)/,
    );
  });

  test("packPaddedSequence rejects non-integer lengths", () => {
    assert.throws(
      () => packPaddedSequence(x, [3, 2.5, 1]),
      /packPaddedSequence: lengths\[1\] must be an integer.*got 2\.5/,
    );
  });

  test("packPaddedSequence rejects a lengths tensor that is not int32", () => {
    assert.throws(
      () => packPaddedSequence(x, tensor([3, 2, 1]) as Lengths),
      /packPaddedSequence: lengths must be a number\[\] or a 1-D int32 tensor\. Expected int32 \[B\], got '?float32 \[3\]'?/,
    );
  });

  test("padPackedSequence rejects a totalLength shorter than the longest sequence", () => {
    const packed = packPaddedSequence(x, [3, 2, 1]);
    assert.throws(
      () => padPackedSequence(packed, { totalLength: 2 }),
      /padPackedSequence: totalLength must be at least the length of the longest sequence in input, but got totalLength=2 and max sequence length being 3\. Expected >= 3, got 2/,
    );
  });

  test("padPackedSequence rejects a totalLength that is not an integer", () => {
    const packed = packPaddedSequence(x, [3, 2, 1]);
    assert.throws(
      () => padPackedSequence(packed, { totalLength: 3.5 }),
      /padPackedSequence: totalLength must be an integer/,
    );
  });

  test("padPackedSequence rejects an empty packed sequence", () => {
    const empty = new PackedSequence(zeros([0, 2]), new Tensor(new Int32Array(0), [0]));
    assert.throws(
      () => padPackedSequence(empty),
      /padPackedSequence: sequence\.batchSizes must not be empty/,
    );
  });

  test("padSequence rejects an empty list", () => {
    assert.throws(
      () => padSequence([]),
      /padSequence: sequences must be a non-empty list \(received an empty list of sequences\)/,
    );
  });

  test("packSequence rejects an empty list", () => {
    assert.throws(() => packSequence([]), /packSequence: sequences must be a non-empty list/);
  });

  test("padSequence rejects sequences whose trailing shapes differ", () => {
    assert.throws(
      () => padSequence([seq(2, 3), seq(1, 4)]),
      /padSequence: sequences\[1\]\.shape must match sequences\[0\]\.shape after the first \(time\) dimension\. Expected \['L', 3\], got \[1, 4\]/,
    );
  });

  test("packSequence rejects sequences whose number of dimensions differs", () => {
    assert.throws(
      () => packSequence([seq(2, 3), seq(1)]),
      /packSequence: sequences\[1\]\.shape must match sequences\[0\]\.shape/,
    );
  });

  test("padSequence rejects sequences of different dtypes", () => {
    assert.throws(
      () => padSequence([seq(2, 3), zeros([1, 3], { dtype: "float64" })]),
      /padSequence: sequences\[1\]\.dtype must match sequences\[0\]\.dtype\. Expected float32, got '?float64'?/,
    );
  });

  test("padSequence rejects a 0-D sequence", () => {
    assert.throws(() => padSequence([tensor(1)]), /padSequence: sequences\[0\]\.dim\(\) must be at least 1/);
  });

  test("packSequence rejects sequences with an empty trailing shape", () => {
    assert.throws(
      () => packSequence([seq(2, 0), seq(1, 0)]),
      /packSequence: sequences\[0\]\.shape cannot hold an empty trailing shape \(Cannot pack empty tensors\)/,
    );
  });

  test("packSequence rejects a zero-length sequence", () => {
    assert.throws(
      () => packSequence([seq(2, 3), seq(0, 3)]),
      /packSequence: sequences\[1\]\.shape\[0\] must be greater than 0 \(Length of all samples has to be greater than 0/,
    );
  });

  test("packSequence rejects sequences not sorted by decreasing length when enforceSorted", () => {
    assert.throws(
      () => packSequence([seq(1, 3), seq(2, 3)]),
      /packSequence: sequences\[1\]\.shape\[0\] must be sorted in decreasing order when enforceSorted is true/,
    );
  });

  test("unpadSequence rejects a count of lengths other than the batch size", () => {
    assert.throws(
      () => unpadSequence(x, [1, 2]),
      /unpadSequence: lengths\.length must be equal to the batch size \(padded\.shape\[1\]\)\. Expected 3, got 2/,
    );
  });

  test("unpadSequence rejects a length longer than the time dimension", () => {
    assert.throws(
      () => unpadSequence(x, [1, 5, 2]),
      /unpadSequence: lengths\[1\] must be between 0 and the time dimension \(padded\.shape\[0\]\)\. Expected 0\.\.4, got 5/,
    );
  });

  test("unpadSequence rejects padded input of fewer than 2 dimensions", () => {
    assert.throws(() => unpadSequence(zeros([4]), [4]), /unpadSequence: padded\.dim\(\) must be at least 2/);
  });

  test("errors are ArgumentErrors carrying the argument, expected and actual values", () => {
    assert.throws(
      () => packPaddedSequence(x, [3, 2]),
      (e: unknown) =>
        e instanceof ArgumentError && e.argument === "lengths.length" && e.expected === 3 && e.actual === 2,
    );
  });
});
