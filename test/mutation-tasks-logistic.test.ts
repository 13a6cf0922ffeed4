/**
 * The bag-of-characters baseline (src/tasks/logistic.ts) against values
 * worked out by hand and an independent reference: φ(s) by counting,
 * p(c | s) = softmax(φ·W + b) from the formula, and training checked
 * update by update against Adam run on the gradient of the module comment,
 *
 *   ∂J/∂W = Φᵀ·(P − Y) / n + λ·W       ∂J/∂b = Σ_i (p_i − y_i) / n,
 *
 * itself checked against central finite differences of J in float64.
 * Each refusal by its exact message. Tiny problems only: the file runs in
 * well under a second, for `npm run mutate -- tasks` (docs/testing.md).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionError, ShapeError } from '../src/core/errors.js';
import {
  bagOfCharacters, logisticProbabilities, predictLogistic, predictSoftmaxRegression,
  softmaxRegressionProbabilities, trainLogistic, trainSoftmaxRegression, type LogisticModel,
} from '../src/tasks/logistic.js';
import { createOptimizer } from '../src/train/optimizers.js';
import { assertClose } from './helpers/approx.js';
import { refuses } from './helpers/refuses.js';

/** softmax(φ·W + b) straight from the formula (W is D×C row-major, then b). */
function softmaxOf(theta: ArrayLike<number>, phi: ArrayLike<number>, D: number, C: number): number[] {
  const z = Array.from({ length: C }, (_, c) => {
    let v = theta[D * C + c]!;
    for (let d = 0; d < D; d++) v += phi[d]! * theta[d * C + c]!;
    return v;
  });
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** J = −Σ_i log p(y_i | φ_i) / n + (λ/2)‖W‖². */
function objective(theta: ArrayLike<number>, phis: readonly ArrayLike<number>[], labels: readonly number[], D: number, C: number, l2: number): number {
  let J = 0;
  phis.forEach((phi, i) => {
    J -= Math.log(softmaxOf(theta, phi, D, C)[labels[i]!]!) / phis.length;
  });
  for (let k = 0; k < D * C; k++) J += (l2 / 2) * theta[k]! ** 2;
  return J;
}

/** ∂J/∂θ by the formula of the module comment. */
function gradientOf(theta: ArrayLike<number>, phis: readonly ArrayLike<number>[], labels: readonly number[], D: number, C: number, l2: number): Float64Array {
  const g = new Float64Array(D * C + C);
  const n = phis.length;
  phis.forEach((phi, i) => {
    const p = softmaxOf(theta, phi, D, C);
    for (let c = 0; c < C; c++) {
      const delta = p[c]! - (labels[i] === c ? 1 : 0);
      g[D * C + c]! += delta / n;
      for (let d = 0; d < D; d++) g[d * C + c]! += (phi[d]! * delta) / n;
    }
  });
  for (let k = 0; k < D * C; k++) g[k]! += l2 * theta[k]!;
  return g;
}

/** θ after `iters` full-batch Adam steps on {@link gradientOf}, from θ = 0. */
function referenceTheta(phis: readonly ArrayLike<number>[], labels: readonly number[], D: number, C: number, iters: number, lr: number, l2: number): Float64Array {
  const theta = new Float64Array(D * C + C);
  const opt = createOptimizer({ kind: 'adam' }, theta.length, 'float64');
  for (let it = 0; it < iters; it++) opt.update(theta, gradientOf(theta, phis, labels, D, C, l2), lr);
  return theta;
}

// three characters, three classes; every character occurs, every class is present
const TEXTS = [[0, 0, 1], [1, 2, 2, 2], [2, 0], [1, 1, -1]];
const LABELS = [0, 2, 1, 0];
const PHIS = TEXTS.map((t) => bagOfCharacters(t, 3));

test('bagOfCharacters: each count over the whole length (unknown symbols counted in it, not in φ)', () => {
  assert.deepEqual([...bagOfCharacters([0, 2, 2, -1], 3)], [0.25, 0, 0.5]);
  assert.deepEqual([...bagOfCharacters([1], 4)], [0, 1, 0, 0]);
  assert.deepEqual([...bagOfCharacters([], 2)], [0, 0]);
  assert.deepEqual([...PHIS[3]!], [0, 2 / 3, 0]);
});

test('softmaxRegressionProbabilities and logisticProbabilities: softmax(φ·W + b) by the formula', () => {
  // D = 2, C = 3: W = [[1, −2, 0.5], [0.25, 3, −1]], b = [0.1, −0.2, 0.3]
  const theta = Float64Array.of(1, -2, 0.5, 0.25, 3, -1, 0.1, -0.2, 0.3);
  const model: LogisticModel = { vocabSize: 2, classes: 3, theta };
  const phi = Float64Array.of(0.25, 0.75);
  assertClose(softmaxRegressionProbabilities(model, phi), softmaxOf(theta, phi, 2, 3), 1e-15, 'p(· | φ)');
  // a text of symbols 0, 1, 1, 1 has φ = (0.25, 0.75)
  assertClose(logisticProbabilities(model, [0, 1, 1, 1]), softmaxOf(theta, phi, 2, 3), 1e-15, 'p(· | s)');
  // only character 1 present: z = b + W₁ = (0.35, 2.8, −0.7)
  assertClose(logisticProbabilities(model, [1]), softmaxOf(theta, [0, 1], 2, 3), 1e-15, 'one character');
  // no character: p = softmax(b)
  assertClose(logisticProbabilities(model, []), softmaxOf(theta, [0, 0], 2, 3), 1e-15, 'the empty text');
  // an absent character's row is not read: a NaN there changes nothing (0·NaN would be NaN)
  const holed: LogisticModel = { vocabSize: 2, classes: 3, theta: Float64Array.of(NaN, NaN, NaN, 0.25, 3, -1, 0.1, -0.2, 0.3) };
  assertClose(logisticProbabilities(holed, [1, 1]), softmaxOf(theta, [0, 1], 2, 3), 1e-15, 'a NaN row of an absent character');
  // stable: scores ±1000 apart give (1, 0, 0), not NaN (the maximum is subtracted before exp)
  const big: LogisticModel = { vocabSize: 1, classes: 3, theta: Float64Array.of(0, 0, 0, 1000, 0, -1000) };
  assert.deepEqual([...softmaxRegressionProbabilities(big, Float64Array.of(0))], [1, 0, 0]);
  const bigLast: LogisticModel = { vocabSize: 1, classes: 3, theta: Float64Array.of(0, 0, 0, -1000, 0, 1000) };
  assert.deepEqual([...softmaxRegressionProbabilities(bigLast, Float64Array.of(0))], [0, 0, 1]);
});

test('the reference gradient is the gradient of J (central finite differences, float64)', () => {
  const theta = Float64Array.from({ length: 12 }, (_, k) => Math.sin(k + 1) * 0.7);
  const g = gradientOf(theta, PHIS, LABELS, 3, 3, 0.5);
  const h = 1e-6;
  for (let k = 0; k < theta.length; k++) {
    const plus = Float64Array.from(theta);
    const minus = Float64Array.from(theta);
    plus[k]! += h;
    minus[k]! -= h;
    const fd = (objective(plus, PHIS, LABELS, 3, 3, 0.5) - objective(minus, PHIS, LABELS, 3, 3, 0.5)) / (2 * h);
    assert.ok(Math.abs(fd - g[k]!) < 1e-8, `θ[${k}]: formula ${g[k]}, finite difference ${fd}`);
  }
});

test('trainSoftmaxRegression: full-batch Adam on the gradient of J, step by step; the defaults 500, 0.1, 1e−4', () => {
  for (const iters of [1, 2, 7]) {
    const m = trainSoftmaxRegression(PHIS, LABELS, 3, 3, { iterations: iters, learningRate: 0.05, l2: 0.5 });
    assert.equal(m.vocabSize, 3);
    assert.equal(m.classes, 3);
    assert.equal(m.theta.length, 12);
    assertClose(m.theta, referenceTheta(PHIS, LABELS, 3, 3, iters, 0.05, 0.5), 1e-13, `θ after ${iters} updates`);
  }
  // λ = 0 and a larger step
  assertClose(trainSoftmaxRegression(PHIS, LABELS, 3, 3, { iterations: 5, learningRate: 0.3, l2: 0 }).theta,
    referenceTheta(PHIS, LABELS, 3, 3, 5, 0.3, 0), 1e-13, 'λ = 0');
  // a huge step: scores of several hundred, where exp(z) alone would overflow; the maximum is subtracted first
  const bold = trainSoftmaxRegression(PHIS, LABELS, 3, 3, { iterations: 3, learningRate: 500, l2: 0 }).theta;
  assert.ok(bold.every(Number.isFinite) && Math.max(...bold.map(Math.abs)) > 1000, String(bold));
  assertClose(bold, referenceTheta(PHIS, LABELS, 3, 3, 3, 500, 0), 1e-9, 'learning rate 500');
  // the defaults, exactly
  const byDefault = trainSoftmaxRegression(PHIS, LABELS, 3, 3).theta;
  assert.deepEqual([...byDefault], [...trainSoftmaxRegression(PHIS, LABELS, 3, 3, { iterations: 500, learningRate: 0.1, l2: 1e-4 }).theta]);
  assertClose(byDefault, referenceTheta(PHIS, LABELS, 3, 3, 500, 0.1, 1e-4), 1e-9, 'the defaults');
  // each default on its own
  assert.deepEqual([...trainSoftmaxRegression(PHIS, LABELS, 3, 3, { learningRate: 0.05, l2: 0.5 }).theta],
    [...trainSoftmaxRegression(PHIS, LABELS, 3, 3, { iterations: 500, learningRate: 0.05, l2: 0.5 }).theta]);
  assert.deepEqual([...trainSoftmaxRegression(PHIS, LABELS, 3, 3, { iterations: 3, l2: 0.5 }).theta],
    [...trainSoftmaxRegression(PHIS, LABELS, 3, 3, { iterations: 3, learningRate: 0.1, l2: 0.5 }).theta]);
  assert.deepEqual([...trainSoftmaxRegression(PHIS, LABELS, 3, 3, { iterations: 3, learningRate: 0.05 }).theta],
    [...trainSoftmaxRegression(PHIS, LABELS, 3, 3, { iterations: 3, learningRate: 0.05, l2: 1e-4 }).theta]);
  // learning rate 0 is allowed and leaves θ at 0
  assert.deepEqual([...trainSoftmaxRegression(PHIS, LABELS, 3, 3, { iterations: 2, learningRate: 0 }).theta], new Array(12).fill(0));
});

test('trainSoftmaxRegression: the refusals', () => {
  refuses(() => trainSoftmaxRegression([], [], 3, 2), ShapeError, 'softmax regression needs as many labels (0) as inputs (0), at least one');
  refuses(() => trainSoftmaxRegression(PHIS, [0, 1], 3, 3), ShapeError, 'softmax regression needs as many labels (2) as inputs (4), at least one');
  refuses(() => trainSoftmaxRegression(PHIS, LABELS, 3, 3, { iterations: 0 }), OptionError, 'iterations must be a positive integer, got 0');
  refuses(() => trainSoftmaxRegression(PHIS, LABELS, 3, 3, { learningRate: -0.1 }), OptionError, 'learningRate must be a number in [0, Infinity], got -0.1');
  refuses(() => trainSoftmaxRegression(PHIS, LABELS, 3, 3, { l2: -1 }), OptionError, 'l2 must be a number in [0, Infinity], got -1');
});

test('trainLogistic and predictLogistic: the same as on φ(s); the most probable class, ties to the first', () => {
  const opts = { iterations: 4, learningRate: 0.05, l2: 0.5 };
  const m = trainLogistic(TEXTS, LABELS, 3, 3, opts);
  assert.deepEqual([...m.theta], [...trainSoftmaxRegression(PHIS, LABELS, 3, 3, opts).theta]);
  assert.equal(m.vocabSize, 3);
  // trained long enough, it fits the four texts
  const fitted = trainLogistic(TEXTS, LABELS, 3, 3, { iterations: 300, learningRate: 0.1, l2: 0 });
  assert.deepEqual(predictLogistic(fitted, TEXTS), LABELS);
  assert.deepEqual(predictSoftmaxRegression(fitted, PHIS), LABELS);
  // by hand: class scores b + φ·W with W = 0, b = (0, 1, 3): class 2 (the last) wins
  const last: LogisticModel = { vocabSize: 1, classes: 3, theta: Float64Array.of(0, 0, 0, 0, 1, 3) };
  assert.deepEqual(predictSoftmaxRegression(last, [Float64Array.of(1)]), [2]);
  const mid: LogisticModel = { vocabSize: 1, classes: 3, theta: Float64Array.of(0, 0, 0, 0, 3, 1) };
  assert.deepEqual(predictLogistic(mid, [[0], []]), [1, 1]);
  // all scores equal: the first class
  const flat: LogisticModel = { vocabSize: 2, classes: 3, theta: new Float64Array(9) };
  assert.deepEqual(predictLogistic(flat, [[0, 1], []]), [0, 0]);
  // φ is taken over the model's vocabulary: symbol 1 of a 2-symbol model
  const second: LogisticModel = { vocabSize: 2, classes: 2, theta: Float64Array.of(0, 0, 0, 5, 0, 0) };
  assert.deepEqual(predictLogistic(second, [[1], [0]]), [1, 0]);
});
