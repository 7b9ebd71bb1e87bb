// loadTorch / saveTorch against files written by PyTorch 1.13 (scripts/fixtures/io_formats.py): every value to
// the byte, zip and legacy formats, checkpoints, prefixes, views, every dtype; and saveTorch's bytes.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  consumePrefix,
  FormatError,
  loadTorch,
  pickStateDict,
  type StoredTensor,
  saveTorch,
  toTensor,
} from "../../src/io/index.js";
import { writeTorchZip } from "../../src/io/zip.js";
import { expected, expectedTensors, fixture, fixtureBytes, manifest, plain, tensorPlain } from "./helpers.js";
import { bytesOf, int, str, tensorPickle, torchZip } from "./pickles.js";

const load = (name: string) => loadTorch(fixtureBytes(name), { name });

describe("loadTorch reads what torch.save wrote", () => {
  for (const [name, f] of Object.entries(manifest.files)) {
    if (f.format !== "torch" || f.value === undefined) continue;
    test(`${name} loads to PyTorch's values, keys in order, tensors to the byte`, () => {
      assert.deepEqual(plain(load(name)), expected(f.value!));
    });
  }
});

describe("finding the state dict", () => {
  test("a bare state dict is its own state dict", () => {
    const sd = pickStateDict(load("lstm.pt"));
    assert.deepEqual([...sd.keys()].slice(0, 3), ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0"]);
  });

  test("a checkpoint's state dict is found under 'model', not the optimizer's state", () => {
    const sd = pickStateDict(load("checkpoint.pt"));
    assert.deepEqual([...sd.keys()], ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]);
  });

  test("options.key picks a checkpoint entry and names the keys when it is missing", () => {
    assert.equal(pickStateDict(load("checkpoint.pt"), { key: "model" }).size, 4);
    assert.throws(
      () => pickStateDict(load("checkpoint.pt"), { key: "ema" }),
      /no key 'ema' \(keys: 'model', 'optimizer', 'epoch'\)/,
    );
  });

  test("consumePrefix removes nn.DataParallel's 'module.' prefix, keeping the order", () => {
    const sd = consumePrefix(pickStateDict(load("dataparallel.pt")), "module.");
    assert.deepEqual([...sd.keys()], ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]);
  });

  test("options.prefix selects a submodule's keys without the prefix", () => {
    const sd = pickStateDict(load("embed_gru_linear.pt"), { prefix: "rnn." });
    assert.deepEqual([...sd.keys()], ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]);
  });

  test("an unknown prefix is an error that lists the prefixes present", () => {
    assert.throws(
      () => pickStateDict(load("embed_gru_linear.pt"), { prefix: "encoder." }),
      /no key starts with 'encoder\.' \(prefixes present: 'embed\.', 'rnn\.', 'fc\.'\)/,
    );
  });

  test("a value without a state dict is an error listing its top-level keys", () => {
    assert.throws(
      () => pickStateDict(load("extras.pt")),
      /no state dict in the checkpoint \(top-level keys: 'size', 'dtype'/,
    );
  });
});

describe("toTensor converts stored dtypes as PyTorch does", () => {
  const dtypes = pickStateDict(load("dtypes.pt"));
  const converted = expectedTensors(fixture("dtypes.pt").converted);

  for (const [key, want] of converted)
    test(`${key} becomes ${want.dtype} with PyTorch's values`, () => {
      const t = toTensor(dtypes.get(key)!, key);
      const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      assert.deepEqual(tensorPlain({ dtype: t.dtype, shape: t.shape, bytes }), tensorPlain(want));
    });

  test("int64 values outside int32 are refused, naming the key, the index and the value", () => {
    assert.throws(
      () => toTensor(dtypes.get("int64_wide")!, "int64_wide"),
      /io\.toTensor: 'int64_wide' \(int64\) must fit in int32 to become a Tensor; index 1 does not\. Expected values in \[-2147483648, 2147483647\], got '1099511627776'/,
    );
  });

  test("complex tensors have no rnnkit counterpart", () => {
    assert.throws(
      () => toTensor(dtypes.get("complex64")!, "complex64"),
      /'complex64'\.dtype has no rnnkit counterpart/,
    );
  });
});

describe("saveTorch writes what torch.save writes", () => {
  const known = expectedTensors(fixture("expected_write.pt").value);

  test("an OrderedDict of tensors is written byte for byte as torch.save(OrderedDict) in PyTorch 1.13", () => {
    assert.deepEqual(saveTorch(known), fixtureBytes("expected_write.pt"));
  });

  test("what saveTorch writes loads back with the same keys, dtypes, shapes and bytes", () => {
    const dtypes = pickStateDict(load("dtypes.pt"));
    const back = pickStateDict(loadTorch(saveTorch(dtypes)));
    assert.deepEqual(plain(back), plain(dtypes));
  });

  test("a state dict of more than 1000 tensors is written in SETITEMS batches and loads back", () => {
    const many = new Map<string, StoredTensor>();
    for (let i = 0; i < 1001; i++)
      many.set(`p${i}`, { dtype: "int32", shape: [1], bytes: Uint8Array.of(i & 0xff, i >> 8, 0, 0) });
    const back = pickStateDict(loadTorch(saveTorch(many)));
    assert.deepEqual(plain(back), plain(many));
  });

  test("options.archiveName names the archive's folder", () => {
    const bytes = saveTorch(known, { archiveName: "model" });
    assert.ok(new TextDecoder().decode(bytes.subarray(30, 44)).startsWith("model/data.pkl"));
    assert.deepEqual(plain(pickStateDict(loadTorch(bytes))), plain(known));
  });

  test("a dtype without a PyTorch 1.13 storage class is refused", () => {
    assert.throws(
      () => saveTorch({ u: { dtype: "uint16", shape: [1], bytes: new Uint8Array(2) } }),
      /io\.saveTorch: dict\['u'\]\.dtype has no storage class in PyTorch 1\.13/,
    );
  });

  test("bytes that do not match the shape are refused", () => {
    assert.throws(
      () => saveTorch({ w: { dtype: "float32", shape: [2], bytes: new Uint8Array(7) } }),
      /io\.saveTorch: dict\['w'\]\.bytes\.length must equal numel\(shape\) \* itemsize\. Expected 8, got 7/,
    );
  });
});

describe("loadTorch rebuilds tensors as PyTorch does, and checks them", () => {
  const floats = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);

  test("a strided view is gathered in C order", () => {
    const pkl = tensorPickle({ numel: 6, offset: 1, size: [2, 2], stride: [3, 1] });
    const t = loadTorch(torchZip(pkl, { "0": floats(0, 1, 2, 3, 4, 5) })) as StoredTensor;
    assert.deepEqual(new Float32Array(t.bytes.slice().buffer), Float32Array.of(1, 2, 4, 5));
  });

  test("a view reaching past its storage is refused before any copy", () => {
    const pkl = tensorPickle({ numel: 6, offset: 4, size: [2, 2], stride: [3, 1] });
    assert.throws(
      () => loadTorch(torchZip(pkl, { "0": floats(0, 1, 2, 3, 4, 5) }), { name: "x.pt" }),
      /torch \(x\.pt\): tensor at the top: storage_offset 4, size \[2, 2\], stride \[3, 1\] reaches element 8 of a storage of 6 float32 elements/,
    );
  });

  test("an expanded view larger than the allocation limit is refused before allocating", () => {
    const pkl = tensorPickle({ numel: 1, size: [100000, 100000], stride: [0, 0] });
    assert.throws(
      () => loadTorch(torchZip(pkl, { "0": floats(1) })),
      /needs 40000000000 bytes, more than the \d+ left of the allocation limit \d+ \(options\.maxAllocation\)/,
    );
  });

  test("a storage record whose size differs from the pickle's numel is refused", () => {
    const pkl = tensorPickle({ numel: 4, size: [4], stride: [1] });
    assert.throws(
      () => loadTorch(torchZip(pkl, { "0": floats(1, 2) })),
      /storage '0': entry 'archive\/data\/0' holds 8 bytes, 4 × float32 needs 16/,
    );
  });

  test("a missing storage record is refused", () => {
    const pkl = tensorPickle({ numel: 1, size: [1], stride: [1] });
    assert.throws(() => loadTorch(torchZip(pkl)), /storage '0': the archive has no entry 'archive\/data\/0'/);
  });

  test("a TorchScript archive is recognised and refused", () => {
    const zip = writeTorchZip("test", [
      { name: "model/constants.pkl", data: bytesOf(0x80, 2, 0x29, 0x2e) },
      { name: "model/code/__torch__.py", data: bytesOf("x") },
    ]);
    assert.throws(
      () => loadTorch(zip),
      /this is a TorchScript archive \(torch\.jit\.save\), not a torch\.save file/,
    );
  });

  test("bytes that are neither a ZIP archive nor a pickle are refused with their first bytes", () => {
    assert.throws(
      () => loadTorch(Uint8Array.of(1, 2, 3, 4, 5)),
      /not a torch\.save file: neither a ZIP archive nor a pickle \(first bytes 01 02 03 04\)/,
    );
  });

  test("a legacy storage view (view_metadata of PyTorch < 1.0) selects its slice of the root storage", () => {
    const magic = bytesOf(
      0x80,
      2,
      0x8a,
      10,
      [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19],
      0x2e,
    );
    const protocol = bytesOf(0x80, 2, 0x4d, 0xe9, 0x03, 0x2e);
    const sysInfo = bytesOf(0x80, 2, 0x7d, 0x2e);
    // _rebuild_tensor_v2(('storage', FloatStorage, 'r', 'cpu', 6, ('v', 2, 3)), 1, (2,), (1,), False, OrderedDict())
    const main = bytesOf(
      0x80,
      2,
      "ctorch._utils\n_rebuild_tensor_v2\n",
      0x28,
      0x28,
      str("storage"),
      "ctorch\nFloatStorage\n",
      str("r"),
      str("cpu"),
      int(6),
      0x28,
      str("v"),
      int(2),
      int(3),
      0x74,
      0x74,
      0x51,
      int(1),
      0x28,
      int(2),
      0x74,
      0x28,
      int(1),
      0x74,
      0x89,
      "ccollections\nOrderedDict\n",
      0x29,
      0x52,
      0x74,
      0x52,
      0x2e,
    );
    const keys = bytesOf(0x80, 2, 0x5d, str("r"), 0x61, 0x2e);
    const count = new Uint8Array(8);
    count[0] = 6;
    const file = bytesOf(magic, protocol, sysInfo, main, keys, count, floats(0, 1, 2, 3, 4, 5));
    const t = loadTorch(file) as StoredTensor;
    assert.deepEqual(new Float32Array(t.bytes.slice().buffer), Float32Array.of(3, 4));
  });

  test("a legacy file with bytes after its last storage is refused", () => {
    const bytes = fixtureBytes("lstm_legacy.pt");
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    assert.throws(() => loadTorch(longer), /3 unexpected bytes after the last storage/);
  });

  test("plain values round-trip through the VM: ints, bigints, floats, strings, None, bools", () => {
    const pkl = bytesOf(
      0x80,
      2,
      0x5d,
      0x28,
      int(-7),
      0x8a,
      9,
      [0, 0, 0, 0, 0, 0, 0, 0, 1],
      0x47,
      [0x3f, 0xf8, 0, 0, 0, 0, 0, 0],
      str("é"),
      0x4e,
      0x88,
      0x65,
      0x2e,
    );
    assert.deepEqual(loadTorch(torchZip(pkl)), [-7, 2n ** 64n, 1.5, "é", null, true]);
  });

  test("FormatError carries the format, the file and the detail", () => {
    let err: unknown;
    try {
      loadTorch(Uint8Array.of(1), { name: "m.pt" });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof FormatError);
    assert.equal(err.format, "torch");
    assert.equal(err.file, "m.pt");
    assert.match(err.detail, /^not a torch\.save file/);
  });
});
