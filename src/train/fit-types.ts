/**
 * The options, records and results of {@link fit} (./fit.ts).
 */

import type { Rng } from '../core/rng.js';
import type { Float } from '../core/tensor.js';
import type { BatchSource, ReusableBatch } from '../data/source.js';
import type { DataParallel } from '../parallel/data-parallel.js';
import type { Optimizer, OptimizerOptions, OptimizerState } from './optimizers.js';
import type { Schedule } from './schedules.js';

/** Why {@link fit} returned. */
export type StopReason =
  /** The epoch limit was reached. */
  | 'epochs'
  /** The step limit was reached. */
  | 'maxSteps'
  /** The time budget ran out. */
  | 'time'
  /** The AbortSignal fired (training stopped after the step in progress). */
  | 'aborted'
  /** The validation loss did not improve for `patience` validations. */
  | 'earlyStopping'
  /** |ΔRMSE| fell below `tolerance` (the lecture's rule). */
  | 'tolerance'
  /**
   * The run learned nothing (only with the `divergence` option): the loss
   * turned NaN/∞, or stayed above the baseline for `divergence.patience`
   * evaluations in a row. The parameters are those of the last good point;
   * {@link FitResult.diagnosis} says why.
   */
  | 'diverged';

/** One update, as passed to `onStep` and kept in the history. */
export interface StepRecord {
  /** Updates made so far, this one included (1 for the first update). */
  readonly step: number;
  /** Epoch of this update (0-based). */
  readonly epoch: number;
  /** Batch index within the epoch (0-based). */
  readonly batch: number;
  /** J / count: the loss per output that carried loss (per token for text), before the update. */
  readonly loss: number;
  /** √(J / count) (docs/maths.md §3). */
  readonly rmse: number;
  /** ‖g‖₂ of the (reduced) gradient before clipping. */
  readonly gradNorm: number;
  /** η used for this update. */
  readonly learningRate: number;
  /** Sequences per second of this step (forward, backward and update). */
  readonly samplesPerSec: number;
  /** Input steps (tokens) per second of this step. */
  readonly tokensPerSec: number;
}

/** One pass over the validation data. */
export interface ValidationRecord {
  /** Updates made when it ran. */
  readonly step: number;
  readonly epoch: number;
  /** J / count over the whole validation source. */
  readonly loss: number;
  readonly rmse: number;
}

/** One finished epoch, as passed to `onEpoch`. */
export interface EpochRecord {
  /** The epoch that ended (0-based). */
  readonly epoch: number;
  /** Updates made when it ended. */
  readonly step: number;
  /** ΣJ / Σcount over the epoch's batches (each measured before its update). */
  readonly loss: number;
  readonly rmse: number;
  /** Wall-clock seconds of training steps in this epoch (this run only). */
  readonly seconds: number;
  readonly samplesPerSec: number;
  readonly tokensPerSec: number;
  /** The validation loss measured at the end of this epoch, when one ran. */
  readonly validationLoss?: number;
}

/** What {@link fit} returns besides the model it trained in place. */
export interface FitHistory {
  /** This call's updates; beyond `historyLimit` records every other one is dropped (and then only one in 2, 4, … updates is kept). */
  readonly steps: StepRecord[];
  readonly epochs: EpochRecord[];
  readonly validations: ValidationRecord[];
}

/**
 * Everything needed to continue training exactly where it stopped; store it
 * in a checkpoint with the parameters and pass it back as `resume`.
 */
export interface FitState {
  /** Updates made. */
  readonly step: number;
  /**
   * The shuffling generator's state at the start of the epoch in progress
   * (or, at an epoch boundary, before the next epoch's draw): the epoch's
   * order is redrawn from it on resume.
   */
  readonly rngState: readonly number[];
  /** The optimizer's state (steps and slots). */
  readonly optimizer: OptimizerState;
  /** Stateful sources, mid-epoch: the carried state of every layer (copies, B×H each). */
  readonly carry?: readonly { readonly h: Float; readonly c?: Float }[];
  /** The epoch in progress so far: ΣJ, Σcount. */
  readonly epochLoss?: number;
  readonly epochCount?: number;
  /** Early stopping: best validation loss so far, and validations since it improved. */
  readonly bestValidationLoss?: number;
  readonly badValidations?: number;
  /** The tolerance rule's previous RMSE. */
  readonly previousRmse?: number;
  /** The parameters of the best validation so far (`restoreBest`), one array per parameter set. */
  readonly best?: BestPoint;
  /**
   * θ where training stopped, one array per parameter set, present when the
   * model's own parameters were set back to the best validation's
   * (`restoreBest`): a resume continues from these, so a finished run
   * continued to a later limit equals one trained there straight.
   */
  readonly params?: readonly Float[];
  /** Divergence watch: evaluations above the baseline in a row, and the loss sum of the evaluation block in progress. */
  readonly badEvaluations?: number;
  readonly blockLoss?: number;
  readonly blockCount?: number;
  /** The bounded loss history so far (continued on resume). */
  readonly lossHistory?: LossHistory;
}

/** The parameters at the best validation (for `restoreBest`). */
export interface BestPoint {
  /** Updates made when it was measured. */
  readonly step: number;
  /** Its validation loss. */
  readonly loss: number;
  /** Copies of θ, one per parameter set (a Network has one). */
  readonly params: readonly Float[];
}

/**
 * The loss curve kept for plots and checkpoints, bounded: (step, loss)
 * pairs of the training batches (one in every `stride` updates) and of
 * every validation. When a list exceeds `historyLimit` it drops every other
 * point and `stride` doubles, so its length stays between limit/2 and limit.
 */
export interface LossHistory {
  readonly train: [number, number][];
  readonly validation: [number, number][];
  /** Updates between kept training points (a power of two). */
  readonly stride: number;
}

/** Options of the divergence watch (`FitOptions.divergence`). */
export interface DivergenceOptions {
  /**
   * The loss a model that learned nothing gets: ln K for a softmax over K
   * classes ({@link uniformLoss}), 1 for squared error on z-scored targets
   * (predicting the mean). An evaluation above it is bad. Default: no
   * baseline (only a NaN or infinite loss stops).
   */
  readonly baseline?: number;
  /** Bad evaluations in a row before stopping. Default 3. */
  readonly patience?: number;
  /**
   * An evaluation is the mean training loss of a block of this many
   * updates (default: min(batches per epoch, 100)) and, with validation
   * data, every validation. With validation data and no `every`, only the
   * validations are evaluations.
   */
  readonly every?: number;
}

/** Options of {@link fit}. Every one has a default. `TBatch` is the batch type of the data (a {@link Trainable}'s). */
export interface FitOptions<TBatch = ReusableBatch> {
  /** An optimizer, or the options to create one. Default `{ kind: "adam" }`. Weight decay is an optimizer option. */
  readonly optimizer?: Optimizer | OptimizerOptions;
  /** η₀. Default 1e−3. */
  readonly learningRate?: number;
  /** Learning-rate schedule over the update number. Default `{ kind: "constant" }`. */
  readonly schedule?: Schedule;
  /** Clip the reduced gradient to this global L2 norm. Default: no clipping. */
  readonly clipNorm?: number;
  /** Clip every gradient value to [−clipValue, clipValue] (after clipNorm). Default: no clipping. */
  readonly clipValue?: number;
  /**
   * How the gradients of a batch's sequences combine: `"mean"` (default)
   * divides the summed gradient by the number of real sequences in the
   * batch, so η does not depend on the batch size; `"sum"` keeps the sum
   * (the gradient of J summed over the batch, as {@link Network.gradient}
   * returns it).
   */
  readonly reduction?: 'mean' | 'sum';
  /** Truncated BPTT inside a batch: k steps back. Default: exact BPTT over the batch's T steps. */
  readonly truncate?: number;
  /** `"exact"` (default) or `"lecture"` (the slides' formulas; single-layer RNN only). */
  readonly gradientMode?: 'exact' | 'lecture';

  /** Epoch limit, counted from step 0. Default 1, or unlimited when `maxSteps` or `timeLimitMs` is given. */
  readonly epochs?: number;
  /** Step limit: stop once this many updates are made, counted from step 0 (so a resumed run stops where a straight one would). */
  readonly maxSteps?: number;
  /** Time budget of this call in milliseconds: no new step starts after it. */
  readonly timeLimitMs?: number;
  /** Cancels training: the step in progress finishes, then fit returns its history. */
  readonly signal?: AbortSignal;

  /**
   * Held-out data, evaluated without updates (loss per output, in order; a
   * stateful source carries its own state from zeros). Give it the training
   * source's batch size: the network keeps work buffers for one B.
   */
  readonly validation?: BatchSource<TBatch>;
  /**
   * After training ends (epochs, maxSteps, earlyStopping, tolerance), set the
   * parameters to those of the best validation (kept in the state, so a
   * resumed run restores the same ones). Not after 'aborted' or 'time', so
   * that a run can be continued exactly. Needs `validation`. Default false.
   */
  readonly restoreBest?: boolean;
  /**
   * Stop a run that learned nothing with stopReason 'diverged' instead of
   * throwing a TrainingError: a NaN/∞ loss, gradient or update, or
   * `patience` evaluations in a row above `baseline`. The parameters (and
   * the returned state) are those of the last good point: the start of this
   * call, or the last evaluation below the baseline. Default: off (a
   * non-finite value throws a TrainingError).
   */
  readonly divergence?: DivergenceOptions;
  /** Most (step, loss) pairs kept per list in {@link FitResult.lossHistory} (≥ 16). Default 4096. */
  readonly historyLimit?: number;
  /** Validate every this many steps. Default: at the end of every epoch. */
  readonly validateEvery?: number;
  /** Early stopping: stop after this many validations without an improvement. Default: never. */
  readonly patience?: number;
  /** An improvement must lower the best validation loss by more than this. Default 0. */
  readonly minDelta?: number;
  /**
   * The lecture's stopping rule (docs/maths.md §5): stop when |RMSE(now) − RMSE(previous)|
   * < tolerance. Default: off.
   */
  readonly tolerance?: number;
  /**
   * Which RMSE the rule compares: `"epoch"` (default; the epoch's training RMSE),
   * `"step"` (each batch's RMSE before its update; the rule stops without
   * updating, like {@link gradientDescent}; meant for full-batch training,
   * where every step sees the same data) or `"validation"`.
   */
  readonly toleranceOn?: 'epoch' | 'step' | 'validation';

  /** Called after every update. A returned promise is awaited. */
  readonly onStep?: (record: StepRecord) => void | Promise<void>;
  /** Called after every epoch. A returned promise is awaited. */
  readonly onEpoch?: (record: EpochRecord) => void | Promise<void>;
  /** Called after every validation. A returned promise is awaited. */
  readonly onValidation?: (record: ValidationRecord) => void | Promise<void>;

  /** The generator that shuffles each epoch. Default `new Rng(seed)`. */
  readonly rng?: Rng;
  /** Seed of the default generator. Default 1. */
  readonly seed?: number;
  /** Continue from a state returned by an earlier fit (with the parameters it left). */
  readonly resume?: FitState;
  /** Give the event loop a turn (so a signal or a UI can run) at least this often, in ms. Default 25. */
  readonly yieldEveryMs?: number;
  /**
   * Computes each batch's gradient on several threads ({@link DataParallel},
   * made for this network, e.g. by `createDataParallel` in `rnnkit/node`).
   * The result equals single-threaded training up to floating-point summation
   * order. The caller owns it and disposes of it.
   */
  readonly parallel?: DataParallel;
}

/** What {@link fit} returns. */
export interface FitResult {
  readonly history: FitHistory;
  readonly stopReason: StopReason;
  /** Updates made in all (including those before a resume). */
  readonly step: number;
  /** Epochs completed. */
  readonly epoch: number;
  /** The optimizer (created or given), to continue training with. */
  readonly optimizer: Optimizer;
  /** The state to save for an exact resume. */
  readonly state: FitState;
  /** The best validation loss seen, when validation ran. */
  readonly bestValidationLoss?: number;
  /** Whether the parameters were set back to the best validation's (`restoreBest`) at the end. */
  readonly restoredBest?: boolean;
  /**
   * Why the run stopped when it was 'diverged': one line naming the step,
   * the quantity, the learning rate and what to try.
   */
  readonly diagnosis?: string;
  /** The bounded loss curve (also in `state.lossHistory`); history.steps holds only this call's updates. */
  readonly lossHistory: LossHistory;
}
