// Learning-rate schedulers: torch/optim/lr_scheduler.py (1.13) StepLR, ExponentialLR and
// CosineAnnealingLR, in their chainable (recursive) form: each step computes the new lr from the
// group's current one, as `scheduler.step()` does in PyTorch, so the numbers are PyTorch's.

import { ArgumentError } from "../errors.js";
import { warnOnce } from "../nn/options.js";
import type { ParamGroup } from "./optimizer.js";

/** Options every scheduler takes. */
export interface LRSchedulerOptions {
  /** The index of the last epoch; -1 (the default) starts afresh. Resuming needs `initialLr` in every group. */
  readonly lastEpoch?: number;
}

/**
 * `scheduler.state_dict()` in PyTorch's keys (the scheduler's own, then `base_lrs`, `last_epoch`,
 * `verbose`, `_step_count`, `_get_lr_called_within_step`, `_last_lr`).
 */
export type LRSchedulerStateDict = Record<string, unknown> & {
  base_lrs: number[];
  last_epoch: number;
  _step_count: number;
  _last_lr: number[];
};

/** What a scheduler needs of an optimizer (every `Optimizer` has it). */
export interface SchedulableOptimizer {
  readonly paramGroups: readonly ParamGroup[];
  /** `optimizer.step()` calls since a scheduler was attached (PyTorch's `_step_count`). */
  stepCount: number;
}

/** The base of the schedulers: PyTorch's `_LRScheduler`. */
export abstract class LRScheduler {
  readonly optimizer: SchedulableOptimizer;
  /** Each group's `initialLr`. */
  baseLrs: number[];
  /** The epoch (scheduler step) of the current lr; 0 after construction. */
  lastEpoch: number;
  /** Calls of `step()`, the one made by the constructor included (PyTorch's `_step_count`). */
  protected stepCount = 0;
  #lastLr: number[] = [];
  /** The class name used in messages ("StepLR"). */
  readonly name: string;

  protected constructor(name: string, optimizer: SchedulableOptimizer, lastEpoch: number | undefined) {
    this.name = name;
    if (optimizer === null || typeof optimizer !== "object" || !Array.isArray(optimizer.paramGroups))
      throw new ArgumentError(name, "optimizer", "is not an Optimizer", "an Optimizer", optimizer);
    this.optimizer = optimizer;
    const last = lastEpoch ?? -1;
    if (!Number.isInteger(last) || last < -1)
      throw new ArgumentError(
        name,
        "lastEpoch",
        "must be an integer >= -1",
        "-1 (a fresh start) or the last epoch",
        last,
      );
    const groups = this.optimizer.paramGroups;
    if (last === -1) for (const g of groups) g.initialLr ??= g.lr;
    else
      groups.forEach((g, i) => {
        if (g.initialLr === undefined)
          throw new ArgumentError(
            name,
            `optimizer.paramGroups[${i}].initialLr`,
            "is not specified when resuming an optimizer (param 'initial_lr' is not specified)",
            "the initial lr, set when resuming with lastEpoch",
            undefined,
          );
      });
    this.baseLrs = groups.map((g) => g.initialLr!);
    this.lastEpoch = last;
  }

  /** The constructor's first step (PyTorch's `_initial_step`); called by each subclass once it is set up. */
  protected initialStep(): void {
    this.optimizer.stepCount = 0;
    this.stepCount = 0;
    this.step();
  }

  /** Advances one epoch and sets every group's lr. Call it after `optimizer.step()`. */
  step(): void {
    if (this.stepCount === 1 && this.optimizer.stepCount < 1)
      warnOnce(
        "Detected call of `scheduler.step()` before `optimizer.step()`. You should call them in the opposite order: `optimizer.step()` before `scheduler.step()`. Failure to do this will result in skipping the first value of the learning rate schedule (as PyTorch 1.1.0 and later do).",
      );
    this.stepCount += 1;
    this.lastEpoch += 1;
    const lrs = this.getLr();
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = lrs[i]!;
    });
    this.#lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The lr of each group as this scheduler last set it (PyTorch's `get_last_lr()`). */
  getLastLr(): number[] {
    return [...this.#lastLr];
  }

  /** The new lr of each group, from the current ones (PyTorch's chainable `get_lr()`). */
  protected abstract getLr(): number[];

  /** The scheduler's own settings in PyTorch's keys and order (`step_size`, `gamma` ...). */
  protected abstract ownState(): Record<string, number>;

  /** Adopts the scheduler's own settings from a state dict (validated). */
  protected abstract loadOwnState(dict: Record<string, unknown>, where: string): void;

  /** PyTorch's `state_dict()`: everything but the optimizer. */
  stateDict(): LRSchedulerStateDict {
    return {
      ...this.ownState(),
      base_lrs: [...this.baseLrs],
      last_epoch: this.lastEpoch,
      verbose: false,
      _step_count: this.stepCount,
      _get_lr_called_within_step: false,
      _last_lr: [...this.#lastLr],
    };
  }

  /** PyTorch's `load_state_dict()`. Load the optimizer's state dict too: the current lrs live there. */
  loadStateDict(dict: LRSchedulerStateDict): void {
    const where = `${this.name}.loadStateDict`;
    if (dict === null || typeof dict !== "object")
      throw new ArgumentError(
        where,
        "stateDict",
        "must be a scheduler state dict",
        "{ base_lrs, last_epoch, ... }",
        dict,
      );
    const n = this.optimizer.paramGroups.length;
    const numbers = (key: string): number[] => {
      const v = dict[key];
      if (!Array.isArray(v) || v.length !== n || v.some((x) => typeof x !== "number"))
        throw new ArgumentError(where, key, "must hold one number per parameter group", `${n} numbers`, v);
      return [...(v as number[])];
    };
    const integer = (key: string): number => {
      const v = dict[key];
      if (typeof v !== "number" || !Number.isInteger(v))
        throw new ArgumentError(where, key, "must be an integer", "an integer", v);
      return v;
    };
    const baseLrs = numbers("base_lrs");
    const lastLr = numbers("_last_lr");
    const lastEpoch = integer("last_epoch");
    const stepCount = integer("_step_count");
    this.loadOwnState(dict, where);
    this.baseLrs = baseLrs;
    this.#lastLr = lastLr;
    this.lastEpoch = lastEpoch;
    this.stepCount = stepCount;
  }

  protected currentLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
}

function numberOption(
  where: string,
  name: string,
  value: unknown,
  rule: (v: number) => boolean,
  expected: string,
): number {
  if (typeof value !== "number" || !rule(value))
    throw new ArgumentError(where, name, `must be ${expected}`, expected, value);
  return value;
}

const positiveInteger = (v: number) => Number.isInteger(v) && v > 0;
const finite = (v: number) => Number.isFinite(v);

export interface StepLROptions extends LRSchedulerOptions {
  /** Period of learning-rate decay, in epochs. */
  readonly stepSize: number;
  /** Multiplicative factor of learning-rate decay (default 0.1). */
  readonly gamma?: number;
}

/** Multiplies each group's lr by `gamma` every `stepSize` epochs (PyTorch's `StepLR`). */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: StepLROptions) {
    super("StepLR", optimizer, options?.lastEpoch);
    this.stepSize = numberOption(
      "StepLR",
      "stepSize",
      options.stepSize,
      positiveInteger,
      "a positive integer",
    );
    this.gamma = numberOption("StepLR", "gamma", options.gamma ?? 0.1, finite, "a finite number");
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * this.gamma);
  }

  protected ownState(): Record<string, number> {
    return { step_size: this.stepSize, gamma: this.gamma };
  }

  protected loadOwnState(dict: Record<string, unknown>, where: string): void {
    const stepSize = numberOption(where, "step_size", dict.step_size, positiveInteger, "a positive integer");
    this.gamma = numberOption(where, "gamma", dict.gamma, finite, "a finite number");
    this.stepSize = stepSize;
  }
}

export interface ExponentialLROptions extends LRSchedulerOptions {
  /** Multiplicative factor of learning-rate decay, applied every epoch. */
  readonly gamma: number;
}

/** Multiplies each group's lr by `gamma` every epoch (PyTorch's `ExponentialLR`). */
export class ExponentialLR extends LRScheduler {
  gamma: number;

  constructor(optimizer: SchedulableOptimizer, options: ExponentialLROptions) {
    super("ExponentialLR", optimizer, options?.lastEpoch);
    this.gamma = numberOption("ExponentialLR", "gamma", options.gamma, finite, "a finite number");
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.currentLrs();
    return this.currentLrs().map((lr) => lr * this.gamma);
  }

  protected ownState(): Record<string, number> {
    return { gamma: this.gamma };
  }

  protected loadOwnState(dict: Record<string, unknown>, where: string): void {
    this.gamma = numberOption(where, "gamma", dict.gamma, finite, "a finite number");
  }
}

export interface CosineAnnealingLROptions extends LRSchedulerOptions {
  /** Maximum number of iterations: the lr reaches `etaMin` after `tMax` epochs (PyTorch's `T_max`). */
  readonly tMax: number;
  /** Minimum learning rate (default 0; PyTorch's `eta_min`). */
  readonly etaMin?: number;
}

/**
 * Cosine annealing from each group's initial lr to `etaMin` over `tMax` epochs, then back up, without
 * restarts (PyTorch's `CosineAnnealingLR`), by PyTorch's recursive formula.
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;

  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingLROptions) {
    super("CosineAnnealingLR", optimizer, options?.lastEpoch);
    this.tMax = numberOption(
      "CosineAnnealingLR",
      "tMax",
      options.tMax,
      (v) => v > 0 && Number.isFinite(v),
      "a number > 0",
    );
    this.etaMin = numberOption("CosineAnnealingLR", "etaMin", options.etaMin ?? 0, finite, "a finite number");
    this.initialStep();
  }

  protected getLr(): number[] {
    const { lastEpoch: t, tMax, etaMin } = this;
    if (t === 0) return this.currentLrs();
    if (this.stepCount === 1 && t > 0)
      return this.baseLrs.map(
        (base) => etaMin + ((base - etaMin) * (1 + Math.cos((t * Math.PI) / tMax))) / 2,
      );
    if ((t - 1 - tMax) % (2 * tMax) === 0)
      return this.currentLrs().map(
        (lr, i) => lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2,
      );
    return this.currentLrs().map(
      (lr) =>
        ((1 + Math.cos((Math.PI * t) / tMax)) / (1 + Math.cos((Math.PI * (t - 1)) / tMax))) * (lr - etaMin) +
        etaMin,
    );
  }

  protected ownState(): Record<string, number> {
    return { T_max: this.tMax, eta_min: this.etaMin };
  }

  protected loadOwnState(dict: Record<string, unknown>, where: string): void {
    const tMax = numberOption(where, "T_max", dict.T_max, (v) => v > 0 && Number.isFinite(v), "a number > 0");
    this.etaMin = numberOption(where, "eta_min", dict.eta_min, finite, "a finite number");
    this.tMax = tMax;
  }
}
