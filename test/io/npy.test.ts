// loadNpy / saveNpy / loadNpz / saveNpz against files numpy wrote (scripts/fixtures/io_formats.py): each header
// version, byte order and memory order to the byte, np.save's exact bytes, and lying headers.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { deflateSync } from "fflate";
import { loadNpy, loadNpz, type StoredTensor, saveNpy, saveNpz } from "../../src/io/index.js";
import { writeZip } from "../../src/io/zip.js";
import { expected, fixtureBytes, manifest, plain, tensorPlain } from "./helpers.js";

/** A .npy file with the given header text (version 1.0) and data. */
function npy(header: string, data: Uint8Array = new Uint8Array(0), version = 1): Uint8Array {
  const h = new TextEncoder().encode(header);
  const prefix = version === 1 ? 10 : 12;
  const out = new Uint8Array(prefix + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  if (version === 1) new DataView(out.buffer).setUint16(8, h.length, true);
  else new DataView(out.buffer).setUint32(8, h.length, true);
  out.set(h, prefix);
  out.set(data, prefix + h.length);
  return out;
}

describe("loadNpy reads what numpy wrote", () => {
  for (const [name, f] of Object.entries(manifest.files)) {
    if (f.format !== "npy") continue;
    test(`${name} loads in C order, little-endian, to the byte`, () => {
      assert.deepEqual(tensorPlain(loadNpy(fixtureBytes(name), { name })), expected(f.value!));
    });
  }

  test("a Python 2 header with 3L-style integers is read", () => {
    const t = loadNpy(npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2L,), }\n", new Uint8Array(8)));
    assert.deepEqual(t.shape, [2]);
  });
});

describe("saveNpy writes what numpy.save writes", () => {
  for (const [name, f] of Object.entries(manifest.files)) {
    if (!f.npSave) continue;
    test(`${name} is rewritten byte for byte`, () => {
      assert.deepEqual(saveNpy(loadNpy(fixtureBytes(name))), fixtureBytes(name));
    });
  }

  test("bfloat16, which numpy cannot hold, is refused", () => {
    assert.throws(
      () => saveNpy({ dtype: "bfloat16", shape: [1], bytes: new Uint8Array(2) }),
      /io\.saveNpy: t\.dtype has no numpy counterpart\. Expected a numpy dtype, got 'bfloat16'/,
    );
  });
});

describe("loadNpy refuses a lying header", () => {
  const h = (descr: string, shape: string, fortran = "False") =>
    `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }\n`;
  const cases: [string, Uint8Array, RegExp][] = [
    [
      "bytes without the magic",
      Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
      /not an \.npy file: it does not start with \\x93NUMPY/,
    ],
    [
      "an unknown version",
      npy(h("<f4", "(1,)"), new Uint8Array(4), 4),
      /format version 4\.0 is not supported/,
    ],
    [
      "a header length past the end",
      (() => {
        const b = npy(h("<f4", "(1,)"), new Uint8Array(4));
        new DataView(b.buffer).setUint16(8, 60000, true);
        return b;
      })(),
      /npy \(a\.npy\): header length 60000 exceeds the file size 72/,
    ],
    [
      "a shape needing more data than the file has",
      npy(h("<f4", "(2, 3)"), new Uint8Array(20)),
      /shape \(2, 3\) of '<f4' needs 24 bytes of data, the file has 20/,
    ],
    [
      "data after the array",
      npy(h("<f4", "(1,)"), new Uint8Array(8)),
      /shape \(1,\) of '<f4' needs 4 bytes of data, the file has 8/,
    ],
    ["a string dtype", npy(h("<U5", "(1,)"), new Uint8Array(20)), /dtype '<U5' is not supported/],
    ["pickled objects", npy(h("|O", "(1,)"), new Uint8Array(8)), /dtype '\|O' is not supported/],
    [
      "a structured dtype",
      npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n"),
      /descr \[\["a","<f4"\]\] is not supported: structured dtypes are not read/,
    ],
    [
      "a fortran_order that is not a bool",
      npy(h("<f4", "(1,)", "1"), new Uint8Array(4)),
      /fortran_order is not True or False/,
    ],
    [
      "a missing key",
      npy("{'descr': '<f4', 'shape': (1,), }\n", new Uint8Array(4)),
      /keys are descr, shape, expected descr, fortran_order, shape/,
    ],
    ["a negative size", npy(h("<f4", "(-1,)")), /shape \[-1\] is not a tuple of sizes >= 0/],
    ["a header that is not a dict literal", npy("print('hi')\n"), /header: expected a value at character 0/],
  ];
  for (const [what, bytes, message] of cases)
    test(`${what} is refused`, () => {
      assert.throws(() => loadNpy(bytes, { name: "a.npy" }), message);
    });

  test("a big-endian array larger than the allocation limit is refused before the copy", () => {
    const bytes = npy(h(">f8", "(4,)"), new Uint8Array(32));
    assert.throws(
      () => loadNpy(bytes, { maxAllocation: 16 }),
      /byte-swapping the big-endian array needs 32 bytes, more than the 16 left/,
    );
  });
});

describe(".npz archives", () => {
  for (const name of ["arrays.npz", "arrays_compressed.npz"])
    test(`${name} (numpy.savez${name.includes("compressed") ? "_compressed" : ""}) loads every array to the byte`, () => {
      assert.deepEqual(plain(loadNpz(fixtureBytes(name), { name })), expected(manifest.files[name]!.value!));
    });

  for (const compress of [false, true])
    test(`saveNpz (compress: ${compress}) writes arrays that load back identical, in order`, () => {
      const dict = new Map<string, StoredTensor>([
        ["w", { dtype: "float32", shape: [2, 2], bytes: Uint8Array.from({ length: 16 }, (_, i) => i) }],
        ["a", { dtype: "bool", shape: [3], bytes: Uint8Array.of(1, 0, 1) }],
      ]);
      assert.deepEqual(plain(loadNpz(saveNpz(dict, { compress }))), plain(dict));
    });

  test("an entry that is not a .npy file is refused", () => {
    const zip = writeZip("test", [{ name: "notes.txt", data: Uint8Array.of(1) }]);
    assert.throws(
      () => loadNpz(zip, { name: "a.npz" }),
      /npz \(a\.npz\): entry 'notes\.txt' is not an \.npy file/,
    );
  });

  test("a deflated entry claiming far more than deflate can expand to (a zip bomb) is refused before inflating", () => {
    const data = saveNpy({ dtype: "uint8", shape: [4], bytes: new Uint8Array(4) });
    const zip = writeZip("test", [{ name: "x.npy", data, deflated: deflateSync(data) }]);
    // Patch the central directory's uncompressed size to 4 GiB - 1.
    const view = new DataView(zip.buffer);
    const cd = view.getUint32(zip.length - 6, true);
    view.setUint32(cd + 24, 0xfffffffe, true);
    assert.throws(
      () => loadNpz(zip),
      /entry 'x\.npy' claims 4294967294 bytes from \d+ deflated bytes, beyond deflate's 1032:1 limit \(a zip bomb\?\)/,
    );
  });

  test("a deflated entry that inflates to more than its declared size is refused", () => {
    const data = saveNpy({ dtype: "uint8", shape: [100], bytes: new Uint8Array(100) });
    const zip = writeZip("test", [{ name: "x.npy", data, deflated: deflateSync(data) }]);
    const view = new DataView(zip.buffer);
    const cd = view.getUint32(zip.length - 6, true);
    view.setUint32(cd + 24, 50, true);
    assert.throws(
      () => loadNpz(zip),
      /entry 'x\.npy': inflates to more than the 50 bytes the directory says/,
    );
  });

  test("an entry whose bytes changed is refused by its CRC-32", () => {
    const x: StoredTensor = { dtype: "uint8", shape: [4], bytes: Uint8Array.of(1, 2, 3, 4) };
    const flipped = saveNpz({ x });
    flipped[30 + "x.npy".length + saveNpy(x).length - 1] = 9; // the array's last byte, after the local header

    assert.throws(
      () => loadNpz(flipped),
      /entry 'x\.npy': CRC-32 is 0x[0-9a-f]{8}, the directory says 0x[0-9a-f]{8}/,
    );
  });
});
