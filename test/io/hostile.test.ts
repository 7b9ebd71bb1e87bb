// Small files built to exhaust: a pickle whose dict key is a tuple tree shared through the memo
// (2^24 leaves in 577 bytes), an .npy claiming a billion time steps of an empty batch, a zip whose
// end record miscounts its entries, and data of the wrong kind for tensor(). Each gives a short
// FormatError / ArgumentError or a correct empty result, with work bounded by the bytes present.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ArgumentError } from "../../src/errors.js";
import { io, nn, tensor, zeros } from "../../src/index.js";
import { FormatError, MAX_DETAIL } from "../../src/io/errors.js";
import { fixtureBytes } from "./helpers.js";
import { bytesOf, emptyNpy, sharedMemoPickle, torchZip } from "./pickles.js";

describe("a dict key of tuples shared through the memo", () => {
  for (const depth of [24, 40])
    test(`depth ${depth} (${sharedMemoPickle(depth).length} bytes): a short FormatError, at once`, () => {
      const bytes = sharedMemoPickle(depth);
      const value = io.loadTorch(bytes, { name: "shared.pt" });
      assert.throws(
        () => io.pickStateDict(value, { name: "shared.pt" }),
        (e: unknown) => {
          assert.ok(e instanceof FormatError);
          assert.equal(
            e.message,
            "torch (shared.pt): no state dict in the checkpoint (top-level keys: a tuple)",
          );
          return true;
        },
      );
    });

  test("every FormatError message is one line of bounded length", () => {
    const e = new FormatError("torch", "x.pt", `${"a".repeat(10_000)}\nsecond line`);
    assert.ok(e.message.length < MAX_DETAIL + 100, `${e.message.length} characters`);
    assert.equal(e.message.includes("\n"), false);
    assert.match(e.message, /\.\.\. \(10012 characters\)$/);
  });
});

describe("sizes are checked against the data before anything is allocated", () => {
  test("an .npy of shape (1e9, 0, 4) runs an LSTM to empty outputs, without a billion steps", () => {
    const x = io.toTensor(io.loadNpy(emptyNpy([1e9, 0, 4]), { name: "huge.npy" }));
    assert.deepEqual(x.shape, [1e9, 0, 4]);
    const m = new nn.LSTM({ inputSize: 4, hiddenSize: 8, numLayers: 2, bidirectional: true });
    const [out, [h, c]] = m.forward(x);
    assert.deepEqual(
      [out.shape, h.shape, c.shape],
      [
        [1e9, 0, 16],
        [4, 0, 8],
        [4, 0, 8],
      ],
    );
  });

  test("an empty batch gives PyTorch's empty shapes, batch-first too, and keeps an empty h0", () => {
    const g = new nn.GRU({ inputSize: 4, hiddenSize: 8, batchFirst: true });
    const [out, h] = g.forward(zeros([0, 5, 4]), zeros([1, 0, 8]));
    assert.deepEqual(
      [out.shape, h.shape],
      [
        [0, 5, 8],
        [1, 0, 8],
      ],
    );
    assert.deepEqual(new nn.RNNCell({ inputSize: 4, hiddenSize: 3 }).forward(zeros([0, 4])).shape, [0, 3]);
  });

  test("a sequence of length 0 is refused as PyTorch refuses it (batched, unbatched, batch-first)", () => {
    const message =
      /input's sequence length must be larger than 0 \(PyTorch: "Expected sequence length to be larger than 0 in RNN"\)/;
    const lstm = new nn.LSTM({ inputSize: 4, hiddenSize: 8 });
    assert.throws(() => lstm.forward(zeros([0, 3, 4])), message);
    assert.throws(() => lstm.forward(zeros([0, 4]), [zeros([1, 8]), zeros([1, 8])]), message);
    const bf = new nn.RNN({ inputSize: 4, hiddenSize: 8, batchFirst: true });
    assert.throws(() => bf.forward(zeros([3, 0, 4])), message);
  });
});

describe("a zip whose end record miscounts its entries", () => {
  const npz = fixtureBytes("arrays.npz");
  const eocd = (() => {
    for (let i = npz.length - 22; i >= 0; i--)
      if (npz[i] === 0x50 && npz[i + 1] === 0x4b && npz[i + 2] === 0x05 && npz[i + 3] === 0x06) return i;
    throw new Error("no end record");
  })();
  const withCount = (delta: number) => {
    const b = npz.slice();
    const view = new DataView(b.buffer);
    for (const at of [eocd + 8, eocd + 10]) view.setUint16(at, view.getUint16(at, true) + delta, true);
    return b;
  };

  test("the fixture reads", () => assert.ok(io.loadNpz(npz).size > 1));

  test("one entry too few is refused, not a silently smaller archive", () =>
    assert.throws(
      () => io.loadNpz(withCount(-1), { name: "short.npz" }),
      /npz|zip.*short.npz.*holds more than the \d+ entries its end record counts/,
    ));

  test("one entry too many is refused", () =>
    assert.throws(() => io.loadNpz(withCount(1), { name: "long.npz" }), FormatError));
});

describe("tensor() of data that is not numbers", () => {
  const cases: [string, unknown, RegExp][] = [
    [
      "an object",
      { a: 1 },
      /^tensor: data must be a number, an array of them, or a typed array\. .*got 'an object \(Object\)'$/,
    ],
    ["a string", "abc", /got 'a string'$/],
    ["null", null, /got 'null'$/],
    ["a string inside", [1, "x"], /^tensor: data\[1\] must be a number/],
    [
      "a ragged inner array",
      [[1, [2]]],
      /^tensor: data\[0\]\[1\] must have the same shape as data\[0\]\[0\]/,
    ],
  ];
  for (const [name, data, message] of cases)
    test(name, () =>
      assert.throws(
        () => tensor(data as never),
        (e: unknown) => e instanceof ArgumentError && message.test(e.message),
      ),
    );

  test("nesting past 64 levels is refused without deep recursion", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.throws(() => tensor(deep as never), /is nested too deeply\. Expected at most 64 levels/);
  });
});

test("a huge int in a pickle is shown with its value, not as 'an int'", () => {
  // A storage numel of 2^62 in a persistent id.
  const bytes = torchZip(
    bytesOf(
      0x80,
      0x02,
      "ctorch._utils\n_rebuild_tensor_v2\n(",
      "(X",
      [7, 0, 0, 0],
      "storage",
      "ctorch\nFloatStorage\n",
      "X",
      [1, 0, 0, 0],
      "0",
      "X",
      [3, 0, 0, 0],
      "cpu",
      0x8a,
      8,
      [0, 0, 0, 0, 0, 0, 0, 0x40],
      "tQ",
      "K",
      0,
      "K\x01\x85K\x01\x85\x89",
      "ccollections\nOrderedDict\n)R",
      "tR.",
    ),
  );
  assert.throws(
    () => io.loadTorch(bytes, { name: "big.pt" }),
    /storage '0': numel must be an int >= 0, got the int 4611686018427387904/,
  );
});
