// The tutorials rnnkit grew from (../shared/seeds/) each hand-write nn.RNN / LSTM / GRU and
// compare with PyTorch. First, the first tutorial's own program from its own seed: rnnkit's
// manualSeed draws PyTorch's stream, so it prints the tutorial's numbers (and they are bit for bit
// PyTorch's, test/fixtures/torch_random case tutorial-000). Then every tutorial's check rerun
// with rnnkit against PyTorch's outputs (test/fixtures/seeds.*, written by
// scripts/fixtures/seeds.py), with the largest difference. Seed 003's LSTM and GRU hand-written
// versions computed only the first of two layers; here both layers are computed and match.
//
//   npm run seeds            (node --import tsx examples/seeds.ts)

import { manualSeed, nn, randn, type Tensor } from "../src/index.js";
import { FORWARD_TOL } from "../test/helpers/assert.js";
import { type FixtureCase, loadFixtures } from "../test/helpers/fixtures.js";

type Recurrent = nn.RNN | nn.LSTM | nn.GRU;

function build(c: FixtureCase): Recurrent {
  const options = c.meta.options as nn.LSTMOptions & nn.RNNOptions;
  const m =
    c.meta.module === "LSTM"
      ? new nn.LSTM(options)
      : c.meta.module === "GRU"
        ? new nn.GRU(options)
        : new nn.RNN(options);
  m.loadStateDict(c.withPrefix("state."));
  return m.eval();
}

function run(m: Recurrent, c: FixtureCase): Record<string, Tensor> {
  const x = c.t("input");
  if (m instanceof nn.LSTM) {
    const [output, [hN, cN]] = m.forward(x, c.has("h0") ? [c.t("h0"), c.t("c0")] : null);
    return { output, h_n: hN, c_n: cN };
  }
  const [output, hN] = m.forward(x, c.has("h0") ? c.t("h0") : null);
  return { output, h_n: hN };
}

function maxDiff(a: Tensor, b: Tensor): number {
  if (a.shape.join() !== b.shape.join()) return Number.POSITIVE_INFINITY;
  let d = 0;
  for (let i = 0; i < a.data.length; i++) d = Math.max(d, Math.abs(a.data[i]! - b.data[i]!));
  return d;
}

/** A tensor as torch prints it with set_printoptions(precision=3, sci_mode=False). */
function printed(t: Tensor): string {
  const cell = (v: number) => v.toFixed(3).padStart(6);
  const rec = (dims: readonly number[], offset: number, depth: number): string => {
    if (dims.length === 1)
      return `[${Array.from(t.data.subarray(offset, offset + dims[0]!), cell).join(", ")}]`;
    const stride = dims.slice(1).reduce((a, b) => a * b, 1);
    const rows = Array.from({ length: dims[0]! }, (_, i) =>
      rec(dims.slice(1), offset + i * stride, depth + 1),
    );
    return `[${rows.join(`,\n${" ".repeat(depth + 8)}`)}]`;
  };
  return `tensor(${rec(t.shape, 0, 0)})`;
}

// 000, from its own seed: torch.manual_seed(23435); nn.RNN(4, 3, batch_first=True); randn(1, 2, 4).
manualSeed(23435);
const rnn = new nn.RNN({ inputSize: 4, hiddenSize: 3, batchFirst: true });
const x = randn([1, 2, 4]);
const [output, hN] = rnn.forward(x);
console.log(
  "seed 000, from its own seed: manualSeed(23435); new nn.RNN({ inputSize: 4, hiddenSize: 3, batchFirst: true })",
);
console.log(String(rnn));
for (const [name, p] of rnn.namedParameters()) console.log(`('${name}', ${printed(p)})`);
console.log(`input_matrix = randn([1, 2, 4])\n${printed(x)}`);
console.log(`output_matrix=\n${printed(output)}\noutput_hn=\n${printed(hN)}`);
const tutorial = loadFixtures("torch_random").cases.find((c) => c.name === "tutorial-000")!;
const same = (a: Tensor, b: Tensor) =>
  a.shape.join() === b.shape.join() && a.data.every((v, i) => Object.is(v, b.data[i]));
const bitIdentical =
  Object.entries(rnn.stateDict()).every(([k, v]) => same(v, tutorial.t(`s0.${k}`))) &&
  same(x, tutorial.t("s1"));
console.log(
  bitIdentical
    ? "the weights and the input are bit for bit PyTorch's (torch.manual_seed(23435), the tutorial's printout)\n"
    : "FAIL: the weights or the input differ from PyTorch's\n",
);

const fx = loadFixtures("seeds");
console.log(
  `rnnkit vs PyTorch ${fx.torch} on the tutorials' own checks (float32; tolerance ${FORWARD_TOL.float32.atol} + ${FORWARD_TOL.float32.rtol}·|x|)\n`,
);
let failures = bitIdentical ? 0 : 1;
for (const c of fx.cases) {
  const m = build(c);
  const got = run(m, c);
  const diffs = Object.entries(got).map(([k, v]) => [k, maxDiff(v, c.t(k)), v.shape] as const);
  const worst = Math.max(...diffs.map(([, d]) => d));
  const ok = Object.entries(got).every(([k, v]) => {
    const e = c.t(k);
    return (
      v.shape.join() === e.shape.join() &&
      v.data.every(
        (x, i) =>
          Math.abs(x - e.data[i]!) <=
          FORWARD_TOL.float32.atol + FORWARD_TOL.float32.rtol * Math.abs(e.data[i]!),
      )
    );
  });
  if (!ok) failures++;
  console.log(`${ok ? "ok  " : "FAIL"} ${String(m)}`);
  console.log(`     ${c.meta.seed as string}`);
  console.log(
    `     ${diffs.map(([k, d, s]) => `${k} [${s.join(", ")}] max|diff| ${d.toExponential(1)}`).join("; ")}`,
  );
  console.log(`     worst ${worst.toExponential(2)}\n`);
}
console.log(
  failures === 0
    ? `all ${fx.cases.length} checks match PyTorch`
    : `${failures} of ${fx.cases.length} checks differ`,
);
process.exitCode = failures === 0 ? 0 : 1;
