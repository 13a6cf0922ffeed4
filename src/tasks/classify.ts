/**
 * Sequence classification (many-to-one, docs/maths.md §2): a recurrent network reads
 * the whole sequence and a softmax over the classes at each sequence's last
 * real step gives p(class | sequence); J = −log p(label) there only, so
 * δo(t) = 0 before the last step.
 *
 * Inputs are symbol indices (characters of a text: one-hot, a row gather)
 * or numeric feature vectors per step (z-scored per feature with training
 * statistics). Sequences of different lengths share a batch with a mask.
 *
 * With `pooling: "mean"` the class scores come from the mean of the top
 * layer's states over the sequence's real steps instead:
 *
 *   z = (1/n)·Σ_t h_L(t)·V + b_o = (1/n)·Σ_t neto(t)      p = softmax(z)
 *   δz = p − onehot(label)      δo(t) = δz / n for each real step t
 *
 * (the output layer is linear, so pooling the states equals pooling
 * neto). The network then back-propagates that δo through time.
 *
 * Class weights scale each sequence's loss and gradient by w_{label}:
 * J = Σ_i w_{y_i}·J_i. The network sums gradients over a batch, so the
 * batch is split by class and each class's gradient is scaled before
 * summing.
 */

import { expectChoice, expectPositiveInt, OptionError, ShapeError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { allocate, type DType } from '../core/tensor.js';
import { CELL_KINDS, type CellKind } from '../cells/cell.js';
import { Network, type SequenceBatch } from '../model/network.js';
import { trainLoop, type TaskEpochRecord, type TrainLoopOptions } from './train-loop.js';

export const POOLINGS = ['last', 'mean'] as const;
export type Pooling = (typeof POOLINGS)[number];

/** One labelled sequence: symbol indices, or feature vectors (steps × features). */
export type ClassifierInput = readonly number[] | readonly (readonly number[])[];

export interface LabelledSequence {
  readonly input: ClassifierInput;
  /** Class index in [0, classes). */
  readonly label: number;
}

/** Options of {@link trainClassifier}. */
export interface ClassifierOptions extends Omit<TrainLoopOptions, 'rng'> {
  /** Number of classes C. */
  readonly classes: number;
  /** `"symbols"` (indices into a vocabulary of `vocabSize`) or `"features"` (vectors of `featureSize`). */
  readonly inputKind: 'symbols' | 'features';
  readonly vocabSize?: number;
  readonly featureSize?: number;
  /** Default `"rnn"`. */
  readonly cell?: CellKind;
  /** Default 32. */
  readonly hiddenSize?: number;
  /** Default 1. */
  readonly layers?: number;
  /** `"last"` (default): softmax at the last real step; `"mean"`: softmax of the mean-pooled states. */
  readonly pooling?: Pooling;
  /** Per-class loss weights w_c (see {@link balancedClassWeights}); default all 1. */
  readonly classWeights?: readonly number[];
  /** Default `"float32"`. */
  readonly dtype?: DType;
  /** Default 1. */
  readonly seed?: number;
}

/** A trained classifier: the network and the feature scaling it was trained with. */
export class SequenceClassifier {
  constructor(
    readonly net: Network,
    readonly inputKind: 'symbols' | 'features',
    readonly classes: number,
    /** Per-feature (mean, sd) for feature input. */
    readonly featureStats: readonly { mean: number; sd: number }[],
    readonly pooling: Pooling = 'last',
  ) {}

  /** Builds a padded, masked many-to-one batch; labels go to each sequence's last step. */
  batch(items: readonly LabelledSequence[] | readonly ClassifierInput[], withLabels: boolean): SequenceBatch {
    const B = items.length;
    const inputs = items.map((it) => (withLabels ? (it as LabelledSequence).input : (it as ClassifierInput)));
    const lens = inputs.map((x) => x.length);
    const T = Math.max(1, ...lens);
    const dtype = this.net.config.dtype;
    const mask = new Uint8Array(T * B);
    const y = new Int32Array(T * B).fill(-1);
    let x: SequenceBatch['x'];
    if (this.inputKind === 'symbols') {
      const idx = new Int32Array(T * B).fill(-1);
      inputs.forEach((seq, b) => (seq as readonly number[]).forEach((s, t) => {
        idx[t * B + b] = s;
      }));
      x = { kind: 'index', data: idx };
    } else {
      const D = this.featureStats.length;
      const data = allocate(dtype, T * B * D);
      inputs.forEach((seq, b) => (seq as readonly (readonly number[])[]).forEach((v, t) => {
        if (v.length !== D) throw new ShapeError(`sequence ${b}, step ${t} has ${v.length} features, expected ${D}`);
        for (let j = 0; j < D; j++) data[(t * B + b) * D + j] = (v[j]! - this.featureStats[j]!.mean) / this.featureStats[j]!.sd;
      }));
      x = { kind: 'dense', data };
    }
    lens.forEach((n, b) => {
      if (n === 0) throw new ShapeError(`sequence ${b} is empty; every sequence needs at least one step`);
      for (let t = 0; t < n; t++) mask[t * B + b] = 1;
      if (withLabels) y[(n - 1) * B + b] = (items[b] as LabelledSequence).label;
    });
    return { T, B, x, y: { kind: 'index', data: y }, mask, lossAt: 'last' };
  }

  /** Class probabilities of each sequence (C per sequence), in batches of 256. */
  probabilities(inputs: readonly ClassifierInput[]): Float64Array[] {
    const out: Float64Array[] = [];
    const C = this.classes;
    for (let s = 0; s < inputs.length; s += 256) {
      const part = inputs.slice(s, s + 256);
      const batch = this.batch(part, false);
      if (this.pooling === 'mean') {
        out.push(...this.pooledProbabilities(batch));
        continue;
      }
      const yhat = this.net.forward(batch);
      const B = part.length;
      part.forEach((seq, b) => {
        const row = (seq.length - 1) * B + b;
        out.push(Float64Array.from(yhat.subarray(row * C, (row + 1) * C)));
      });
    }
    return out;
  }

  /** p = softmax((1/n)·Σ_t neto(t)) over each sequence's n real steps (mean pooling). */
  private pooledProbabilities(batch: SequenceBatch): Float64Array[] {
    const { T, B } = batch;
    const C = this.classes;
    const neto = this.net.forward(batch); // linear output: ŷ(t) = neto(t)
    const out: Float64Array[] = [];
    for (let b = 0; b < B; b++) {
      const z = new Float64Array(C);
      let n = 0;
      for (let t = 0; t < T; t++) {
        if (!batch.mask![t * B + b]) continue;
        n++;
        for (let c = 0; c < C; c++) z[c]! += neto[(t * B + b) * C + c]!;
      }
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, (z[c] = z[c]! / n));
      let sum = 0;
      for (let c = 0; c < C; c++) sum += (z[c] = Math.exp(z[c]! - m));
      for (let c = 0; c < C; c++) z[c]! /= sum;
      out.push(z);
    }
    return out;
  }

  /**
   * Mean pooling: J = Σ_b w_{y_b}·(−log p_b[y_b]) and, when `withGradient`,
   * its gradient ADDED to params.grad. The network's own loss is squared
   * error on a linear output, δo = 2(ŷ − y), so the target
   * y(t) = neto(t) − δo(t)/2 makes it back-propagate exactly our δo(t) = δz/n.
   */
  pooledLoss(items: readonly LabelledSequence[], weights: readonly number[] | undefined, withGradient: boolean): { loss: number; count: number } {
    const batch = this.batch(items, true);
    const { T, B } = batch;
    const C = this.classes;
    const probs = this.pooledProbabilities(batch);
    let J = 0;
    const dz = new Float64Array(B * C);
    const n = new Int32Array(B);
    items.forEach((it, b) => {
      const w = weights ? weights[it.label]! : 1;
      J -= w * Math.log(Math.max(probs[b]![it.label]!, 1e-300));
      for (let c = 0; c < C; c++) dz[b * C + c] = w * (probs[b]![c]! - (c === it.label ? 1 : 0)); // δz = w·(p − y)
      n[b] = it.input.length;
    });
    if (withGradient) {
      // z = (1/n)·Σ_t neto(t), so δo(t) = δz/n on each of the n real steps (masked steps carry none)
      const dO = new Float64Array(T * B * C);
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < B; b++) {
          if (t >= n[b]!) continue;
          const row = t * B + b;
          for (let c = 0; c < C; c++) dO[row * C + c] = dz[b * C + c]! / n[b]!;
        }
      }
      this.net.gradientFromOutputDelta(batch, dO);
    }
    return { loss: J, count: B };
  }

  /** The most probable class of each sequence. */
  predict(inputs: readonly ClassifierInput[]): number[] {
    return this.probabilities(inputs).map((p) => {
      let best = 0;
      for (let c = 1; c < p.length; c++) if (p[c]! > p[best]!) best = c;
      return best;
    });
  }
}

/** Trains a classifier; keeps the parameters of the epoch with the lowest validation loss. */
export function trainClassifier(
  train: readonly LabelledSequence[], validation: readonly LabelledSequence[], options: ClassifierOptions,
): { classifier: SequenceClassifier; history: TaskEpochRecord[] } {
  const C = expectPositiveInt('classes', options.classes);
  if (C < 2) throw new OptionError('classes must be at least 2');
  if (train.length === 0) throw new ShapeError('no training sequences');
  for (const [i, it] of train.entries()) if (!(Number.isInteger(it.label) && it.label >= 0 && it.label < C)) throw new ShapeError(`training item ${i} has label ${it.label}, outside [0, ${C})`);
  const kind = expectChoice('inputKind', options.inputKind, ['symbols', 'features'] as const);
  const D = kind === 'symbols' ? expectPositiveInt('vocabSize', options.vocabSize) : expectPositiveInt('featureSize', options.featureSize);
  const seed = options.seed ?? 1;
  const pooling = options.pooling === undefined ? 'last' : expectChoice('pooling', options.pooling, POOLINGS);
  const net = new Network({
    cell: options.cell === undefined ? 'rnn' : expectChoice('cell', options.cell, CELL_KINDS),
    inputSize: D, hiddenSize: options.hiddenSize ?? 32, outputSize: C, layers: options.layers ?? 1,
    // mean pooling applies its softmax itself, after pooling the linear outputs
    ...(pooling === 'mean' ? { loss: 'mse' as const, outputActivation: 'linear' as const } : { loss: 'cross-entropy' as const }),
    dtype: options.dtype ?? 'float32', seed,
  });
  const stats = kind === 'features' ? featureStats(train, D) : [];
  const clf = new SequenceClassifier(net, kind, C, stats, pooling);
  const weights = options.classWeights;
  if (weights && weights.length !== C) throw new ShapeError(`classWeights has ${weights.length} entries, expected one per class (${C})`);
  const model = {
    params: net.params,
    gradient: (idx: readonly number[]) => {
      const items = idx.map((i) => train[i]!);
      if (pooling === 'mean') return clf.pooledLoss(items, weights, true);
      return weights ? classWeightedGradient(clf, items, weights) : net.gradient(clf.batch(items, true));
    },
    validate: (): number | null => {
      if (validation.length === 0) return null;
      let J = 0;
      let n = 0;
      for (let s = 0; s < validation.length; s += 256) {
        const part = validation.slice(s, s + 256);
        const r = pooling === 'mean' ? clf.pooledLoss(part, undefined, false) : net.loss(clf.batch(part, true));
        J += r.loss;
        n += r.count;
      }
      return J / n;
    },
  };
  const history = trainLoop(model, train.map((_, i) => i), { ...options, rng: new Rng(seed + 1) });
  return { classifier: clf, history };
}

/**
 * Sets params.grad to the gradient of J = Σ_i w_{y_i}·J_i: one batch whose
 * per-sequence loss weights are the class weights of the labels. Returns the
 * weighted J and the number of sequences counted.
 */
export function classWeightedGradient(
  clf: SequenceClassifier, items: readonly LabelledSequence[], weights: readonly number[],
): { loss: number; count: number } {
  const net = clf.net;
  net.params.zeroGrad();
  return net.gradient({ ...clf.batch(items, true), weights: items.map((it) => weights[it.label]!) });
}

/** Per-feature mean and standard deviation over every step of the training sequences. */
function featureStats(items: readonly LabelledSequence[], D: number): { mean: number; sd: number }[] {
  const sum = new Float64Array(D);
  const sq = new Float64Array(D);
  let n = 0;
  for (const it of items) {
    for (const v of it.input as readonly (readonly number[])[]) {
      if (!Array.isArray(v) || v.length !== D) throw new ShapeError(`every step must be a vector of ${D} features`);
      for (let j = 0; j < D; j++) {
        sum[j]! += v[j]!;
        sq[j]! += v[j]! * v[j]!;
      }
      n++;
    }
  }
  return Array.from({ length: D }, (_, j) => {
    const mean = sum[j]! / n;
    const sd = Math.sqrt(Math.max(sq[j]! / n - mean * mean, 0));
    return { mean, sd: sd > 1e-12 ? sd : 1 };
  });
}
