/**
 * Plain gradient descent, θ ← θ − η·∂J/∂θ, with the lecture's stopping rule
 * (docs/maths.md §5): stop when |RMSE(now) − RMSE(previous)| < tol, or at a step
 * limit. RMSE = sqrt(J / number of output steps), over every sequence.
 */

import { expectNumber, expectPositiveInt, OptionError, rejectUnknownKeys, TrainingError } from '../core/errors.js';
import type { BackwardOptions } from '../cells/cell.js';
import type { Network, SequenceBatch } from '../model/network.js';

export interface GradientDescentOptions extends BackwardOptions {
  /** η. Default 0.1. */
  readonly learningRate?: number;
  /** Stop when |ΔRMSE| < tolerance. Default 1e-4; 0 disables the rule. */
  readonly tolerance?: number;
  /** At most this many updates. Default 10 000. */
  readonly maxSteps?: number;
  /**
   * How the gradients of several sequences (or batches) combine: `"sum"`
   * (default; the gradient of J summed over all sequences) or `"mean"`
   * (divided by the number of sequences, so η does not grow with the data).
   */
  readonly reduction?: 'sum' | 'mean';
}

export interface GradientDescentResult {
  /** Parameter updates made. */
  readonly updates: number;
  /**
   * RMSE measured before each update, then once at the final parameters:
   * `updates + 1` entries; the last is the model's RMSE as returned.
   */
  readonly rmse: number[];
  /** True when the tolerance rule stopped training, false when the step limit did. */
  readonly converged: boolean;
}

const KEYS = ['learningRate', 'tolerance', 'maxSteps', 'reduction', 'truncate', 'gradientMode'] as const;

/**
 * Trains `net` in place on one or more batches by full-batch gradient
 * descent. Each iteration measures the RMSE at the current parameters; if it
 * differs from the previous iteration's by less than `tolerance`, training
 * stops without updating; otherwise the parameters take one step.
 * The first RMSE (before any update) counts as "previous" for the second.
 */
export function gradientDescent(
  net: Network, data: SequenceBatch | readonly SequenceBatch[], options: GradientDescentOptions = {},
): GradientDescentResult {
  rejectUnknownKeys('gradientDescent', options, KEYS);
  const lr = expectNumber('learningRate', options.learningRate ?? 0.1, 0);
  if (lr === 0) throw new OptionError('learningRate must be greater than 0');
  const tol = expectNumber('tolerance', options.tolerance ?? 1e-4, 0);
  const maxSteps = options.maxSteps === undefined ? 10_000 : expectPositiveInt('maxSteps', options.maxSteps);
  const batches = Array.isArray(data) ? (data as readonly SequenceBatch[]) : [data as SequenceBatch];
  const nSequences = batches.reduce((s, b) => s + b.B, 0);
  const scale = options.reduction === 'mean' ? lr / nSequences : lr;
  const backward: BackwardOptions = {
    ...(options.truncate !== undefined ? { truncate: options.truncate } : {}),
    ...(options.gradientMode !== undefined ? { gradientMode: options.gradientMode } : {}),
  };
  const theta = net.params.data;
  const grad = net.params.grad;
  const rmse: number[] = [];
  let updates = 0;
  for (;;) {
    net.params.zeroGrad();
    let J = 0;
    let count = 0;
    for (const b of batches) {
      const r = net.gradient(b, backward);
      J += r.loss;
      count += r.count;
    }
    const now = Math.sqrt(J / Math.max(count, 1));
    if (!Number.isFinite(now)) {
      throw new TrainingError(`RMSE became ${now} after ${updates} updates; lower the learning rate (now ${lr})`);
    }
    const previous = rmse[rmse.length - 1];
    rmse.push(now);
    if (previous !== undefined && Math.abs(now - previous) < tol) return { updates, rmse, converged: true };
    if (updates >= maxSteps) return { updates, rmse, converged: false };
    for (let i = 0; i < theta.length; i++) theta[i]! -= scale * grad[i]!; // θ ← θ − η·∂J/∂θ
    updates++;
  }
}
