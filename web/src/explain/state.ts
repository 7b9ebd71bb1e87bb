// The explainer's state: one plain object, read from and written to the URL hash (TensorFlow
// Playground's state.ts pattern), so a link or a reload restores exactly what was on screen.

export type Cell = "rnn" | "lstm" | "gru";

export interface ExplainState {
  readonly card: number;
  readonly cell: Cell;
  readonly nonlinearity: "tanh" | "relu";
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly steps: number;
  readonly batch: number;
  readonly seed: number;
  /** The selected cell of the strip: time step, layer, direction (1 = reverse), sequence. */
  readonly t: number;
  readonly layer: number;
  readonly dir: number;
  readonly n: number;
}

export interface Card {
  readonly title: string;
  readonly titleZh: string;
  readonly text: string;
  readonly textZh: string;
  readonly state: Partial<ExplainState>;
}

const BASE: ExplainState = {
  card: 0,
  cell: "rnn",
  nonlinearity: "tanh",
  inputSize: 4,
  hiddenSize: 3,
  numLayers: 1,
  bidirectional: false,
  bias: true,
  batchFirst: true,
  steps: 2,
  batch: 1,
  seed: 23435,
  t: 0,
  layer: 0,
  dir: 0,
  n: 0,
};

/** The narrative cards, after the tutorials rnnkit grew from; each sets the whole model. */
export const CARDS: readonly Card[] = [
  {
    title: "One layer, one sequence",
    titleZh: "单层 RNN",
    text: "torch.manual_seed(23435); nn.RNN(4, 3, batch_first=True) on randn(1, 2, 4): the first tutorial's example. Each step mixes the input x_t with the previous hidden state h_{t−1} and squashes the sum with tanh; h_0 is zeros.",
    textZh: "第一个教程的例子：每一步把输入 x_t 与上一步的隐藏状态 h_{t−1} 线性组合后经过 tanh；h_0 为零。",
    state: {},
  },
  {
    title: "Both directions",
    titleZh: "双向 RNN",
    text: "bidirectional=True adds a second RNN that reads the sequence from the end (drawn right to left). The output at t is [forward h_t, reverse h_t]; h_n holds each direction's last state.",
    textZh:
      "bidirectional=True 增加一个从序列末尾读起的 RNN（从右向左画）。t 时刻的输出是两个方向隐藏状态的拼接。",
    state: { seed: 102, bidirectional: true },
  },
  {
    title: "Two layers",
    titleZh: "两层 LSTM",
    text: "nn.LSTM(5, 6, num_layers=2): the second layer's input at t is the first layer's output at t. An LSTM keeps a cell state c next to h, updated through the gates i, f, g, o.",
    textZh:
      "两层 LSTM：第二层在 t 时刻的输入是第一层在 t 时刻的输出。LSTM 在 h 之外还保留细胞状态 c，由门 i、f、g、o 更新。",
    state: {
      seed: 302,
      cell: "lstm",
      inputSize: 5,
      hiddenSize: 6,
      numLayers: 2,
      batchFirst: false,
      steps: 1,
      batch: 3,
    },
  },
  {
    title: "GRU",
    titleZh: "GRU",
    text: "nn.GRU(5, 6, num_layers=2): gates r, z, n, and PyTorch's variant n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), with b_hn inside the reset gate's product.",
    textZh: "GRU 有 r、z、n 三个门；PyTorch 的写法中 b_hn 在重置门的乘积之内。",
    state: {
      seed: 303,
      cell: "gru",
      inputSize: 5,
      hiddenSize: 6,
      numLayers: 2,
      batchFirst: false,
      steps: 1,
      batch: 3,
    },
  },
  {
    title: "A batch over time",
    titleZh: "批量与时间",
    text: "nn.RNN(3, 8, batch_first=True) on randn(5, 3, 3): five sequences of three steps, run side by side. Choose a sequence to follow it through time.",
    textZh: "五个长度为三的序列并行计算；选择一个序列，沿时间查看它的隐藏状态。",
    state: { seed: 401, inputSize: 3, hiddenSize: 8, steps: 3, batch: 5 },
  },
];

export function cardState(card: number): ExplainState {
  return { ...BASE, ...CARDS[card]!.state, card };
}

const KEYS = Object.keys(BASE) as (keyof ExplainState)[];
const LIMITS: Partial<Record<keyof ExplainState, [number, number]>> = {
  card: [0, CARDS.length - 1],
  inputSize: [1, 16],
  hiddenSize: [1, 16],
  numLayers: [1, 3],
  steps: [1, 12],
  batch: [1, 8],
  seed: [0, 2 ** 31 - 1],
  t: [0, 11],
  layer: [0, 2],
  dir: [0, 1],
  n: [0, 7],
};

/** The state in a hash (`#cell=lstm&hiddenSize=6…`); fields missing or out of range take the card's. */
export function readHash(hash: string): ExplainState {
  const q = new URLSearchParams(hash.replace(/^#/, ""));
  const card = Number(q.get("card") ?? 0);
  let s: ExplainState = cardState(Number.isInteger(card) && card >= 0 && card < CARDS.length ? card : 0);
  for (const k of KEYS) {
    const v = q.get(k);
    if (v === null) continue;
    const d = s[k];
    let value: unknown;
    if (typeof d === "boolean") value = v === "1" ? true : v === "0" ? false : undefined;
    else if (typeof d === "number") {
      const x = Number(v);
      const [lo, hi] = LIMITS[k] ?? [0, Number.MAX_SAFE_INTEGER];
      value = Number.isInteger(x) && x >= lo && x <= hi ? x : undefined;
    } else if (k === "cell") value = ["rnn", "lstm", "gru"].includes(v) ? v : undefined;
    else if (k === "nonlinearity") value = v === "tanh" || v === "relu" ? v : undefined;
    if (value !== undefined) s = { ...s, [k]: value };
  }
  return clampSelection(s);
}

export function writeHash(s: ExplainState): string {
  const q = new URLSearchParams();
  for (const k of KEYS) {
    const v = s[k];
    q.set(k, typeof v === "boolean" ? (v ? "1" : "0") : String(v));
  }
  return `#${q.toString()}`;
}

/** Keeps the selected cell inside the model (after a change of layers, steps, batch or directions). */
export function clampSelection(s: ExplainState): ExplainState {
  return {
    ...s,
    t: Math.min(s.t, s.steps - 1),
    layer: Math.min(s.layer, s.numLayers - 1),
    dir: s.bidirectional ? s.dir : 0,
    n: Math.min(s.n, s.batch - 1),
  };
}

/** The PyTorch script that builds the same model and prints the same numbers. */
export function pytorchScript(s: ExplainState): string {
  const cls = { rnn: "RNN", lstm: "LSTM", gru: "GRU" }[s.cell];
  const args = [String(s.inputSize), String(s.hiddenSize)];
  if (s.numLayers !== 1) args.push(`num_layers=${s.numLayers}`);
  if (s.cell === "rnn" && s.nonlinearity !== "tanh") args.push(`nonlinearity="${s.nonlinearity}"`);
  if (!s.bias) args.push("bias=False");
  if (s.batchFirst) args.push("batch_first=True");
  if (s.bidirectional) args.push("bidirectional=True");
  const shape = s.batchFirst ? [s.batch, s.steps, s.inputSize] : [s.steps, s.batch, s.inputSize];
  return [
    "import torch",
    "import torch.nn as nn",
    "",
    `torch.manual_seed(${s.seed})`,
    `m = nn.${cls}(${args.join(", ")})`,
    `x = torch.randn(${shape.join(", ")})`,
    s.cell === "lstm" ? "output, (h_n, c_n) = m(x)" : "output, h_n = m(x)",
    "print(output)",
    "print(h_n)",
    ...(s.cell === "lstm" ? ["print(c_n)"] : []),
    "",
  ].join("\n");
}
