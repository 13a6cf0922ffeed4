/**
 * What `fit` trains on: a source of batches, each B sequences of up to T
 * steps laid out batch-major (T×B×D inputs, T×B×K or T×B targets, a T×B
 * mask), filled into buffers that the source allocates once per shape and
 * reuses for every batch.
 *
 * Two kinds of source implement it:
 * - {@link StreamBatches}: one long sequence cut into B parallel streams and
 *   windows of T steps for truncated BPTT (stateful: each window continues
 *   where the previous one ended);
 * - {@link SequenceBatches}: independent (input, target) sequence pairs,
 *   padded to the longest sequence of the batch and masked, reshuffled each
 *   epoch.
 */

import type { Rng } from '../core/rng.js';
import { allocate, type DType, type Float } from '../core/tensor.js';
import type { CellState, SequenceInput, StepMask } from '../cells/cell.js';
import type { SequenceTarget } from '../model/loss.js';
import type { SequenceBatch } from '../model/network.js';

/**
 * A {@link SequenceBatch} whose fields the source rewrites in place for each
 * batch (T changes with the batch; the arrays stay the same). `init` is set
 * by `fit` for stateful sources.
 */
export interface ReusableBatch extends SequenceBatch {
  T: number;
  B: number;
  x: SequenceInput;
  y: SequenceTarget;
  mask: StepMask | undefined;
  lossAt: 'all' | 'last';
  init: readonly CellState[] | undefined;
  weights?: ArrayLike<number> | undefined;
}

/** One batch as a source hands it out (`TBatch`: a network's {@link ReusableBatch}, or a {@link Trainable}'s own batch type). */
export interface LoadedBatch<TBatch = ReusableBatch> {
  /** The batch (its arrays are reused: valid until the source's next `batch` call). */
  readonly batch: TBatch;
  /** Real (not padding) sequences in the batch: the divisor of a mean over sequences. */
  readonly sequences: number;
  /** Real input steps in the batch (Σ of the real sequences' lengths), for tokens per second. */
  readonly steps: number;
}

/** A source of training or validation batches. */
export interface BatchSource<TBatch = ReusableBatch> {
  /** Sequences per batch B. Constant: a short last batch is padded with fully masked rows, so B never changes. */
  readonly B: number;
  /** Batches in one epoch. */
  readonly batchesPerEpoch: number;
  /**
   * True when batch i+1 continues the B sequences of batch i (windows of
   * streams), so the final state of one batch is the initial state of the
   * next. `fit` then carries the state and resets it at each epoch start.
   */
  readonly stateful: boolean;
  /** Input width D (the vocabulary size for symbol input). */
  readonly inputSize: number;
  /** Output width K. */
  readonly outputSize: number;
  /**
   * Starts an epoch. A shuffling source draws the epoch's order from `rng`
   * (exactly one permutation per call); `null` keeps the stored order (for
   * validation).
   */
  beginEpoch(rng: Rng | null): void;
  /** Fills batch `i` (0-based) of the current epoch; dense inputs are `dtype` (the network's). */
  batch(i: number, dtype: DType): LoadedBatch<TBatch>;
}

/** Buffers for batches of B sequences of up to `capacityT` steps. */
export interface BatchBuffers {
  readonly batch: ReusableBatch;
  readonly capacityT: number;
  /** Dense input buffer (T×B×D) or null for symbol input. */
  xDense: Float | null;
  readonly xIndex: Int32Array | null;
  readonly yDense: Float | null;
  readonly yIndex: Int32Array | null;
  readonly mask: Uint8Array;
}

/** Shape of the buffers to allocate. */
export interface BufferShape {
  readonly capacityT: number;
  readonly B: number;
  readonly D: number;
  readonly K: number;
  readonly symbolInput: boolean;
  readonly symbolTarget: boolean;
  readonly lossAt: 'all' | 'last';
  readonly dtype: DType;
}

/** Allocates a batch's buffers once; a source refills them for every batch. */
export function allocateBatch(s: BufferShape): BatchBuffers {
  const n = s.capacityT * s.B;
  const xDense = s.symbolInput ? null : allocate(s.dtype, n * s.D);
  const xIndex = s.symbolInput ? new Int32Array(n) : null;
  const yDense = s.symbolTarget ? null : new Float64Array(n * s.K);
  const yIndex = s.symbolTarget ? new Int32Array(n) : null;
  const mask = new Uint8Array(n);
  const batch: ReusableBatch = {
    T: s.capacityT,
    B: s.B,
    x: xIndex ? { kind: 'index', data: xIndex } : { kind: 'dense', data: xDense! },
    y: yIndex ? { kind: 'index', data: yIndex } : { kind: 'dense', data: yDense! },
    mask,
    lossAt: s.lossAt,
    init: undefined,
  };
  return { batch, capacityT: s.capacityT, xDense, xIndex, yDense, yIndex, mask };
}

/** Reallocates the dense input buffer when the network's dtype differs from the buffer's. */
export function matchDtype(buf: BatchBuffers, dtype: DType): void {
  if (!buf.xDense) return;
  const is64 = buf.xDense instanceof Float64Array;
  if (is64 === (dtype === 'float64')) return;
  buf.xDense = allocate(dtype, buf.xDense.length);
  buf.batch.x = { kind: 'dense', data: buf.xDense };
}
