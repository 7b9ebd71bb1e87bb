// The PyTorch fixtures in real Chromium on the WebAssembly kernels (forward and backward of every
// recurrent module, cell and option, and Linear / Embedding): every result within DESIGN.md's
// tolerances of PyTorch's, and bit-identical to the same run in Node, on a plain page (one thread)
// and on a cross-origin isolated one (COOP/COEP, two threads).

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { build } from "vite";
import { availableKernels, Tensor, useKernels } from "../../src/index.js";
import { detectVariant } from "../../src/kernels/wasm/instance.js";
import { CloseTracker } from "../helpers/assert.js";
import { FIXTURES, loadFixtures } from "../helpers/fixtures.js";
import { GROUPS, type HarnessResult, runCase, runLarge, toWire, type WireTensor } from "./cases.js";
import { launchChromium } from "./chromium.js";
import { type StaticServer, serve } from "./server.js";

const HERE = dirname(fileURLToPath(import.meta.url));

let out = "";
let browser: Browser;
const servers: StaticServer[] = [];
/** Node's results, case → key → wire form, and PyTorch's values. */
const node = new Map<string, Map<string, WireTensor>>();
const expected = new Map<string, ReturnType<typeof loadFixtures>["cases"][number]>();

before(async () => {
  out = mkdtempSync(join(tmpdir(), "rnnkit-harness-"));
  await build({
    configFile: false,
    root: join(HERE, "harness"),
    base: "./",
    logLevel: "warn",
    build: { outDir: out, emptyOutDir: true, target: "es2022" },
  });
  const wasm = availableKernels().find((k) => k.name !== "ts");
  assert.ok(wasm, "Node has the WASM kernels");
  const previous = useKernels(wasm);
  for (const group of GROUPS)
    for (const c of loadFixtures(group).cases) {
      const id = `${group}/${c.name}`;
      expected.set(id, c);
      node.set(id, new Map([...runCase(group, c)].map(([k, t]) => [k, toWire(t)])));
    }
  node.set("large", new Map([...runLarge()].map(([k, t]) => [k, toWire(t)])));
  useKernels(previous);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  for (const s of servers) await s.close();
  if (out) rmSync(out, { recursive: true, force: true });
});

async function runInPage(isolate: boolean, threads: number): Promise<HarnessResult> {
  const server = await serve({ "/": out, "/fixtures/": FIXTURES }, { isolate });
  servers.push(server);
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} for ${r.url()}`);
  });
  page.on("request", (r) => {
    if (!r.url().startsWith(server.url) && !r.url().startsWith("blob:"))
      problems.push(`request off the host: ${r.url()}`);
  });
  await page.goto(`${server.url}index.html`);
  await page.waitForSelector("body[data-ready]");
  const result = (await page.evaluate(
    (n) => (globalThis as unknown as { runFixtures(n: number): Promise<unknown> }).runFixtures(n),
    threads,
  )) as HarnessResult;
  await page.close();
  assert.deepEqual(problems, []);
  return result;
}

const decode = (w: WireTensor) => {
  const b = Buffer.from(w.base64, "base64");
  const copy = new Uint8Array(b).buffer;
  return w.dtype === "float64"
    ? new Float64Array(copy)
    : w.dtype === "float32"
      ? new Float32Array(copy)
      : new Int32Array(copy);
};

function checkResults(r: HarnessResult, label: string): void {
  assert.deepEqual(r.errors, [], "every case ran in the browser");
  assert.equal(r.kernels, "wasm-simd", "the browser runs the WASM kernels");
  assert.equal(
    r.variant,
    detectVariant(),
    "the same WASM build as Node (run with --experimental-wasm-relaxed-simd)",
  );
  assert.equal(Object.keys(r.cases).length, node.size, "every fixture case came back");
  const forward = new CloseTracker("forward");
  const grad = new CloseTracker("grad");
  let tensors = 0;
  for (const [id, nodeResults] of node) {
    const got = r.cases[id];
    assert.ok(got, `${id}: no result from the browser`);
    assert.deepEqual(Object.keys(got).sort(), [...nodeResults.keys()].sort(), `${id}: the same results`);
    const c = expected.get(id);
    for (const [key, w] of nodeResults) {
      const b: WireTensor = got[key]!;
      assert.deepEqual([b.dtype, b.shape], [w.dtype, w.shape], `${id} ${key}: dtype and shape`);
      assert.ok(b.base64 === w.base64, `${id} ${key}: the browser's bits differ from Node's`);
      tensors++;
      if (!c?.has(key)) continue;
      (key.startsWith("grad.") ? grad : forward).check(
        new Tensor(decode(b), b.shape),
        c.t(key),
        `${id} ${key}`,
      );
    }
  }
  console.log(
    `${label}: ${node.size - 1} fixture cases and a large LSTM, ${tensors} tensors bit-identical to Node`,
  );
  for (const line of [
    ...forward.report(`${label} forward vs PyTorch`),
    ...grad.report(`${label} gradients vs PyTorch`),
  ])
    console.log(line);
}

describe("PyTorch fixtures in Chromium on the WASM kernels", () => {
  test("a plain page (not isolated, one thread) matches PyTorch and Node bit for bit", async () => {
    const r = await runInPage(false, 1);
    assert.equal(r.crossOriginIsolated, false);
    assert.equal(r.threads, 1);
    checkResults(r, "plain page");
  });

  test("a cross-origin isolated page at two threads matches PyTorch and Node bit for bit", async () => {
    const r = await runInPage(true, 2);
    assert.equal(r.crossOriginIsolated, true, "COOP/COEP make the page cross-origin isolated");
    assert.equal(r.threads, 2, "two threads run (shared memory and workers)");
    assert.ok(r.chunksOnWorkers > 0, "the worker thread ran split work");
    console.log(`isolated page: ${r.chunksOnWorkers} chunks of split work ran on the worker`);
    checkResults(r, "isolated page, 2 threads");
  });
});
