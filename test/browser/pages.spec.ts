// The pages (npm run pages → web/dist/) in real Chromium, served from a subfolder: every page loads
// with 0 console errors and 0 requests off the host; the playground runs PyTorch-saved models
// (scripts/fixtures/pages.py) and its downloads equal PyTorch's outputs and, byte for byte, what the
// library writes in Node for the same arguments (rnnkit run's composition); hostile files get the
// library's message and the page stays usable; every control is reachable by keyboard; axe-core
// finds no serious or critical violation. RNNKIT_SCREENSHOTS=1 writes docs/pages-*.png.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { createServer } from "vite";
import { io, manualSeed, nn, randn } from "../../src/index.js";
import { torchPrint } from "../../web/src/common/format.js";
import { assertClose } from "../helpers/assert.js";
import { FIXTURES } from "../helpers/fixtures.js";
import { launchChromium } from "./chromium.js";
import { type StaticServer, serve } from "./server.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DIST = join(ROOT, "web", "dist");
const PAGES = join(FIXTURES, "pages");
const SUB = "/some/sub/folder/";
const SHOTS = process.env.RNNKIT_SCREENSHOTS === "1";

interface PageCase {
  readonly name: string;
  readonly argv: string[];
  readonly outputs: string[];
  readonly call: string;
}
const cases = (JSON.parse(readFileSync(join(PAGES, "cases.json"), "utf8")) as { cases: PageCase[] }).cases;

let browser: Browser;
let plain: StaticServer;
let isolated: StaticServer;

before(async () => {
  assert.ok(existsSync(join(DIST, "playground.html")), `no ${DIST}/playground.html: run npm run pages first`);
  plain = await serve({ [SUB]: DIST });
  isolated = await serve({ [SUB]: DIST }, { isolate: true });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await plain?.close();
  await isolated?.close();
});

/** A fresh page that records console errors, page errors, failed responses and requests off the host. */
async function open(server: StaticServer, file: string): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith(server.url) && !u.startsWith("blob:") && !u.startsWith("data:"))
      problems.push(`request off the host: ${u}`);
  });
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} for ${r.url()}`);
  });
  await page.goto(`${server.url}${SUB.slice(1)}${file}`);
  return { page, problems };
}

const option = (c: PageCase, flag: string) => {
  const i = c.argv.indexOf(flag);
  return i < 0 ? undefined : c.argv[i + 1];
};

/** Chooses the case's model and input, sets the controls as its argv says, runs, waits for the downloads. */
async function runCase(page: Page, c: PageCase): Promise<void> {
  const dir = join(PAGES, c.name);
  await page.getByLabel("Model", { exact: true }).setInputFiles(join(dir, c.argv[1]!));
  await page.getByText(/^Loaded /).waitFor();
  await page.getByLabel("Input", { exact: true }).setInputFiles(join(dir, "input.npy"));
  await page.getByLabel("Lengths").fill(option(c, "--lengths") ?? "");
  await page.getByLabel("Batch first").setChecked(c.argv.includes("--batch-first"));
  const nl = page.getByLabel("Nonlinearity");
  if (await nl.isEnabled()) await nl.selectOption(option(c, "--nonlinearity") ?? "tanh");
  await page.getByRole("button", { name: "Run" }).click();
  await page.getByText(/^Done in /).waitFor();
}

async function download(page: Page, name: string): Promise<Uint8Array> {
  const [d] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name }).click()]);
  assert.equal(d.suggestedFilename(), name);
  return new Uint8Array(readFileSync(await d.path()));
}

/** The case's model and input as the library reads them in Node. */
function nodeModel(c: PageCase) {
  const dir = join(PAGES, c.name);
  const file = io.loadModelFile(new Uint8Array(readFileSync(join(dir, c.argv[1]!))), {
    name: c.argv[1]!,
    format: io.modelFormatOf(c.argv[1]!)!,
  });
  const nl = option(c, "--nonlinearity") as "relu" | undefined;
  const { module } = io.buildRecurrent(file, {
    batchFirst: c.argv.includes("--batch-first"),
    nonlinearity: nl,
  });
  let x = io.toTensor(io.loadNpy(new Uint8Array(readFileSync(join(dir, "input.npy")))), "input");
  if (x.dtype !== module.dtype) x = x.to(module.dtype);
  const text = option(c, "--lengths");
  return { module, x, lengths: text ? nn.parseLengths(text) : null };
}

/** What the library writes in Node for the case: rnnkit run's composition. */
function nodeRun(c: PageCase): Map<string, Uint8Array> {
  const { module, x, lengths } = nodeModel(c);
  const r = nn.runRecurrent(module, x, { lengths });
  const out = new Map([
    ["output", io.saveNpy(r.output)],
    ["h_n", io.saveNpy(r.hN)],
  ]);
  if (r.cN) out.set("c_n", io.saveNpy(r.cN));
  return out;
}

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/** axe-core (injected from node_modules) finds no serious or critical violation on the page as it is. */
async function assertAccessible(page: Page, what: string): Promise<void> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const r = await (
      globalThis as unknown as {
        axe: {
          run(): Promise<{ violations: { id: string; impact: string; help: string; nodes: unknown[] }[] }>;
        };
      }
    ).axe.run();
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length }));
  });
  const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad, [], `${what}: ${JSON.stringify(violations)}`);
  if (violations.length) console.log(`${what}: axe, minor: ${JSON.stringify(violations)}`);
}

const npy = (bytes: Uint8Array, what: string) => io.toTensor(io.loadNpy(bytes, { name: what }), what);

describe("the pages in Chromium", () => {
  test("every page loads from a subfolder with 0 console errors, 0 requests off the host, 0 serious axe violations", async () => {
    for (const file of ["index.html", "playground.html", "explain.html", "train.html"]) {
      const { page, problems } = await open(plain, file);
      await page.waitForLoadState("networkidle");
      assert.ok((await page.locator("h1").textContent())?.trim(), `${file} has a heading`);
      await assertAccessible(page, file);
      if (SHOTS && file === "index.html")
        await page.screenshot({ path: join(ROOT, "docs", "pages-index.png") });
      await page.context().close();
      assert.deepEqual(problems, [], file);
    }
  });

  test("the index page links to the three pages", async () => {
    const { page, problems } = await open(plain, "index.html");
    const main = page.locator("main");
    for (const name of ["Playground", "Explainer", "Train"])
      assert.equal(await main.getByRole("link", { name }).count(), 1, name);
    await page.context().close();
    assert.deepEqual(problems, []);
  });

  test("the playground runs PyTorch's models and its downloads equal PyTorch's and Node's (isolated page, threads)", async () => {
    const { page, problems } = await open(isolated, "playground.html");
    assert.equal(await page.evaluate("crossOriginIsolated"), true);
    for (const c of cases) {
      await runCase(page, c);
      const node = nodeRun(c);
      const names = await page.locator("#downloads a").allTextContents();
      assert.deepEqual(
        names,
        c.outputs
          .map((o) => `${o}.npy`)
          .sort(
            (a, b) =>
              ["output.npy", "h_n.npy", "c_n.npy"].indexOf(a) -
              ["output.npy", "h_n.npy", "c_n.npy"].indexOf(b),
          ),
        `${c.name}: downloads`,
      );
      for (const o of c.outputs) {
        const bytes = await download(page, `${o}.npy`);
        assertClose(
          npy(bytes, o),
          npy(new Uint8Array(readFileSync(join(PAGES, c.name, `expected_${o}.npy`))), o),
          `${c.name} ${o}.npy vs PyTorch`,
        );
        assert.ok(
          Buffer.from(bytes).equals(Buffer.from(node.get(o)!)),
          `${c.name} ${o}.npy: the same bytes as the library in Node`,
        );
      }
      const maps = await page.locator("#heatmaps canvas").count();
      assert.ok(maps >= 1, `${c.name}: heatmaps shown`);
    }
    await page.context().close();
    assert.deepEqual(problems, []);
  });

  test("hostile and broken files get the library's message in role=alert, and the page stays usable", async () => {
    const { page, problems } = await open(plain, "playground.html");
    const alert = page.locator('[role="alert"]'); // hidden while empty, so not by getByRole
    const model = page.getByLabel("Model", { exact: true });
    const run = page.getByRole("button", { name: "Run" });
    await model.setInputFiles(join(FIXTURES, "io", "malicious.pt"));
    await alert.filter({ hasText: "global 'posix.system' is not allowed" }).waitFor();
    assert.match((await alert.textContent())!, /^torch \(malicious\.pt\): .*nothing in it was run/);
    assert.equal(await run.isDisabled(), true, "no Run without a model");
    await model.setInputFiles(join(PAGES, "truncated.pt"));
    await alert.filter({ hasText: "truncated" }).waitFor();
    assert.match((await alert.textContent())!, /^torch \(truncated\.pt\): .*not a ZIP archive, or truncated/);
    await model.setInputFiles(join(PAGES, "gru-unbatched", "input.npy"));
    await alert.filter({ hasText: "must end in .pt, .pth or .safetensors" }).waitFor();
    // A good model, then a model file given as the Input: the npy loader's message.
    const c = cases.find((k) => k.name === "gru-unbatched")!;
    await model.setInputFiles(join(PAGES, c.name, "model.pt"));
    await page.getByText(/^Loaded /).waitFor();
    assert.equal(await alert.textContent(), "", "a good file clears the error");
    await page.getByLabel("Input", { exact: true }).setInputFiles(join(PAGES, c.name, "model.pt"));
    await run.click();
    await alert.filter({ hasText: "npy (model.pt)" }).waitFor();
    await page.getByLabel("Lengths").fill("5,x");
    await page.getByLabel("Input", { exact: true }).setInputFiles(join(PAGES, c.name, "input.npy"));
    await run.click();
    await alert.filter({ hasText: "Lengths must be positive integers separated by commas" }).waitFor();
    await page.getByLabel("Lengths").fill("");
    await run.click();
    await page.getByText(/^Done in /).waitFor();
    assert.equal(await alert.textContent(), "");
    const bytes = await download(page, "output.npy");
    assert.ok(
      Buffer.from(bytes).equals(Buffer.from(nodeRun(c).get("output")!)),
      "the run after the errors is right",
    );
    await page.context().close();
    assert.deepEqual(problems, []);
  });

  test("a seeded random input runs; each layer and direction has a map whose keyboard readout is the exact value", async () => {
    const { page, problems } = await open(plain, "playground.html");
    const c = cases.find((k) => k.name === "lstm-proj-bidir-2layers")!;
    await runCase(page, c);
    // 2 layers × 2 directions; the top layer's forward map is output[..., 0:proj_size].
    const maps = page.locator("#heatmaps canvas");
    assert.equal(await maps.count(), 4);
    const captions = await page.locator("#heatmaps figcaption").allTextContents();
    assert.deepEqual(
      captions.map((t) => t.split(" (")[0]),
      ["Layer 0 · forward", "Layer 0 · reverse", "Layer 1 · forward", "Layer 1 · reverse"],
    );
    const top = maps.nth(2);
    await top.focus();
    for (const key of ["ArrowRight", "ArrowRight", "ArrowDown"]) await page.keyboard.press(key);
    const readout = page.locator("#heatmaps .readout").nth(2);
    const text = (await readout.textContent())!;
    const m = /^t = 2, unit 1: (\S+)$/.exec(text);
    assert.ok(m, `readout: ${text}`);
    const output = npy(nodeRun(c).get("output")!, "output"); // (L, N, 2·P), P = 2
    const want = output.data[(2 * output.shape[1]! + 0) * output.shape[2]! + 1]!;
    assert.equal(Math.fround(Number(m[1])), want, "the readout reads back as the library's float32 value");
    // A gate: the forget gate of layer 0 forward at t = 1, unit 0 is nn.traceRecurrent's.
    await page.getByLabel("Show").selectOption({ label: "Forget gate f" });
    assert.equal(await maps.count(), 4);
    assert.match(
      (await page.locator("#heatmaps figcaption").first().textContent())!,
      /^Layer 0 · forward · gate f/,
    );
    await maps.nth(0).focus();
    await page.keyboard.press("ArrowRight");
    const gateText = (await page.locator("#heatmaps .readout").nth(0).textContent())!;
    const g = /^t = 1, unit 0: (\S+)$/.exec(gateText);
    assert.ok(g, `readout: ${gateText}`);
    const { module, x } = nodeModel(c);
    const gates = nn.traceRecurrent(module, x).steps[0]!.gates!; // (L, N, 4H): i, f, g, o
    const H = module.hiddenSize;
    assert.equal(Math.fround(Number(g[1])), gates.data[(1 * gates.shape[1]! + 0) * 4 * H + H]);
    await page.getByLabel("Show").selectOption({ label: "Output h_t" });
    // The seeded random input (rnnkit's own generator): the shapes follow the fields.
    await page.getByLabel("Seeded random input").check();
    await page.getByLabel("Sequence length").fill("9");
    await page.getByLabel("Batch size").fill("4");
    await page.getByLabel("Lengths").fill("9,3,7,1");
    await page.getByRole("button", { name: "Run" }).click();
    await page.getByText(/^Done in /).waitFor();
    const out = npy(await download(page, "output.npy"), "output");
    assert.deepEqual([...out.shape], [9, 4, 4]);
    await page.getByLabel("Sequence in the batch").selectOption("1");
    await page.locator("#heatmaps canvas").nth(0).focus();
    await page.keyboard.press("End");
    assert.match(
      (await page.locator("#heatmaps .readout").nth(0).textContent())!,
      /^t = 8, unit 0: padding \(past sequence 1's length 3\)/,
    );
    if (SHOTS) {
      await runCase(page, cases.find((k) => k.name === "lstm-bidir-2layers-packed-showcase")!);
      await page.getByLabel("Sequence in the batch").selectOption("1");
      await page.locator("#heatmaps canvas").nth(2).focus();
      for (let i = 0; i < 6; i++) await page.keyboard.press("ArrowRight");
      for (let i = 0; i < 4; i++) await page.keyboard.press("ArrowDown");
      await page.screenshot({ path: join(ROOT, "docs", "pages-playground.png"), fullPage: true });
    }
    await page.context().close();
    assert.deepEqual(problems, []);
  });

  test("every playground control is reachable by keyboard", async () => {
    const { page, problems } = await open(plain, "playground.html");
    await runCase(page, cases.find((k) => k.name === "rnn-relu-2layers-packed")!);
    await assertAccessible(page, "playground.html with results");
    // (page.evaluate of expressions as text: this file is typechecked without the DOM library)
    await page.evaluate("document.activeElement?.blur()");
    const seen: string[] = [];
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press("Tab");
      const e = "document.activeElement";
      seen.push(
        await page.evaluate<string>(
          `${e}.id || ${e}.getAttribute("aria-label")?.split(":")[0] || ${e}.textContent.trim() || ${e}.tagName`,
        ),
      );
    }
    const want = [
      "Skip to content",
      "Playground",
      "model",
      "source-file", // the checked radio of the group (choosing an Input file checked it)
      "seed",
      "steps",
      "batch",
      "input",
      "lengths",
      "batch-first",
      "nonlinearity",
      "run",
      "output.npy",
      "h_n.npy",
      "sequence",
      "Layer 0 · forward",
      "Layer 1 · forward",
    ];
    for (const w of want) assert.ok(seen.includes(w), `Tab reaches ${w} (saw ${seen.join(" | ")})`);
    // The second radio of the group: arrow keys, as for every radio group.
    await page.locator("#source-file").focus();
    await page.keyboard.press("ArrowUp");
    assert.equal(await page.evaluate("document.activeElement?.id"), "source-random");
    assert.equal(await page.locator("#source-random").isChecked(), true);
    await page.context().close();
    assert.deepEqual(problems, []);
  });

  test("npm run pages:dev serves the pages cross-origin isolated (COOP/COEP), and the playground runs there", async () => {
    const dev = await createServer({
      configFile: join(ROOT, "web", "vite.config.ts"),
      logLevel: "silent",
      server: { host: "127.0.0.1", port: 0, strictPort: false, hmr: false },
    });
    await dev.listen();
    try {
      const url = dev.resolvedUrls!.local[0]!;
      const r = await fetch(`${url}playground.html`);
      assert.equal(r.headers.get("cross-origin-opener-policy"), "same-origin");
      assert.equal(r.headers.get("cross-origin-embedder-policy"), "require-corp");
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${url}playground.html`);
      assert.equal(await page.evaluate("crossOriginIsolated"), true);
      const c = cases.find((k) => k.name === "gru-packed-batch-first")!;
      await runCase(page, c);
      assert.match((await page.locator("#status").textContent())!, /, \d+ threads?\.$/);
      const bytes = await download(page, "output.npy");
      assert.ok(Buffer.from(bytes).equals(Buffer.from(nodeRun(c).get("output")!)));
      await page.close();
      assert.deepEqual(errors, []);
    } finally {
      await dev.close();
    }
  });

  test("the explainer shows the library's numbers, and its whole state lives in the URL hash", async () => {
    const { page, problems } = await open(plain, "explain.html");
    await page.locator("body[data-ready]").waitFor();
    // The first card: the first tutorial's call (torch.manual_seed(23435), nn.RNN(4, 3, batch_first=True),
    // randn(1, 2, 4)). Its numbers are the library's, computed here the same way.
    manualSeed(23435);
    const rnn = new nn.RNN({ inputSize: 4, hiddenSize: 3, batchFirst: true });
    const [out, hN] = rnn.forward(randn([1, 2, 4]));
    assert.equal(
      await page.locator("#printout").textContent(),
      `output\n${torchPrint(out.data, out.shape)}\n\nh_n\n${torchPrint(hN.data, hN.shape)}`,
    );
    assert.match(
      (await page.locator("#script").textContent())!,
      /torch\.manual_seed\(23435\)\nm = nn\.RNN\(4, 3, batch_first=True\)\nx = torch\.randn\(1, 2, 4\)\noutput, h_n = m\(x\)/,
    );
    // The cell detail of t = 1 is that step's output.
    await page.getByRole("button", { name: "layer 0 forward, t = 1" }).click();
    const ht = (await page.locator(".vec").nth(2).textContent())!;
    assert.ok(ht.includes([...out.data.subarray(3, 6)].map((v) => v.toFixed(4)).join("")), ht);
    // A card, a control and a selected step: all in the hash, and a reload restores them.
    await page.getByRole("button", { name: "3. Two layers" }).click();
    await page.getByLabel("Hidden size").fill("4");
    await page.getByLabel("Hidden size").press("Enter");
    await page.getByLabel("Hidden size").blur();
    await page.getByRole("button", { name: "layer 1 forward, t = 0" }).click();
    const hash = (await page.evaluate("location.hash")) as string;
    assert.match(hash, /card=2&cell=lstm&.*hiddenSize=4&numLayers=2&.*&layer=1&dir=0/);
    const printed = await page.locator("#printout").textContent();
    assert.match(printed!, /c_n/);
    await page.reload();
    await page.locator("body[data-ready]").waitFor();
    assert.equal(await page.evaluate("location.hash"), hash);
    assert.equal(await page.locator("#printout").textContent(), printed);
    assert.equal(await page.getByLabel("Hidden size").inputValue(), "4");
    assert.equal(
      await page.getByRole("button", { name: "layer 1 forward, t = 0" }).getAttribute("aria-pressed"),
      "true",
    );
    // Step walks the selected row in time.
    await page.getByRole("button", { name: "3. Two layers" }).click();
    await page.getByRole("button", { name: "Step", exact: true }).click();
    assert.match((await page.evaluate("location.hash")) as string, /&t=0&/); // steps = 1: stays at t = 0
    await page.getByRole("button", { name: "1. One layer, one sequence" }).click();
    await page.getByRole("button", { name: "Step", exact: true }).click();
    assert.match((await page.evaluate("location.hash")) as string, /&t=1&/);
    await assertAccessible(page, "explain.html after changes");
    if (SHOTS) await page.screenshot({ path: join(ROOT, "docs", "pages-explain.png"), fullPage: true });
    await page.context().close();
    assert.deepEqual(problems, []);
  });
});
