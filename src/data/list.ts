/**
 * A fixed list of ready-made batches as a {@link BatchSource}: full-batch
 * training on one batch (the worked example), or batches built by hand.
 */

import { OptionError, ShapeError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { SequenceBatch } from '../model/network.js';
import type { BatchSource, LoadedBatch, ReusableBatch } from './source.js';

/** Options of {@link BatchList}. */
export interface BatchListOptions {
  /** Visit the batches in a new random order every epoch. Default false. */
  readonly shuffle?: boolean;
  /** The batches continue each other's sequences (stream windows built by hand), so `fit` carries the state. Default false. */
  readonly stateful?: boolean;
}

/** The given batches, used as they are (not copied); B must be the same for all. */
export class BatchList implements BatchSource {
  readonly B: number;
  readonly batchesPerEpoch: number;
  readonly stateful: boolean;
  readonly inputSize: number;
  readonly outputSize: number;
  private readonly loaded: LoadedBatch[];
  private readonly order: Int32Array;
  private readonly shuffle: boolean;

  /** `inputSize` and `outputSize` are D and K of the network the batches are for. */
  constructor(batches: readonly SequenceBatch[], sizes: { inputSize: number; outputSize: number }, options: BatchListOptions = {}) {
    if (batches.length === 0) throw new OptionError('BatchList needs at least one batch');
    const B = batches[0]!.B;
    this.loaded = batches.map((b, i) => {
      if (b.B !== B) throw new ShapeError(`batches[${i}] has B = ${b.B}, but batches[0] has B = ${B}; fit keeps B constant`);
      const batch: ReusableBatch = {
        T: b.T, B: b.B, x: b.x, y: b.y, mask: b.mask, lossAt: b.lossAt ?? 'all', init: b.init,
        ...(b.feedback !== undefined ? { feedback: b.feedback } : {}),
      };
      return { batch, sequences: realSequences(b), steps: validSteps(b) };
    });
    this.B = B;
    this.batchesPerEpoch = batches.length;
    this.stateful = options.stateful ?? false;
    this.shuffle = options.shuffle ?? false;
    this.inputSize = sizes.inputSize;
    this.outputSize = sizes.outputSize;
    this.order = Int32Array.from(batches, (_, i) => i);
  }

  /** Resets the order, then (when shuffling and given `rng`) permutes it by Fisher–Yates. */
  beginEpoch(rng: Rng | null): void {
    const o = this.order;
    for (let i = 0; i < o.length; i++) o[i] = i;
    if (this.shuffle && rng) rng.shuffle(o);
  }

  batch(i: number): LoadedBatch {
    const b = this.loaded[this.order[i]!];
    if (!b) throw new OptionError(`batch index must be an integer in [0, ${this.batchesPerEpoch}), got ${i}`);
    return b;
  }
}

/** Sequences with at least one valid step. */
function realSequences(b: SequenceBatch): number {
  if (!b.mask) return b.B;
  let n = 0;
  for (let s = 0; s < b.B; s++) {
    for (let t = 0; t < b.T; t++) {
      if (b.mask[t * b.B + s]) {
        n++;
        break;
      }
    }
  }
  return n;
}

function validSteps(b: SequenceBatch): number {
  if (!b.mask) return b.T * b.B;
  let n = 0;
  for (let i = 0; i < b.T * b.B; i++) n += b.mask[i]! ? 1 : 0;
  return n;
}
