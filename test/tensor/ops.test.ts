import assert from "node:assert/strict";
import { test } from "node:test";
import {
  cat,
  Generator,
  indexSelect,
  manualSeed,
  randn,
  stack,
  type Tensor,
  tensor,
  zeros,
} from "../../src/index.js";

const arr = (t: Tensor) => t.toArray();

test("tensor infers shape from nested arrays and defaults to float32", () => {
  const t = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.deepEqual(t.shape, [2, 3]);
  assert.equal(t.dtype, "float32");
  assert.deepEqual(arr(t), [
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.equal(tensor(2.5, { dtype: "float64" }).item(), 2.5);
});

test("tensor keeps a typed array's dtype and refuses a shape of the wrong size or a ragged array", () => {
  assert.equal(tensor(new Float64Array(6), { shape: [2, 3] }).dtype, "float64");
  assert.throws(
    () => tensor(new Float32Array(5), { shape: [2, 3] }),
    /tensor: shape must hold as many elements as data. Expected 5, got \[2, 3\]/,
  );
  assert.throws(() => tensor([[1, 2], [3]]), /tensor: data\[1\] must have the same shape as data\[0\]/);
});

test("reshape infers -1 and shares data; a wrong size is refused", () => {
  const t = tensor([1, 2, 3, 4, 5, 6]);
  const r = t.reshape(3, -1);
  assert.deepEqual(r.shape, [3, 2]);
  assert.equal(r.data, t.data);
  assert.throws(() => t.reshape(4, 2), /reshape: shape is invalid for input of size 6/);
});

test("transpose and permute move elements as PyTorch does", () => {
  const t = tensor([
    [
      [1, 2],
      [3, 4],
      [5, 6],
    ],
  ]); // [1, 3, 2]
  assert.deepEqual(arr(t.transpose(1, 2)), [
    [
      [1, 3, 5],
      [2, 4, 6],
    ],
  ]);
  assert.deepEqual(arr(t.permute(2, 0, 1)), [[[1, 3, 5]], [[2, 4, 6]]]);
  assert.deepEqual(arr(t.transpose(0, -1)), [
    [[1], [3], [5]],
    [[2], [4], [6]],
  ]);
});

test("add, sub, mul, div broadcast over trailing dimensions and promote dtypes", () => {
  const a = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const b = tensor([10, 20, 30], { dtype: "float64" });
  const s = a.add(b);
  assert.equal(s.dtype, "float64");
  assert.deepEqual(arr(s), [
    [11, 22, 33],
    [14, 25, 36],
  ]);
  assert.deepEqual(arr(a.mul(tensor([[2], [3]]))), [
    [2, 4, 6],
    [12, 15, 18],
  ]);
  assert.deepEqual(arr(a.sub(1)), [
    [0, 1, 2],
    [3, 4, 5],
  ]);
  assert.deepEqual(arr(tensor([1, 2], { dtype: "int32" }).div(2)), [0.5, 1]);
  assert.throws(() => a.add(tensor([1, 2])), /add: shapes must be broadcastable/);
});

test("sum and mean reduce all or given dimensions, with keepdim", () => {
  const a = tensor(
    [
      [1, 2, 3],
      [4, 5, 6],
    ],
    { dtype: "float64" },
  );
  assert.equal(a.sum().item(), 21);
  assert.deepEqual(arr(a.sum(0)), [5, 7, 9]);
  assert.deepEqual(arr(a.sum(-1, true)), [[6], [15]]);
  assert.deepEqual(arr(a.mean(1)), [2, 5]);
  assert.equal(a.mean([0, 1]).item(), 3.5);
  assert.throws(() => a.sum(2), /sum: dim is out of range/);
});

test("matmul handles vectors, matrices and broadcast batches", () => {
  const a = tensor(
    [
      [1, 2],
      [3, 4],
    ],
    { dtype: "float64" },
  );
  const v = tensor([1, 1], { dtype: "float64" });
  assert.deepEqual(arr(a.matmul(a)), [
    [7, 10],
    [15, 22],
  ]);
  assert.deepEqual(arr(a.matmul(v)), [3, 7]);
  assert.deepEqual(arr(v.matmul(a)), [4, 6]);
  assert.equal(v.matmul(v).item(), 2);
  manualSeed(0);
  const batch = randn([3, 2, 4], { dtype: "float64" });
  const w = randn([4, 5], { dtype: "float64" });
  const out = batch.matmul(w);
  assert.deepEqual(out.shape, [3, 2, 5]);
  let expected = 0;
  for (let p = 0; p < 4; p++) expected += batch.data[1 * 8 + 1 * 4 + p]! * w.data[p * 5 + 3]!;
  assert.ok(Math.abs(out.data[1 * 10 + 1 * 5 + 3]! - expected) < 1e-12);
  assert.throws(
    () => a.matmul(tensor([[1, 2, 3]], { dtype: "float64" })),
    /matmul: inner dimensions must match/,
  );
});

test("cat, stack and indexSelect assemble along a dimension", () => {
  const a = tensor([
    [1, 2],
    [3, 4],
  ]);
  const b = tensor([[5], [6]]);
  assert.deepEqual(arr(cat([a, b], 1)), [
    [1, 2, 5],
    [3, 4, 6],
  ]);
  assert.deepEqual(stack([a, a], 0).shape, [2, 2, 2]);
  assert.deepEqual(arr(indexSelect(a, 0, [1, 0, 1])), [
    [3, 4],
    [1, 2],
    [3, 4],
  ]);
  assert.throws(
    () => cat([a, zeros([2, 2], { dtype: "float64" })]),
    /cat: tensors\[1\].dtype must match tensors\[0\].dtype/,
  );
  assert.throws(
    () => indexSelect(a, 0, [2]),
    /index_select: index\[0\] is out of range for dimension 0 of size 2/,
  );
});

test("manualSeed makes randn repeat", () => {
  manualSeed(5);
  const a = randn([10]);
  manualSeed(5);
  const b = randn([10]);
  assert.deepEqual([...a.data], [...b.data]);
  assert.ok(a.data.some((v) => v !== a.data[0]));
});

test("item refuses a tensor of more than one element", () => {
  assert.throws(() => tensor([1, 2]).item(), /Tensor.item: numel\(\) must be 1/);
});

test("a Generator's saved state restores its stream exactly, mid Box-Muller pair included", () => {
  const g = new Generator(9);
  g.normal();
  const saved = g.getState();
  const a = [g.normal(), g.random(), g.nextUint32()];
  const h = new Generator(1).setState(saved);
  assert.deepEqual(a, [h.normal(), h.random(), h.nextUint32()]);
  assert.throws(
    () => new Generator().setState({ ...saved, words: [0, 0, 0, 0] }),
    /Generator.setState: state.words must be 624 unsigned 32-bit integers. Expected 624, got 4/,
  );
});

test("expand and sum take their fast paths and agree with the general ones", () => {
  manualSeed(12);
  const x = randn([3, 4, 5], { dtype: "float64" });
  const viaGeneral = (dims: number[]) => {
    // Reducing dims one at a time (keepdim) goes through the single-dimension path each time.
    let y = x;
    for (const d of dims) y = y.sum(d, true);
    return y;
  };
  assert.deepEqual(
    [...x.sum([0, 2], true).data].map((v) => v.toFixed(10)),
    [...viaGeneral([0, 2]).data].map((v) => v.toFixed(10)),
  );
  assert.ok(Math.abs(x.sum().item() - viaGeneral([0, 1, 2]).item()) < 1e-12);
  const row = tensor([1, 2, 3, 4, 5], { dtype: "float64" });
  assert.deepEqual(arr(row.expand(2, 5)), [
    [1, 2, 3, 4, 5],
    [1, 2, 3, 4, 5],
  ]);
  assert.deepEqual(arr(tensor([[7]]).expand(2, 3)), [
    [7, 7, 7],
    [7, 7, 7],
  ]);
  assert.deepEqual(arr(tensor([[1], [2]]).expand(2, 3)), [
    [1, 1, 1],
    [2, 2, 2],
  ]);
  assert.deepEqual(arr(tensor([[1, 2]]).mul(tensor([3]))), [[3, 6]]);
});
