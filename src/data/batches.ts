/**
 * Mini-batches of independent sequence pairs (data source (b) of issue 4):
 * B pairs per batch, padded to the longest of them and masked, in an order
 * reshuffled at every epoch by the seeded generator.
 *
 * Layout of a batch of T steps (T = the longest sequence in it):
 *   x[(t−1)·B + b] (ids) or x[((t−1)·B + b)·D + j] (dense), t = 1..T
 *   mask[(t−1)·B + b] = 1 for t ≤ T_b (sequence b's length), else 0.
 * Padding steps hold zeros (dense) or −1 (ids); a masked step neither adds
 * loss nor changes the state, so padding changes nothing. A short last
 * batch is filled up to B with fully masked rows, so B stays constant and
 * neither the batch buffers nor the network's work buffers are reallocated.
 */

import { expectPositiveInt, OptionError, rejectUnknownKeys, ShapeError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { DType } from '../core/tensor.js';
import type { SequenceSet } from './sequences.js';
import { allocateBatch, matchDtype, type BatchBuffers, type BatchSource, type LoadedBatch } from './source.js';

/** Options of {@link SequenceBatches}. */
export interface SequenceBatchesOptions {
  /** Sequences per batch B. */
  readonly batchSize: number;
  /** Reshuffle the order at every epoch (default true; validation sources use false). */
  readonly shuffle?: boolean;
  /**
   * A loss weight per pair (e.g. the class weight of its label): the batch
   * then carries `weights`, and J = Σ_b w_b·J_b. Default: every weight 1.
   */
  readonly weights?: ArrayLike<number>;
}

const KEYS = ['batchSize', 'shuffle', 'weights'] as const;

/**
 * Batches of a {@link SequenceSet}, padded and masked; see the module
 * comment for the layout. B = min(batchSize, number of pairs).
 *
 * @example
 * const { train, validation } = splitSequences(sequenceSet(pairs, { inputSize: 2, outputSize: 3, targets: 'last' }), { fraction: 0.2 });
 * await fit(net, new SequenceBatches(train, { batchSize: 16 }), {
 *   validation: new SequenceBatches(validation, { batchSize: 16, shuffle: false }), epochs: 20 });
 */
export class SequenceBatches implements BatchSource {
  readonly B: number;
  readonly batchesPerEpoch: number;
  readonly stateful = false;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly set: SequenceSet;
  readonly shuffle: boolean;
  /** This epoch's order: order[k] is the pair at position k. */
  readonly order: Int32Array;
  private buf: BatchBuffers | null = null;
  private readonly pairWeights: Float64Array | null;
  private readonly batchWeights: Float64Array | null;
  private loaded: { batch: BatchBuffers['batch']; sequences: number; steps: number } | null = null;

  constructor(set: SequenceSet, options: SequenceBatchesOptions) {
    rejectUnknownKeys('SequenceBatches', options, KEYS);
    const B = expectPositiveInt('batchSize', options.batchSize);
    if (options.shuffle !== undefined && typeof options.shuffle !== 'boolean') throw new OptionError('shuffle must be true or false');
    this.set = set;
    this.B = Math.min(B, set.pairs.length);
    this.batchesPerEpoch = Math.ceil(set.pairs.length / this.B);
    this.inputSize = set.inputSize;
    this.outputSize = set.outputSize;
    this.shuffle = options.shuffle ?? true;
    this.order = new Int32Array(set.pairs.length);
    for (let i = 0; i < this.order.length; i++) this.order[i] = i;
    const w = options.weights;
    if (w !== undefined) {
      if (w.length !== set.pairs.length) throw new ShapeError(`weights has ${w.length} entries, expected one per pair (${set.pairs.length})`);
      for (let i = 0; i < w.length; i++) {
        if (!(Number.isFinite(w[i]) && w[i]! >= 0)) throw new OptionError(`weights[${i}] is ${w[i]}; a loss weight must be a finite number ≥ 0`);
      }
    }
    this.pairWeights = w === undefined ? null : Float64Array.from(w);
    this.batchWeights = w === undefined ? null : new Float64Array(this.B);
  }

  /**
   * Resets the order to 0..n−1 and, when shuffling and `rng` is given,
   * permutes it (Fisher–Yates, n−1 draws from `rng`). The order is a pure
   * function of the generator's state at this call.
   */
  beginEpoch(rng: Rng | null): void {
    const o = this.order;
    for (let i = 0; i < o.length; i++) o[i] = i;
    if (this.shuffle && rng) rng.shuffle(o);
  }

  batch(i: number, dtype: DType): LoadedBatch {
    if (!Number.isInteger(i) || i < 0 || i >= this.batchesPerEpoch) {
      throw new OptionError(`batch index must be an integer in [0, ${this.batchesPerEpoch}), got ${i}`);
    }
    const s = this.set;
    const buf = this.buffers(dtype);
    const B = this.B;
    const first = i * B;
    const real = Math.min(B, s.pairs.length - first);
    let T = 0;
    let steps = 0;
    for (let b = 0; b < real; b++) {
      const len = s.lengths[this.order[first + b]!]!;
      if (len > T) T = len;
      steps += len;
    }
    let full = real === B;
    const bw = this.batchWeights;
    for (let b = 0; b < B; b++) {
      const p = b < real ? this.order[first + b]! : -1;
      if (bw) bw[b] = p >= 0 ? this.pairWeights![p]! : 0;
      const len = p >= 0 ? s.lengths[p]! : 0;
      if (len !== T) full = false;
      this.fillRow(buf, b, T, p, len);
    }
    const batch = buf.batch;
    batch.T = T;
    batch.mask = full ? undefined : buf.mask;
    if (bw) batch.weights = bw;
    const loaded = this.loaded ?? (this.loaded = { batch, sequences: 0, steps: 0 });
    loaded.sequences = real;
    loaded.steps = steps;
    return loaded;
  }

  /** Writes sequence p (or padding when p < 0) into column b of a T-step batch. */
  private fillRow(buf: BatchBuffers, b: number, T: number, p: number, len: number): void {
    const { B, inputSize: D, outputSize: K } = this;
    const pair = p >= 0 ? this.set.pairs[p]! : null;
    const last = this.set.targets === 'last';
    for (let t = 0; t < T; t++) {
      const row = t * B + b;
      const valid = t < len;
      buf.mask[row] = valid ? 1 : 0;
      // x(t) of sequence b, or the zero vector / id −1 for padding
      if (buf.xIndex) buf.xIndex[row] = valid ? pair!.input[t]! : -1;
      else {
        const x = buf.xDense!;
        if (valid) for (let j = 0; j < D; j++) x[row * D + j] = pair!.input[t * D + j]!;
        else x.fill(0, row * D, (row + 1) * D);
      }
      // y(t): every valid step, or only the last one for "last" targets
      const hasTarget = valid && (!last || t === len - 1);
      const src = last ? 0 : t;
      if (buf.yIndex) buf.yIndex[row] = hasTarget ? pair!.target[src]! : -1;
      else {
        const y = buf.yDense!;
        if (hasTarget) for (let j = 0; j < K; j++) y[row * K + j] = pair!.target[src * K + j]!;
        else y.fill(0, row * K, (row + 1) * K);
      }
    }
  }

  private buffers(dtype: DType): BatchBuffers {
    if (!this.buf) {
      const s = this.set;
      this.buf = allocateBatch({
        capacityT: s.maxLength, B: this.B, D: s.inputSize, K: s.outputSize,
        symbolInput: s.symbolInput, symbolTarget: s.symbolTarget,
        lossAt: s.targets === 'last' ? 'last' : 'all', dtype,
      });
    }
    matchDtype(this.buf, dtype);
    return this.buf;
  }
}
