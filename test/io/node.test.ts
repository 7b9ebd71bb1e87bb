// src/io/node.ts: reading bytes and writing them atomically (a temp file in the same directory, renamed).

import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { readBytes, readBytesSync, writeBytesAtomic, writeBytesAtomicSync } from "../../src/io/node.js";

const dir = mkdtempSync(join(tmpdir(), "rnnkit-io-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("file helpers", () => {
  test("writeBytesAtomic replaces the file and leaves no temporary file", async () => {
    const path = join(dir, "a.bin");
    writeFileSync(path, "old");
    await writeBytesAtomic(path, Uint8Array.of(1, 2, 3));
    assert.deepEqual(new Uint8Array(readFileSync(path)), Uint8Array.of(1, 2, 3));
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes("a.bin")),
      ["a.bin"],
    );
  });

  test("writeBytesAtomicSync writes the bytes readBytesSync reads", () => {
    const path = join(dir, "b.bin");
    writeBytesAtomicSync(path, Uint8Array.of(9, 8));
    assert.deepEqual(readBytesSync(path), Uint8Array.of(9, 8));
  });

  test("a failed write leaves neither the target nor a temporary file", async () => {
    const path = join(dir, "missing-dir", "c.bin");
    await assert.rejects(() => writeBytesAtomic(path, Uint8Array.of(1)), /ENOENT/);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes("c.bin")),
      [],
    );
  });

  test("writing over a directory fails and removes the temporary file", () => {
    assert.throws(() => writeBytesAtomicSync(dir, Uint8Array.of(1)), /EISDIR|EEXIST|ENOTEMPTY|EPERM/);
    assert.deepEqual(
      readdirSync(join(dir, "..")).filter((f) => f.endsWith(".tmp") && f.includes("rnnkit-io-")),
      [],
    );
  });

  test("readBytes returns the file's bytes as a Uint8Array", async () => {
    const path = join(dir, "d.bin");
    writeFileSync(path, Uint8Array.of(5, 6, 7));
    const b = await readBytes(path);
    assert.ok(b instanceof Uint8Array);
    assert.deepEqual([...b], [5, 6, 7]);
  });
});
