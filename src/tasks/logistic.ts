/**
 * The bag-of-characters baseline: multinomial logistic regression on
 * character frequencies. A text becomes φ(s) ∈ R^vocabSize, the count of
 * each character divided by the text's length; then
 *
 *   p(c | s) = softmax(φ(s)·Wlr + blr)_c
 *   J = −Σ_i log p(y_i | s_i) / n + (λ/2)‖Wlr‖²
 *   ∂J/∂Wlr = Φᵀ·(P − Y) / n + λ·Wlr       ∂J/∂blr = Σ_i (p_i − y_i) / n
 *
 * trained by full-batch Adam. It ignores character order, so a recurrent
 * model that beats it is using the order.
 */

import { expectNumber, expectPositiveInt, ShapeError } from '../core/errors.js';
import { createOptimizer } from '../train/optimizers.js';

/** A trained softmax (multinomial logistic) regression on D features. */
export interface LogisticModel {
  /** Feature count D (the vocabulary size for bag-of-characters). */
  readonly vocabSize: number;
  readonly classes: number;
  /** Wlr (vocabSize×classes) then blr (classes), one flat array. */
  readonly theta: Float64Array;
}

/** φ(s): character frequencies of a text given as symbol indices (−1 = unknown, ignored). */
export function bagOfCharacters(symbols: readonly number[], vocabSize: number): Float64Array {
  const phi = new Float64Array(vocabSize);
  if (symbols.length === 0) return phi;
  for (const s of symbols) if (s >= 0) phi[s]! += 1 / symbols.length;
  return phi;
}

/** Class probabilities p(· | s) of one text. */
export function logisticProbabilities(model: LogisticModel, symbols: readonly number[]): Float64Array {
  return softmaxRegressionProbabilities(model, bagOfCharacters(symbols, model.vocabSize));
}

/** Class probabilities p(· | φ) of one feature vector. */
export function softmaxRegressionProbabilities(model: LogisticModel, phi: Float64Array): Float64Array {
  const { vocabSize: D, classes: C, theta } = model;
  const z = new Float64Array(C);
  for (let c = 0; c < C; c++) z[c] = theta[D * C + c]!;
  for (let d = 0; d < D; d++) {
    if (phi[d] === 0) continue;
    for (let c = 0; c < C; c++) z[c]! += phi[d]! * theta[d * C + c]!;
  }
  let m = -Infinity;
  for (let c = 0; c < C; c++) m = Math.max(m, z[c]!);
  let s = 0;
  for (let c = 0; c < C; c++) s += (z[c] = Math.exp(z[c]! - m));
  for (let c = 0; c < C; c++) z[c]! /= s;
  return z;
}

/** Fits the bag-of-characters baseline by full-batch Adam for `iterations` steps. */
export function trainLogistic(
  texts: readonly (readonly number[])[], labels: readonly number[], vocabSize: number, classes: number,
  options: SoftmaxRegressionOptions = {},
): LogisticModel {
  return trainSoftmaxRegression(texts.map((t) => bagOfCharacters(t, vocabSize)), labels, vocabSize, classes, options);
}

/** Options of {@link trainSoftmaxRegression}: Adam steps (default 500), learning rate (0.1), L2 λ (1e−4). */
export interface SoftmaxRegressionOptions {
  readonly iterations?: number;
  readonly learningRate?: number;
  readonly l2?: number;
}

/** Fits softmax regression on feature vectors φ_i (length D) by full-batch Adam. */
export function trainSoftmaxRegression(
  phis: readonly Float64Array[], labels: readonly number[], D: number, C: number, options: SoftmaxRegressionOptions = {},
): LogisticModel {
  const n = phis.length;
  if (n === 0 || labels.length !== n) throw new ShapeError(`softmax regression needs as many labels (${labels.length}) as inputs (${n}), at least one`);
  const iters = options.iterations === undefined ? 500 : expectPositiveInt('iterations', options.iterations);
  const lr = options.learningRate === undefined ? 0.1 : expectNumber('learningRate', options.learningRate, 0);
  const l2 = options.l2 === undefined ? 1e-4 : expectNumber('l2', options.l2, 0);
  const theta = new Float64Array(D * C + C);
  const grad = new Float64Array(theta.length);
  const model: LogisticModel = { vocabSize: D, classes: C, theta };
  const opt = createOptimizer({ kind: 'adam' }, theta.length, 'float64');
  const p = new Float64Array(C);
  for (let it = 0; it < iters; it++) {
    grad.fill(0);
    for (let i = 0; i < n; i++) {
      const phi = phis[i]!;
      // p = softmax(φ·Wlr + blr)
      for (let c = 0; c < C; c++) p[c] = theta[D * C + c]!;
      for (let d = 0; d < D; d++) if (phi[d] !== 0) for (let c = 0; c < C; c++) p[c]! += phi[d]! * theta[d * C + c]!;
      let m = -Infinity;
      for (let c = 0; c < C; c++) m = Math.max(m, p[c]!);
      let s = 0;
      for (let c = 0; c < C; c++) s += (p[c] = Math.exp(p[c]! - m));
      // δ = p − y;  ∂J/∂Wlr += φᵀ·δ / n;  ∂J/∂blr += δ / n
      for (let c = 0; c < C; c++) {
        const delta = (p[c]! / s - (labels[i] === c ? 1 : 0)) / n;
        grad[D * C + c]! += delta;
        for (let d = 0; d < D; d++) if (phi[d] !== 0) grad[d * C + c]! += phi[d]! * delta;
      }
    }
    for (let k = 0; k < D * C; k++) grad[k]! += l2 * theta[k]!;
    opt.update(theta, grad, lr);
  }
  return model;
}

/** The most probable class of each text. */
export function predictLogistic(model: LogisticModel, texts: readonly (readonly number[])[]): number[] {
  return predictSoftmaxRegression(model, texts.map((t) => bagOfCharacters(t, model.vocabSize)));
}

/** The most probable class of each feature vector. */
export function predictSoftmaxRegression(model: LogisticModel, phis: readonly Float64Array[]): number[] {
  return phis.map((phi) => {
    const p = softmaxRegressionProbabilities(model, phi);
    let best = 0;
    for (let c = 1; c < p.length; c++) if (p[c]! > p[best]!) best = c;
    return best;
  });
}
