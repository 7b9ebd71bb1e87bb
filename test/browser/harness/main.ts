// The browser side of kernels.spec.ts: fetches the fixture groups from the test server, runs every
// case (cases.ts) on the WASM kernels at the thread count asked, and hands back the raw results.

import { initKernels, kernels, setThreads, threadsReady } from "../../../src/index.js";
import { wasmPool } from "../../../src/kernels/wasm/index.js";
import { detectVariant } from "../../../src/kernels/wasm/instance.js";
import { poolTuning } from "../../../src/kernels/wasm/threads.js";
import { parseFixtures } from "../../helpers/fixture_data.js";
import { GROUPS, type HarnessResult, runCase, runLarge, toWire, type WireTensor } from "../cases.js";

async function runFixtures(threads: number): Promise<HarnessResult> {
  const k = await initKernels();
  setThreads(threads);
  const ready = await threadsReady();
  // The main thread claims no chunk, so a split that came out different on a worker would show.
  poolTuning.mainClaims = threads === 1;
  const cases: Record<string, Record<string, WireTensor>> = {};
  const errors: string[] = [];
  for (const group of GROUPS) {
    const [header, bin] = await Promise.all([
      fetch(`fixtures/${group}.json`).then((r) => r.text()),
      fetch(`fixtures/${group}.bin`).then((r) => r.arrayBuffer()),
    ]);
    for (const c of parseFixtures(header, new Uint8Array(bin)).cases) {
      try {
        const out: Record<string, WireTensor> = {};
        for (const [key, t] of runCase(group, c)) out[key] = toWire(t);
        cases[`${group}/${c.name}`] = out;
      } catch (e) {
        errors.push(`${group}/${c.name}: ${(e as Error).message}`);
      }
    }
  }
  const large: Record<string, WireTensor> = {};
  for (const [key, t] of runLarge()) large[key] = toWire(t);
  cases.large = large;
  return {
    kernels: k.name,
    variant: detectVariant(),
    crossOriginIsolated: globalThis.crossOriginIsolated,
    threads: ready,
    chunksOnWorkers: wasmPool()?.chunksOnWorkers ?? 0,
    cases,
    errors,
  };
}

(globalThis as { runFixtures?: typeof runFixtures }).runFixtures = runFixtures;
document.body.dataset.ready = kernels().name;
