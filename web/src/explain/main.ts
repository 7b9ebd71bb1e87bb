// The explainer page: its state (state.ts, in the URL hash), its view (the cards, the unrolled
// strip, the cell detail, PyTorch's printout) and the numbers (model.ts: the library's forward).
// The models are a few dozen weights, so they run on the main thread (microseconds).

import { initKernels } from "rnnkit";
import { exact, torchPrint } from "../common/format.js";
import { GATE_NAMES, type LayerTrace, type Quantity } from "../common/layers.js";
import { type Computed, compute } from "./model.js";
import {
  CARDS,
  type Cell,
  cardState,
  clampSelection,
  type ExplainState,
  pytorchScript,
  readHash,
  writeHash,
} from "./state.js";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let state: ExplainState = readHash(location.hash);
let computed: Computed | null = null;
let computedFor = "";
let timer: number | null = null;

const EQUATIONS: Record<Cell, string[]> = {
  rnn: ["h_t = act(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)        act = tanh or relu"],
  lstm: [
    "i, f, g, o = chunk(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh, 4)",
    "i = σ(i)   f = σ(f)   g = tanh(g)   o = σ(o)",
    "c_t = f ⊙ c_{t−1} + i ⊙ g",
    "h_t = o ⊙ tanh(c_t)                (proj_size: h_t = W_hr (o ⊙ tanh(c_t)))",
  ],
  gru: [
    "r, z, _ = chunk(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh, 3);  r = σ(r)  z = σ(z)",
    "n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t−1} + b_hn))",
    "h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}",
  ],
};

const GATE_NOTES: Partial<Record<Quantity, string>> = {
  i: "input gate σ(·)",
  f: "forget gate σ(·)",
  g: "cell candidate tanh(·)",
  o: "output gate σ(·)",
  r: "reset gate σ(·)",
  z: "update gate σ(·)",
  n: "new gate tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))",
};

function set(next: Partial<ExplainState>): void {
  state = clampSelection({ ...state, ...next });
  history.replaceState(null, "", writeHash(state));
  render();
}

function modelKey(s: ExplainState): string {
  const { t: _t, layer: _l, dir: _d, n: _n, card: _c, ...model } = s;
  return JSON.stringify(model);
}

function trace(layer: number, dir: number, quantity: Quantity = "h"): LayerTrace {
  return computed!.traces.find(
    (t) => t.layer === layer && (t.reverse ? 1 : 0) === dir && t.quantity === quantity,
  )!;
}

function row(tr: LayerTrace, n: number, t: number): number[] {
  const o = (n * tr.steps + t) * tr.units;
  return Array.from(tr.data.subarray(o, o + tr.units));
}

function vector(label: string, values: readonly number[], note = ""): string {
  const cells = values
    .map((v) => `<span class="num" title="${exact(v, "float32")}">${v.toFixed(4)}</span>`)
    .join("");
  return `<div class="vec"><span class="vec-label">${label}</span><span class="vec-values">[${cells}]</span>${note ? `<span class="note"> ${note}</span>` : ""}</div>`;
}

function renderControls(): void {
  $<HTMLSelectElement>("cell").value = state.cell;
  $<HTMLSelectElement>("nonlinearity").value = state.nonlinearity;
  $<HTMLSelectElement>("nonlinearity").disabled = state.cell !== "rnn";
  for (const k of ["inputSize", "hiddenSize", "numLayers", "steps", "batch", "seed"] as const)
    $<HTMLInputElement>(k).value = String(state[k]);
  for (const k of ["bidirectional", "bias", "batchFirst"] as const) $<HTMLInputElement>(k).checked = state[k];
  document.querySelectorAll<HTMLButtonElement>("#cards button").forEach((b, i) => {
    b.setAttribute("aria-pressed", String(i === state.card));
  });
  const c = CARDS[state.card]!;
  $("card-text").innerHTML =
    `<h2>${c.title} <span lang="zh">· ${c.titleZh}</span></h2><p>${c.text}</p><p lang="zh">${c.textZh}</p>`;
}

function renderStrip(): void {
  const { steps } = state;
  const D = state.bidirectional ? 2 : 1;
  const rows: string[] = [];
  for (let layer = state.numLayers - 1; layer >= 0; layer--)
    for (let dir = 0; dir < D; dir++) {
      const tr = trace(layer, dir);
      const cells: string[] = [];
      for (let t = 0; t < steps; t++) {
        const h = row(tr, state.n, t);
        const sel = t === state.t && layer === state.layer && dir === state.dir;
        const bars = h
          .map((v) => {
            const w = Math.min(1, Math.abs(v));
            return `<span class="hbar ${v < 0 ? "neg" : "pos"}" style="--w:${(w * 100).toFixed(1)}%"></span>`;
          })
          .join("");
        cells.push(
          `<button type="button" class="strip-step${sel ? " selected" : ""}" data-t="${t}" data-layer="${layer}" data-dir="${dir}" aria-pressed="${sel}" aria-label="layer ${layer} ${dir ? "reverse" : "forward"}, t = ${t}">` +
            `<span class="strip-t">t=${t}</span><span class="hbars">${bars}</span></button>`,
        );
      }
      const arrow = dir ? "←" : "→";
      rows.push(
        `<div class="strip-row${dir ? " reverse" : ""}"><span class="strip-label">layer ${layer}<br>${dir ? "reverse ←" : "forward →"}</span><div class="strip-cells" style="--steps:${steps}">${cells.join(`<span class="arrow" aria-hidden="true">${arrow}</span>`)}</div></div>`,
      );
    }
  $("strip").innerHTML = rows.join("");
  $<HTMLButtonElement>("play").textContent = timer === null ? "Play" : "Pause";
}

function renderDetail(): void {
  const c = computed!;
  const { t, layer, dir, n } = state;
  const tr = trace(layer, dir);
  const prevT = dir ? t + 1 : t - 1;
  const hPrev = prevT < 0 || prevT >= state.steps ? new Array(tr.units).fill(0) : row(tr, n, prevT);
  let x: number[];
  if (layer === 0) {
    const o = (n * state.steps + t) * state.inputSize;
    x = Array.from(c.x.subarray(o, o + state.inputSize));
  } else {
    x = row(trace(layer - 1, 0), n, t);
    if (state.bidirectional) x = x.concat(row(trace(layer - 1, 1), n, t));
  }
  const kind = state.cell === "rnn" ? `RNN (${state.nonlinearity})` : state.cell.toUpperCase();
  $("detail").innerHTML = `
    <h3>Layer ${layer}, ${dir ? "reverse" : "forward"} direction, t = ${t}${state.batch > 1 ? `, sequence ${n}` : ""}: one ${kind} step</h3>
    ${vector("x_t", x, layer === 0 ? "the input" : `layer ${layer - 1}'s output at t`)}
    ${vector(dir ? "h_{t+1}" : "h_{t−1}", hPrev, prevT < 0 || prevT >= state.steps ? "h_0: zeros" : "")}
    ${GATE_NAMES[({ rnn: "RNN", lstm: "LSTM", gru: "GRU" } as const)[state.cell]].map((q) => vector(q, row(trace(layer, dir, q), n, t), GATE_NOTES[q] ?? "")).join("")}
    ${state.cell === "lstm" ? vector("c_t", row(trace(layer, dir, "c"), n, t), "the cell state") : ""}
    ${vector("h_t", row(tr, n, t), "this step's output")}
    <pre class="equation">${EQUATIONS[state.cell].join("\n")}</pre>
    <p class="note">Weights of this layer-direction: ${c.parameters
      .filter(([k]) => new RegExp(`_l${layer}${dir ? "_reverse" : ""}$`).test(k))
      .map(([k, p]) => `<code>${k}</code> (${p.shape.join(", ")})`)
      .join(", ")}.
      Gate values are the forward's own (nn.traceRecurrent), in PyTorch's chunk order.</p>`;
}

function renderPrint(): void {
  const c = computed!;
  const parts = [
    `output\n${torchPrint(c.output.data, c.output.shape)}`,
    `h_n\n${torchPrint(c.hN.data, c.hN.shape)}`,
  ];
  if (c.cN) parts.push(`c_n\n${torchPrint(c.cN.data, c.cN.shape)}`);
  $("printout").textContent = parts.join("\n\n");
  $("script").textContent = pytorchScript(state);
}

function render(): void {
  const key = modelKey(state);
  if (key !== computedFor) {
    try {
      computed = compute(state);
      computedFor = key;
      $("error").textContent = "";
    } catch (e) {
      $("error").textContent = (e as Error).message;
      return;
    }
  }
  renderControls();
  renderStrip();
  renderDetail();
  renderPrint();
  const seq = $<HTMLSelectElement>("sequence");
  seq.innerHTML = Array.from(
    { length: state.batch },
    (_, i) => `<option value="${i}">Sequence ${i}</option>`,
  ).join("");
  seq.value = String(state.n);
  seq.disabled = state.batch < 2;
}

function step(): void {
  const last = state.dir ? 0 : state.steps - 1;
  const next = state.t === last ? (state.dir ? state.steps - 1 : 0) : state.t + (state.dir ? -1 : 1);
  set({ t: next });
}

function wire(): void {
  $("cards").innerHTML = CARDS.map(
    (c, i) =>
      `<button type="button" class="card-button" data-card="${i}" aria-pressed="false">${i + 1}. ${c.title}</button>`,
  ).join("");
  $("cards").addEventListener("click", (e) => {
    const b = (e.target as HTMLElement).closest<HTMLButtonElement>("button[data-card]");
    if (!b) return;
    state = cardState(Number(b.dataset.card));
    set({});
  });
  $("cell").addEventListener("change", () => set({ cell: $<HTMLSelectElement>("cell").value as Cell }));
  $("nonlinearity").addEventListener("change", () =>
    set({ nonlinearity: $<HTMLSelectElement>("nonlinearity").value as "tanh" | "relu" }),
  );
  const limits: Record<string, [number, number]> = {
    inputSize: [1, 16],
    hiddenSize: [1, 16],
    numLayers: [1, 3],
    steps: [1, 12],
    batch: [1, 8],
    seed: [0, 2 ** 31 - 1],
  };
  for (const [k, [lo, hi]] of Object.entries(limits))
    $<HTMLInputElement>(k).addEventListener("change", () => {
      const v = Number($<HTMLInputElement>(k).value);
      if (!Number.isInteger(v) || v < lo || v > hi) {
        $("error").textContent =
          `${$(`${k}-label`).textContent}: a whole number from ${lo} to ${hi}, got '${$<HTMLInputElement>(k).value}'`;
        return;
      }
      set({ [k]: v });
    });
  for (const k of ["bidirectional", "bias", "batchFirst"] as const)
    $<HTMLInputElement>(k).addEventListener("change", () => set({ [k]: $<HTMLInputElement>(k).checked }));
  $("strip").addEventListener("click", (e) => {
    const b = (e.target as HTMLElement).closest<HTMLButtonElement>("button[data-t]");
    if (!b) return;
    set({ t: Number(b.dataset.t), layer: Number(b.dataset.layer), dir: Number(b.dataset.dir) });
    document
      .querySelector<HTMLButtonElement>(
        `#strip button[data-t="${b.dataset.t}"][data-layer="${b.dataset.layer}"][data-dir="${b.dataset.dir}"]`,
      )
      ?.focus();
  });
  $("sequence").addEventListener("change", () => set({ n: Number($<HTMLSelectElement>("sequence").value) }));
  $("step").addEventListener("click", step);
  $("play").addEventListener("click", () => {
    if (timer === null) timer = window.setInterval(step, 900);
    else {
      window.clearInterval(timer);
      timer = null;
    }
    renderStrip();
  });
  $("copy").addEventListener("click", async () => {
    const text = pytorchScript(state);
    try {
      await navigator.clipboard.writeText(text);
      $("copy-status").textContent = "Copied: paste it into Python with PyTorch.";
    } catch {
      $("copy-status").textContent = "The browser did not allow copying; select the script below instead.";
    }
  });
  window.addEventListener("hashchange", () => {
    state = readHash(location.hash);
    render();
  });
}

void initKernels().then(() => {
  wire();
  history.replaceState(null, "", writeHash(state));
  render();
  document.body.dataset.ready = "true";
});
