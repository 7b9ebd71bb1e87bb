// Module (nn layer): torch.nn.Module's parameter registry, state dicts and train/eval mode.
// Parameters and submodules are kept in registration order, so names and order are PyTorch's.

import { ArgumentError, show } from "../errors.js";
import { Tensor } from "../tensor/index.js";

export interface LoadStateDictOptions {
  /** Require the keys to match exactly (PyTorch's default). Shapes must match either way. */
  readonly strict?: boolean;
}

export interface LoadStateDictResult {
  readonly missingKeys: string[];
  readonly unexpectedKeys: string[];
}

export abstract class Module {
  /** Training mode (dropout active). Set by train() / eval(). */
  training = true;
  readonly #parameters = new Map<string, Tensor | null>();
  readonly #modules = new Map<string, Module>();

  /** @param typeName the class name PyTorch would print, used in messages (survives minification). */
  protected constructor(readonly typeName: string) {}

  /** Registers a parameter under `name` (null keeps the slot, as PyTorch's register_parameter(name, None)). */
  protected registerParameter(name: string, value: Tensor | null): Tensor | null {
    if (value) value.requiresGrad = true;
    this.#parameters.set(name, value);
    return value;
  }

  protected registerModule<M extends Module>(name: string, module: M): M {
    this.#modules.set(name, module);
    return module;
  }

  /** [name, parameter] pairs, this module's own first, then each submodule's with its prefix. */
  *namedParameters(prefix = ""): IterableIterator<[string, Tensor]> {
    for (const [name, p] of this.#parameters) if (p) yield [prefix + name, p];
    for (const [name, m] of this.#modules) yield* m.namedParameters(`${prefix}${name}.`);
  }

  parameters(): Tensor[] {
    return [...this.namedParameters()].map(([, p]) => p);
  }

  /** [name, module] pairs of the direct submodules. */
  *namedChildren(): IterableIterator<[string, Module]> {
    yield* this.#modules;
  }

  /** Every parameter by PyTorch's key, in PyTorch's order; the tensors share the parameters' data. */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, p] of this.namedParameters()) out[name] = p.detach();
    return out;
  }

  /**
   * Copies `stateDict` into the parameters (converting dtype as PyTorch's copy_ does). Every problem
   * is listed in one message, as PyTorch's load_state_dict does: missing and unexpected keys
   * (when strict) and shape mismatches (always). Nothing is copied unless all checks pass.
   */
  loadStateDict(
    dict: Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>,
    options: LoadStateDictOptions = {},
  ): LoadStateDictResult {
    const strict = options.strict ?? true;
    // A Map (as the io loaders return) or a plain object; a Map keeps integer-like keys in order.
    const stateDict: Readonly<Record<string, Tensor>> =
      dict instanceof Map ? Object.fromEntries(dict) : (dict as Readonly<Record<string, Tensor>>);
    const own = new Map(this.namedParameters());
    const missingKeys = [...own.keys()].filter((k) => !Object.hasOwn(stateDict, k));
    const unexpectedKeys = Object.keys(stateDict).filter((k) => !own.has(k));
    const problems: string[] = [];
    if (strict && unexpectedKeys.length > 0)
      problems.push(`Unexpected key(s) in stateDict: ${unexpectedKeys.map((k) => `"${k}"`).join(", ")}.`);
    if (strict && missingKeys.length > 0)
      problems.push(`Missing key(s) in stateDict: ${missingKeys.map((k) => `"${k}"`).join(", ")}.`);
    for (const [key, p] of own) {
      const src = stateDict[key];
      if (!src) continue;
      if (!(src instanceof Tensor)) problems.push(`${key}: expected a Tensor, got ${typeof src}.`);
      else if (src.dtype === "int32" && p.dtype !== "int32")
        problems.push(`${key}: cannot copy an int32 tensor into a ${p.dtype} parameter.`);
      else if (src.shape.length !== p.shape.length || src.shape.some((d, i) => d !== p.shape[i]))
        problems.push(
          `size mismatch for ${key}: copying a param with shape ${show(src.shape)} from checkpoint, the shape in current model is ${show(p.shape)}.`,
        );
    }
    if (problems.length > 0)
      throw new Error(`Error(s) in loading stateDict for ${this.typeName}:\n\t${problems.join("\n\t")}`);
    for (const [key, p] of own) {
      const src = stateDict[key];
      if (src) {
        p.data.set(src.data);
        p.bumpVersion();
      }
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Sets training mode on this module and every submodule. */
  train(mode = true): this {
    if (typeof mode !== "boolean")
      throw new ArgumentError(this.typeName, "train(mode)", "must be a boolean", "true or false", mode);
    this.training = mode;
    for (const [, m] of this.#modules) m.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient (set to null, as PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** The extra text inside `TypeName(...)` when printed; PyTorch's extra_repr. */
  protected extraRepr(): string {
    return "";
  }

  toString(): string {
    const children = [...this.#modules].map(([n, m]) => `  (${n}): ${String(m).replaceAll("\n", "\n  ")}`);
    if (children.length === 0) return `${this.typeName}(${this.extraRepr()})`;
    return `${this.typeName}(${this.extraRepr()}\n${children.join("\n")}\n)`;
  }
}
