/**
 * The small mini-batch loop the task helpers (forecasting, classification)
 * train with: shuffled batches, gradient averaged over the batch's
 * sequences, clipped by global norm, one optimizer update per batch, and
 * the parameters of the best validation epoch kept (early stopping after
 * `patience` epochs without improvement).
 */

import { expectNumber, expectPositiveInt, TrainingError } from '../core/errors.js';
import type { ParamSet } from '../core/params.js';
import type { Rng } from '../core/rng.js';
import { createOptimizer, type OptimizerOptions } from '../train/optimizers.js';

/** Options of {@link trainLoop}. */
export interface TrainLoopOptions {
  /** Passes over the training items. Default 20. */
  readonly epochs?: number;
  /** Items per update. Default 32. */
  readonly batchSize?: number;
  /** Learning rate. Default 0.005. */
  readonly learningRate?: number;
  /** Default `{ kind: "adam" }`. */
  readonly optimizer?: OptimizerOptions;
  /** Clip the averaged gradient's global norm to this. Default 5. */
  readonly clipNorm?: number;
  /** Stop after this many epochs without a better validation loss. Default Infinity. */
  readonly patience?: number;
  readonly rng: Rng;
  /** Called after each epoch: mean training loss per counted output, validation loss (NaN without one). */
  readonly onEpoch?: (epoch: number, trainLoss: number, validationLoss: number) => void;
  readonly signal?: AbortSignal;
}

/** One epoch's figures. */
export interface TaskEpochRecord {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly validationLoss: number;
}

/** What the caller supplies: how to accumulate a batch's gradient, and how to score the validation set. */
export interface TrainLoopModel {
  readonly params: ParamSet;
  /** Adds the summed gradient of these training items to params.grad; returns summed J and outputs counted. */
  gradient(items: readonly number[]): { loss: number; count: number };
  /** Mean validation loss (lower is better), or null when there is no validation set. */
  validate(): number | null;
}

/** Trains; afterwards the parameters are those of the best validation epoch (or the last epoch without validation). */
export function trainLoop(model: TrainLoopModel, trainItems: readonly number[], options: TrainLoopOptions): TaskEpochRecord[] {
  const epochs = options.epochs === undefined ? 20 : expectPositiveInt('epochs', options.epochs);
  const batchSize = options.batchSize === undefined ? 32 : expectPositiveInt('batchSize', options.batchSize);
  const lr = options.learningRate === undefined ? 0.005 : expectNumber('learningRate', options.learningRate, 0);
  const clip = options.clipNorm === undefined ? 5 : expectNumber('clipNorm', options.clipNorm, 0, Infinity);
  const patience = options.patience ?? Infinity;
  const p = model.params;
  const opt = createOptimizer(options.optimizer ?? { kind: 'adam' }, p.size, p.dtype);
  const order = [...trainItems];
  const history: TaskEpochRecord[] = [];
  let best = Infinity;
  let bestParams: Float64Array | null = null;
  let sinceBest = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    options.rng.shuffle(order);
    let J = 0;
    let count = 0;
    for (let s = 0; s < order.length; s += batchSize) {
      if (options.signal?.aborted) break;
      const items = order.slice(s, s + batchSize);
      p.zeroGrad();
      const r = model.gradient(items);
      if (!Number.isFinite(r.loss)) throw new TrainingError(`loss became ${r.loss} in epoch ${epoch}; lower the learning rate (now ${lr})`);
      J += r.loss;
      count += r.count;
      // g ← g / |batch|, then g ← g·min(1, c/‖g‖)
      const g = p.grad;
      const scale = 1 / items.length;
      let norm2 = 0;
      for (let i = 0; i < g.length; i++) norm2 += (g[i]! * scale) ** 2;
      const norm = Math.sqrt(norm2);
      const f = norm > clip ? (scale * clip) / norm : scale;
      for (let i = 0; i < g.length; i++) g[i]! *= f;
      opt.update(p.data, g, lr);
    }
    const val = model.validate();
    const rec = { epoch, trainLoss: count > 0 ? J / count : NaN, validationLoss: val ?? NaN };
    history.push(rec);
    options.onEpoch?.(epoch, rec.trainLoss, rec.validationLoss);
    if (val !== null) {
      if (val < best) {
        best = val;
        bestParams = Float64Array.from(p.data);
        sinceBest = 0;
      } else if (++sinceBest >= patience) break;
    }
    if (options.signal?.aborted) break;
  }
  if (bestParams) p.data.set(bestParams);
  return history;
}
