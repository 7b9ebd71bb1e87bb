// The reverse-mode tape (autograd layer). Generic over the value type so that it sits below the
// Tensor, whose every operation records here (PyTorch's engine likewise knows nodes and edges,
// not what a tensor is). A node is one recorded operation with any number of inputs and outputs;
// backward() walks the nodes reachable from the roots once, in reverse topological order, and
// gradients accumulate (a value used twice gets the sum), as micrograd and PyTorch do.

/** What the tape needs of a value: whether it wants a gradient, the node that made it, and which output it is. */
export interface Differentiable<T> {
  requiresGrad: boolean;
  grad: T | null;
  /** The node that computed this value (null for leaves: parameters and inputs). */
  gradFn: Node<T> | null;
  /** Which of gradFn's outputs this value is. */
  outputIndex: number;
}

/**
 * One recorded operation. `backward` receives one gradient per output (null where no gradient
 * reached that output) and returns one per input (null where the input needs none).
 */
export interface Node<T> {
  readonly name: string;
  readonly inputs: readonly (T | null)[];
  readonly numOutputs: number;
  backward(gradOutputs: readonly (T | null)[]): readonly (T | null)[];
  /** True once a backward pass without retainGraph has freed what the node saved. */
  readonly released: boolean;
  /** Frees what the node saved (called by backward without retainGraph). */
  release(): void;
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` with recording off (torch.no_grad()); restores the previous mode even if fn throws. */
export function noGrad<R>(fn: () => R): R {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** Runs `fn` with recording on (torch.enable_grad()). */
export function enableGrad<R>(fn: () => R): R {
  const previous = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

export interface BackwardOptions {
  /** Keep saved values so that backward can run through the same graph again. */
  readonly retainGraph?: boolean;
}

/** How the tape combines gradients: both called with recording off, both return new values. */
export interface GradArithmetic<T> {
  /** a + b, same shape. */
  add(a: T, b: T): T;
  /** A copy that no other value shares (a leaf's grad is its own, since optimizers change it in place). */
  copy(a: T): T;
}

/** Makes a node whose saved state (held by `backward`'s closure) is dropped on release. */
export function makeNode<T>(
  name: string,
  inputs: readonly (T | null)[],
  numOutputs: number,
  backward: (gradOutputs: readonly (T | null)[]) => readonly (T | null)[],
): Node<T> {
  let fn: typeof backward | null = backward;
  return {
    name,
    inputs,
    numOutputs,
    get released() {
      return fn === null;
    },
    release() {
      fn = null;
    },
    backward(g) {
      if (!fn) throw new Error(`rnnkit internal error: ${name} ran backward after release`);
      return fn(g);
    },
  };
}

/**
 * Accumulates d(roots)/d(leaf) · seeds into every reachable leaf's `grad` (leaves: values with
 * requiresGrad and no gradFn).
 */
export function runBackward<T extends Differentiable<T>>(
  roots: readonly T[],
  seeds: readonly T[],
  arithmetic: GradArithmetic<T>,
  options: BackwardOptions = {},
): void {
  const { add, copy } = arithmetic;
  // Kahn's algorithm over the reachable nodes: a node runs once every node that consumes one of
  // its outputs has passed its gradient down.
  const pending = new Map<Node<T>, number>();
  const stack: Node<T>[] = [];
  const visit = (node: Node<T>) => {
    if (pending.has(node)) return;
    pending.set(node, 0);
    stack.push(node);
  };
  for (const r of roots) if (r.gradFn) visit(r.gradFn);
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.released)
      throw new Error(
        `Trying to backward through the graph a second time (or directly access saved values after they have already been freed): ${node.name}'s saved values were freed by the first backward. Pass { retainGraph: true } to the first backward if you need to backward twice.`,
      );
    for (const input of node.inputs) {
      const fn = input?.requiresGrad ? input.gradFn : null;
      if (!fn) continue;
      visit(fn);
      pending.set(fn, pending.get(fn)! + 1);
    }
  }

  const grads = new Map<Node<T>, (T | null)[]>();
  const accumulate = (value: T, g: T) => {
    if (value.gradFn) {
      const slots = grads.get(value.gradFn) ?? new Array<T | null>(value.gradFn.numOutputs).fill(null);
      const prev = slots[value.outputIndex];
      slots[value.outputIndex] = prev ? add(prev, g) : g;
      grads.set(value.gradFn, slots);
    } else {
      value.grad = value.grad ? add(value.grad, g) : copy(g);
    }
  };

  noGrad(() => {
    const leafSeeds: [T, T][] = [];
    for (const [i, r] of roots.entries()) {
      if (r.gradFn) accumulate(r, seeds[i]!);
      else if (r.requiresGrad) leafSeeds.push([r, seeds[i]!]);
    }
    const ready = [...pending].filter(([, n]) => n === 0).map(([node]) => node);
    while (ready.length > 0) {
      const node = ready.pop()!;
      const gOut = grads.get(node) ?? new Array<T | null>(node.numOutputs).fill(null);
      grads.delete(node);
      const gIn = gOut.some((g) => g !== null) ? node.backward(gOut) : [];
      if (!options.retainGraph) node.release();
      for (const [i, input] of node.inputs.entries()) {
        if (!input?.requiresGrad) continue;
        const g = gIn[i];
        if (g) accumulate(input, g);
        const fn = input.gradFn;
        if (fn) {
          const left = pending.get(fn)! - 1;
          pending.set(fn, left);
          if (left === 0) ready.push(fn);
        }
      }
    }
    // A root that is itself a leaf receives its seed directly (x.backward() on a leaf).
    for (const [r, s] of leafSeeds) accumulate(r, s);
  });
}
