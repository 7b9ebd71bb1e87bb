// StoredTensor <-> Tensor conversions, and the small pieces under the loaders (JSON, CRC-32, zip layout).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { io } from "../../src/index.js";
import { reporter } from "../../src/io/errors.js";
import { fromTensor, isStoredTensor, type StoredTensor, toTensor, toTensors } from "../../src/io/index.js";
import { parseJsonObject } from "../../src/io/json.js";
import { crc32, readZip, writeZip } from "../../src/io/zip.js";
import { Tensor, tensor } from "../../src/tensor/index.js";

const bytes = (...v: number[]) => Uint8Array.from(v);

describe("StoredTensor and Tensor", () => {
  test("fromTensor then toTensor gives back the same dtype, shape and values", () => {
    for (const dtype of ["float32", "float64", "int32"] as const) {
      const t = tensor(
        [
          [1, -2, 3],
          [4, 5, -6],
        ],
        { dtype },
      );
      const back = toTensor(fromTensor(t));
      assert.equal(back.dtype, dtype);
      assert.deepEqual(back.shape, [2, 3]);
      assert.deepEqual([...back.data], [...t.data]);
    }
  });

  test("fromTensor stores little-endian bytes", () => {
    assert.deepEqual(fromTensor(tensor([1], { dtype: "float32" })).bytes, bytes(0, 0, 0x80, 0x3f));
  });

  test("float8 e4m3fn, e5m2 and e8m0fnu become float32 exactly", () => {
    const f8 = (dtype: StoredTensor["dtype"], ...v: number[]) => [
      ...toTensor({ dtype, shape: [v.length], bytes: bytes(...v) }).data,
    ];
    assert.deepEqual(f8("float8_e4m3fn", 0x38, 0xb8, 0x01, 0x7e, 0x7f), [1, -1, 2 ** -9, 448, Number.NaN]);
    assert.deepEqual(f8("float8_e5m2", 0x3c, 0x7b, 0x01, 0x7c), [1, 57344, 2 ** -16, Infinity]);
    assert.deepEqual(f8("float8_e8m0fnu", 127, 0, 254, 255), [1, 2 ** -127, 2 ** 127, Number.NaN]);
  });

  test("uint32 values past int32 are refused", () => {
    assert.throws(
      () => toTensor({ dtype: "uint32", shape: [1], bytes: bytes(0, 0, 0, 0x80) }, "u"),
      /'u' \(uint32\) must fit in int32 to become a Tensor; index 0 does not/,
    );
  });

  test("toTensor validates the bytes' length against the shape", () => {
    assert.throws(
      () => toTensor({ dtype: "float64", shape: [2], bytes: new Uint8Array(8) }, "w"),
      /io\.toTensor: dict\['w'\]\.bytes\.length must equal numel\(shape\) \* itemsize\. Expected 16, got 8/,
    );
  });

  test("toTensors converts a state dict to the plain object loadStateDict takes", () => {
    const out = toTensors(new Map([["w", fromTensor(tensor([1, 2]))]]));
    assert.ok(out.w instanceof Tensor);
    assert.deepEqual([...out.w.data], [1, 2]);
  });

  test("isStoredTensor tells stored tensors from Tensors and other objects", () => {
    assert.equal(isStoredTensor({ dtype: "int8", shape: [], bytes: bytes(1) }), true);
    assert.equal(isStoredTensor(tensor([1])), false);
    assert.equal(isStoredTensor({ dtype: "int9", shape: [], bytes: bytes(1) }), false);
  });
});

describe("the pieces under the loaders", () => {
  const fail = (d: string): never => {
    throw new Error(d);
  };

  test("parseJsonObject keeps keys in file order, integer-like ones included", () => {
    const v = parseJsonObject('{"b":1,"10":[true,{"x":"}"}],"a":"\\u00e9\\"\\ud83d\\ude00"}', fail);
    assert.deepEqual(v.entries, [
      ["b", 1],
      ["10", [true, { x: "}" }]],
      ["a", 'é"😀'],
    ]);
  });

  test("parseJsonObject refuses duplicate keys, lone surrogates in keys, and non-objects", () => {
    assert.throws(() => parseJsonObject('{"a":1,"a":2}', fail), /JSON: duplicate key "a"/);
    assert.throws(() => parseJsonObject('{"\\ud800":1}', fail), /holds a lone surrogate/);
    assert.throws(() => parseJsonObject("[1]", fail), /not a JSON object/);
  });

  test("crc32 is the IEEE CRC-32 ZIP uses", () => {
    assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  });

  test("readZip reads what writeZip wrote, and refuses overlapping entries", () => {
    const zip = writeZip("test", [
      { name: "a", data: bytes(1, 2) },
      { name: "b", data: bytes(3) },
    ]);
    const archive = readZip(zip, reporter("zip", null));
    assert.deepEqual(
      archive.entries.map((e) => e.name),
      ["a", "b"],
    );
    // Point b's central-directory header offset at a's local header.
    const view = new DataView(zip.buffer);
    const cd = view.getUint32(zip.length - 6, true);
    const second = cd + 46 + 1;
    view.setUint32(second + 42, 0, true);
    assert.throws(
      () => readZip(zip, reporter("zip", "z.zip")),
      /zip \(z\.zip\): entry 'b': the local header names another file/,
    );
  });

  test("readZip decodes names without the UTF-8 flag as code page 437, as Python's zipfile does", () => {
    const zip = writeZip("test", [{ name: "é", data: bytes(1) }]);
    const view = new DataView(zip.buffer);
    const cd = view.getUint32(zip.length - 6, true);
    view.setUint16(6, 0, true); // local header flags
    view.setUint16(cd + 8, 0, true); // central directory flags
    assert.deepEqual(
      readZip(zip, reporter("zip", null)).entries.map((e) => e.name),
      ["├⌐"],
    );
  });
});

test("tensors loaded from a Node Buffer (a pooled Uint8Array subclass) have their own values", () => {
  const t = new Tensor(Float32Array.from([1.5, -2, 3.25]), [3]);
  const file = io.saveSafetensors({ x: t });
  // Buffer.from(array) of a small size comes from Node's shared pool, at a non-zero offset.
  const pooled = Buffer.from(file);
  const back = io.toTensor(io.loadSafetensors(pooled).tensors.get("x")!);
  assert.deepEqual([...back.data], [1.5, -2, 3.25]);
  const view = io.toTensor({
    dtype: "float32",
    shape: [3],
    bytes: Buffer.from(new Uint8Array(t.data.buffer)),
  });
  assert.deepEqual([...view.data], [1.5, -2, 3.25]);
});
