// Bad input never crashes, hangs or allocates without bound: a deterministic fuzz run over every
// format (see fuzz.ts; `node --import tsx scripts/fuzz-io.ts --count 100000` runs a larger one).

import assert from "node:assert/strict";
import { test } from "node:test";
import { fuzz } from "./fuzz.js";

test("3000 mutated files each load into well-formed values or throw a FormatError", () => {
  const f = fuzz(3000, 20240);
  console.log(
    `io fuzz: ${f.tried} mutations tried, ${f.rejected} rejected cleanly, ${f.read} read correctly, ` +
      `slowest ${f.slowestMs.toFixed(0)} ms (${f.slowest})`,
  );
  assert.deepEqual(f.failures, []);
  assert.equal(f.tried, 3000);
  assert.equal(f.rejected + f.read, f.tried);
});
