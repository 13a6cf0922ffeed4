/**
 * Clipping, the non-finite check and the schedules at their edges: values
 * exactly at a limit, a non-finite value at the first element of a
 * parameter (and of the buffer), the epoch-decay schedule with and without
 * warm-up, and every refusal message whole. Expected values by hand in the
 * comments. Small and fast for `npm run mutate -- train`.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionError, TrainingError } from '../src/core/errors.js';
import { threeParams } from './helpers/three-params.js';
import { checkFinite, clipByGlobalNorm, clipByValue, findNonFinite, gradientNorm } from '../src/train/clip.js';
import { checkSchedule, learningRate, SCHEDULE_KINDS, type Schedule } from '../src/train/schedules.js';
import { assertClose } from './helpers/approx.js';

const isOptionError = (message: string) => (e: unknown): boolean => e instanceof OptionError && e.message === message;

test('gradientNorm: NaN wherever it sits, ±Infinity, and the overflow path against a plain sum', () => {
  assert.ok(Number.isNaN(gradientNorm(Float64Array.of(NaN, 1))), 'NaN first');
  assert.ok(Number.isNaN(gradientNorm(Float64Array.of(Infinity, NaN))), 'NaN after Infinity');
  assert.equal(gradientNorm(Float64Array.of(-Infinity, 2)), Infinity);
  assert.equal(gradientNorm(new Float64Array(0)), 0);
  // overflow of Σg² with one huge value among small ones: ‖[1e200, 3, 4]‖ = 1e200 (3 and 4 vanish)
  assert.equal(gradientNorm(Float64Array.of(3, 1e200, 4)), 1e200);
  // [6e200, −8e200]: max = 8e200, g/max = [0.75, −1], √(0.5625 + 1) = 1.25 → 1e201
  assertClose(gradientNorm(Float64Array.of(6e200, -8e200)) / 1e201, 1, 1e-15, '‖[6e200, −8e200]‖');
});

test('clipByGlobalNorm: at exactly the limit nothing changes; the refusal message', () => {
  const g = Float64Array.of(0.1, 0.2, 0.3);
  const norm = gradientNorm(g);
  assert.equal(clipByGlobalNorm(g, norm), norm);
  assert.deepEqual(Array.from(g), [0.1, 0.2, 0.3], 'a norm equal to maxNorm is not rescaled');
  const inf = Float64Array.of(1, Infinity);
  assert.equal(clipByGlobalNorm(inf, 1), Infinity);
  assert.deepEqual(Array.from(inf), [1, Infinity]);
  assert.throws(() => clipByGlobalNorm(g, 0), isOptionError('maxNorm must be greater than 0, got 0'));
  assert.throws(() => clipByGlobalNorm(g, NaN), isOptionError('maxNorm must be a number in [0, Infinity], got NaN'));
});

test('clipByValue: a value exactly at ±limit is not counted as clipped', () => {
  const g = Float64Array.of(1, -1, 1.5, -1.0000001, 0.999);
  assert.equal(clipByValue(g, 1), 2);
  assert.deepEqual(Array.from(g), [1, -1, 1, -1, 0.999]);
  assert.throws(() => clipByValue(g, 0), isOptionError('limit must be greater than 0, got 0'));
  assert.throws(() => clipByValue(g, -2), isOptionError('limit must be a number in [0, Infinity], got -2'));
});

const params = threeParams;

test('findNonFinite at the first element of the buffer and of a parameter; the lists it names', () => {
  const p = params(); // a: 0..3, b: 4..6, c: 7..9
  p.grad[0] = NaN; // a[0][0]
  p.grad[4] = -Infinity; // b[0][0]
  const bad = findNonFinite(p)!;
  assert.deepEqual({ ...bad }, { name: 'a', row: 0, col: 0, index: 0, value: NaN, count: 2, parameters: ['a', 'b'] });
  const q = params();
  q.grad[4] = Infinity; // b[0][0], right after a's last element
  q.grad[7] = NaN; // c[0][0]
  assert.deepEqual({ ...findNonFinite(q)! }, { name: 'b', row: 0, col: 0, index: 4, value: Infinity, count: 2, parameters: ['b', 'c'] });
  const r = params();
  r.grad[9] = NaN; // c[2][0], the last element
  assert.deepEqual({ ...findNonFinite(r)! }, { name: 'c', row: 2, col: 0, index: 9, value: NaN, count: 1, parameters: ['c'] });
  const d = params();
  d.grad[3] = Infinity; // a[1][1], a's last element: b is not named
  assert.deepEqual(findNonFinite(d)!.parameters, ['a']);
  assert.equal(findNonFinite(d, 'data'), null);
  assert.throws(() => findNonFinite(d, 'both' as never), isOptionError('which must be "grad" or "data", got both'));
});

test('checkFinite: the whole message, with and without a context, one value or several', () => {
  const hint = 'lower the learning rate, clip the gradient (clipByGlobalNorm) or check the data for NaN';
  const p = params();
  checkFinite(p);
  checkFinite(p, 'data');
  p.grad[5] = NaN; // b[0][1]
  assert.throws(() => checkFinite(p), (e: unknown) => e instanceof TrainingError && e.message === `∂J/∂b[0][1] is NaN (1 non-finite value in all); ${hint}`);
  p.grad[6] = Infinity;
  p.grad[8] = -Infinity; // c[1][0]
  assert.throws(() => checkFinite(p, 'grad', 'after update 3'),
    (e: unknown) => e instanceof TrainingError && e.message === `∂J/∂b[0][1] is NaN after update 3 (3 non-finite values in all; also non-finite: c); ${hint}`);
  p.data[2] = Infinity; // a[1][0]
  assert.throws(() => checkFinite(p, 'data'), (e: unknown) => e instanceof TrainingError && e.message === `a[1][0] is Infinity (1 non-finite value in all); ${hint}`);
});

test('epoch-decay: η₀·γ^⌊s′/N⌋, default γ = 0.9, counted after the warm-up; it needs N', () => {
  // N = 4, γ = 0.5: s = 0..3 → 0.1, s = 4..7 → 0.05, s = 8 → 0.025
  const at = (s: Schedule, steps: number[], n = 4): number[] => steps.map((k) => learningRate(s, 0.1, k, n));
  assertClose(at({ kind: 'epoch-decay', gamma: 0.5 }, [0, 3, 4, 7, 8]), [0.1, 0.1, 0.05, 0.05, 0.025], 1e-17, 'epoch-decay');
  // default γ = 0.9: s = 4 → 0.09, s = 9 → 0.081
  assertClose(at({ kind: 'epoch-decay' }, [4, 9]), [0.09, 0.081], 1e-16, 'epoch-decay γ = 0.9');
  // warm-up 2: s = 0 → 0.05, s = 1 → 0.1, then s′ = s − 2: s = 5 → s′ = 3 → 0.1, s = 6 → s′ = 4 → 0.05
  assertClose(at({ kind: 'epoch-decay', gamma: 0.5, warmup: 2 }, [0, 1, 5, 6]), [0.05, 0.1, 0.1, 0.05], 1e-17, 'epoch-decay + warm-up');
  assert.throws(() => learningRate({ kind: 'epoch-decay' }, 0.1, 0), isOptionError('the epoch-decay schedule needs the number of updates per epoch (stepsPerEpoch)'));
  assert.throws(() => learningRate({ kind: 'epoch-decay' }, 0.1, 0, 0), isOptionError('stepsPerEpoch must be a positive integer, got 0'));
  // the other kinds do not need N
  assert.equal(learningRate({ kind: 'step', every: 2 }, 0.1, 1), 0.1);
});

test('schedules at the edges: warm-up 0 and 1, γ = 1, a horizon of 1 for cosine, s exactly at the horizon', () => {
  assert.equal(learningRate({ kind: 'constant', warmup: 0 }, 0.1, 0), 0.1);
  assert.deepEqual([0, 1].map((s) => learningRate({ kind: 'constant', warmup: 1 }, 0.1, s)), [0.1, 0.1]);
  assert.equal(learningRate({ kind: 'step', every: 1, gamma: 1 }, 0.1, 50), 0.1);
  assert.equal(learningRate({ kind: 'epoch-decay', gamma: 1 }, 0.1, 50, 3), 0.1);
  // cosine, horizon 1: η₀, then the floor; horizon 4 at s = 2: 0.01 + 0.09·(1 + cos(π/2))/2 = 0.055
  assert.deepEqual([0, 1, 2].map((s) => learningRate({ kind: 'cosine', horizon: 1, floor: 0.01 }, 0.1, s)), [0.1, 0.01, 0.01]);
  assertClose(learningRate({ kind: 'cosine', horizon: 4, floor: 0.01 }, 0.1, 2), 0.055, 1e-16, 'cosine half way');
  // cosine and linear with warm-up 3 and a floor: s = 3 + 4 = 7 is the horizon
  assert.equal(learningRate({ kind: 'cosine', horizon: 4, floor: 0.02, warmup: 3 }, 0.1, 7), 0.02);
  assert.equal(learningRate({ kind: 'linear', horizon: 4, floor: 0.02, warmup: 3 }, 0.1, 7), 0.02);
  assertClose(learningRate({ kind: 'linear', horizon: 4, floor: 0.02, warmup: 3 }, 0.1, 5), 0.06, 1e-16, 'linear half way after warm-up');
  // every kind takes a warm-up: s = 0 of 4 → η₀/4
  const all: Schedule[] = [{ kind: 'constant', warmup: 4 }, { kind: 'step', every: 1, warmup: 4 }, { kind: 'cosine', horizon: 2, warmup: 4 },
    { kind: 'epoch-decay', warmup: 4 }, { kind: 'linear', horizon: 2, warmup: 4 }];
  assert.deepEqual(all.map((s) => s.kind), [...SCHEDULE_KINDS]);
  for (const s of all) assert.equal(learningRate(s, 0.1, 0, 5), 0.025, s.kind);
});

test('checkSchedule: every refusal message whole', () => {
  const refuse = (s: unknown, message: string): void => {
    assert.throws(() => checkSchedule(s as Schedule), isOptionError(message), message);
  };
  refuse(null, 'schedule must be an object such as { kind: "constant" }');
  refuse('cosine', 'schedule must be an object such as { kind: "constant" }');
  refuse({ kind: 'exponential' }, 'schedule kind must be one of constant, step, cosine, epoch-decay, linear, got "exponential"');
  refuse({ kind: 'constant', every: 3 }, 'unknown "constant" schedule option "every"; known options: kind, warmup');
  refuse({ kind: 'step', every: 3, floor: 0 }, 'unknown "step" schedule option "floor"; known options: kind, warmup, every, gamma');
  refuse({ kind: 'epoch-decay', horizon: 3 }, 'unknown "epoch-decay" schedule option "horizon"; known options: kind, warmup, gamma');
  refuse({ kind: 'cosine', horizon: 3, gamma: 0.5 }, 'unknown "cosine" schedule option "gamma"; known options: kind, warmup, horizon, floor');
  refuse({ kind: 'constant', warmup: -1 }, 'schedule warmup must be a positive integer, got -1');
  refuse({ kind: 'step' }, 'step schedule "every" must be a positive integer, got undefined');
  refuse({ kind: 'step', every: 2, gamma: 0 }, 'step schedule gamma must be in (0, 1], got 0');
  refuse({ kind: 'step', every: 2, gamma: 1.5 }, 'step schedule gamma must be a number in [0, 1], got 1.5');
  refuse({ kind: 'epoch-decay', gamma: 0 }, 'epoch-decay schedule gamma must be in (0, 1], got 0');
  refuse({ kind: 'epoch-decay', gamma: -0.5 }, 'epoch-decay schedule gamma must be a number in [0, 1], got -0.5');
  refuse({ kind: 'cosine', horizon: 0 }, 'cosine schedule horizon must be a positive integer, got 0');
  refuse({ kind: 'cosine' }, 'cosine schedule horizon must be a positive integer, got undefined');
  refuse({ kind: 'cosine', horizon: 5, floor: -0.1 }, 'cosine schedule floor must be a number in [0, Infinity], got -0.1');
  refuse({ kind: 'linear', horizon: 2.5 }, 'linear schedule horizon must be a positive integer, got 2.5');
  for (const ok of [{ kind: 'constant' }, { kind: 'step', every: 1, gamma: 1 }, { kind: 'epoch-decay', gamma: 1 }, { kind: 'cosine', horizon: 1, floor: 0 }, { kind: 'linear', horizon: 1 }] as Schedule[]) {
    checkSchedule(ok);
  }
  assert.throws(() => learningRate({ kind: 'constant' }, 0.1, 1.5), isOptionError('step must be a non-negative integer, got 1.5'));
  assert.throws(() => learningRate({ kind: 'constant' }, 0.1, -1), isOptionError('step must be a non-negative integer, got -1'));
  assert.throws(() => learningRate({ kind: 'constant' }, Infinity, 0), isOptionError('base learning rate must be a number in [0, Infinity], got Infinity'));
  assert.throws(() => learningRate({ kind: 'cosine', horizon: 0 }, 0.1, 0), /cosine schedule horizon/);
});
