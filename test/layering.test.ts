// The folder tree is the layer diagram (DESIGN.md, docs/architecture.md): a file imports only
// from its own layer or lower ones, and nothing under src/ but the io file helpers imports a
// Node built-in. Guards against the slow drift that makes kernels know about modules.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "..", "src");
// Lower rank = lower layer. src/errors.ts and src/index.ts are the base and the surface.
// autograd/tape.ts is generic (it never names Tensor) and sits below tensor/, whose every operation records on it.
const RANK: Record<string, number> = {
  errors: 0,
  kernels: 1,
  autograd: 2,
  tensor: 3,
  nn: 4,
  optim: 5,
  io: 5,
  index: 9,
};
const NODE_ALLOWED = new Set(["io/node.ts"]);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

function layerOf(file: string): string {
  const top = relative(SRC, file).split("/")[0]!;
  return top.replace(/\.ts$/, "");
}

test("every src file imports only its own layer or lower ones", () => {
  const violations: string[] = [];
  for (const file of files(SRC)) {
    const text = readFileSync(file, "utf8");
    const rank = RANK[layerOf(file)];
    assert.notEqual(rank, undefined, `${relative(SRC, file)} is in no known layer`);
    for (const m of text.matchAll(/^(?:import|export)[^"']*from\s+["']([^"']+)["']/gm)) {
      const spec = m[1]!;
      if (!spec.startsWith(".")) {
        if (spec.startsWith("node:") && !NODE_ALLOWED.has(relative(SRC, file)))
          violations.push(
            `${relative(SRC, file)} imports ${spec}: only the io file helpers may use Node built-ins`,
          );
        continue;
      }
      const target = resolve(dirname(file), spec).replace(/\.js$/, ".ts");
      const depRank = RANK[layerOf(target)];
      if (depRank === undefined || depRank > rank!)
        violations.push(
          `${relative(SRC, file)} imports ${relative(SRC, target)}, a higher layer (see docs/architecture.md)`,
        );
    }
  }
  assert.deepEqual(violations, []);
});
