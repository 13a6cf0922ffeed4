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
