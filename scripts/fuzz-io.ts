// A larger run of the io fuzzer than `npm test` makes, with its figures: mutations tried, rejected
// cleanly (FormatError), read correctly (well-formed values), and any failure with its case.
//
//   node --import tsx scripts/fuzz-io.ts [--count 100000] [--seed 1]

import { parseArgs } from "node:util";
import { fuzz } from "../test/io/fuzz.js";

const { values } = parseArgs({
  options: { count: { type: "string", default: "100000" }, seed: { type: "string", default: "1" } },
});
const count = Number(values.count);
const seed = Number(values.seed);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed)) {
  console.error("usage: node --import tsx scripts/fuzz-io.ts [--count N] [--seed S]");
  process.exit(2);
}

const start = performance.now();
const f = fuzz(count, seed);
const seconds = (performance.now() - start) / 1000;
console.log(`io fuzz, seed ${seed}: ${f.tried} mutations in ${seconds.toFixed(1)} s`);
console.log(`  rejected cleanly (FormatError): ${f.rejected}`);
console.log(`  read correctly (well-formed):   ${f.read}`);
console.log(`  failures:                       ${f.failures.length}`);
console.log(`  slowest case: ${f.slowestMs.toFixed(0)} ms (${f.slowest})`);
console.log("  by mutation (tried / rejected / read):");
for (const [name, row] of Object.entries(f.byMutation).sort())
  console.log(
    `    ${name.padEnd(28)} ${String(row.tried).padStart(7)} ${String(row.rejected).padStart(7)} ${String(row.read).padStart(7)}`,
  );
for (const x of f.failures.slice(0, 20)) console.log(`  FAIL ${x.case}: ${x.problem}`);
process.exit(f.failures.length === 0 ? 0 : 1);
