// The playground page: its state (one object), its view (the DOM below, the heatmaps) and its
// worker calls (worker.ts parses and runs; typed messages, transferred buffers). No math here.

import { Heatmap } from "./heatmap.js";
import type { InputSpec, Reply, Request } from "./protocol.js";

type Loaded = Extract<Reply, { type: "loaded" }>;
type Result = Extract<Reply, { type: "result" }>;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const el = {
  model: $<HTMLInputElement>("model"),
  moduleField: $("module-field"),
  module: $<HTMLSelectElement>("module"),
  architecture: $("architecture"),
  sourceRandom: $<HTMLInputElement>("source-random"),
  sourceFile: $<HTMLInputElement>("source-file"),
  seed: $<HTMLInputElement>("seed"),
  steps: $<HTMLInputElement>("steps"),
  batch: $<HTMLInputElement>("batch"),
  input: $<HTMLInputElement>("input"),
  lengths: $<HTMLInputElement>("lengths"),
  batchFirst: $<HTMLInputElement>("batch-first"),
  nonlinearity: $<HTMLSelectElement>("nonlinearity"),
  run: $<HTMLButtonElement>("run"),
  status: $("status"),
  error: $("error"),
  results: $("results"),
  summary: $("summary"),
  downloads: $("downloads"),
  notes: $("notes"),
  maps: $("maps"),
  sequence: $<HTMLSelectElement>("sequence"),
  quantity: $<HTMLSelectElement>("quantity"),
  heatmaps: $("heatmaps"),
  tooltip: $("tooltip"),
};

/** Everything the page shows follows from this. */
const state = {
  loaded: null as Loaded | null,
  result: null as Result | null,
  busy: false,
  urls: [] as string[],
  maps: [] as Heatmap[],
};

const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
let nextId = 1;
const pending = new Map<number, (r: Reply) => void>();
worker.onmessage = (e: MessageEvent<Reply>) => {
  pending.get(e.data.id)?.(e.data);
  pending.delete(e.data.id);
};
worker.onerror = (e) => showError(`The worker failed: ${e.message}`);

type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

function call(req: WithoutId<Request>, transfer: Transferable[]): Promise<Reply> {
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    worker.postMessage({ ...req, id }, transfer);
  });
}

function showError(message: string): void {
  el.error.textContent = message;
}

function setBusy(busy: boolean, status: string): void {
  state.busy = busy;
  el.run.disabled = busy || !state.loaded || state.loaded.modules.length === 0;
  el.status.textContent = status;
}

const shape = (s: readonly number[]) => `(${s.join(", ")})`;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}

function chosenModule() {
  const l = state.loaded;
  if (!l || l.modules.length === 0) return null;
  return l.modules.find((m) => m.prefix === el.module.value) ?? l.modules[0]!;
}

function renderArchitecture(): void {
  const l = state.loaded;
  if (!l) return;
  const a = chosenModule();
  const rows = l.tensors
    .map(
      (t) =>
        `<tr><td><code>${escapeHtml(t.name)}</code></td><td><code>${shape(t.shape)}</code></td><td>${t.dtype}</td></tr>`,
    )
    .join("");
  const arch = a
    ? `<h3>${a.kind} <span class="badge">inferred</span></h3>
      <dl class="arch">
        <dt>input_size</dt><dd>${a.inputSize}</dd>
        <dt>hidden_size</dt><dd>${a.hiddenSize}</dd>
        <dt>num_layers</dt><dd>${a.numLayers}</dd>
        <dt>bias</dt><dd>${a.bias ? "True" : "False"}</dd>
        <dt>bidirectional</dt><dd>${a.bidirectional ? "True" : "False"}</dd>
        ${a.kind === "LSTM" ? `<dt>proj_size</dt><dd>${a.projSize}</dd>` : ""}
        <dt>dtype</dt><dd>${a.dtype}</dd>
        ${a.prefix ? `<dt>key prefix</dt><dd>${escapeHtml(a.prefix)}</dd>` : ""}
      </dl>
      <p class="note">Not in a state dict, so chosen here: <strong>Batch first</strong>${a.kind === "RNN" ? " and <strong>Nonlinearity</strong>" : ""}.</p>`
    : `<p class="note">No recurrent module: ${escapeHtml(l.problem ?? "none found")}</p>`;
  el.architecture.innerHTML = `${arch}
    <h3>${l.tensors.length} tensors in <code>${escapeHtml(l.name)}</code></h3>
    <div class="table-scroll"><table><thead><tr><th scope="col">Name</th><th scope="col">Shape</th><th scope="col">dtype</th></tr></thead>
    <tbody>${rows}</tbody></table></div>`;
  el.nonlinearity.disabled = a?.kind !== "RNN";
}

async function loadModel(): Promise<void> {
  const f = el.model.files?.[0];
  if (!f) return;
  showError("");
  clearResults();
  state.loaded = null;
  setBusy(true, `Reading ${f.name}…`);
  const bytes = await f.arrayBuffer();
  const r = await call({ type: "load", name: f.name, bytes }, [bytes]);
  if (r.type === "error") {
    el.architecture.innerHTML = `<p class="note">No model loaded.</p>`;
    el.moduleField.hidden = true;
    showError(r.message);
    setBusy(false, "That file could not be read. Choose another Model file.");
    return;
  }
  if (r.type !== "loaded") return;
  state.loaded = r;
  el.module.innerHTML = r.modules
    .map(
      (m) =>
        `<option value="${escapeHtml(m.prefix)}">${escapeHtml(m.prefix || "(no prefix)")} — ${m.kind}</option>`,
    )
    .join("");
  el.moduleField.hidden = r.modules.length < 2;
  renderArchitecture();
  if (r.modules.length === 0) showError(r.problem ?? "No recurrent module in this file.");
  setBusy(false, r.modules.length ? `Loaded ${f.name}. Choose the input, then Run.` : "");
}

function clearResults(): void {
  for (const u of state.urls) URL.revokeObjectURL(u);
  state.urls = [];
  state.maps = [];
  state.result = null;
  el.results.hidden = true;
  el.maps.hidden = true;
  el.heatmaps.replaceChildren();
  el.downloads.replaceChildren();
}

async function run(): Promise<void> {
  const a = chosenModule();
  if (!a || state.busy) return;
  showError("");
  let input: InputSpec;
  const transfer: Transferable[] = [];
  if (el.sourceFile.checked) {
    const f = el.input.files?.[0];
    if (!f) {
      showError("Input: choose a .npy file, or the seeded random input");
      return;
    }
    const bytes = await f.arrayBuffer();
    input = { kind: "npy", name: f.name, bytes };
    transfer.push(bytes);
  } else {
    const num = (e: HTMLInputElement, what: string, min: number) => {
      const v = Number(e.value);
      if (!Number.isSafeInteger(v) || v < min)
        throw new Error(`${what} must be a whole number ≥ ${min}, got '${e.value}'`);
      return v;
    };
    try {
      input = {
        kind: "random",
        seed: num(el.seed, "Seed", 0),
        length: num(el.steps, "Sequence length", 1),
        batch: num(el.batch, "Batch size", 1),
      };
    } catch (e) {
      showError((e as Error).message);
      return;
    }
  }
  clearResults();
  setBusy(true, "Running…");
  const r = await call(
    {
      type: "run",
      prefix: a.prefix,
      nonlinearity: a.kind === "RNN" ? (el.nonlinearity.value as "tanh" | "relu") : undefined,
      batchFirst: el.batchFirst.checked,
      lengths: el.lengths.value,
      input,
    },
    transfer,
  );
  if (r.type === "error") {
    showError(r.message);
    setBusy(false, "The run failed; change the input or options and Run again.");
    return;
  }
  if (r.type !== "result") return;
  state.result = r;
  renderResult(r);
  setBusy(
    false,
    `Done in ${r.ms.toFixed(0)} ms on ${r.kernels}, ${r.threads} thread${r.threads > 1 ? "s" : ""}.`,
  );
}

function renderResult(r: Result): void {
  const a = chosenModule()!;
  el.summary.innerHTML = `<p>${a.kind} on input <code>${shape(r.inputShape)}</code>${el.lengths.value.trim() ? `, lengths <code>${escapeHtml(el.lengths.value.trim())}</code> (packed)` : ""}:
    ${r.downloads.map((d) => `<code>${d.name.replace(".npy", "")}</code> <code>${shape(d.shape)}</code>`).join(", ")}.</p>
    <p class="note">The same files as <code>rnnkit run ${escapeHtml(state.loaded!.name)} --input X.npy${el.lengths.value.trim() ? ` --lengths ${escapeHtml(el.lengths.value.trim())}` : ""}${el.batchFirst.checked ? " --batch-first" : ""}${a.kind === "RNN" && el.nonlinearity.value === "relu" ? " --nonlinearity relu" : ""}${a.prefix ? ` --prefix ${escapeHtml(a.prefix)}` : ""} --out DIR</code>.</p>`;
  for (const d of r.downloads) {
    const url = URL.createObjectURL(new Blob([d.bytes], { type: "application/octet-stream" }));
    state.urls.push(url);
    const link = document.createElement("a");
    link.className = "button quiet";
    link.href = url;
    link.download = d.name;
    link.textContent = d.name;
    el.downloads.append(link);
  }
  el.notes.replaceChildren(
    ...r.notes.map((n) => {
      const li = document.createElement("li");
      li.textContent = n;
      return li;
    }),
  );
  el.results.hidden = false;

  const batch = r.traces[0]?.batch ?? 0;
  el.sequence.innerHTML = Array.from(
    { length: batch },
    (_, n) => `<option value="${n}">Sequence ${n} (length ${r.lengths[n]})</option>`,
  ).join("");
  el.sequence.disabled = batch < 2;
  const names: Record<string, string> = {
    h: "Output h_t",
    c: "Cell state c_t",
    i: "Input gate i",
    f: "Forget gate f",
    g: "Cell candidate g",
    o: "Output gate o",
    r: "Reset gate r",
    z: "Update gate z",
    n: "New gate n",
  };
  const quantities = [...new Set(r.traces.map((t) => t.quantity))];
  el.quantity.innerHTML = quantities.map((q) => `<option value="${q}">${names[q]}</option>`).join("");
  el.quantity.disabled = quantities.length < 2;
  el.maps.hidden = false;
  showMaps();
}

function showMaps(): void {
  const r = state.result;
  if (!r) return;
  const q = el.quantity.value || "h";
  state.maps = r.traces.filter((t) => t.quantity === q).map((t) => new Heatmap(t, r.lengths, el.tooltip));
  el.heatmaps.replaceChildren(...state.maps.map((m) => m.element));
  const n = Number(el.sequence.value || 0);
  for (const m of state.maps) m.show(n);
}

el.model.addEventListener("change", () => void loadModel());
el.module.addEventListener("change", () => {
  clearResults();
  renderArchitecture();
});
el.input.addEventListener("change", () => {
  if (el.input.files?.length) el.sourceFile.checked = true;
});
el.sequence.addEventListener("change", () => {
  for (const m of state.maps) m.show(Number(el.sequence.value));
});
el.quantity.addEventListener("change", showMaps);
el.run.addEventListener("click", () => void run());
document.getElementById("legend-min")!.textContent = "− largest |value|";
document.getElementById("legend-max")!.textContent = "+ largest |value| (each map its own)";
document.body.dataset.ready = "true";
