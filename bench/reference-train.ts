// A rough timing of one training step (forward + BPTT, loss = Σ y²) with the active kernels
// (RNNKIT_KERNELS=ts for the TypeScript reference). Peak memory is sampled as the largest process
// RSS and typed-array bytes seen right after backward.
//   RNNKIT_KERNELS=ts node --import tsx bench/reference-train.ts

import { kernels, manualSeed, nn, randn } from "../src/index.js";

manualSeed(0);
const lstm = new nn.LSTM({ inputSize: 200, hiddenSize: 200, numLayers: 2 });
const x = randn([35, 20, 200]);
const times: number[] = [];
let peakRss = 0;
let peakArrays = 0;
const before = process.memoryUsage();
for (let i = 0; i < 6; i++) {
  lstm.zeroGrad();
  const t0 = performance.now();
  const [y] = lstm.forward(x);
  y.mul(y).sum().backward();
  const ms = performance.now() - t0;
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakArrays = Math.max(peakArrays, m.arrayBuffers);
  if (i > 0) times.push(ms);
}
times.sort((a, b) => a - b);
const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
console.log(
  `LSTM I=200 H=200 L=2 B=20 T=35, forward + backward (kernels: ${kernels().name}): median ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms over ${times.length} runs`,
);
console.log(
  `peak RSS ${mb(peakRss)} (at start ${mb(before.rss)}); typed arrays ${mb(peakArrays)} (at start ${mb(before.arrayBuffers)})`,
);
