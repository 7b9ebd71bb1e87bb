// The native kernels give the same bits on every instruction set they are built for (AVX-512,
// AVX2 + FMA, portable C++), and the same as the WASM relaxed-SIMD kernels: each instruction set is
// picked at load (RNNKIT_NATIVE_ISA forces one), so each runs in a child process that prints a
// digest of float32 results (gemm with k large enough to block, whole layers of every cell forward
// and backward); the digests must all be equal.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadNativeKernels } from "../../src/kernels/native/index.js";

const src = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "src");
const script = `
import { loadNativeKernels } from ${JSON.stringify(join(src, "kernels", "native", "index.ts"))};
import { loadWasmKernels, wasmVariant } from ${JSON.stringify(join(src, "kernels", "wasm", "index.ts"))};
import { Generator } from ${JSON.stringify(join(src, "tensor", "random.ts"))};
const k = process.env.DIGEST_WASM ? (wasmVariant() === "relaxed-simd" ? loadWasmKernels() : null) : loadNativeKernels();
if (!k) { console.log("unavailable"); process.exit(0); }
const g = new Generator(31);
const arr = (n, s = 1) => Float32Array.from({ length: n }, () => g.normal() * s);
let h = 2166136261;
const eat = (x) => { if (!x) return; for (const b of new Uint8Array(x.buffer, x.byteOffset, x.byteLength)) h = Math.imul(h ^ b, 16777619) >>> 0; };
for (const [m, n, kk] of [[37, 70, 700], [1, 100, 513], [6, 33, 9]]) {
  const a = arr(m * kk), b = arr(n * kk), c = arr(m * n);
  k.gemm(false, true, m, n, kk, a, 0, kk, b, 0, kk, 1, c, 0, n);
  eat(c);
}
for (const kind of ["rnn_tanh", "rnn_relu", "lstm", "gru"])
  for (const [H, I, P, bs] of [[37, 19, 0, [9, 9, 7, 2]], [24, 40, 5, [6, 6, 6]], [20, 8, 0, [1, 1, 1]], [17, 5, 0, [3]]]) {
    const proj = kind === "lstm" ? P : 0, Po = proj || H, G = { rnn_tanh: 1, rnn_relu: 1, lstm: 4, gru: 3 }[kind] * H;
    const N = bs.reduce((s, v) => s + v, 0), B = bs[0];
    const spec = { kind, inputSize: I, hiddenSize: H, projSize: proj };
    const w = { wIh: arr(G * I, 0.5), wHh: arr(G * Po, 0.5), bIh: arr(G, 0.5), bHh: arr(G, 0.5), wHr: proj ? arr(proj * H, 0.5) : null };
    const x = arr(N * I);
    const run = { x, xOff: 0, xLd: I, batchSizes: bs, reverse: false, h0: arr(B * Po), h0Off: 0, c0: arr(B * H), c0Off: 0,
      out: new Float32Array(N * Po), outOff: 0, outLd: Po, hN: new Float32Array(B * Po), hNOff: 0,
      cN: kind === "lstm" ? new Float32Array(B * H) : null, cNOff: 0, save: true };
    const s = k.layerForward(spec, w, run);
    eat(run.out); eat(run.hN); eat(run.cN);
    for (const v of Object.values(s)) eat(v);
    const gr = k.layerBackward(spec, w, s, { x, xOff: 0, xLd: I, batchSizes: bs, reverse: false, dOut: arr(N * Po), dOutOff: 0,
      dOutLd: Po, dhN: arr(B * Po), dhNOff: 0, dcN: kind === "lstm" ? arr(B * H) : null, dcNOff: 0 });
    for (const v of Object.values(gr)) eat(v);
  }
console.log(k.detail + " " + h.toString(16));
`;

function digest(env: Record<string, string>): string {
  const out = execFileSync(
    process.execPath,
    ["--experimental-wasm-relaxed-simd", "--import", "tsx", "--input-type=module", "-e", script],
    { env: { ...process.env, ...env }, encoding: "utf8" },
  );
  return out.trim().split("\n").at(-1)!;
}

test("every native instruction set and the WASM relaxed-SIMD kernels give the same float32 bits", {
  skip: loadNativeKernels() ? false : "native kernels not built",
}, () => {
  const wasm = digest({ DIGEST_WASM: "1" });
  const runs = ["avx512", "avx2", "portable"].map((isa) => digest({ RNNKIT_NATIVE_ISA: isa }));
  const hash = (line: string) => line.split(" ").at(-1);
  for (const r of runs) assert.equal(hash(r), hash(runs.at(-1)!), `${r} against ${runs.at(-1)}`);
  assert.equal(new Set(runs.map((r) => r.split(" ")[1])).size, 3, `three instruction sets ran: ${runs}`);
  if (wasm !== "unavailable") assert.equal(hash(runs[0]!), hash(wasm), `${runs[0]} against ${wasm}`);
});
