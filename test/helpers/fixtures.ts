// Loads the fixture groups written by scripts/fixtures/ (see common.py for the format) from
// test/fixtures/; the parsing itself is fixture_data.ts (browser-safe).

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type FixtureGroup, parseFixtures } from "./fixture_data.js";

export type { FixtureCase, FixtureGroup } from "./fixture_data.js";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures");

export function loadFixtures(group: string): FixtureGroup {
  const bin = readFileSync(join(FIXTURES, `${group}.bin`));
  return parseFixtures(
    readFileSync(join(FIXTURES, `${group}.json`), "utf8"),
    new Uint8Array(bin.buffer, bin.byteOffset, bin.byteLength),
  );
}
