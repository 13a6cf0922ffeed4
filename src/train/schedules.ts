/**
 * Learning-rate schedules: η as a function of the update number.
 *
 * `step` counts updates already made (0 for the first update). Every
 * schedule may start with a linear warm-up of `warmup` updates,
 *
 *   η(s) = η₀·(s + 1) / warmup            for s < warmup,
 *
 * (so the first update is not wasted at η = 0, and update `warmup − 1`
 * reaches η₀), after which the schedule runs on s′ = s − warmup:
 *
 * | kind       | η(s′)                                                           | defaults               |
 * |------------|-----------------------------------------------------------------|------------------------|
 * | `constant` | η₀                                                              |                        |
 * | `step`     | η₀·γ^⌊s′ / every⌋                                               | γ = 0.1                |
 * | `cosine`   | η_min + (η₀ − η_min)·(1 + cos(π·min(s′, horizon) / horizon)) / 2 | η_min = 0              |
 * | `epoch-decay` | η₀·γ^e, e = ⌊s′ / N⌋ the epoch (N updates per epoch)         | γ = 0.9                |
 * | `linear`   | η_min + (η₀ − η_min)·(1 − min(s′, horizon) / horizon)            | η_min = 0              |
 *
 * (the cosine and linear curves reach η_min at s′ = horizon and stay there).
 * A run limited by time rather than updates does not know its horizon in
 * advance: `rnnkit train --time` re-plans it from the measured speed
 * between chunks of updates and keeps it in the checkpoint
 * (src/cli/training-run.ts), so the schedule itself stays a pure function
 * of the update number.
 */

import { expectChoice, expectNumber, expectPositiveInt, OptionError, rejectUnknownKeys } from '../core/errors.js';

/** The schedules `rnnkit` provides. */
export const SCHEDULE_KINDS = ['constant', 'step', 'cosine', 'epoch-decay', 'linear'] as const;

/** Options every schedule shares. */
export interface WarmupOption {
  /** Updates of linear warm-up from η₀/warmup to η₀ before the schedule starts. Default 0 (none). */
  readonly warmup?: number;
}

/** η = η₀. */
export interface ConstantSchedule extends WarmupOption {
  readonly kind: 'constant';
}

/** η multiplied by `gamma` every `every` updates (PyTorch's StepLR). */
export interface StepSchedule extends WarmupOption {
  readonly kind: 'step';
  /** Updates between decays (a positive integer). */
  readonly every: number;
  /** Factor per decay, in (0, 1]. Default 0.1. */
  readonly gamma?: number;
}

/** Half a cosine from η₀ down to `floor` over `horizon` updates (PyTorch's CosineAnnealingLR without restarts). */
export interface CosineSchedule extends WarmupOption {
  readonly kind: 'cosine';
  /** Updates (after warm-up) until η reaches the floor. */
  readonly horizon: number;
  /** η_min, an absolute learning rate ≥ 0. Default 0. */
  readonly floor?: number;
}

/**
 * η multiplied by `gamma` at the start of every epoch: η₀·γ^epoch (the
 * per-epoch decay of the task loops). `fit` passes the updates per epoch.
 */
export interface EpochDecaySchedule extends WarmupOption {
  readonly kind: 'epoch-decay';
  /** Factor per epoch, in (0, 1]. Default 0.9. */
  readonly gamma?: number;
}

/** A straight line from η₀ down to `floor` over `horizon` updates (PyTorch's LinearLR to a factor of floor/η₀). */
export interface LinearSchedule extends WarmupOption {
  readonly kind: 'linear';
  /** Updates (after warm-up) until η reaches the floor. */
  readonly horizon: number;
  /** η_min, an absolute learning rate ≥ 0. Default 0. */
  readonly floor?: number;
}

/** A learning-rate schedule; see the table at the top of this file. */
export type Schedule = ConstantSchedule | StepSchedule | CosineSchedule | EpochDecaySchedule | LinearSchedule;

const KEYS: Record<Schedule['kind'], readonly string[]> = {
  constant: ['kind', 'warmup'],
  step: ['kind', 'warmup', 'every', 'gamma'],
  cosine: ['kind', 'warmup', 'horizon', 'floor'],
  'epoch-decay': ['kind', 'warmup', 'gamma'],
  linear: ['kind', 'warmup', 'horizon', 'floor'],
};

/** Throws an {@link OptionError} unless `schedule` is a valid {@link Schedule}. */
export function checkSchedule(schedule: Schedule): void {
  if (typeof schedule !== 'object' || schedule === null) throw new OptionError('schedule must be an object such as { kind: "constant" }');
  const kind = expectChoice('schedule kind', schedule.kind, SCHEDULE_KINDS);
  rejectUnknownKeys(`"${kind}" schedule`, schedule, KEYS[kind]);
  if (schedule.warmup !== undefined && schedule.warmup !== 0) expectPositiveInt('schedule warmup', schedule.warmup);
  if (schedule.kind === 'step') {
    expectPositiveInt('step schedule "every"', schedule.every);
    if (schedule.gamma !== undefined && !(expectNumber('step schedule gamma', schedule.gamma, 0, 1) > 0)) {
      throw new OptionError('step schedule gamma must be in (0, 1], got 0');
    }
  } else if (schedule.kind === 'epoch-decay') {
    if (schedule.gamma !== undefined && !(expectNumber('epoch-decay schedule gamma', schedule.gamma, 0, 1) > 0)) {
      throw new OptionError('epoch-decay schedule gamma must be in (0, 1], got 0');
    }
  } else if (schedule.kind === 'cosine' || schedule.kind === 'linear') {
    expectPositiveInt(`${schedule.kind} schedule horizon`, schedule.horizon);
    if (schedule.floor !== undefined) expectNumber(`${schedule.kind} schedule floor`, schedule.floor, 0);
  }
}

/**
 * The learning rate of update number `step` (0-based: the number of updates
 * already made) under `schedule`, starting from `baseLr` (η₀).
 * `stepsPerEpoch` (updates per epoch) is needed by `epoch-decay` only.
 *
 * @example learningRate({ kind: 'cosine', horizon: 1000, warmup: 100 }, 1e-3, 50) // 0.00051
 * @example learningRate({ kind: 'epoch-decay', gamma: 0.5 }, 1e-2, 25, 10) // 0.0025 (epoch 2)
 * @example learningRate({ kind: 'linear', horizon: 1000, warmup: 100 }, 4e-3, 600) // 0.002 (half way down)
 */
export function learningRate(schedule: Schedule, baseLr: number, step: number, stepsPerEpoch?: number): number {
  checkSchedule(schedule);
  expectNumber('base learning rate', baseLr, 0);
  if (!Number.isSafeInteger(step) || step < 0) throw new OptionError(`step must be a non-negative integer, got ${step}`);
  const warmup = schedule.warmup ?? 0;
  if (step < warmup) return (baseLr * (step + 1)) / warmup; // linear warm-up
  const s = step - warmup;
  switch (schedule.kind) {
    case 'constant':
      return baseLr;
    case 'step':
      return baseLr * Math.pow(schedule.gamma ?? 0.1, Math.floor(s / schedule.every)); // η₀·γ^⌊s/every⌋
    case 'epoch-decay': {
      if (stepsPerEpoch === undefined) throw new OptionError('the epoch-decay schedule needs the number of updates per epoch (stepsPerEpoch)');
      expectPositiveInt('stepsPerEpoch', stepsPerEpoch);
      return baseLr * Math.pow(schedule.gamma ?? 0.9, Math.floor(s / stepsPerEpoch)); // η₀·γ^epoch
    }
    case 'cosine': {
      const floor = schedule.floor ?? 0;
      const progress = Math.min(s, schedule.horizon) / schedule.horizon;
      return floor + ((baseLr - floor) * (1 + Math.cos(Math.PI * progress))) / 2;
    }
    case 'linear': {
      const floor = schedule.floor ?? 0;
      const progress = Math.min(s, schedule.horizon) / schedule.horizon;
      return floor + (baseLr - floor) * (1 - progress); // η_min + (η₀ − η_min)·(1 − s′/horizon)
    }
  }
}
