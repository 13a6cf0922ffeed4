/**
 * Each optimizer's first three updates against values computed by hand.
 * Source of every expected value: the update equations in
 * src/train/optimizers.ts (PyTorch's formulations), worked out below step by
 * step on θ(0) = [1, −2] with η = 0.1. The arithmetic is written out; where a
 * square root or ε does not come out round it is left as an expression.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionError, ShapeError } from '../src/core/errors.js';
import type { DType } from '../src/core/tensor.js';
import { createOptimizer, type OptimizerOptions } from '../src/train/optimizers.js';
import { assertClose } from './helpers/approx.js';

const LR = 0.1;

/** θ after each of the updates with the given gradients, starting from θ(0) = [1, −2]. */
function run(options: OptimizerOptions, grads: number[][], dtype: DType = 'float64'): number[][] {
  const opt = createOptimizer(options, 2, dtype);
  const theta = dtype === 'float64' ? new Float64Array([1, -2]) : new Float32Array([1, -2]);
  const out: number[][] = [];
  for (const g of grads) {
    opt.update(theta, dtype === 'float64' ? new Float64Array(g) : new Float32Array(g), LR);
    out.push(Array.from(theta));
  }
  assert.equal(opt.steps, grads.length);
  return out;
}

function expectSteps(actual: number[][], expected: number[][], tol: number, what: string): void {
  expected.forEach((e, k) => assertClose(actual[k]!, e, tol, `${what} θ(${k + 1})`));
}

const G = [[0.5, -1], [0.25, 0.5], [-1, 2]];

test('sgd: θ ← θ − η·g', () => {
  // θ1 = [1 − 0.1·0.5, −2 + 0.1·1]           = [0.95, −1.9]
  // θ2 = [0.95 − 0.1·0.25, −1.9 − 0.1·0.5]    = [0.925, −1.95]
  // θ3 = [0.925 + 0.1·1, −1.95 − 0.1·2]       = [1.025, −2.15]
  expectSteps(run({ kind: 'sgd' }, G), [[0.95, -1.9], [0.925, -1.95], [1.025, -2.15]], 1e-12, 'sgd');
});

test('sgd with L2 weight decay: g ← g + λθ', () => {
  // λ = 0.1
  // g1 = [0.5 + 0.1·1, −1 + 0.1·(−2)] = [0.6, −1.2];           θ1 = [1 − 0.06, −2 + 0.12]         = [0.94, −1.88]
  // g2 = [0.25 + 0.094, 0.5 − 0.188]  = [0.344, 0.312];        θ2 = [0.94 − 0.0344, −1.88 − 0.0312] = [0.9056, −1.9112]
  // g3 = [−1 + 0.09056, 2 − 0.19112]  = [−0.90944, 1.80888];   θ3 = [0.9056 + 0.090944, −1.9112 − 0.180888] = [0.996544, −2.092088]
  expectSteps(run({ kind: 'sgd', weightDecay: 0.1 }, G), [[0.94, -1.88], [0.9056, -1.9112], [0.996544, -2.092088]], 1e-12, 'sgd+L2');
});

test('momentum (μ = 0.9 default): v ← μv + g, θ ← θ − ηv', () => {
  // v1 = [0.5, −1];                                  θ1 = [1 − 0.05, −2 + 0.1]       = [0.95, −1.9]
  // v2 = [0.45 + 0.25, −0.9 + 0.5] = [0.7, −0.4];    θ2 = [0.95 − 0.07, −1.9 + 0.04] = [0.88, −1.86]
  // v3 = [0.63 − 1, −0.36 + 2]     = [−0.37, 1.64];  θ3 = [0.88 + 0.037, −1.86 − 0.164] = [0.917, −2.024]
  expectSteps(run({ kind: 'momentum' }, G), [[0.95, -1.9], [0.88, -1.86], [0.917, -2.024]], 1e-12, 'momentum');
});

test('nesterov (μ = 0.9 default): v ← μv + g, θ ← θ − η(g + μv)', () => {
  // v as for momentum.
  // g1 + 0.9·v1 = [0.5 + 0.45, −1 − 0.9]     = [0.95, −1.9];     θ1 = [1 − 0.095, −2 + 0.19]        = [0.905, −1.81]
  // g2 + 0.9·v2 = [0.25 + 0.63, 0.5 − 0.36]  = [0.88, 0.14];     θ2 = [0.905 − 0.088, −1.81 − 0.014] = [0.817, −1.824]
  // g3 + 0.9·v3 = [−1 − 0.333, 2 + 1.476]    = [−1.333, 3.476];  θ3 = [0.817 + 0.1333, −1.824 − 0.3476] = [0.9503, −2.1716]
  expectSteps(run({ kind: 'nesterov' }, G), [[0.905, -1.81], [0.817, -1.824], [0.9503, -2.1716]], 1e-12, 'nesterov');
});

const G2 = [[3, -4], [4, 3], [-12, 0]];

test('adagrad (ε = 1e−10 default): G ← G + g², θ ← θ − η·g/(√G + ε)', () => {
  const e = 1e-10;
  // G1 = [9, 16],  √ = [3, 4]:     θ1 = [1 − 0.1·3/3, −2 + 0.1·4/4]           ≈ [0.9, −1.9]
  // G2 = [25, 25], √ = [5, 5]:     θ2 = θ1 − 0.1·[4/5, 3/5] = θ1 − [0.08, 0.06] ≈ [0.82, −1.96]
  // G3 = [169, 25], √ = [13, 5]:   θ3 = θ2 − 0.1·[−12/13, 0]                    ≈ [0.82 + 1.2/13, −1.96]
  const t1 = [1 - (0.1 * 3) / (3 + e), -2 + (0.1 * 4) / (4 + e)];
  const t2 = [t1[0]! - (0.1 * 4) / (5 + e), t1[1]! - (0.1 * 3) / (5 + e)];
  const t3 = [t2[0]! + (0.1 * 12) / (13 + e), t2[1]!];
  expectSteps(run({ kind: 'adagrad' }, G2), [t1, t2, t3], 1e-12, 'adagrad');
  assertClose(t3, [0.82 + 1.2 / 13, -1.96], 1e-9, 'adagrad rounded');
});

test('rmsprop (ρ = 0.99, ε = 1e−8 defaults): s ← ρs + (1−ρ)g², θ ← θ − η·g/(√s + ε)', () => {
  const e = 1e-8;
  // s1 = 0.01·[9, 16] = [0.09, 0.16], √ = [0.3, 0.4]:  θ1 = [1 − 0.1·3/0.3, −2 + 0.1·4/0.4] ≈ [0, −1]
  const t1 = [1 - (0.1 * 3) / (0.3 + e), -2 + (0.1 * 4) / (0.4 + e)];
  // s2 = 0.99·[0.09, 0.16] + 0.01·[16, 9] = [0.0891 + 0.16, 0.1584 + 0.09] = [0.2491, 0.2484]
  const t2 = [t1[0]! - (0.1 * 4) / (Math.sqrt(0.2491) + e), t1[1]! - (0.1 * 3) / (Math.sqrt(0.2484) + e)];
  // s3 = 0.99·[0.2491, 0.2484] + 0.01·[144, 0] = [0.246609 + 1.44, 0.245916] = [1.686609, 0.245916]
  const t3 = [t2[0]! + (0.1 * 12) / (Math.sqrt(1.686609) + e), t2[1]!];
  expectSteps(run({ kind: 'rmsprop' }, G2), [t1, t2, t3], 1e-12, 'rmsprop');
  assertClose(t1, [0, -1], 1e-7, 'rmsprop θ1 rounded');
});

/** Adam's three steps on G2 with defaults β₁ = 0.9, β₂ = 0.999, ε = 1e−8; `shrink` = 1 − ηλ for AdamW. */
function adamByHand(shrink: number): number[][] {
  const e = 1e-8;
  // t = 1: m = 0.1·g = [0.3, −0.4], v = 0.001·g² = [0.009, 0.016]; m̂ = m/0.1 = g, v̂ = v/0.001 = g²
  //        θ1 = θ0 − 0.1·g/(|g| + ε) ≈ θ0 − 0.1·sign(g) = [0.9, −1.9]
  const t1 = [1 * shrink - (0.1 * 3) / (3 + e), -2 * shrink + (0.1 * 4) / (4 + e)];
  // t = 2: m = 0.9·[0.3, −0.4] + 0.1·[4, 3] = [0.67, −0.06]
  //        v = 0.999·[0.009, 0.016] + 0.001·[16, 9] = [0.024991, 0.024984]
  //        1 − β₁² = 0.19, 1 − β₂² = 0.001999
  const t2 = [
    t1[0]! * shrink - (0.1 * (0.67 / 0.19)) / (Math.sqrt(0.024991 / 0.001999) + e),
    t1[1]! * shrink - (0.1 * (-0.06 / 0.19)) / (Math.sqrt(0.024984 / 0.001999) + e),
  ];
  // t = 3: m = 0.9·[0.67, −0.06] + 0.1·[−12, 0] = [0.603 − 1.2, −0.054] = [−0.597, −0.054]
  //        v = 0.999·[0.024991, 0.024984] + 0.001·[144, 0] = [0.024966009 + 0.144, 0.024959016] = [0.168966009, 0.024959016]
  //        1 − β₁³ = 0.271, 1 − β₂³ = 0.002997001
  const t3 = [
    t2[0]! * shrink - (0.1 * (-0.597 / 0.271)) / (Math.sqrt(0.168966009 / 0.002997001) + e),
    t2[1]! * shrink - (0.1 * (-0.054 / 0.271)) / (Math.sqrt(0.024959016 / 0.002997001) + e),
  ];
  return [t1, t2, t3];
}

test('adam (β₁ = 0.9, β₂ = 0.999, ε = 1e−8 defaults) with bias correction', () => {
  const steps = run({ kind: 'adam' }, G2);
  expectSteps(steps, adamByHand(1), 1e-12, 'adam');
  assertClose(steps[0]!, [0.9, -1.9], 1e-8, 'adam θ1 ≈ θ0 − η·sign(g)');
});

test('adamw (λ = 0.01 default): θ ← θ − ηλθ, then the Adam step', () => {
  // 1 − ηλ = 1 − 0.1·0.01 = 0.999
  expectSteps(run({ kind: 'adamw' }, G2), adamByHand(0.999), 1e-12, 'adamw');
  expectSteps(run({ kind: 'adamw', weightDecay: 0 }, G2), adamByHand(1), 1e-12, 'adamw λ=0 = adam');
});

test('adam with L2 weight decay adds λθ to g before the moments', () => {
  // λ = 0.5: g1 = [3 + 0.5, −4 − 1] = [3.5, −5]; step 1 is θ0 − η·g/(|g| + ε) again
  const e = 1e-8;
  const steps = run({ kind: 'adam', weightDecay: 0.5 }, [[3, -4]]);
  assertClose(steps[0]!, [1 - (0.1 * 3.5) / (3.5 + e), -2 + (0.1 * 5) / (5 + e)], 1e-12, 'adam+L2 θ1');
});

test('float32 optimizers follow the float64 ones to float32 precision', () => {
  for (const kind of ['sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam', 'adamw'] as const) {
    const a = run({ kind }, G2, 'float64');
    const b = run({ kind }, G2, 'float32');
    a.forEach((row, k) => assertClose(b[k]!, row, 2e-6, `${kind} float32 θ(${k + 1})`));
  }
});

test('getState/setState continue exactly (bit for bit), and getState copies', () => {
  for (const kind of ['momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam', 'adamw'] as const) {
    const theta = new Float64Array([1, -2, 0.5]);
    const g = (k: number): Float64Array => new Float64Array([0.3 * k - 1, 2 / k, Math.sin(k)]);
    const a = createOptimizer({ kind }, 3, 'float64');
    a.update(theta, g(1), LR);
    a.update(theta, g(2), LR);
    const state = a.getState();
    const saved = theta.slice();
    a.update(theta, g(3), LR);
    assert.equal(state.steps, 2, `${kind}: state is a snapshot`);
    const b = createOptimizer({ kind }, 3, 'float64');
    b.setState(state);
    b.update(saved, g(3), LR);
    assert.deepEqual(Array.from(saved), Array.from(theta), `${kind}: resumed update equals the straight one`);
    assert.equal(b.steps, 3);
    assert.deepEqual(b.getState().slots, a.getState().slots);
  }
});

test('updateParts treats several buffers as one vector and counts one step', () => {
  const whole = new Float64Array([1, -2, 0.5, 3]);
  const grad = new Float64Array([0.1, -0.4, 2, -1]);
  const a = createOptimizer({ kind: 'adam' }, 4, 'float64');
  const b = createOptimizer({ kind: 'adam' }, 4, 'float64');
  const p1 = whole.slice(0, 1);
  const p2 = whole.slice(1);
  for (let k = 0; k < 3; k++) {
    a.update(whole, grad, LR);
    b.updateParts([{ theta: p1, grad: grad.subarray(0, 1) }, { theta: p2, grad: grad.subarray(1) }], LR);
  }
  assert.deepEqual([...p1, ...p2], Array.from(whole));
  assert.equal(b.steps, 3);
});

test('options are validated at the door', () => {
  assert.throws(() => createOptimizer({ kind: 'adam', momentum: 0.9 }, 2, 'float64'), (e: unknown) => e instanceof OptionError && /"momentum" does not apply to "adam"/.test(e.message));
  assert.throws(() => createOptimizer({ kind: 'sgd', lr: 1 } as unknown as OptimizerOptions, 2, 'float64'), (e: unknown) => e instanceof OptionError && /unknown optimizer option "lr"/.test(e.message));
  assert.throws(() => createOptimizer({ kind: 'adamax' } as unknown as OptimizerOptions, 2, 'float64'), /optimizer kind must be one of/);
  assert.throws(() => createOptimizer({ kind: 'adam', beta1: 1 }, 2, 'float64'), /beta1 must be in \[0, 1\)/);
  assert.throws(() => createOptimizer({ kind: 'adam', beta2: -0.1 }, 2, 'float64'), /beta2 must be a number in \[0, 1\]/);
  assert.throws(() => createOptimizer({ kind: 'rmsprop', epsilon: 0 }, 2, 'float64'), /epsilon must be greater than 0/);
  assert.throws(() => createOptimizer({ kind: 'sgd', weightDecay: -1 }, 2, 'float64'), /weightDecay/);
  assert.throws(() => createOptimizer({ kind: 'sgd' }, 0, 'float64'), /optimizer size must be a positive integer/);
  // undefined values are ignored (convenient when forwarding optional settings)
  assert.equal(createOptimizer({ kind: 'sgd', momentum: undefined }, 2, 'float64').options.weightDecay, 0);
  assert.equal(createOptimizer({ kind: 'rmsprop' }, 2, 'float64').options.rho, 0.99);
  const opt = createOptimizer({ kind: 'sgd' }, 2, 'float64');
  assert.throws(() => opt.update(new Float64Array(3), new Float64Array(3), 0.1), ShapeError);
  assert.throws(() => opt.update(new Float64Array(2), new Float64Array(2), -0.1), /learning rate/);
  assert.throws(() => opt.update(new Float64Array(2), new Float64Array(2), NaN), /learning rate/);
  const adam = createOptimizer({ kind: 'adam' }, 2, 'float64');
  assert.throws(() => adam.setState({ ...adam.getState(), kind: 'sgd' }), /is for "sgd"/);
  assert.throws(() => adam.setState({ ...adam.getState(), slots: { m: new Float64Array(2) } }), /lacks slot "v"/);
  assert.throws(() => adam.setState({ ...adam.getState(), slots: { m: new Float64Array(2), v: new Float32Array(2) } }), /is float32/);
});
