/**
 * Gradient clipping, the non-finite check and learning-rate schedules.
 * Expected values are worked out by hand in the comments.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionError, TrainingError } from '../src/core/errors.js';
import { ParamSet } from '../src/core/params.js';
import { Rng } from '../src/core/rng.js';
import { checkFinite, clipByGlobalNorm, clipByValue, findNonFinite, gradientNorm } from '../src/train/clip.js';
import { learningRate, type Schedule } from '../src/train/schedules.js';
import { assertClose } from './helpers/approx.js';

test('gradientNorm: ‖[3, 4, 12]‖ = 13; survives overflow of Σg²; NaN and Inf propagate', () => {
  assert.equal(gradientNorm(new Float64Array([3, 4, 12])), 13);
  assert.equal(gradientNorm(new Float32Array([3, -4])), 5);
  // (3e200)² overflows, the norm does not: ‖[3e200, 4e200]‖ = 5e200
  assertClose(gradientNorm(new Float64Array([3e200, 4e200])) / 5e200, 1, 1e-15, 'scaled norm');
  assert.ok(Number.isNaN(gradientNorm(new Float64Array([1, NaN, Infinity]))));
  assert.equal(gradientNorm(new Float64Array([1, -Infinity])), Infinity);
});

test('clipByGlobalNorm leaves exactly the stated norm (to rounding) and returns the norm before', () => {
  // [3, 4, 12] has norm 13; clipped to 6.5 it is halved: [1.5, 2, 6] exactly.
  const g = new Float64Array([3, 4, 12]);
  assert.equal(clipByGlobalNorm(g, 6.5), 13);
  assert.deepEqual(Array.from(g), [1.5, 2, 6]);
  assert.equal(gradientNorm(g), 6.5);
  // Below the limit nothing changes.
  assert.equal(clipByGlobalNorm(g, 100), 6.5);
  assert.deepEqual(Array.from(g), [1.5, 2, 6]);
  // Random vectors, float64 and float32, many sizes and limits: ‖g‖ = maxNorm afterwards.
  const rng = new Rng(7);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + rng.int(2000);
    const f64 = new Float64Array(n).map(() => rng.normal() * 10 ** rng.uniform(-3, 6));
    const f32 = Float32Array.from(f64);
    const before = gradientNorm(f64);
    const maxNorm = before * rng.uniform(0.001, 0.999);
    assert.equal(clipByGlobalNorm(f64, maxNorm), before);
    assertClose(gradientNorm(f64) / maxNorm, 1, 4e-15, `float64 clipped norm (n = ${n})`);
    const before32 = gradientNorm(f32);
    clipByGlobalNorm(f32, Math.min(maxNorm, before32 / 2));
    assertClose(gradientNorm(f32) / Math.min(maxNorm, before32 / 2), 1, 1e-6, `float32 clipped norm (n = ${n})`);
  }
  // A non-finite gradient is left alone and its norm returned for the caller to act on.
  const nan = new Float64Array([1, NaN]);
  assert.ok(Number.isNaN(clipByGlobalNorm(nan, 1)));
  assert.equal(nan[0], 1);
  assert.throws(() => clipByGlobalNorm(g, 0), OptionError);
  assert.throws(() => clipByGlobalNorm(g, -1), OptionError);
});

test('clipByValue clamps each value to [−limit, limit] and counts the clipped', () => {
  const g = new Float64Array([-3, -0.5, 0, 0.5, 2, NaN]);
  assert.equal(clipByValue(g, 1), 2);
  assert.deepEqual(Array.from(g).slice(0, 5), [-1, -0.5, 0, 0.5, 1]);
  assert.ok(Number.isNaN(g[5]!));
  assert.throws(() => clipByValue(g, 0), /limit must be greater than 0/);
});

test('findNonFinite and checkFinite name the parameter, row and column', () => {
  const p = new ParamSet([
    { name: 'layer0.U', rows: 2, cols: 3, init: 'zeros' },
    { name: 'layer0.W', rows: 3, cols: 3, init: 'zeros' },
    { name: 'V', rows: 3, cols: 2, init: 'zeros' },
  ], 'float32');
  assert.equal(findNonFinite(p), null);
  checkFinite(p);
  p.gradView('layer0.W')[1 * 3 + 2] = Infinity; // W[1][2]
  p.gradView('V')[5] = NaN;
  const bad = findNonFinite(p)!;
  assert.equal(bad.name, 'layer0.W');
  assert.equal(bad.row, 1);
  assert.equal(bad.col, 2);
  assert.equal(bad.index, 6 + 5);
  assert.equal(bad.value, Infinity);
  assert.equal(bad.count, 2);
  assert.deepEqual(bad.parameters, ['layer0.W', 'V']);
  assert.throws(() => checkFinite(p, 'grad', 'after update 12'),
    (e: unknown) => e instanceof TrainingError && /∂J\/∂layer0\.W\[1\]\[2\] is Infinity after update 12/.test(e.message) && /also non-finite: V/.test(e.message));
  assert.equal(findNonFinite(p, 'data'), null);
  p.view('layer0.U')[0] = -Infinity;
  assert.throws(() => checkFinite(p, 'data'), /^TrainingError: layer0\.U\[0\]\[0\] is -Infinity/);
});

test('schedules: constant, step, cosine, each with warm-up', () => {
  const lr0 = 0.1;
  const at = (s: Schedule, steps: number[]): number[] => steps.map((k) => learningRate(s, lr0, k));
  assert.deepEqual(at({ kind: 'constant' }, [0, 1, 1000]), [0.1, 0.1, 0.1]);
  // warm-up 4: η = 0.1·(s+1)/4 for s < 4 → 0.025, 0.05, 0.075, 0.1; then constant
  assertClose(at({ kind: 'constant', warmup: 4 }, [0, 1, 2, 3, 4, 50]), [0.025, 0.05, 0.075, 0.1, 0.1, 0.1], 1e-15, 'warm-up');
  // step: every 10, γ = 0.5 → 0.1 for s = 0..9, 0.05 for 10..19, 0.025 for 20..29
  assertClose(at({ kind: 'step', every: 10, gamma: 0.5 }, [0, 9, 10, 19, 20, 35]), [0.1, 0.1, 0.05, 0.05, 0.025, 0.0125], 1e-15, 'step');
  // default γ = 0.1
  assertClose(at({ kind: 'step', every: 3 }, [2, 3, 6]), [0.1, 0.01, 0.001], 1e-15, 'step γ=0.1');
  // step with warm-up 2: decays count from the end of warm-up (s′ = s − 2)
  assertClose(at({ kind: 'step', every: 10, gamma: 0.5, warmup: 2 }, [0, 1, 2, 11, 12]), [0.05, 0.1, 0.1, 0.1, 0.05], 1e-15, 'step+warm-up');
  // cosine over 100 to floor 0.01: η = 0.01 + 0.09·(1 + cos(π·s/100))/2
  // s = 0 → 0.1; s = 50 → 0.01 + 0.045 = 0.055; s = 25 → 0.01 + 0.045·(1 + √½); s ≥ 100 → 0.01
  const cos: Schedule = { kind: 'cosine', horizon: 100, floor: 0.01 };
  assertClose(at(cos, [0, 25, 50, 100, 500]), [0.1, 0.01 + 0.045 * (1 + Math.SQRT1_2), 0.055, 0.01, 0.01], 1e-15, 'cosine');
  // cosine with warm-up 10 and default floor 0: s = 4 → 0.05; s = 10 → 0.1; s = 60 → 0.05; s = 110 → 0
  assertClose(at({ kind: 'cosine', horizon: 100, warmup: 10 }, [4, 9, 10, 60, 110]), [0.05, 0.1, 0.1, 0.05, 0], 1e-15, 'cosine+warm-up');
});

test('schedules: linear decay to a floor, with and without warm-up', () => {
  const lr0 = 0.1;
  const at = (s: Schedule, steps: number[]): number[] => steps.map((k) => learningRate(s, lr0, k));
  // linear over 100 to floor 0: η = 0.1·(1 − s/100) → 0.1, 0.075, 0.05, 0.001, 0, and 0 past the horizon
  assertClose(at({ kind: 'linear', horizon: 100 }, [0, 25, 50, 99, 100, 1000]), [0.1, 0.075, 0.05, 0.001, 0, 0], 1e-15, 'linear');
  // to floor 0.02: η = 0.02 + 0.08·(1 − s/40) → s = 10: 0.08; s = 30: 0.04; s = 40, 41: 0.02
  assertClose(at({ kind: 'linear', horizon: 40, floor: 0.02 }, [0, 10, 30, 40, 41]), [0.1, 0.08, 0.04, 0.02, 0.02], 1e-15, 'linear+floor');
  // warm-up 10, then 90 down to 0: s = 4 → 0.05; s = 9, 10 → 0.1; s = 55 → 0.05; s = 100 → 0
  assertClose(at({ kind: 'linear', horizon: 90, warmup: 10 }, [4, 9, 10, 55, 100]), [0.05, 0.1, 0.1, 0.05, 0], 1e-15, 'linear+warm-up');
  // a horizon of 1: η₀ for the first update, the floor from the second
  assert.deepEqual(at({ kind: 'linear', horizon: 1, floor: 0.01 }, [0, 1, 2]), [0.1, 0.01, 0.01]);
  assert.throws(() => learningRate({ kind: 'linear', horizon: 0 }, 0.1, 0), /linear schedule horizon must be a positive integer/);
  assert.throws(() => learningRate({ kind: 'linear', horizon: 10, floor: -1 }, 0.1, 0), /linear schedule floor/);
  assert.throws(() => learningRate({ kind: 'linear', horizon: 10, gamma: 0.5 } as unknown as Schedule, 0.1, 0), /unknown "linear" schedule option "gamma"/);
});

test('schedules are validated', () => {
  assert.throws(() => learningRate({ kind: 'exponential' } as unknown as Schedule, 0.1, 0), /schedule kind must be one of constant, step, cosine/);
  assert.throws(() => learningRate({ kind: 'step', every: 0 }, 0.1, 0), /"every" must be a positive integer/);
  assert.throws(() => learningRate({ kind: 'step', every: 5, gamma: 2 }, 0.1, 0), /gamma/);
  assert.throws(() => learningRate({ kind: 'cosine', horizon: 10, every: 3 } as unknown as Schedule, 0.1, 0), /unknown "cosine" schedule option "every"/);
  assert.throws(() => learningRate({ kind: 'constant', warmup: 1.5 }, 0.1, 0), /warmup/);
  assert.throws(() => learningRate({ kind: 'constant' }, 0.1, -1), /step must be a non-negative integer/);
  assert.throws(() => learningRate({ kind: 'constant' }, -0.1, 0), /base learning rate/);
});
