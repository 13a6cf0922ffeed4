/**
 * Sliding windows over one numeric series as a {@link BatchSource}: the
 * many-to-one data of forecasting. For origin o the input is the window
 * x(o−W) … x(o−1) (T = W steps, D = 1) and the target, at the last step
 * only, is y(o) … y(o+K−1) (K = 1 for one step ahead, K = horizon for
 * direct multi-step forecasts). Batches are B origins, batch-major:
 *
 *   x[t·B + b] = series[o_b − W + t]          (t = 0..W−1)
 *   y[((W−1)·B + b)·K + k] = series[o_b + k]  (k = 0..K−1)
 *
 * The windows are read from the series at each batch (nothing is copied
 * per window); a short last batch is padded with fully masked rows.
 */

import { expectPositiveInt, OptionError, rejectUnknownKeys, ShapeError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { DType } from '../core/tensor.js';
import { allocateBatch, matchDtype, type BatchBuffers, type BatchSource, type LoadedBatch } from './source.js';

/** Options of {@link WindowBatches}. */
export interface WindowBatchesOptions {
  /** Steps the network reads, W. */
  readonly window: number;
  /** Targets per origin, K. */
  readonly targets: number;
  /** Origins per batch B (at most the number of origins). */
  readonly batchSize: number;
  /** Reshuffle the origins every epoch. Default true (false for validation). */
  readonly shuffle?: boolean;
}

const KEYS = ['window', 'targets', 'batchSize', 'shuffle'] as const;

/** Windows ending before each of `origins` in `series` (already scaled), as many-to-one batches. */
export class WindowBatches implements BatchSource {
  readonly B: number;
  readonly batchesPerEpoch: number;
  readonly stateful = false;
  readonly inputSize = 1;
  readonly outputSize: number;
  readonly window: number;
  /** This epoch's order: order[k] indexes `origins`. */
  readonly order: Int32Array;
  private readonly shuffle: boolean;
  private buf: BatchBuffers | null = null;
  private readonly loaded: { batch: BatchBuffers['batch']; sequences: number; steps: number } = { batch: null!, sequences: 0, steps: 0 };

  constructor(readonly series: ArrayLike<number>, readonly origins: readonly number[], options: WindowBatchesOptions) {
    rejectUnknownKeys('WindowBatches', options, KEYS);
    this.window = expectPositiveInt('window', options.window);
    this.outputSize = expectPositiveInt('targets', options.targets);
    const B = expectPositiveInt('batchSize', options.batchSize);
    if (origins.length === 0) throw new OptionError('WindowBatches needs at least one origin');
    for (const o of origins) {
      if (!Number.isInteger(o) || o - this.window < 0 || o + this.outputSize > series.length) {
        throw new ShapeError(`origin ${o}: the window of ${this.window} steps before it and ${this.outputSize} targets from it do not fit a series of ${series.length}`);
      }
    }
    this.shuffle = options.shuffle ?? true;
    this.B = Math.min(B, origins.length);
    this.batchesPerEpoch = Math.ceil(origins.length / this.B);
    this.order = Int32Array.from(origins, (_, i) => i);
  }

  /** Resets the order and, when shuffling and given `rng`, permutes it (one Fisher–Yates draw). */
  beginEpoch(rng: Rng | null): void {
    const o = this.order;
    for (let i = 0; i < o.length; i++) o[i] = i;
    if (this.shuffle && rng) rng.shuffle(o);
  }

  batch(i: number, dtype: DType): LoadedBatch {
    if (!Number.isInteger(i) || i < 0 || i >= this.batchesPerEpoch) {
      throw new OptionError(`batch index must be an integer in [0, ${this.batchesPerEpoch}), got ${i}`);
    }
    const buf = this.buffers(dtype);
    const { B, window: W, outputSize: K, series } = this;
    const x = buf.xDense!;
    const y = buf.yDense!;
    const first = i * B;
    const real = Math.min(B, this.origins.length - first);
    y.fill(0, 0, W * B * K);
    for (let b = 0; b < B; b++) {
      const o = b < real ? this.origins[this.order[first + b]!]! : -1;
      for (let t = 0; t < W; t++) {
        buf.mask[t * B + b] = o >= 0 ? 1 : 0;
        x[t * B + b] = o >= 0 ? series[o - W + t]! : 0;
      }
      if (o >= 0) for (let k = 0; k < K; k++) y[((W - 1) * B + b) * K + k] = series[o + k]!;
    }
    const batch = buf.batch;
    batch.T = W;
    batch.mask = real === B ? undefined : buf.mask;
    this.loaded.batch = batch;
    this.loaded.sequences = real;
    this.loaded.steps = real * W;
    return this.loaded;
  }

  private buffers(dtype: DType): BatchBuffers {
    this.buf ??= allocateBatch({
      capacityT: this.window, B: this.B, D: 1, K: this.outputSize,
      symbolInput: false, symbolTarget: false, lossAt: 'last', dtype,
    });
    matchDtype(this.buf, dtype);
    return this.buf;
  }
}
