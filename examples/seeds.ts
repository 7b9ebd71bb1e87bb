// The tutorials rnnkit grew from (../shared/seeds/) each hand-write nn.RNN / LSTM / GRU and
// compare with PyTorch. This reruns every one of their checks with rnnkit against PyTorch's own
// outputs (test/fixtures/seeds.*, written by scripts/fixtures/seeds.py) and prints the largest
// difference. Seed 003's LSTM and GRU hand-written versions computed only the first of two
// layers; here both layers are computed and match.
//
//   npm start            (node --import tsx examples/seeds.ts)

import { nn, type Tensor } from "../src/index.js";
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

const fx = loadFixtures("seeds");
console.log(
  `rnnkit vs PyTorch ${fx.torch} on the tutorials' own checks (float32; tolerance ${FORWARD_TOL.float32.atol} + ${FORWARD_TOL.float32.rtol}·|x|)\n`,
);
let failures = 0;
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
