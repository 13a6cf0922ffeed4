/**
 * The survivors of the `src/train` mutation runs outside `fit.ts`, each
 * killed by an exact value: a zero gradient's norm, the parameters
 * `findNonFinite` names when the other values are finite but not zero, and
 * `checkFinite`'s list of several other parameters; `isShardable` missing
 * each of its three methods; `gradientDescent` whose RMSE does not change
 * with the tolerance rule off; `StateCarry` of a cell without C (reset,
 * snapshot, a state given with C) and of an LSTM given a state without C;
 * a saved loss history that is a string. Small and fast for
 * `npm run mutate -- train` (docs/testing.md, `src/train`).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FormatError, TrainingError } from '../src/core/errors.js';
import { ParamSet } from '../src/core/params.js';
import { threeParams } from './helpers/three-params.js';
import type { SequenceBatch } from '../src/model/network.js';
import { Network } from '../src/model/network.js';
import type { Checkpoint } from '../src/io/checkpoint.js';
import { checkFinite, findNonFinite, gradientNorm } from '../src/train/clip.js';
import { StateCarry } from '../src/train/evaluate.js';
import { fitStateFromCheckpoint } from '../src/train/fit-state.js';
import { createOptimizer } from '../src/train/optimizers.js';
import { gradientDescent } from '../src/train/gradient-descent.js';
import { isShardable, type Trainable } from '../src/train/trainable.js';

const params = threeParams;

test('gradientNorm of a zero gradient is 0 (not the scaled path\'s 0·√(0/0))', () => {
  assert.equal(gradientNorm(new Float64Array(3)), 0);
  assert.equal(gradientNorm(new Float32Array(2)), 0);
  // the plain sum: ‖[3, 4]‖ = 5, ‖[1, 1]‖ = √2 exactly as Math.sqrt(2)
  assert.equal(gradientNorm(Float64Array.of(3, -4)), 5);
  assert.equal(gradientNorm(Float64Array.of(1, 1)), Math.SQRT2);
});

test('findNonFinite names only the parameters holding NaN or ±Infinity, whatever finite values the others hold', () => {
  const p = params(); // a: 0..3, b: 4..6, c: 7..9
  p.grad.set([1, -2, 0.5, 3, 7, NaN, -1, 4, 5, -6]);
  const bad = findNonFinite(p)!;
  assert.deepEqual({ ...bad }, { name: 'b', row: 0, col: 1, index: 5, value: NaN, count: 1, parameters: ['b'] });
  p.data.set([2, 2, 2, 2, -Infinity, 1, 1, 1, 1, 1]);
  assert.deepEqual({ ...findNonFinite(p, 'data')! }, { name: 'b', row: 0, col: 0, index: 4, value: -Infinity, count: 1, parameters: ['b'] });
});

test('checkFinite lists every other non-finite parameter, comma-separated', () => {
  const hint = 'lower the learning rate, clip the gradient (clipByGlobalNorm) or check the data for NaN';
  const p = params();
  p.grad[1] = Infinity; // a[0][1]
  p.grad[6] = NaN; // b[0][2]
  p.grad[9] = -Infinity; // c[2][0]
  assert.throws(() => checkFinite(p), (e: unknown) => e instanceof TrainingError &&
    e.message === `∂J/∂a[0][1] is Infinity (3 non-finite values in all; also non-finite: b, c); ${hint}`);
});

test('isShardable needs all three of describe, toColumns and fromColumns', () => {
  const model: Trainable<number> = {
    paramSets: [new ParamSet([{ name: 'w', rows: 1, cols: 1, init: 'zeros' }], 'float64')], dtype: 'float64',
    gradient: () => ({ loss: 0, count: 0 }), loss: () => ({ loss: 0, count: 0 }),
  };
  const methods = { describe: () => ({ kind: 'seq2seq', options: {} }), toColumns: () => ({ B: 0, arrays: [], flags: 0 }), fromColumns: () => 1 };
  assert.equal(isShardable({ ...model, ...methods } as Trainable<number>), true);
  for (const missing of ['describe', 'toColumns', 'fromColumns'] as const) {
    const partial: Record<string, unknown> = { ...model, ...methods };
    delete partial[missing];
    assert.equal(isShardable(partial as unknown as Trainable<number>), false, `without ${missing}`);
    assert.equal(isShardable({ ...partial, [missing]: 'not a function' } as unknown as Trainable<number>), false, `${missing} not a function`);
  }
});

test('gradientDescent with tolerance 0 goes to the step limit even when the RMSE does not change', () => {
  // η = 1e−300: θ − η·g rounds back to θ, so every RMSE is the same number; |0| < 0 is false, so no stop before maxSteps
  const net = new Network({ inputSize: 2, hiddenSize: 3, outputSize: 1, dtype: 'float64', seed: 6 });
  const batch: SequenceBatch = { T: 2, B: 1, x: { kind: 'dense', data: Float64Array.of(0.5, -1, 0.25, 0.75) }, y: { kind: 'dense', data: Float64Array.of(0.3, -0.2) } };
  const r = gradientDescent(net, batch, { learningRate: 1e-300, tolerance: 0, maxSteps: 3 });
  assert.equal(r.updates, 3);
  assert.equal(r.converged, false);
  assert.equal(r.rmse.length, 4);
  assert.ok(r.rmse.every((x) => x === r.rmse[0]) && r.rmse[0]! > 0, `the same RMSE each time: ${r.rmse.join(', ')}`);
});

test('StateCarry: an RNN (no C) resets, snapshots and captures h alone; an LSTM given a state without C keeps its C', () => {
  const rnn = new StateCarry(new Network({ inputSize: 2, hiddenSize: 2, outputSize: 1, dtype: 'float64' }), 1);
  rnn.capture([{ h: Float64Array.of(1, 2), c: Float64Array.of(3, 4) }]);
  assert.deepEqual(rnn.states, [{ h: Float64Array.of(1, 2) }]);
  const snap = rnn.snapshot();
  assert.deepEqual(snap, [{ h: Float64Array.of(1, 2) }]);
  rnn.reset();
  assert.deepEqual(rnn.states, [{ h: Float64Array.of(0, 0) }]);
  assert.deepEqual(snap, [{ h: Float64Array.of(1, 2) }], 'the snapshot is a copy');
  const lstm = new StateCarry(new Network({ cell: 'lstm', inputSize: 2, hiddenSize: 2, outputSize: 1, dtype: 'float64' }), 1);
  lstm.capture([{ h: Float64Array.of(1, 2), c: Float64Array.of(3, 4) }]);
  lstm.capture([{ h: Float64Array.of(5, 6) }]);
  assert.deepEqual(lstm.states, [{ h: Float64Array.of(5, 6), c: Float64Array.of(3, 4) }]);
});

test('fitStateFromCheckpoint refuses a loss history that is a string (not an object), and a carried state holding ±Infinity or NaN', () => {
  const optimizer = createOptimizer({ kind: 'sgd' }, 2, 'float64').getState();
  const refuse = (fit: object, message: string): void => {
    const c = { networks: {}, step: 3, rngState: [1, 2], optimizer, extra: { fit } } as unknown as Checkpoint;
    assert.throws(() => fitStateFromCheckpoint(c, 'float64'), (e: unknown) => e instanceof FormatError && e.message === message, message);
  };
  refuse({ lossHistory: 'x' }, 'checkpoint extra.fit.lossHistory must be an object { train, validation, stride }');
  // a checkpoint object built in memory (not parsed from JSON) can hold them
  refuse({ carry: [{ h: [0.5, Infinity] }] }, 'checkpoint extra.fit.carry[0].h[1] is not a finite number');
  refuse({ carry: [{ h: [0.5, 1], c: [NaN, 1] }] }, 'checkpoint extra.fit.carry[0].c[0] is not a finite number');
});
