// The .pt unpickler never runs anything: globals outside the allow-list are refused by name as they are
// read, and hostile pickles (deep nesting, cycles, lies, unknown opcodes) end in a clean error.

import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { describe, test } from "node:test";
import { loadTorch } from "../../src/io/index.js";
import { fixtureBytes, manifest } from "./helpers.js";
import { bytesOf, str, torchZip } from "./pickles.js";

const run = (...parts: Parameters<typeof bytesOf>) =>
  loadTorch(torchZip(bytesOf(...parts)), { name: "x.pt" });

describe("a malicious .pt is refused and nothing in it runs", () => {
  for (const name of ["malicious.pt", "malicious_legacy.pt"])
    test(`${name} (a pickle calling os.system to create a file) is refused naming posix.system; the file is not created`, () => {
      rmSync(manifest.marker, { force: true });
      assert.throws(
        () => loadTorch(fixtureBytes(name), { name }),
        /global 'posix\.system' is not allowed: rnnkit loads only tensors and plain data, so it refuses this file \(nothing in it was run\)/,
      );
      assert.equal(existsSync(manifest.marker), false);
    });

  for (const [label, global] of [
    ["builtins.eval", "cbuiltins\neval\n"],
    ["__builtin__.getattr", "c__builtin__\ngetattr\n"],
    ["subprocess.Popen", "csubprocess\nPopen\n"],
    ["numpy.core.multiarray._reconstruct", "cnumpy.core.multiarray\n_reconstruct\n"],
    ["torch._utils._rebuild_device_tensor_from_numpy", "ctorch._utils\n_rebuild_device_tensor_from_numpy\n"],
  ] as const)
    test(`GLOBAL ${label} is refused by name before any REDUCE`, () => {
      assert.throws(
        () => run(0x80, 2, global, str("1+1"), 0x85, 0x52, 0x2e),
        new RegExp(`global '${label.replaceAll(".", "\\.")}' is not allowed`),
      );
    });

  test("STACK_GLOBAL (protocol 4) goes through the same allow-list", () => {
    assert.throws(
      () => run(0x80, 4, str("os"), str("system"), 0x93, 0x2e),
      /STACK_GLOBAL at byte \d+: global 'os\.system' is not allowed/,
    );
  });

  test("INST (protocol 0) names the refused global too", () => {
    assert.throws(
      () => run(0x28, str("ls"), "iposix\nsystem\n", 0x2e),
      /INST at byte \d+: global 'posix\.system' is not allowed/,
    );
  });

  test("an allow-listed class that is not a constructor (a storage class) cannot be called", () => {
    assert.throws(
      () => run(0x80, 2, "ctorch\nFloatStorage\n", 0x29, 0x52, 0x2e),
      /REDUCE at byte \d+: torch\.FloatStorage cannot be called/,
    );
  });

  test("REDUCE on a value that is not a global is refused", () => {
    assert.throws(() => run(0x80, 2, str("f"), 0x29, 0x52, 0x2e), /REDUCE at byte \d+: cannot call a str/);
  });

  test("BUILD may only set the state of a dict or a tensor", () => {
    assert.throws(
      () => run(0x80, 2, 0x5d, 0x7d, 0x62, 0x2e),
      /BUILD can only set the state of a dict or a tensor, not a list/,
    );
  });

  test("a persistent id other than a storage is refused", () => {
    assert.throws(
      () => run(0x80, 2, str("module"), 0x85, 0x51, 0x2e),
      /persistent id \('module'\) is not \('storage', type, key, location, numel\)/,
    );
  });
});

describe("hostile pickles end in a clean error", () => {
  test("an unknown opcode is named with its byte value and position", () => {
    assert.throws(
      () => run(0x80, 2, 0xff, 0x2e),
      /torch \(x\.pt\): archive\/data\.pkl: unknown opcode 0xff at byte 2/,
    );
  });

  test("known opcodes rnnkit does not run say why", () => {
    assert.throws(
      () => run(0x80, 2, 0x82, 1, 0x2e),
      /EXT1 at byte 2: the copyreg extension registry is not supported/,
    );
  });

  test("MARKs nested past the limit are refused", () => {
    assert.throws(() => run(0x80, 2, new Array(5000).fill(0x28), 0x2e), /MARKs nested deeper than 1000/);
  });

  test("containers nested past the limit are refused without deep recursion", () => {
    // 100000 lists, each appended into the previous: [[[[...]]]]
    const n = 100000;
    assert.throws(
      () => run(0x80, 2, new Array(n).fill(0x5d), new Array(n - 1).fill(0x61), 0x2e),
      /containers nested deeper than 200/,
    );
  });

  test("a list that contains itself is refused as a cycle", () => {
    assert.throws(
      () => run(0x80, 2, 0x5d, 0x71, 0, 0x68, 0, 0x61, 0x2e),
      /the data refers to itself at \[0\] \(a cycle\)/,
    );
  });

  test("a memo key never stored is refused", () => {
    assert.throws(() => run(0x80, 2, 0x68, 5, 0x2e), /BINGET at byte 2: memo key 5 was never stored/);
  });

  test("a string longer than the data is refused before reading it", () => {
    assert.throws(
      () => run(0x80, 2, 0x58, [0xff, 0xff, 0xff, 0x7f], 0x2e),
      /BINUNICODE at byte 2: truncated: needs 2147483647 more bytes/,
    );
  });

  test("a pickle without STOP is refused", () => {
    assert.throws(() => run(0x80, 2, 0x4e), /truncated: no STOP opcode before the end/);
  });

  test("popping an empty stack is refused", () => {
    assert.throws(() => run(0x80, 2, 0x61, 0x2e), /APPEND at byte 2: stack underflow/);
  });

  test("an invalid UTF-8 string is refused", () => {
    assert.throws(
      () => run(0x80, 2, 0x8c, 2, [0xc3, 0x28], 0x2e),
      /SHORT_BINUNICODE at byte 2: string is not valid UTF-8/,
    );
  });

  test("protocol 0 text integers, floats and memo keys are read", () => {
    assert.deepEqual(run(0x28, "I12\n", "F0.5\n", "L-3L\n", "I01\n", "p0\n", 0x6c, 0x2e), [
      12,
      0.5,
      -3,
      true,
    ]);
  });
});
