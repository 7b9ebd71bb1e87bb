// Train a tiny character model — Embedding → LSTM → Linear — to continue a line of text, the way a
// PyTorch training loop reads. Run: node --import tsx examples/train.ts
import { manualSeed, nn, optim, type Tensor, tensor } from "../src/index.js";

const text = "床前明月光，疑是地上霜。举头望明月，低头思故乡。";
const vocab = [...new Set(text)];
const ids = [...text].map((ch) => vocab.indexOf(ch));

manualSeed(0);
const embedding = new nn.Embedding({ numEmbeddings: vocab.length, embeddingDim: 16 });
const lstm = new nn.LSTM({ inputSize: 16, hiddenSize: 32, batchFirst: true });
const head = new nn.Linear({ inFeatures: 32, outFeatures: vocab.length });
const params = [...embedding.parameters(), ...lstm.parameters(), ...head.parameters()];
const opt = new optim.Adam(params, { lr: 0.01 });
const lossFn = new nn.CrossEntropyLoss();

const x = tensor([ids.slice(0, -1)], { dtype: "int32" }); // (1, T): every character but the last
const y = tensor(ids.slice(1), { dtype: "int32" }); //        (T): the character that follows each

const logitsOf = (input: Tensor) => head.forward(lstm.forward(embedding.forward(input))[0]);
for (let step = 0; step <= 150; step++) {
  opt.zeroGrad();
  const loss = lossFn.forward(logitsOf(x).reshape(-1, vocab.length), y);
  loss.backward();
  nn.utils.clipGradNorm(params, 1.0);
  opt.step();
  if (step % 50 === 0) console.log(`step ${step}: loss ${loss.item().toFixed(4)}`);
}

// Greedy continuation from the first character.
const out = [ids[0]!];
for (let i = 0; i < ids.length - 1; i++) {
  const logits = logitsOf(tensor([out], { dtype: "int32" })).data;
  const last = logits.subarray((out.length - 1) * vocab.length, out.length * vocab.length);
  out.push(last.indexOf(Math.max(...last)));
}
console.log(out.map((i) => vocab[i]).join(""));
