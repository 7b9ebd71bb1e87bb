// The optimizers refuse what PyTorch 1.13 refuses, with messages that name the option, the rule, what
// was expected and what was given.

import assert from "node:assert/strict";
import { describe, mock, test } from "node:test";
import { Adam, AdamW, type OptimizerStateDict, RMSprop, SGD } from "../../src/optim/index.js";
import { Tensor, zeros } from "../../src/tensor/index.js";

const param = () => zeros([2, 3]);

describe("optimizer construction errors", () => {
  test("an empty parameter list is refused", () => {
    assert.throws(
      () => new SGD([], { lr: 0.1 }),
      /SGD: params is empty \(optimizer got an empty parameter list\)\. Expected at least one parameter, got \[\]/,
    );
    assert.throws(() => new Adam([]), /Adam: params is empty \(optimizer got an empty parameter list\)/);
  });

  test("a bare Tensor instead of an iterable is refused", () => {
    assert.throws(
      () => new Adam(param() as unknown as Tensor[]),
      /Adam: params should be an iterable of Tensors or parameter groups/,
    );
  });

  test("an invalid learning rate is refused, naming the option", () => {
    assert.throws(
      () => new SGD([param()], { lr: -1 }),
      /SGD: lr is an invalid learning rate\. Expected a number >= 0, got -1/,
    );
    assert.throws(
      () => new Adam([param()], { lr: -0.5 }),
      /Adam: lr is an invalid learning rate\. Expected a number >= 0, got -0\.5/,
    );
    assert.throws(
      () => new AdamW([param()], { lr: Number.NaN }),
      /AdamW: lr is an invalid learning rate\. Expected a number >= 0, got NaN/,
    );
    assert.throws(() => new RMSprop([param()], { lr: -1 }), /RMSprop: lr is an invalid learning rate/);
  });

  test("SGD needs an lr, from its options or from every group", () => {
    assert.throws(
      () => new SGD([param()]),
      /SGD: lr is required \(parameter group didn't specify a value of required optimization parameter lr\)/,
    );
    assert.throws(
      () => new SGD([{ params: [param()], lr: 0.1 }, { params: [param()] }]),
      /SGD: params\[1\]\.lr is required/,
    );
    assert.doesNotThrow(
      () =>
        new SGD([
          { params: [param()], lr: 0.1 },
          { params: [param()], lr: 0.2 },
        ]),
    );
  });

  test("invalid momentum and weight decay are refused", () => {
    assert.throws(
      () => new SGD([param()], { lr: 0.1, momentum: -0.9 }),
      /SGD: momentum is an invalid momentum value\. Expected a number >= 0, got -0\.9/,
    );
    assert.throws(
      () => new SGD([param()], { lr: 0.1, weightDecay: -1 }),
      /SGD: weightDecay is an invalid weight_decay value\. Expected a number >= 0, got -1/,
    );
    assert.throws(
      () => new Adam([param()], { weightDecay: -1 }),
      /Adam: weightDecay is an invalid weight_decay value/,
    );
    assert.throws(
      () => new RMSprop([param()], { momentum: -1 }),
      /RMSprop: momentum is an invalid momentum value/,
    );
  });

  test("invalid betas, eps and alpha are refused", () => {
    assert.throws(
      () => new Adam([param()], { betas: [1, 0.999] }),
      /Adam: betas\[0\] is an invalid beta parameter at index 0\. Expected a number in \[0, 1\), got 1/,
    );
    assert.throws(
      () => new AdamW([param()], { betas: [0.9, -0.1] }),
      /AdamW: betas\[1\] is an invalid beta parameter at index 1\. Expected a number in \[0, 1\), got -0\.1/,
    );
    assert.throws(
      () => new Adam([param()], { betas: [0.9] as unknown as [number, number] }),
      /Adam: betas must be a pair of numbers/,
    );
    assert.throws(
      () => new Adam([param()], { eps: -1e-8 }),
      /Adam: eps is an invalid epsilon value\. Expected a number >= 0, got -1e-8/,
    );
    assert.throws(
      () => new RMSprop([param()], { alpha: -0.1 }),
      /RMSprop: alpha is an invalid alpha value\. Expected a number >= 0, got -0\.1/,
    );
    assert.throws(() => new RMSprop([param()], { eps: -1 }), /RMSprop: eps is an invalid epsilon value/);
  });

  test("Nesterov momentum requires a momentum and zero dampening", () => {
    assert.throws(
      () => new SGD([param()], { lr: 0.1, nesterov: true }),
      /SGD: nesterov requires a momentum and zero dampening .*Expected momentum > 0 and dampening = 0, got 'momentum 0, dampening 0'/,
    );
    assert.throws(
      () => new SGD([param()], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }),
      /SGD: nesterov requires a momentum and zero dampening/,
    );
  });

  test("an invalid option in one parameter group names the group", () => {
    assert.throws(
      () => new Adam([{ params: [param()] }, { params: [param()], lr: -1 }]),
      /Adam: params\[1\]\.lr is an invalid learning rate\. Expected a number >= 0, got -1/,
    );
  });

  test("an option the optimizer does not have is refused, naming the group", () => {
    assert.throws(
      () => new Adam([{ params: [param()] }, { params: [param()], momentum: 0.9 } as never]),
      /Adam: params\[1\]\.momentum is not an option of Adam\. Expected one of lr, betas, eps, weightDecay, amsgrad, maximize, got 'momentum'/,
    );
  });

  test("a parameter in two groups is refused", () => {
    const p = param();
    assert.throws(
      () => new Adam([{ params: [param(), p] }, { params: [p] }]),
      /Adam: params\[1\]\.params\[0\] is already in another parameter group \(some parameters appear in more than one parameter group\)\. Expected each parameter in one group only, got 'also in group 0'/,
    );
    const opt = new SGD([p], { lr: 0.1 });
    assert.throws(
      () => opt.addParamGroup({ params: [p] }),
      /SGD: paramGroups\[1\]\.params\[0\] is already in another parameter group/,
    );
  });

  test("a duplicate parameter within a group warns, as PyTorch does", () => {
    const warn = mock.method(console, "warn", () => {});
    try {
      const p = param();
      new SGD([p, p], { lr: 0.1 });
      assert.match(
        String(warn.mock.calls[0]?.arguments[0]),
        /optimizer contains a parameter group with duplicate parameters/,
      );
    } finally {
      warn.mock.restore();
    }
  });

  test("a non-floating-point parameter is refused", () => {
    const ints = new Tensor(new Int32Array(3), [3]);
    assert.throws(
      () => new Adam([param(), ints]),
      /Adam: params\[1\] is not floating point \(an optimizer can only optimize floating-point Tensors\)\. Expected float32 or float64, got 'int32'/,
    );
  });

  test("a parameter that is not a Tensor is refused", () => {
    assert.throws(
      () => new SGD([param(), 3 as unknown as Tensor], { lr: 1 }),
      /SGD: params\[1\] is not a Tensor/,
    );
    assert.throws(
      () => new SGD([{ params: [param()] }, param() as never], { lr: 1 }),
      /SGD: params\[1\] must be a parameter group/,
    );
  });
});

describe("optimizer step and state-dict errors", () => {
  test("a gradient of the wrong shape or dtype is refused at step", () => {
    const p = param();
    p.grad = zeros([3, 2]);
    assert.throws(
      () => new Adam([p]).step(),
      /Adam\.step: params\[0\]\.grad must have the parameter's shape\. Expected \[2, 3\], got \[3, 2\]/,
    );
    p.grad = zeros([2, 3], { dtype: "float64" });
    assert.throws(
      () => new SGD([p], { lr: 1 }).step(),
      /SGD\.step: params\[0\]\.grad must have the parameter's dtype\. Expected float32, got 'float64'/,
    );
  });

  test("a state dict with another number of groups is refused", () => {
    const saved = new SGD([param()], { lr: 0.1 }).stateDict();
    const opt = new SGD([{ params: [param()] }, { params: [param()] }], { lr: 0.1 });
    assert.throws(
      () => opt.loadStateDict(saved),
      /SGD\.loadStateDict: param_groups has a different number of parameter groups\. Expected 2, got 1/,
    );
  });

  test("a state dict whose group has another size is refused", () => {
    const saved = new SGD([param(), param()], { lr: 0.1 }).stateDict();
    assert.throws(
      () => new SGD([param()], { lr: 0.1 }).loadStateDict(saved),
      /SGD\.loadStateDict: param_groups\[0\]\.params doesn't match the size of the optimizer's group\. Expected 1, got 2/,
    );
  });

  test("a state tensor of the wrong shape is refused and nothing is loaded", () => {
    const p = param();
    p.grad = zeros([2, 3]);
    const a = new Adam([p]);
    a.step();
    const saved: OptimizerStateDict = a.stateDict();
    saved.state[0] = { ...saved.state[0]!, exp_avg: zeros([6]) };
    const b = new Adam([param()], { lr: 0.5 });
    assert.throws(
      () => b.loadStateDict(saved),
      /Adam\.loadStateDict state\[0\]: exp_avg must have the parameter's shape\. Expected \[2, 3\], got \[6\]/,
    );
    assert.equal(b.paramGroups[0]!.lr, 0.5);
    assert.equal(b.state.size, 0);
  });

  test("an invalid option in a loaded state dict is refused", () => {
    const saved = new RMSprop([param()]).stateDict();
    saved.param_groups[0]!.lr = -1;
    assert.throws(
      () => new RMSprop([param()]).loadStateDict(saved),
      /RMSprop\.loadStateDict: param_groups\[0\]\.lr is an invalid learning rate/,
    );
  });
});
