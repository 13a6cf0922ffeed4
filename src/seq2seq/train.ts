/**
 * A small training loop for {@link Seq2Seq}: shuffled mini-batches of
 * pairs (grouped by length so little padding is computed), teacher forcing,
 * gradient averaged over the batch's pairs, clipped by global norm, one
 * optimizer update over encoder and decoder parameters together.
 */

import { expectNumber, expectPositiveInt, TrainingError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { createOptimizer, type Optimizer, type OptimizerOptions } from '../train/optimizers.js';
import type { Seq2Seq, Seq2SeqPair } from './model.js';

/** Options of {@link trainSeq2Seq}. */
export interface Seq2SeqTrainOptions {
  /** Passes over the pairs. Default 10. */
  readonly epochs?: number;
  /** Pairs per update. Default 32. */
  readonly batchSize?: number;
  /** Learning rate. Default 0.01. */
  readonly learningRate?: number;
  /** Learning rate of epoch e is learningRate · decay^(e−1). Default 1 (constant). */
  readonly decay?: number;
  /** Optimizer. Default `{ kind: "adam" }`. */
  readonly optimizer?: OptimizerOptions;
  /** Clip the gradient's global norm to this (after averaging). Default 5; Infinity turns it off. */
  readonly clipNorm?: number;
  /** Shuffles the pairs each epoch. */
  readonly rng: Rng;
  /** Called after each epoch with the mean cross-entropy per target symbol. */
  readonly onEpoch?: (epoch: number, meanLoss: number) => void;
  /** Stops after the current batch when aborted. */
  readonly signal?: AbortSignal;
}

/** What {@link trainSeq2Seq} returns: the mean loss per target symbol of each epoch. */
export interface Seq2SeqHistory {
  readonly epochLoss: number[];
  readonly optimizer: Optimizer;
}

/**
 * Trains `model` on `pairs` with teacher forcing. Batches hold pairs of
 * similar source length: the pairs are shuffled, cut into chunks of 50
 * batches, each chunk is sorted by length and cut into batches, and the
 * batch order is shuffled again.
 */
export function trainSeq2Seq(model: Seq2Seq, pairs: readonly Seq2SeqPair[], options: Seq2SeqTrainOptions): Seq2SeqHistory {
  const epochs = options.epochs === undefined ? 10 : expectPositiveInt('epochs', options.epochs);
  const batchSize = options.batchSize === undefined ? 32 : expectPositiveInt('batchSize', options.batchSize);
  const lr = options.learningRate === undefined ? 0.01 : expectNumber('learningRate', options.learningRate, 0);
  const clip = options.clipNorm === undefined ? 5 : expectNumber('clipNorm', options.clipNorm, 0, Infinity);
  const decay = options.decay === undefined ? 1 : expectNumber('decay', options.decay, 0, 1);
  const rng = options.rng;
  const sets = model.paramSets;
  const size = sets.reduce((s, p) => s + p.size, 0);
  const opt = createOptimizer(options.optimizer ?? { kind: 'adam' }, size, model.dtype);
  const parts = sets.map((p) => ({ theta: p.data, grad: p.grad }));
  const order = pairs.map((_, i) => i);
  const epochLoss: number[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    rng.shuffle(order);
    const batches = lengthBuckets(order, pairs, batchSize);
    rng.shuffle(batches);
    const lrEpoch = lr * decay ** (epoch - 1);
    let J = 0;
    let count = 0;
    for (const idx of batches) {
      if (options.signal?.aborted) break;
      const batch = model.makeBatch(idx.map((i) => pairs[i]!));
      model.zeroGrad();
      const r = model.gradient(batch);
      if (!Number.isFinite(r.loss)) throw new TrainingError(`loss became ${r.loss} in epoch ${epoch}; lower the learning rate (now ${lr})`);
      J += r.loss;
      count += r.count;
      // mean over the batch's pairs, then clip by global norm: g ← g·min(1, c/‖g‖)
      let norm2 = 0;
      const scale = 1 / idx.length;
      for (const p of sets) for (let i = 0; i < p.grad.length; i++) norm2 += (p.grad[i]! * scale) ** 2;
      const norm = Math.sqrt(norm2);
      const s = norm > clip ? (scale * clip) / norm : scale;
      for (const p of sets) for (let i = 0; i < p.grad.length; i++) p.grad[i]! *= s;
      opt.updateParts(parts, lrEpoch);
    }
    epochLoss.push(count > 0 ? J / count : NaN);
    options.onEpoch?.(epoch, epochLoss[epochLoss.length - 1]!);
    if (options.signal?.aborted) break;
  }
  return { epochLoss, optimizer: opt };
}

function lengthBuckets(order: readonly number[], pairs: readonly Seq2SeqPair[], batchSize: number): number[][] {
  const out: number[][] = [];
  const chunk = batchSize * 50;
  for (let c = 0; c < order.length; c += chunk) {
    const part = order.slice(c, c + chunk).sort((a, b) => pairs[a]!.source.length - pairs[b]!.source.length);
    for (let i = 0; i < part.length; i += batchSize) out.push(part.slice(i, i + batchSize));
  }
  return out;
}
