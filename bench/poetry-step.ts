// Where a poetry training step goes: builds the CLI's default model on a built-in corpus and times
// each phase of a step (embedding+LSTM forward, head forward, loss, backward, clip, optimizer).
//   npx tsx bench/poetry-step.ts [five|quatrains] [threads] [steps]
import { loadTang } from "../cli/poetry/corpus.js";
import { epochOrder, makeBatch, splitPoems } from "../cli/poetry/data.js";
import { PoetryModel } from "../cli/poetry/model.js";
import { Vocab } from "../cli/poetry/vocab.js";
import { initKernels, manualSeed, nn, optim, setThreads, threadsReady } from "../src/index.js";

const which = (process.argv[2] ?? "five") as "quatrains" | "five";
const threads = Number(process.argv[3] ?? 1);
const steps = Number(process.argv[4] ?? 10);
await initKernels();
setThreads(threads);
await threadsReady();
const poems = loadTang(which);
const split = splitPoems(poems, which);
const vocab = Vocab.build(split.train, 2);
manualSeed(0);
const model = new PoetryModel({
  kind: "lstm",
  vocabSize: vocab.size,
  embeddingDim: 128,
  hiddenSize: 256,
  numLayers: 1,
  dropout: 0,
});
model.train();
const opt = new optim.AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0.01 });
const train = split.train.map((p) => vocab.encode(p));
const order = epochOrder(train.length, 0, 0);
const phases: Record<string, number> = {};
const time = <T>(name: string, f: () => T): T => {
  const t = performance.now();
  const r = f();
  phases[name] = (phases[name] ?? 0) + performance.now() - t;
  return r;
};
let tokens = 0;
let total = 0;
for (let s = 0; s < steps + 2; s++) {
  const batch = makeBatch(order.slice(s * 64, s * 64 + 64).map((i) => train[i]!));
  const t0 = performance.now();
  if (s === 2) for (const k in phases) phases[k] = 0;
  opt.zeroGrad();
  const e = time("embedding", () => model.embedding.forward(batch.ids));
  const packed = new nn.utils.rnn.PackedSequence(e, batch.batchSizes);
  const [out] = time("rnn forward", () => (model.rnn as nn.LSTM).forward(packed));
  const loss = time("head + loss", () =>
    nn.linearCrossEntropy(out.data, model.head.weight, model.head.bias, batch.targets),
  );
  time("backward", () => loss.backward());
  time("clip", () => nn.utils.clipGradNorm(model.parameters(), 1));
  time("optimizer", () => opt.step());
  if (s >= 2) {
    tokens += batch.tokens;
    total += performance.now() - t0;
  }
}
console.log(
  `${which}, V=${vocab.size}, ${threads} thread(s): ${(total / steps).toFixed(1)} ms/step, ${Math.round((tokens / total) * 1000)} tokens/s`,
);
for (const [k, v] of Object.entries(phases))
  console.log(
    `  ${k.padEnd(14)} ${(v / steps).toFixed(1).padStart(8)} ms  ${((100 * v) / total).toFixed(1)}%`,
  );
process.exit(0);
