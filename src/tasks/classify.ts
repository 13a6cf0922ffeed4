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
 * J = Σ_i w_{y_i}·J_i (per-sequence loss weights of the batch).
 *
 * Training is {@link fit} on {@link SequenceBatches} (many-to-one pairs,
 * the class weight of each pair as its loss weight); mean pooling trains
 * through {@link MeanPooledObjective}, a {@link Trainable} with its own loss.
 */

import { expectChoice, expectPositiveInt, OptionError, ShapeError } from '../core/errors.js';
import { allocate, type DType, type Float } from '../core/tensor.js';
import { CELL_KINDS, type CellKind } from '../cells/cell.js';
import { SequenceBatches } from '../data/batches.js';
import { sequenceSet, type SequencePair } from '../data/sequences.js';
import type { ReusableBatch } from '../data/source.js';
import { Network, type SequenceBatch } from '../model/network.js';
import { fit } from '../train/fit.js';
import type { FitOptions, FitResult } from '../train/fit-types.js';
import type { BatchColumns, ModelDescription, ShardableTrainable } from '../train/trainable.js';

export const POOLINGS = ['last', 'mean'] as const;
export type Pooling = (typeof POOLINGS)[number];

/** One labelled sequence: symbol indices, or feature vectors (steps × features). */
export type ClassifierInput = readonly number[] | readonly (readonly number[])[];

export interface LabelledSequence {
  readonly input: ClassifierInput;
  /** Class index in [0, classes). */
  readonly label: number;
}

/**
 * How raw inputs become sequences, and what the classes are called (all
 * saved in the model file, so that new inputs can be labelled later).
 */
export interface ClassifierInfo {
  /** Name of each class, index = class id. */
  readonly classNames: readonly string[];
  /**
   * `symbols`: a text is split into characters, each looked up in `symbols`
   * (index = input id; unknown characters are the zero vector).
   * `features`: each step is a vector of the named features, z-scored with
   * the classifier's training statistics.
   */
  readonly input: { readonly kind: 'symbols'; readonly symbols: readonly string[] } | { readonly kind: 'features'; readonly names: readonly string[] };
}

/** A raw input to label: a text (symbol classifiers) or steps × features (feature classifiers). */
export type RawClassifierInput = string | readonly (readonly number[])[];

/** A trained classifier: the network and the feature scaling it was trained with. */
export class SequenceClassifier {
  /** Class names and input featurisation; default: classes "0".."C−1", no symbol table. */
  info: ClassifierInfo;

  constructor(
    readonly net: Network,
    readonly inputKind: 'symbols' | 'features',
    readonly classes: number,
    /** Per-feature (mean, sd) for feature input. */
    readonly featureStats: readonly { mean: number; sd: number }[],
    readonly pooling: Pooling = 'last',
    info?: ClassifierInfo,
  ) {
    this.info = info ?? {
      classNames: Array.from({ length: classes }, (_, c) => String(c)),
      input: inputKind === 'symbols' ? { kind: 'symbols', symbols: [] } : { kind: 'features', names: featureStats.map((_, j) => `f${j}`) },
    };
  }

  /** Builds a padded, masked many-to-one batch; labels go to each sequence's last step. */
  batch(items: readonly LabelledSequence[] | readonly ClassifierInput[], withLabels: boolean): SequenceBatch {
    const B = items.length;
    const inputs = items.map((it) => (withLabels ? (it as LabelledSequence).input : (it as ClassifierInput)));
    let T = 1;
    for (const x of inputs) if (x.length > T) T = x.length;
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
    inputs.forEach((seq, b) => {
      const n = seq.length;
      if (n === 0) throw new ShapeError(`sequence ${b} is empty; every sequence needs at least one step`);
      for (let t = 0; t < n; t++) mask[t * B + b] = 1;
      if (withLabels) y[(n - 1) * B + b] = (items[b] as LabelledSequence).label;
    });
    return { T, B, x, y: { kind: 'index', data: y }, mask, lossAt: 'last' };
  }

  /** A training pair for {@link SequenceBatches}: ids, or z-scored T×D features, and the label. */
  pair(item: LabelledSequence): SequencePair {
    const target = Int32Array.of(item.label);
    if (this.inputKind === 'symbols') return { input: Int32Array.from(item.input as readonly number[]), target };
    const D = this.featureStats.length;
    const steps = item.input as readonly (readonly number[])[];
    const input = new Float64Array(steps.length * D);
    steps.forEach((v, t) => {
      if (v.length !== D) throw new ShapeError(`step ${t} has ${v.length} features, expected ${D}`);
      for (let j = 0; j < D; j++) input[t * D + j] = (v[j]! - this.featureStats[j]!.mean) / this.featureStats[j]!.sd;
    });
    return { input, target };
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

  /**
   * A raw input as the sequence the network reads: a text's characters
   * looked up in the symbol table (unknown ones −1, the zero vector), or
   * feature vectors as given (scaled in {@link batch}). Throws a ShapeError
   * for an empty input or a wrong number of features.
   */
  featurise(raw: RawClassifierInput): ClassifierInput {
    const inp = this.info.input;
    if (inp.kind === 'symbols') {
      if (typeof raw !== 'string') throw new ShapeError('this classifier reads text: give a string');
      // built once per symbol table: `info` is replaced when a model is continued with new info
      if (this.symbolIndex?.symbols !== inp.symbols) this.symbolIndex = { symbols: inp.symbols, index: new Map(inp.symbols.map((s, i) => [s, i])) };
      const index = this.symbolIndex.index;
      const ids = Array.from(raw, (ch) => index.get(ch) ?? -1);
      if (ids.length === 0) throw new ShapeError('an empty text has no steps to classify');
      return ids;
    }
    if (typeof raw === 'string') throw new ShapeError(`this classifier reads sequences of ${inp.names.length} features (${inp.names.join(', ')}), not text`);
    if (raw.length === 0) throw new ShapeError('an empty sequence has no steps to classify');
    raw.forEach((v, t) => {
      if (v.length !== inp.names.length) throw new ShapeError(`step ${t} has ${v.length} features, expected ${inp.names.length} (${inp.names.join(', ')})`);
      v.forEach((x, j) => {
        if (!Number.isFinite(x)) throw new ShapeError(`step ${t}, feature ${inp.names[j]} is ${x}; every feature must be a finite number`);
      });
    });
    return raw;
  }

  private symbolIndex: { readonly symbols: readonly string[]; readonly index: Map<string, number> } | undefined;

  /**
   * p(class | input) of each raw input, by class name. Works on any number
   * at a time (one, or a chunk of a stream); the same input gets the same
   * probabilities whatever else is in the call.
   *
   * @example clf.predictProbabilities(['margaret', 'robert']) // [{ female: 0.97, male: 0.03 }, …]
   */
  predictProbabilities(raw: readonly RawClassifierInput[]): Record<string, number>[] {
    const probs = this.probabilities(raw.map((r) => this.featurise(r)));
    const names = this.info.classNames;
    return probs.map((p) => Object.fromEntries(names.map((n, c) => [n, p[c]!])));
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
        if (batch.mask && !batch.mask[t * B + b]) continue;
        n++;
        for (let c = 0; c < C; c++) z[c]! += neto[(t * B + b) * C + c]!;
      }
      softmaxOfMean(z, n);
      out.push(z);
    }
    return out;
  }

  /**
   * Mean pooling: J = Σ_b w_{y_b}·(−log p_b[y_b]) and, when `withGradient`,
   * its gradient ADDED to params.grad (see {@link MeanPooledObjective}).
   */
  pooledLoss(items: readonly LabelledSequence[], weights: readonly number[] | undefined, withGradient: boolean): { loss: number; count: number } {
    const batch = this.batch(items, true);
    const b = weights ? { ...batch, weights: items.map((it) => weights[it.label]!) } : batch;
    const objective = new MeanPooledObjective(this.net);
    return withGradient ? objective.gradient(b) : objective.loss(b);
  }

  /** The most probable class of each sequence. */
  predict(inputs: readonly ClassifierInput[]): number[] {
    return this.probabilities(inputs).map(argmax);
  }
}

function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let c = 1; c < p.length; c++) if (p[c]! > p[best]!) best = c;
  return best;
}

/** z ← softmax(z / n), in place, stably. */
function softmaxOfMean(z: Float64Array, n: number): void {
  let m = -Infinity;
  for (let c = 0; c < z.length; c++) m = Math.max(m, (z[c] = z[c]! / n));
  let sum = 0;
  for (let c = 0; c < z.length; c++) sum += (z[c] = Math.exp(z[c]! - m));
  for (let c = 0; c < z.length; c++) z[c]! /= sum;
}

/**
 * The mean-pooled classification loss as a {@link Trainable} for `fit`.
 * On a many-to-one batch (the label at each sequence's last real step,
 * optional per-sequence weights w_b):
 *
 *   z_b = (1/n_b)·Σ_t neto_b(t)     p_b = softmax(z_b)     J = Σ_b w_b·(−log p_b[y_b])
 *   δz_b = w_b·(p_b − onehot(y_b))   δo_b(t) = δz_b / n_b on each real step
 *
 * The network's own loss is squared error on a linear output, but only its
 * forward pass and {@link Network.gradientFromOutputDelta} are used.
 * Buffers are allocated once per batch shape.
 */
export class MeanPooledObjective implements ShardableTrainable<SequenceBatch> {
  readonly paramSets;
  readonly dtype: DType;
  private z = new Float64Array(0);
  private dO: Float = new Float64Array(0);

  constructor(readonly net: Network) {
    this.paramSets = [net.params] as const;
    this.dtype = net.config.dtype;
  }

  loss(batch: SequenceBatch): { loss: number; count: number } {
    return this.run(batch, false);
  }

  /** The network's config, for building a copy in another thread (data-parallel training). */
  describe(): ModelDescription {
    return { kind: 'mean-pooled', config: { ...this.net.config } };
  }

  /** A batch as columns: x, y, mask, weights (absent ones with steps 0); flags 1 when the loss is at the last step. */
  toColumns(batch: SequenceBatch): BatchColumns {
    if (batch.init || batch.feedback === 'argmax') throw new ShapeError('a mean-pooled batch carries no initial state and no feedback');
    const { T, B } = batch;
    const none = { data: new Uint8Array(0), steps: 0, width: 0 };
    const w = batch.weights;
    return {
      B, flags: batch.lossAt === 'last' ? 1 : 0,
      arrays: [
        { data: batch.x.data, steps: T, width: batch.x.kind === 'dense' ? this.net.config.inputSize : 1 },
        { data: batch.y.data, steps: T, width: batch.y.kind === 'dense' ? this.net.config.outputSize : 1 },
        batch.mask ? { data: batch.mask, steps: T, width: 1 } : none,
        w ? { data: w instanceof Float64Array ? w : Float64Array.from(w), steps: 1, width: 1 } : none,
      ],
    };
  }

  /** The batch over column arrays listed as {@link toColumns} lists them. */
  fromColumns(c: BatchColumns): SequenceBatch {
    const [x, y, mask, weights] = c.arrays;
    if (!x || !y || !mask || !weights) throw new ShapeError(`a mean-pooled batch has 4 column arrays, got ${c.arrays.length}`);
    return {
      T: x.steps, B: c.B,
      x: x.data instanceof Int32Array ? { kind: 'index', data: x.data } : { kind: 'dense', data: x.data as Float },
      y: y.data instanceof Int32Array ? { kind: 'index', data: y.data } : { kind: 'dense', data: y.data as Float },
      ...(mask.steps > 0 ? { mask: mask.data as Uint8Array } : {}),
      ...(weights.steps > 0 ? { weights: weights.data } : {}),
      ...(c.flags === 1 ? { lossAt: 'last' as const } : {}),
    };
  }

  gradient(batch: SequenceBatch): { loss: number; count: number } {
    return this.run(batch, true);
  }

  private run(batch: SequenceBatch, withGradient: boolean): { loss: number; count: number } {
    const { T, B } = batch;
    const C = this.net.config.outputSize;
    if (batch.y.kind !== 'index') throw new ShapeError('mean pooling needs class ids as targets');
    const y = batch.y.data;
    const mask = batch.mask;
    const neto = this.net.forward(batch);
    if (this.z.length < B * C) this.z = new Float64Array(B * C);
    if (withGradient && this.dO.length < T * B * C) this.dO = allocate(this.dtype, T * B * C);
    const z = this.z;
    let J = 0;
    let count = 0;
    if (withGradient) this.dO.fill(0, 0, T * B * C);
    for (let b = 0; b < B; b++) {
      const zb = z.subarray(b * C, (b + 1) * C);
      zb.fill(0);
      let n = 0;
      let label = -1;
      for (let t = 0; t < T; t++) {
        const row = t * B + b;
        if (mask && !mask[row]) continue;
        n++;
        if (y[row]! >= 0) label = y[row]!;
        for (let c = 0; c < C; c++) zb[c]! += neto[row * C + c]!;
      }
      if (n === 0 || label < 0) continue; // a padding row
      softmaxOfMean(zb, n);
      const w = batch.weights ? batch.weights[b]! : 1;
      J -= w * Math.log(Math.max(zb[label]!, 1e-300));
      count++;
      if (!withGradient) continue;
      for (let t = 0; t < T; t++) {
        const row = t * B + b;
        if (mask && !mask[row]) continue;
        for (let c = 0; c < C; c++) this.dO[row * C + c] = (w * (zb[c]! - (c === label ? 1 : 0))) / n; // δo(t) = δz/n
      }
    }
    if (withGradient) this.net.gradientFromOutputDelta(batch, this.dO.subarray(0, T * B * C));
    return { loss: J, count };
  }
}

/** Options of {@link classifierSetup} and {@link trainClassifier}. */
export interface ClassifierOptions {
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
  /** Sequences per update. Default 32. */
  readonly batchSize?: number;
  /** Default `"float32"`. */
  readonly dtype?: DType;
  /** Seeds initialisation (seed) and shuffling (seed + 1). Default 1. */
  readonly seed?: number;
  /** Class names and featurisation, saved with the model (default: "0".."C−1"). */
  readonly info?: ClassifierInfo;
  /** Continue training this classifier (decoded from a model file, with `resume` in the fit options). */
  readonly model?: SequenceClassifier;
}

/** A classifier ready to train: its data as batch sources and fit's defaults for it. */
export interface ClassifierSetup {
  readonly classifier: SequenceClassifier;
  /** The network a DataParallel for `parallel` is made for; null with mean pooling (its own loss runs on one thread). */
  readonly net: Network | null;
  readonly train: SequenceBatches;
  readonly validation: SequenceBatches | null;
  /**
   * fit's options for this task: adam, η 0.005, clipNorm 5, 20 epochs,
   * restoreBest when there is validation data, shuffling seeded with
   * seed + 1, divergence baseline ln C.
   */
  readonly defaults: FitOptions;
  /** `fit` with `defaults` overridden by `options`. */
  run(options?: FitOptions): Promise<TrainedClassifier>;
}

/** A trained classifier and how its training went. */
export interface TrainedClassifier {
  readonly classifier: SequenceClassifier;
  readonly result: FitResult;
}

/**
 * Prepares a classifier: the network (or `options.model`), the feature
 * statistics of the training items, and the batch sources (each pair's
 * class weight as its loss weight). Throws an OptionError when there are
 * fewer than 2 training items or a class weight per class is missing, a
 * ShapeError for a label outside [0, C).
 */
export function classifierSetup(train: readonly LabelledSequence[], validation: readonly LabelledSequence[], options: ClassifierOptions): ClassifierSetup {
  const C = expectPositiveInt('classes', options.classes);
  if (C < 2) throw new OptionError('classes must be at least 2');
  if (train.length < 2) throw new OptionError(`classification needs at least 2 training items, got ${train.length}; give more labelled data`);
  for (const [i, it] of train.entries()) if (!(Number.isInteger(it.label) && it.label >= 0 && it.label < C)) throw new ShapeError(`training item ${i} has label ${it.label}, outside [0, ${C})`);
  for (const [i, it] of validation.entries()) if (!(Number.isInteger(it.label) && it.label >= 0 && it.label < C)) throw new ShapeError(`validation item ${i} has label ${it.label}, outside [0, ${C})`);
  const kind = expectChoice('inputKind', options.inputKind, ['symbols', 'features'] as const);
  const D = kind === 'symbols' ? expectPositiveInt('vocabSize', options.vocabSize) : expectPositiveInt('featureSize', options.featureSize);
  const seed = options.seed ?? 1;
  let clf = options.model;
  if (!clf) {
    const pooling = options.pooling === undefined ? 'last' : expectChoice('pooling', options.pooling, POOLINGS);
    const net = new Network({
      cell: options.cell === undefined ? 'rnn' : expectChoice('cell', options.cell, CELL_KINDS),
      inputSize: D, hiddenSize: options.hiddenSize ?? 32, outputSize: C, layers: options.layers ?? 1,
      // mean pooling applies its softmax itself, after pooling the linear outputs
      ...(pooling === 'mean' ? { loss: 'mse' as const, outputActivation: 'linear' as const } : { loss: 'cross-entropy' as const }),
      dtype: options.dtype ?? 'float32', seed,
    });
    clf = new SequenceClassifier(net, kind, C, kind === 'features' ? featureStats(train, D) : [], pooling, options.info);
  } else if (options.info) clf.info = options.info;
  if (clf.classes !== C || clf.net.config.inputSize !== D) throw new OptionError(`the classifier to continue has ${clf.classes} classes and input width ${clf.net.config.inputSize}, but the data has ${C} and ${D}`);
  const weights = options.classWeights;
  if (weights && weights.length !== C) throw new ShapeError(`classWeights has ${weights.length} entries, expected one per class (${C})`);
  const batchSize = options.batchSize === undefined ? 32 : expectPositiveInt('batchSize', options.batchSize);
  const c = clf;
  const set = (items: readonly LabelledSequence[]) => sequenceSet(items.map((it) => c.pair(it)), { inputSize: D, outputSize: C, targets: 'last' });
  const trainSource = new SequenceBatches(set(train), { batchSize, ...(weights ? { weights: train.map((it) => weights[it.label]!) } : {}) });
  const valSource = validation.length > 0 ? new SequenceBatches(set(validation), { batchSize: trainSource.B, shuffle: false }) : null;
  const defaults: FitOptions = {
    optimizer: { kind: 'adam' }, learningRate: 0.005, clipNorm: 5, epochs: 20, seed: seed + 1,
    ...(valSource ? { restoreBest: true } : {}),
    divergence: { baseline: Math.log(C) },
  };
  const mean = c.pooling === 'mean' ? new MeanPooledObjective(c.net) : null;
  return {
    classifier: c, net: mean ? null : c.net, train: trainSource, validation: valSource, defaults,
    async run(fitOptions: FitOptions = {}): Promise<TrainedClassifier> {
      const o: FitOptions = { ...defaults, ...(valSource ? { validation: valSource } : {}), ...fitOptions };
      const result = mean ? await fit<ReusableBatch>(mean, trainSource, o) : await fit(c.net, trainSource, o);
      return { classifier: c, result };
    },
  };
}

/**
 * Trains a classifier (fit with `options.fit` over the task's defaults; see
 * {@link ClassifierSetup}); with validation items it keeps the parameters
 * of the best validation.
 */
export async function trainClassifier(
  train: readonly LabelledSequence[], validation: readonly LabelledSequence[], options: ClassifierOptions & { readonly fit?: FitOptions },
): Promise<TrainedClassifier> {
  const { fit: fitOptions, ...rest } = options;
  return classifierSetup(train, validation, rest).run(fitOptions);
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
