// A canvas heatmap of one layer-direction's output over time (Canvas pixels, as TensorFlow
// Playground's heatmap.ts): time left to right, hidden units top to bottom, one sequence of the
// batch at a time. Exact values on hover and, for the keyboard, with the arrow keys on the focused
// map (read out in an aria-live line). Only drawing here: the values are the library's.

import { exact } from "../common/format.js";
import type { LayerTrace } from "./protocol.js";

const NEG = [44, 90, 160];
const MID = [247, 247, 247];
const POS = [178, 24, 43];

function colour(v: number, scale: number): string {
  const t = scale > 0 ? Math.max(-1, Math.min(1, v / scale)) : 0;
  const [a, b] = t < 0 ? [MID, NEG] : [MID, POS];
  const k = Math.abs(t);
  const c = a.map((x, i) => Math.round(x + (b[i]! - x) * k));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

export class Heatmap {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly readout: HTMLElement;
  private sequence = 0;
  private cursor: { t: number; u: number } | null = null;
  private readonly scale: number;

  constructor(
    private readonly trace: LayerTrace,
    private readonly lengths: readonly number[],
    private readonly tooltip: HTMLElement,
  ) {
    let max = 0;
    for (const v of trace.data) if (Number.isFinite(v)) max = Math.max(max, Math.abs(v));
    this.scale = max;
    const fig = document.createElement("figure");
    fig.className = "heatmap";
    const dir = trace.reverse ? "reverse" : "forward";
    const what =
      trace.quantity === "h" ? "" : trace.quantity === "c" ? " · cell state c" : ` · gate ${trace.quantity}`;
    const title = `Layer ${trace.layer} · ${dir}${what}`;
    const cap = document.createElement("figcaption");
    cap.textContent = `${title} (${trace.units} units × ${trace.steps} steps)`;
    this.canvas = document.createElement("canvas");
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute(
      "aria-label",
      `${title}: ${trace.quantity === "h" ? "output" : "values"} over ${trace.steps} time steps for ${trace.units} hidden units. Use the arrow keys to read values.`,
    );
    this.canvas.style.height = `${Math.max(90, Math.min(300, trace.units * 22))}px`;
    const axes = document.createElement("div");
    axes.className = "axes";
    axes.innerHTML = `<span>t = 0</span><span>time →</span><span>t = ${trace.steps - 1}</span>`;
    this.readout = document.createElement("div");
    this.readout.className = "readout";
    this.readout.setAttribute("aria-live", "polite");
    this.readout.textContent = `|value| ≤ ${exact(this.scale, trace.dtype)} in this layer`;
    fig.append(cap, this.canvas, axes, this.readout);
    this.element = fig;

    this.canvas.addEventListener("mousemove", (e) => this.hover(e));
    this.canvas.addEventListener("mouseleave", () => {
      this.tooltip.hidden = true;
    });
    this.canvas.addEventListener("keydown", (e) => this.key(e));
    this.canvas.addEventListener("focus", () => {
      if (!this.cursor) this.moveTo(0, 0);
      else this.draw();
    });
    this.canvas.addEventListener("blur", () => this.draw());
    new ResizeObserver(() => this.draw()).observe(this.canvas);
  }

  show(sequence: number): void {
    this.sequence = sequence;
    this.draw();
    if (this.cursor) this.say(this.cursor.t, this.cursor.u);
  }

  private value(t: number, u: number): number {
    const { steps, units } = this.trace;
    return this.trace.data[(this.sequence * steps + t) * units + u]!;
  }

  private padding(t: number): boolean {
    return t >= (this.lengths[this.sequence] ?? this.trace.steps);
  }

  private describe(t: number, u: number): string {
    if (this.padding(t))
      return `t = ${t}, unit ${u}: padding (past sequence ${this.sequence}'s length ${this.lengths[this.sequence]}), ${exact(this.value(t, u), this.trace.dtype)}`;
    return `t = ${t}, unit ${u}: ${exact(this.value(t, u), this.trace.dtype)}`;
  }

  private say(t: number, u: number): void {
    this.readout.textContent = this.describe(t, u);
  }

  private moveTo(t: number, u: number): void {
    const { steps, units } = this.trace;
    this.cursor = { t: Math.max(0, Math.min(steps - 1, t)), u: Math.max(0, Math.min(units - 1, u)) };
    this.draw();
    this.say(this.cursor.t, this.cursor.u);
  }

  private key(e: KeyboardEvent): void {
    const c = this.cursor ?? { t: 0, u: 0 };
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [-1, 0],
      ArrowRight: [1, 0],
      ArrowUp: [0, -1],
      ArrowDown: [0, 1],
    };
    if (e.key === "Home") this.moveTo(0, c.u);
    else if (e.key === "End") this.moveTo(this.trace.steps - 1, c.u);
    else if (moves[e.key]) {
      const [dt, du] = moves[e.key]!;
      this.moveTo(c.t + dt, c.u + du);
    } else return;
    e.preventDefault();
  }

  private cellAt(e: MouseEvent): { t: number; u: number } {
    const r = this.canvas.getBoundingClientRect();
    const t = Math.floor(((e.clientX - r.left) / r.width) * this.trace.steps);
    const u = Math.floor(((e.clientY - r.top) / r.height) * this.trace.units);
    return {
      t: Math.max(0, Math.min(this.trace.steps - 1, t)),
      u: Math.max(0, Math.min(this.trace.units - 1, u)),
    };
  }

  private hover(e: MouseEvent): void {
    const { t, u } = this.cellAt(e);
    this.tooltip.textContent = this.describe(t, u);
    this.tooltip.hidden = false;
    this.tooltip.style.left = `${e.clientX + 14}px`;
    this.tooltip.style.top = `${e.clientY + 14}px`;
    this.say(t, u);
  }

  private draw(): void {
    const { steps, units } = this.trace;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    const h = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (this.canvas.width !== w) this.canvas.width = w;
    if (this.canvas.height !== h) this.canvas.height = h;
    const g = this.canvas.getContext("2d");
    if (!g) return;
    const cw = w / steps;
    const ch = h / units;
    const gap = cw > 8 * dpr && ch > 8 * dpr ? dpr : 0;
    g.fillStyle = "#ffffff";
    g.fillRect(0, 0, w, h);
    for (let t = 0; t < steps; t++) {
      const pad = this.padding(t);
      for (let u = 0; u < units; u++) {
        const x = Math.floor(t * cw);
        const y = Math.floor(u * ch);
        const cwi = Math.floor((t + 1) * cw) - x - gap;
        const chi = Math.floor((u + 1) * ch) - y - gap;
        if (pad) {
          g.fillStyle = "#eef0f4";
          g.fillRect(x, y, cwi, chi);
          g.strokeStyle = "#cfd5df";
          g.lineWidth = dpr;
          g.beginPath();
          g.moveTo(x, y + chi);
          g.lineTo(x + cwi, y);
          g.stroke();
        } else {
          g.fillStyle = colour(this.value(t, u), this.scale);
          g.fillRect(x, y, cwi, chi);
        }
      }
    }
    if (this.cursor && document.activeElement === this.canvas) {
      const { t, u } = this.cursor;
      g.strokeStyle = "#111827";
      g.lineWidth = 2 * dpr;
      g.strokeRect(
        Math.floor(t * cw) + dpr,
        Math.floor(u * ch) + dpr,
        cw - 2 * dpr - gap,
        ch - 2 * dpr - gap,
      );
    }
  }
}
