/**
 * Output layer activation g_o and loss J, with δo(t) = ∂J(t)/∂neto(t)
 * (docs/maths.md §3):
 *
 * - squared error, J = Σ_t (y(t) − ŷ(t))ᵀ(y(t) − ŷ(t)):
 *   δo = 2(ŷ − y) ∘ g_o'(neto)   (g_o linear or sigmoid)
 * - cross-entropy with softmax, J = −Σ_t Σ_k y_k log ŷ_k:   δo = ŷ − y
 * - cross-entropy with sigmoid (binary, per output):         δo = ŷ − y
 *
 * Targets are dense (T×B×K values) or symbol indices (T×B, one-hot; −1
 * means no target, so no loss, at that step).
 */

import { sigmoid, softmaxRows, type OutputActivation } from '../core/activations.js';
import { OptionError } from '../core/errors.js';
import type { Float } from '../core/tensor.js';

/** The losses `rnnkit` provides. */
export const LOSSES = ['mse', 'cross-entropy'] as const;
export type LossKind = (typeof LOSSES)[number];

/** Targets for T steps of B sequences. */
export type SequenceTarget =
  | { readonly kind: 'dense'; readonly data: Float | Float64Array | Float32Array }
  | { readonly kind: 'index'; readonly data: Int32Array };

/** Checks that an output activation and a loss go together. */
export function checkOutputAndLoss(g: OutputActivation, loss: LossKind): void {
  if (g === 'softmax' && loss !== 'cross-entropy') {
    throw new OptionError('outputActivation "softmax" needs loss "cross-entropy"');
  }
  if (loss === 'cross-entropy' && g === 'linear') {
    throw new OptionError('loss "cross-entropy" needs outputActivation "softmax" or "sigmoid"');
  }
}

/** ŷ = g_o(neto) in place over `rows` rows of width K. */
export function applyOutputActivation(g: OutputActivation, a: Float, off: number, rows: number, K: number): void {
  if (g === 'softmax') softmaxRows(a, off, rows, K);
  else if (g === 'sigmoid') for (let i = off, end = off + rows * K; i < end; i++) a[i] = sigmoid(a[i]!);
}

/**
 * The loss of one row (one step of one sequence) and its δo, written into
 * `dO` (or skipped when `dO` is null). Returns J for the row.
 */
export function rowLoss(
  g: OutputActivation, loss: LossKind, K: number,
  yhat: Float, o: number, y: SequenceTarget, yo: number, dO: Float | null,
): number {
  let J = 0;
  if (y.kind === 'index') {
    const target = y.data[yo]!;
    if (g === 'softmax' && loss === 'cross-entropy') {
      // The general loop below with y one-hot, without its per-element calls
      // (same values): δo = ŷ − y, J = −log ŷ_target.
      if (dO) {
        for (let j = 0; j < K; j++) dO[o + j] = yhat[o + j]!;
        if (target >= 0 && target < K) dO[o + target] = yhat[o + target]! - 1;
      }
      return target >= 0 && target < K ? J - Math.log(Math.max(yhat[o + target]!, 1e-300)) : J;
    }
    for (let j = 0; j < K; j++) {
      const yj = j === target ? 1 : 0;
      J += elementLoss(g, loss, yhat[o + j]!, yj);
      if (dO) dO[o + j] = elementDelta(g, loss, yhat[o + j]!, yj);
    }
    return J;
  }
  const yd = y.data;
  for (let j = 0; j < K; j++) {
    const yj = yd[yo * K + j]!;
    J += elementLoss(g, loss, yhat[o + j]!, yj);
    if (dO) dO[o + j] = elementDelta(g, loss, yhat[o + j]!, yj);
  }
  return J;
}

/**
 * {@link rowLoss} for softmax + cross-entropy with a symbol target, when the
 * row of `dO` already holds ŷ: δo = ŷ − onehot(target) changes one element,
 * J = −log ŷ_target. A target outside [0, K) carries no loss (δo = ŷ).
 */
export function oneHotCrossEntropy(K: number, yhat: Float, o: number, target: number, dO: Float): number {
  if (!(target >= 0 && target < K)) return 0;
  dO[o + target] = yhat[o + target]! - 1;
  return -Math.log(Math.max(yhat[o + target]!, 1e-300));
}

function elementLoss(g: OutputActivation, loss: LossKind, p: number, y: number): number {
  if (loss === 'mse') return (y - p) * (y - p);
  if (g === 'softmax') return y === 0 ? 0 : -y * Math.log(Math.max(p, 1e-300));
  // binary cross-entropy for a sigmoid output
  return -(y === 0 ? 0 : y * Math.log(Math.max(p, 1e-300))) - (y === 1 ? 0 : (1 - y) * Math.log(Math.max(1 - p, 1e-300)));
}

function elementDelta(g: OutputActivation, loss: LossKind, p: number, y: number): number {
  if (loss === 'cross-entropy') return p - y; // δo = ŷ − y
  const d = 2 * (p - y); // ∂J/∂ŷ = 2(ŷ − y)
  return g === 'sigmoid' ? d * p * (1 - p) : d; // ∘ g_o'(neto)
}
