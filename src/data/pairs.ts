/**
 * Source → target symbol pairs of an encoder–decoder as a
 * {@link BatchSource}, in length buckets: each epoch the pairs are
 * shuffled, cut into chunks of 50 batches, each chunk is sorted by source
 * length and cut into batches of B pairs, and the order of the batches is
 * shuffled again — so a batch holds pairs of similar length (little
 * padding), yet every epoch sees new batches. Both draws come from the
 * generator `fit` passes, so the epoch's batches are a pure function of its
 * state (an exact resume).
 */

import { expectPositiveInt, OptionError, rejectUnknownKeys } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { Seq2Seq, Seq2SeqBatch, Seq2SeqPair } from '../seq2seq/model.js';
import type { BatchSource, LoadedBatch } from './source.js';

/** Options of {@link PairBatches}. */
export interface PairBatchesOptions {
  /** Pairs per batch B (the last batch of a chunk may hold fewer). */
  readonly batchSize: number;
  /** Shuffle and re-bucket every epoch. Default true; false keeps the pairs in order (validation). */
  readonly shuffle?: boolean;
  /** Batches per sorted chunk. Default 50. */
  readonly bucketBatches?: number;
}

const KEYS = ['batchSize', 'shuffle', 'bucketBatches'] as const;
const NO_ORDER = new Int32Array(0);

/** Teacher-forced batches of {@link Seq2SeqPair}s for `model` (see the module comment). */
export class PairBatches implements BatchSource<Seq2SeqBatch> {
  readonly B: number;
  readonly batchesPerEpoch: number;
  readonly stateful = false;
  readonly inputSize: number;
  readonly outputSize: number;
  private readonly shuffle: boolean;
  private readonly chunk: number;
  private readonly order: Int32Array;
  /** Start and end (in `sorted`) of each batch, in this epoch's batch order. */
  private readonly bounds: Int32Array;
  private readonly sorted: Int32Array;
  private readonly loaded: { batch: Seq2SeqBatch; sequences: number; steps: number } = { batch: null!, sequences: 0, steps: 0 };

  constructor(readonly model: Seq2Seq, readonly pairs: readonly Seq2SeqPair[], options: PairBatchesOptions) {
    rejectUnknownKeys('PairBatches', options, KEYS);
    const B = expectPositiveInt('batchSize', options.batchSize);
    if (pairs.length === 0) throw new OptionError('PairBatches needs at least one pair');
    this.B = Math.min(B, pairs.length);
    this.shuffle = options.shuffle ?? true;
    this.chunk = this.B * (options.bucketBatches === undefined ? 50 : expectPositiveInt('bucketBatches', options.bucketBatches));
    this.inputSize = model.sourceVocabSize;
    this.outputSize = model.targetVocabSize + 1;
    let n = 0;
    for (let c = 0; c < pairs.length; c += this.chunk) n += Math.ceil(Math.min(this.chunk, pairs.length - c) / this.B);
    this.batchesPerEpoch = n;
    this.order = Int32Array.from(pairs, (_, i) => i);
    this.sorted = new Int32Array(pairs.length);
    this.bounds = new Int32Array(2 * n);
    this.beginEpoch(null);
  }

  /** Shuffles the pairs, sorts each chunk by source length, cuts batches and shuffles their order. */
  beginEpoch(rng: Rng | null): void {
    const o = this.order;
    for (let i = 0; i < o.length; i++) o[i] = i;
    const shuffle = this.shuffle && rng !== null;
    if (shuffle) rng.shuffle(o);
    const starts: number[] = [];
    for (let c = 0; c < o.length; c += this.chunk) {
      const end = Math.min(c + this.chunk, o.length);
      const part = Array.from(o.subarray(c, end));
      if (shuffle) part.sort((a, b) => this.pairs[a]!.source.length - this.pairs[b]!.source.length);
      this.sorted.set(part, c);
      for (let s = c; s < end; s += this.B) starts.push(s);
    }
    const batchOrder = shuffle ? rng.shuffle(Int32Array.from(starts, (_, i) => i)) : NO_ORDER;
    starts.forEach((_, k) => {
      const s = starts[shuffle ? batchOrder[k]! : k]!;
      const chunkEnd = Math.min(Math.floor(s / this.chunk) * this.chunk + this.chunk, o.length);
      this.bounds[2 * k] = s;
      this.bounds[2 * k + 1] = Math.min(s + this.B, chunkEnd);
    });
  }

  batch(i: number): LoadedBatch<Seq2SeqBatch> {
    if (!Number.isInteger(i) || i < 0 || i >= this.batchesPerEpoch) {
      throw new OptionError(`batch index must be an integer in [0, ${this.batchesPerEpoch}), got ${i}`);
    }
    const s = this.bounds[2 * i]!;
    const e = this.bounds[2 * i + 1]!;
    const pairs: Seq2SeqPair[] = [];
    let steps = 0;
    for (let k = s; k < e; k++) {
      const p = this.pairs[this.sorted[k]!]!;
      pairs.push(p);
      steps += p.source.length + p.target.length + 1;
    }
    this.loaded.batch = this.model.makeBatch(pairs);
    this.loaded.sequences = pairs.length;
    this.loaded.steps = steps;
    return this.loaded;
  }
}
