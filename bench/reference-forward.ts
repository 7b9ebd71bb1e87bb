// A rough forward timing with the active kernels (RNNKIT_KERNELS=ts for the TypeScript reference);
// npm run bench is the side-by-side benchmark. Median of a few runs after one warm-up.
//   RNNKIT_KERNELS=ts node --import tsx bench/reference-forward.ts

import { kernels, manualSeed, nn, randn, type Tensor } from "../src/index.js";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const workloads = [
  {
    name: "LSTM I=128 H=256 B=8 T=64",
    make: () => new nn.LSTM({ inputSize: 128, hiddenSize: 256 }),
    shape: [64, 8, 128],
  },
  {
    name: "GRU I=128 H=256 B=8 T=64",
    make: () => new nn.GRU({ inputSize: 128, hiddenSize: 256 }),
    shape: [64, 8, 128],
  },
  {
    name: "RNN I=128 H=256 B=8 T=64",
    make: () => new nn.RNN({ inputSize: 128, hiddenSize: 256 }),
    shape: [64, 8, 128],
  },
] as const;

manualSeed(0);
for (const w of workloads) {
  const m: { forward(x: Tensor): unknown } = w.make().eval();
  const x = randn([...w.shape]);
  m.forward(x);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    m.forward(x);
    times.push(performance.now() - t0);
  }
  console.log(
    `${w.name}: median ${median(times).toFixed(1)} ms over ${times.length} runs (kernels: ${kernels().name})`,
  );
}
