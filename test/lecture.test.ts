/**
 * The worked example of docs/maths.md §5, number for number (float64).
 * Source of every expected value: docs/maths.md §5 ("The worked example"), which
 * gives them to 4 decimals; tolerances are half a unit in the last place.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lectureBatch, lectureNetwork } from '../src/lecture/example.js';
import { lectureWalkthrough } from '../src/lecture/walkthrough.js';
import { gradientDescent } from '../src/train/gradient-descent.js';
import { gradientCheck, numericGradient } from '../src/model/gradcheck.js';
import { toRows } from '../src/core/tensor.js';
import { assertClose, assertRowsClose } from './helpers/approx.js';

const TOL = 5e-5;

test('forward pass: h(t), ŷ(t), argmax and J', () => {
  const w = lectureWalkthrough({ modes: [] });
  assertRowsClose(w.forward.h, [[-0.1565, 0.9190], [-0.6530, -0.9250]], TOL, 'h');
  assertRowsClose(w.forward.yhat, [[0.6884, 0.4178, -0.2742], [-1.2589, -0.7103, -0.1182]], TOL, 'ŷ');
  assert.deepEqual(w.forward.sequence, [1, 3]);
  assertClose(w.forward.J, 4.2276, TOL, 'J');
  assertRowsClose(w.forward.deltaO, [[1.3768, -1.1644, -0.5483], [-2.5177, -1.4205, -2.2365]], TOL, 'δo');
});

test('exact BPTT gradients at the slides\' weights', () => {
  const g = lectureWalkthrough({ modes: ['exact'] }).gradients.exact!;
  assertRowsClose(g.dV, [[1.4286, 1.1098, 1.5462], [3.5941, 0.2438, 1.5647]], TOL, '∂J/∂V');
  assertRowsClose(g.dW, [[0.5248, 0.3812], [-3.0819, -2.2384]], TOL, '∂J/∂W');
  assertRowsClose(g.dU, [[-1.7682, 5.1988], [0, 0], [0, 0]], TOL, '∂J/∂U');
});

test('lecture-mode gradients reproduce the slides', () => {
  const g = lectureWalkthrough({ modes: ['lecture'] }).gradients.lecture!;
  assertRowsClose(g.dV, [[1.4286, 1.1098, 1.5462], [3.5941, 0.2438, 1.5647]], TOL, '∂J/∂V');
  assertRowsClose(g.dW, [[0.3203, -0.7020], [-1.8809, 4.1225]], TOL, '∂J/∂W (slides)');
  assertRowsClose(g.dU, [[0.2785, 0.7130], [0, 0], [0, 0]], TOL, '∂J/∂U (slides)');
});

test('the exact gradient equals finite differences; the lecture one does not', () => {
  const net = lectureNetwork();
  const batch = lectureBatch();
  const check = gradientCheck(net, batch);
  assert.ok(check.maxRelError < 1e-8, `exact BPTT vs finite differences: ${check.maxRelError}`);
  // Central differences of J: they use only forward passes, never the network's backward.
  const numeric = (name: string): number[] => Array.from(numericGradient(net.params.view(name), () => net.loss(batch).loss));
  const lecture = lectureWalkthrough({ modes: ['lecture'] }).gradients.lecture!;
  const numW = numeric('layer0.W');
  const numU = numeric('layer0.U');
  const maxDiff = (a: number[], b: number[]): number => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
  assert.ok(maxDiff(lecture.dW.flat(), numW) > 0.5, 'lecture ∂J/∂W must differ from the true gradient');
  assert.ok(maxDiff(lecture.dU.flat(), numU) > 0.5, 'lecture ∂J/∂U must differ from the true gradient');
  assertClose(numW, [0.5248, 0.3812, -3.0819, -2.2384], TOL, 'numeric ∂J/∂W');
});

test('training with the lecture gradients: 55 updates to the slides\' model', () => {
  // Convention: the RMSE before the first update is counted, so 56 RMSE values
  // are measured and the 56th differs from the 55th by less than 1e-4.
  const net = lectureNetwork();
  const batch = lectureBatch();
  const r = gradientDescent(net, batch, { learningRate: 0.1, tolerance: 1e-4, gradientMode: 'lecture' });
  assert.equal(r.updates, 55);
  assert.equal(r.rmse.length, 56);
  assert.equal(r.converged, true);
  assertRowsClose(toRows(p(net, 'V'), 2, 3), [[0.0007, -0.9555, -0.4747], [-0.0001, 0.3239, -0.4533]], TOL, 'V');
  assertRowsClose(toRows(p(net, 'layer0.W'), 2, 2), [[0.2870, 0.4962], [-0.4081, -1.5386]], TOL, 'W');
  assertRowsClose(toRows(p(net, 'layer0.U'), 3, 2), [[-0.7724, 0.8089], [0.8315, 0.3115], [0.5844, -0.9286]], TOL, 'U');
  const yhat = toRows(net.forward(batch), 2, 3);
  assertRowsClose(yhat, [[-0.0006, 1.0000, -0.0001], [-0.0003, 0.0000, 0.9999]], 1e-4, 'ŷ');
});

test('training with exact BPTT stops sooner at another model that outputs (2, 3)', () => {
  const w = lectureWalkthrough({ modes: ['exact', 'lecture'] });
  const exact = w.training.exact!;
  assert.ok(exact.converged);
  assert.ok(exact.updates < w.training.lecture!.updates, `exact ${exact.updates} vs lecture ${w.training.lecture!.updates}`);
  assert.deepEqual(exact.sequence, [2, 3]);
  assert.deepEqual(w.training.lecture!.sequence, [2, 3]);
  assert.ok(Math.abs(exact.W[0]![0]! - w.training.lecture!.W[0]![0]!) > 0.1, 'a different model');
});

function p(net: ReturnType<typeof lectureNetwork>, name: string): Float64Array {
  return net.params.view(name) as Float64Array;
}
