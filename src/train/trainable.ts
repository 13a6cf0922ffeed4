/**
 * What {@link fit} can train besides a single {@link Network}: a model made
 * of one or more parameter sets with its own objective — an encoder–decoder
 * (encoder and decoder), or a network under a loss the network does not
 * compute itself (a classifier with mean-pooled states).
 */

import type { ParamSet } from '../core/params.js';
import type { DType } from '../core/tensor.js';
import type { BackwardOptions } from '../cells/cell.js';

/**
 * A model `fit` trains with one optimizer over all its parameter sets
 * together (their values in order form θ).
 */
export interface Trainable<TBatch> {
  /** The parameter sets, in a fixed order (what the optimizer updates and a checkpoint stores). */
  readonly paramSets: readonly ParamSet[];
  /** Element type of every parameter set. */
  readonly dtype: DType;
  /**
   * J summed over the batch and the number of outputs that carried loss;
   * ADDS ∂J/∂θ to every set's `grad` (fit zeroes them first).
   */
  gradient(batch: TBatch, options?: BackwardOptions): { loss: number; count: number };
  /** J and its count without gradients (validation). */
  loss(batch: TBatch): { loss: number; count: number };
}

/**
 * One array of a batch as columns: element (t·B + b)·width + j holds step t,
 * sequence b, entry j (steps 1 for a per-sequence array such as loss
 * weights). Shard [b0, b1) of the batch takes columns b0 … b1 − 1 of every
 * array, at every step.
 */
export type ColumnData = Int32Array | Uint8Array | Float32Array | Float64Array;

export interface ColumnArray {
  readonly data: ColumnData;
  readonly steps: number;
  readonly width: number;
}

/** A batch of B sequences as column arrays (in a fixed order the model's `fromColumns` knows). */
export interface BatchColumns {
  readonly B: number;
  /** Absent optional arrays are listed with steps 0 (and no data). */
  readonly arrays: readonly ColumnArray[];
  /** A small integer of the model's own (e.g. the batch's loss placement). */
  readonly flags: number;
}

/**
 * What a thread needs to build a copy of a model, as plain JSON-like data
 * (it travels in a message): the kind and the model's own options.
 */
export type ModelDescription =
  | { readonly kind: 'seq2seq'; readonly options: Readonly<Record<string, unknown>> }
  | { readonly kind: 'mean-pooled'; readonly config: Readonly<Record<string, unknown>> };

/**
 * A {@link Trainable} that can train data-parallel (`DataParallel`): it
 * describes itself so another thread can rebuild it, and its batches split
 * by sequence. Its J must be a sum over the batch's sequences, so the
 * shards' gradients add up to the batch's.
 */
export interface ShardableTrainable<TBatch> extends Trainable<TBatch> {
  describe(): ModelDescription;
  /** The batch as columns (views, no copy). */
  toColumns(batch: TBatch): BatchColumns;
  /** A batch over column arrays (as {@link toColumns} lists them, each B columns wide). */
  fromColumns(columns: BatchColumns): TBatch;
}

/** Whether a Trainable can train data-parallel. */
export function isShardable<TBatch>(model: Trainable<TBatch>): model is ShardableTrainable<TBatch> {
  const m = model as Partial<ShardableTrainable<TBatch>>;
  return typeof m.describe === 'function' && typeof m.toColumns === 'function' && typeof m.fromColumns === 'function';
}
