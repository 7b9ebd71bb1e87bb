// loadSafetensors / saveSafetensors: files in the reference format (scripts/fixtures/io_formats.py writes them
// as tensor.rs does), every dtype to the byte, and each way a header can lie.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { loadSafetensors, type StoredTensor, saveSafetensors } from "../../src/io/index.js";
import { expected, expectedTensors, fixture, fixtureBytes, plain } from "./helpers.js";

/** A safetensors file from a header object (serialized as written) and a data region. */
function file(header: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const f32 = (shape: number[], begin: number, end: number) =>
  `{"dtype":"F32","shape":[${shape.join(",")}],"data_offsets":[${begin},${end}]}`;

describe("loadSafetensors reads the reference format", () => {
  for (const name of ["lstm.safetensors", "expected_write.safetensors"])
    test(`${name} loads every tensor to the byte, in the header's order, with its metadata`, () => {
      const f = fixture(name);
      const { tensors, metadata } = loadSafetensors(fixtureBytes(name), { name });
      assert.deepEqual(plain(tensors), expected(f.value!));
      assert.deepEqual(metadata, f.metadata);
    });

  test("a file without __metadata__ has metadata null", () => {
    assert.equal(loadSafetensors(file("{}")).metadata, null);
  });

  test("integer-like tensor names keep the header's order", () => {
    const h = `{"10":${f32([1], 0, 4)},"2":${f32([1], 4, 8)}}`;
    assert.deepEqual([...loadSafetensors(file(h, new Uint8Array(8))).tensors.keys()], ["10", "2"]);
  });

  test("tensors listed out of offset order are accepted, as the reference reader sorts by offset", () => {
    const h = `{"b":${f32([1], 4, 8)},"a":${f32([1], 0, 4)}}`;
    assert.deepEqual([...loadSafetensors(file(h, new Uint8Array(8))).tensors.keys()], ["b", "a"]);
  });
});

describe("saveSafetensors writes the reference format", () => {
  test("a dict in the reference writer's order is written byte for byte as the reference writes it", () => {
    const f = fixture("expected_write.safetensors");
    assert.deepEqual(
      saveSafetensors(expectedTensors(f.value), f.metadata),
      fixtureBytes("expected_write.safetensors"),
    );
  });

  test("tensors are laid out in the dict's order and load back identical", () => {
    const dict = new Map<string, StoredTensor>([
      ["z", { dtype: "int64", shape: [2], bytes: Uint8Array.from({ length: 16 }, (_, i) => i) }],
      ["a", { dtype: "float16", shape: [], bytes: Uint8Array.of(0, 0x3c) }],
    ]);
    const back = loadSafetensors(saveSafetensors(dict, { k: "v" }));
    assert.deepEqual(plain(back.tensors), plain(dict));
    assert.deepEqual(back.metadata, { k: "v" });
  });

  test("the header is padded with spaces to a multiple of 8 bytes", () => {
    const bytes = saveSafetensors({ a: { dtype: "uint8", shape: [1], bytes: Uint8Array.of(7) } });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(n % 8, 0);
    assert.equal(
      new TextDecoder().decode(bytes.subarray(8, 8 + n)),
      '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}   ',
    );
  });

  test("complex128, which safetensors cannot name, is refused", () => {
    assert.throws(
      () => saveSafetensors({ c: { dtype: "complex128", shape: [1], bytes: new Uint8Array(16) } }),
      /io\.saveSafetensors: dict\['c'\]\.dtype has no safetensors name/,
    );
  });

  test("metadata values must be strings", () => {
    assert.throws(
      () => saveSafetensors({}, { n: 3 as unknown as string }),
      /io\.saveSafetensors: metadata\['n'\] must be a string/,
    );
  });
});

describe("loadSafetensors refuses a lying header before using it", () => {
  const cases: [string, Uint8Array, RegExp][] = [
    [
      "a file shorter than the length field",
      Uint8Array.of(1, 2),
      /file is 2 bytes, shorter than the 8-byte header length/,
    ],
    [
      "a header length past the end of the file",
      (() => {
        const b = file("{}");
        new DataView(b.buffer).setBigUint64(0, 10n ** 12n, true);
        return b;
      })(),
      /safetensors \(m\.safetensors\): header length 1000000000000 exceeds the file size 10/,
    ],
    [
      "a header that is not UTF-8",
      file("{\u0000}").map((b, i) => (i === 9 ? 0xff : b)),
      /header is not valid UTF-8/,
    ],
    ["a header that is a JSON array", file("[1]"), /header does not start with '\{'/],
    ["a header that is not JSON", file("{,}"), /header: JSON: .*position 1/],
    [
      "a duplicate tensor name",
      file(`{"a":${f32([1], 0, 4)},"a":${f32([1], 4, 8)}}`, new Uint8Array(8)),
      /duplicate key "a"/,
    ],
    [
      "an unknown dtype",
      file('{"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}}', new Uint8Array(1)),
      /tensor 'a': unknown dtype "Q7"/,
    ],
    [
      "a sub-byte dtype of newer specs",
      file('{"a":{"dtype":"F4","shape":[2],"data_offsets":[0,1]}}', new Uint8Array(1)),
      /tensor 'a': dtype F4 is not supported/,
    ],
    [
      "a negative size",
      file(`{"a":${f32([-1], 0, 4)}}`, new Uint8Array(4)),
      /tensor 'a': shape \[-1\] is not a list of sizes >= 0/,
    ],
    [
      "shape × itemsize different from the byte length",
      file(`{"a":${f32([2, 3], 0, 20)}}`, new Uint8Array(20)),
      /tensor 'a': shape \[2, 3\] of F32 needs 24 bytes, data_offsets \[0, 20\] hold 20/,
    ],
    [
      "offsets past the data",
      file(`{"a":${f32([1], 0, 4)}}`, new Uint8Array(2)),
      /tensor 'a': data_offsets \[0, 4\] run past the 2-byte data region/,
    ],
    [
      "overlapping tensors",
      file(`{"a":${f32([2], 0, 8)},"b":${f32([2], 4, 12)}}`, new Uint8Array(12)),
      /tensors 'a' and 'b' overlap \(\[0, 8\) and \[4, 12\)\)/,
    ],
    [
      "a hole between tensors",
      file(`{"a":${f32([1], 0, 4)},"b":${f32([1], 8, 12)}}`, new Uint8Array(12)),
      /data bytes \[4, 8\) belong to no tensor/,
    ],
    [
      "bytes after the last tensor",
      file(`{"a":${f32([1], 0, 4)}}`, new Uint8Array(6)),
      /data bytes \[4, 6\) at the end of the file belong to no tensor/,
    ],
    [
      "offsets that are not [begin, end]",
      file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}'),
      /data_offsets \[0\] is not \[begin, end\]/,
    ],
    ["non-string metadata", file('{"__metadata__":{"epoch":3}}'), /__metadata__\['epoch'\] is not a string/],
  ];
  for (const [what, bytes, message] of cases)
    test(`${what} is refused`, () => {
      assert.throws(() => loadSafetensors(bytes, { name: "m.safetensors" }), message);
    });
});
