/**
 * The smaller files of src/model, for `npm run mutate -- model`, each
 * against exact expected values:
 *
 * - batch-values.ts: the first non-finite value of each array named by
 *   array, step, sequence and column, and a mask value other than 0 or 1;
 * - loss.ts: each row loss and δo by hand, symbol targets outside [0, K);
 * - weight-sets.ts: the gate blocks of the LSTM's and GRU's fused matrices,
 *   and the elements gathered from one;
 * - gradcheck.ts: central differences and the norm-wise relative error on
 *   numbers worked out by hand, and what gradientCheck / checkParameters
 *   report and restore.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionError, ValueError } from '../src/core/errors.js';
import { jsKernels } from '../src/core/kernels.js';
import { ParamSet } from '../src/core/params.js';
import { Rng } from '../src/core/rng.js';
import { checkParameters, gradientCheck, numericGradient, relativeError } from '../src/model/gradcheck.js';
import { applyOutputActivation, checkOutputAndLoss, oneHotCrossEntropy, rowLoss } from '../src/model/loss.js';
import { Network, type SequenceBatch } from '../src/model/network.js';
import { gatherWeightSet, weightSets } from '../src/model/weight-sets.js';
import { refuses } from './helpers/refuses.js';

test('batch values: the first non-finite value of each array, by array, step, sequence and column; mask values', () => {
  const [D, H, K] = [3, 2, 2];
  const net = new Network({ cell: 'lstm', inputSize: D, hiddenSize: H, outputSize: K, dtype: 'float64', kernels: jsKernels });
  const T = 3;
  const B = 2;
  const batch = (change: (b: SequenceBatch) => void, extra: Partial<SequenceBatch> = {}): SequenceBatch => {
    const b: SequenceBatch = {
      T, B,
      x: { kind: 'dense', data: new Float64Array(T * B * D).fill(0.5) },
      y: { kind: 'dense', data: new Float64Array(T * B * K).fill(0.5) },
      mask: new Uint8Array(T * B).fill(1),
      init: [{ h: new Float64Array(B * H), c: new Float64Array(B * H) }],
      ...extra,
    };
    change(b);
    return b;
  };
  net.forward(batch(() => {}));
  // x row (t = 3, b = 1) is row 5; column 2 is element 5·3 + 2 = 17, the last one
  refuses(() => net.forward(batch((b) => { (b.x.data as Float64Array)[17] = NaN; })), ValueError,
    'batch.x[t=3, b=1, 2] is NaN; the inputs must be finite numbers (look for missing or non-numeric values in the data)');
  // two bad values: the first is named
  refuses(() => net.forward(batch((b) => { (b.x.data as Float64Array)[4] = Infinity; (b.x.data as Float64Array)[9] = NaN; })), ValueError,
    'batch.x[t=1, b=1, 1] is Infinity; the inputs must be finite numbers (look for missing or non-numeric values in the data)');
  refuses(() => net.forward(batch((b) => { (b.y.data as Float64Array)[0] = -Infinity; })), ValueError,
    'batch.y[t=1, b=0, 0] is -Infinity; the targets must be finite numbers (look for missing or non-numeric values in the data)');
  refuses(() => net.forward(batch((b) => { (b.y.data as Float64Array)[6] = NaN; })), ValueError,
    'batch.y[t=2, b=1, 0] is NaN; the targets must be finite numbers (look for missing or non-numeric values in the data)');
  // initial states: one step, named without t
  refuses(() => net.forward(batch((b) => { b.init![0]!.h[3] = NaN; })), ValueError,
    'batch.init[0].h[b=1, 1] is NaN; the initial states must be finite numbers (look for missing or non-numeric values in the data)');
  refuses(() => net.forward(batch((b) => { b.init![0]!.c![0] = Infinity; })), ValueError,
    'batch.init[0].c[b=0, 0] is Infinity; the initial states must be finite numbers (look for missing or non-numeric values in the data)');
  refuses(() => net.forward(batch((b) => { b.mask![5] = 3; })), ValueError,
    'batch.mask[t=3, b=1] is 3; a mask holds 1 for a step that counts and 0 for one that does not, nothing else');
  refuses(() => net.forward(batch((b) => { (b.mask as Uint8Array)[0] = 255; })), ValueError,
    'batch.mask[t=1, b=0] is 255; a mask holds 1 for a step that counts and 0 for one that does not, nothing else');
  // symbol inputs and targets are not value-checked (their range is checked with the shapes); 0 in a mask is fine
  net.forward(batch(() => {}, { x: { kind: 'index', data: new Int32Array(T * B) }, y: { kind: 'index', data: new Int32Array(T * B) }, mask: new Uint8Array(T * B) }));
  // a one-step batch names t too (only the initial states leave it out)
  const one: SequenceBatch = { T: 1, B: 2, x: { kind: 'dense', data: Float64Array.from([0, 0, 0, 0, 0, NaN]) }, y: { kind: 'dense', data: new Float64Array(4) } };
  refuses(() => net.forward(one), ValueError, 'batch.x[b=1, 2] is NaN; the inputs must be finite numbers (look for missing or non-numeric values in the data)');
});

test('loss.ts: row losses and δo by hand, for every output and loss', () => {
  const yhat = Float64Array.from([9, 0.2, 0.5, 0.3, 9]); // the row is at offset 1
  const yDense = { kind: 'dense' as const, data: Float64Array.from([7, 7, 7, 0, 1, 0.5]) }; // row 1 = [0, 1, 0.5]
  const dO = new Float64Array(5).fill(42);
  // squared error, linear: J = Σ (y − ŷ)², δo = 2(ŷ − y)
  assert.ok(Math.abs(rowLoss('linear', 'mse', 3, yhat, 1, yDense, 1, dO) - (0.04 + 0.25 + 0.04)) < 1e-15);
  assert.deepEqual(Array.from(dO), [42, 0.4, -1, -0.4, 42].map((v, i) => (i === 0 || i === 4 ? v : v)));
  // squared error, sigmoid: δo = 2(ŷ − y)·ŷ(1 − ŷ)
  rowLoss('sigmoid', 'mse', 3, yhat, 1, yDense, 1, dO);
  assertClose(dO, [42, 0.4 * 0.16, -1 * 0.25, -0.4 * 0.21, 42]);
  // binary cross-entropy: J = −Σ y log ŷ + (1 − y) log(1 − ŷ), δo = ŷ − y
  const bce = rowLoss('sigmoid', 'cross-entropy', 3, yhat, 1, yDense, 1, dO);
  assert.ok(Math.abs(bce - (-Math.log(0.8) - Math.log(0.5) - 0.5 * Math.log(0.3) - 0.5 * Math.log(0.7))) < 1e-14, `${bce}`);
  assertClose(dO, [42, 0.2, -0.5, -0.2, 42]);
  // softmax cross-entropy with a dense (distribution) target: J = −Σ y log ŷ
  const sce = rowLoss('softmax', 'cross-entropy', 3, yhat, 1, yDense, 1, null);
  assert.ok(Math.abs(sce - (-Math.log(0.5) - 0.5 * Math.log(0.3))) < 1e-14);
  // symbol targets: one-hot; softmax + cross-entropy: J = −log ŷ_target, δo = ŷ − onehot
  const idx = { kind: 'index' as const, data: Int32Array.from([5, 2, -1, 3]) };
  assert.ok(Math.abs(rowLoss('softmax', 'cross-entropy', 3, yhat, 1, idx, 1, dO) + Math.log(0.3)) < 1e-15);
  assertClose(dO, [42, 0.2, 0.5, 0.3 - 1, 42]);
  // target 0, the first column
  dO.fill(42);
  assert.ok(Math.abs(rowLoss('softmax', 'cross-entropy', 3, yhat, 1, { kind: 'index', data: Int32Array.from([0]) }, 0, dO) + Math.log(0.2)) < 1e-15);
  assertClose(dO, [42, 0.2 - 1, 0.5, 0.3, 42]);
  // a target of −1 or ≥ K carries no loss, δo = ŷ
  for (const at of [2, 3]) {
    dO.fill(42);
    assert.equal(rowLoss('softmax', 'cross-entropy', 3, yhat, 1, idx, at, dO), 0);
    assertClose(dO, [42, 0.2, 0.5, 0.3, 42]);
  }
  // symbol targets with squared error and binary cross-entropy go through the general rows
  assert.ok(Math.abs(rowLoss('linear', 'mse', 3, yhat, 1, idx, 1, dO) - (0.04 + 0.25 + 0.49)) < 1e-15);
  assertClose(dO, [42, 0.4, 1, -1.4, 42]);
  assert.ok(Math.abs(rowLoss('sigmoid', 'cross-entropy', 3, yhat, 1, idx, 1, null) + Math.log(0.8) + Math.log(0.5) + Math.log(0.3)) < 1e-14);
  // log is clamped at 1e-300: an output of exactly 0 gives a large finite loss, not Infinity
  const zero = Float64Array.from([0, 1]);
  assert.equal(rowLoss('softmax', 'cross-entropy', 2, zero, 0, { kind: 'index', data: Int32Array.from([0]) }, 0, null), -Math.log(1e-300));
  assert.equal(rowLoss('sigmoid', 'cross-entropy', 2, zero, 0, { kind: 'dense', data: Float64Array.from([1, 0]) }, 0, null), -2 * Math.log(1e-300));
  assert.equal(rowLoss('softmax', 'cross-entropy', 2, zero, 0, { kind: 'dense', data: Float64Array.from([1, 0]) }, 0, null), -Math.log(1e-300));
  // the one-hot shortcut: dO already holds ŷ; one element changes
  const p2 = Float64Array.from([9, 0.2, 0.5, 0.3]);
  const d2 = Float64Array.from([9, 0.2, 0.5, 0.3]);
  assert.ok(Math.abs(oneHotCrossEntropy(3, p2, 1, 1, d2) + Math.log(0.5)) < 1e-15);
  assertClose(d2, [9, 0.2, -0.5, 0.3]);
  assert.equal(oneHotCrossEntropy(3, p2, 1, -1, d2), 0);
  assert.equal(oneHotCrossEntropy(3, p2, 1, 3, d2), 0);
  assertClose(d2, [9, 0.2, -0.5, 0.3]);
  assert.equal(oneHotCrossEntropy(2, Float64Array.from([0, 1]), 0, 0, new Float64Array(2)), -Math.log(1e-300));
  // g_o in place, over rows from an offset
  const a = Float64Array.from([5, 0, Math.log(3), 5]);
  applyOutputActivation('softmax', a, 1, 1, 2);
  assertClose(a, [5, 0.25, 0.75, 5]);
  const s = Float64Array.from([5, 0, Math.log(3), 5]);
  applyOutputActivation('sigmoid', s, 1, 1, 2);
  assertClose(s, [5, 0.5, 0.75, 5]);
  const l = Float64Array.from([5, 0, 2, 5]);
  applyOutputActivation('linear', l, 1, 1, 2);
  assertClose(l, [5, 0, 2, 5]);
  checkOutputAndLoss('sigmoid', 'mse');
  checkOutputAndLoss('linear', 'mse');
  checkOutputAndLoss('softmax', 'cross-entropy');
  checkOutputAndLoss('sigmoid', 'cross-entropy');
});

function assertClose(a: ArrayLike<number>, b: readonly number[]): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-15, `element ${i}: ${a[i]} ≠ ${b[i]}`);
}

test('weight sets: the gate blocks of the fused matrices, in storage order; gathered elements', () => {
  const lstm = new Network({ cell: 'lstm', inputSize: 2, hiddenSize: 3, outputSize: 1, layers: 2 });
  const sets = weightSets(lstm.params.entries, 'lstm', 3);
  const show = (s: { name: string; entry: string; rows: readonly number[]; cols: readonly number[] }): string => `${s.name} ${s.entry} r${s.rows.join('-')} c${s.cols.join('-')}`;
  assert.deepEqual(sets.map(show), [
    'layer0.W_f.x layer0.W r0-2 c0-3', 'layer0.W_f.h layer0.W r2-5 c0-3',
    'layer0.W_i.x layer0.W r0-2 c3-6', 'layer0.W_i.h layer0.W r2-5 c3-6',
    'layer0.W_o.x layer0.W r0-2 c6-9', 'layer0.W_o.h layer0.W r2-5 c6-9',
    'layer0.W_C.x layer0.W r0-2 c9-12', 'layer0.W_C.h layer0.W r2-5 c9-12',
    'layer0.b_f layer0.b r0-1 c0-3', 'layer0.b_i layer0.b r0-1 c3-6', 'layer0.b_og layer0.b r0-1 c6-9', 'layer0.b_C layer0.b r0-1 c9-12',
    'layer1.W_f.x layer1.W r0-3 c0-3', 'layer1.W_f.h layer1.W r3-6 c0-3',
    'layer1.W_i.x layer1.W r0-3 c3-6', 'layer1.W_i.h layer1.W r3-6 c3-6',
    'layer1.W_o.x layer1.W r0-3 c6-9', 'layer1.W_o.h layer1.W r3-6 c6-9',
    'layer1.W_C.x layer1.W r0-3 c9-12', 'layer1.W_C.h layer1.W r3-6 c9-12',
    'layer1.b_f layer1.b r0-1 c0-3', 'layer1.b_i layer1.b r0-1 c3-6', 'layer1.b_og layer1.b r0-1 c6-9', 'layer1.b_C layer1.b r0-1 c9-12',
    'V V r0-3 c0-1', 'b_o b_o r0-1 c0-1',
  ]);
  const gru = new Network({ cell: 'gru', inputSize: 1, hiddenSize: 2, outputSize: 6 });
  assert.deepEqual(weightSets(gru.params.entries, 'gru', 2).map((s) => s.name), [
    ...gru.params.entries.flatMap((e) => e.name === 'layer0.W' ? ['layer0.W_z.x', 'layer0.W_z.h', 'layer0.W_r.x', 'layer0.W_r.h', 'layer0.W_n.x', 'layer0.W_n.h']
      : e.name === 'layer0.b' ? ['layer0.b_z', 'layer0.b_r', 'layer0.b_n'] : [e.name]),
  ]);
  // V is 2×6 = 3H wide for this GRU, but not a fused gate matrix: one set (its name does not end in W or b)
  assert.ok(weightSets(gru.params.entries, 'gru', 2).some((s) => s.name === 'V' && s.cols[1] === 6));
  // the RNN has no fused matrices; a matrix named W of another width stays whole
  const rnn = new Network({ inputSize: 2, hiddenSize: 4, outputSize: 3 });
  assert.deepEqual(weightSets(rnn.params.entries, 'rnn', 4).map(show), [
    'layer0.U layer0.U r0-2 c0-4', 'layer0.W layer0.W r0-4 c0-4', 'layer0.b_h layer0.b_h r0-1 c0-4', 'V V r0-4 c0-3', 'b_o b_o r0-1 c0-3',
  ]);
  assert.deepEqual(weightSets([{ name: 'enc.W', rows: 3, cols: 5, offset: 0, size: 15, init: 'zeros' }], 'lstm', 2).map((s) => s.name), ['enc.W']);
  // gathered row by row: a 5×12 matrix at offset 7 holding its own index
  const flat = Float64Array.from({ length: 7 + 60 }, (_, i) => i - 7);
  const entry = { name: 'layer0.W', rows: 5, cols: 12, offset: 7, size: 60, init: 'zeros' as const };
  const wih = sets.find((s) => s.name === 'layer0.W_i.h')!;
  assert.deepEqual(Array.from(gatherWeightSet(wih, entry, flat)), [27, 28, 29, 39, 40, 41, 51, 52, 53]);
});

test('gradcheck: central differences and the relative error on hand-worked numbers; what gradientCheck reports and restores', () => {
  // f(v) = v0³ + 2·v0·v1: ∂f/∂v0 = 3v0² + 2v1, ∂f/∂v1 = 2v0; central differences of a cubic err by ε²·f'''/6 = ε²
  const v = Float64Array.from([2, -1]);
  const f = (): number => v[0]! ** 3 + 2 * v[0]! * v[1]!;
  const g = numericGradient(v, f, 1e-3);
  assert.ok(Math.abs(g[0]! - (12 - 2 + 1e-6)) < 1e-9, `${g[0]}`);
  assert.ok(Math.abs(g[1]! - 4) < 1e-9);
  assert.deepEqual(Array.from(v), [2, -1], 'restored');
  assert.ok(Math.abs(numericGradient(v, f)[1]! - 4) < 1e-6, 'default ε');
  // ‖a − n‖ / max(‖a‖ + ‖n‖, floor)
  assert.equal(relativeError([3, 0], [0, 4]), 5 / 7);
  assert.equal(relativeError([1e-9], [0]), 1e-9 / 1e-7, 'the default floor');
  assert.equal(relativeError([1e-9], [0], 1e-12), 1);
  assert.equal(relativeError([1, 2], [1, 2]), 0);
  // gradientCheck
  refuses(() => gradientCheck(new Network({ inputSize: 2, hiddenSize: 2, outputSize: 2 }), []), OptionError, 'gradientCheck needs a float64 network (dtype: "float64")');
  const net = new Network({ cell: 'gru', inputSize: 2, hiddenSize: 2, outputSize: 2, dtype: 'float64', kernels: jsKernels });
  const rng = new Rng(3);
  const batch = (): SequenceBatch => ({
    T: 3, B: 2,
    x: { kind: 'dense', data: Float64Array.from({ length: 12 }, () => rng.uniform(-1, 1)) },
    y: { kind: 'dense', data: Float64Array.from({ length: 12 }, () => rng.uniform(-1, 1)) },
  });
  const batches = [batch(), batch()];
  const before = Float64Array.from(net.params.data);
  net.params.grad.fill(7);
  const r = gradientCheck(net, batches);
  assert.deepEqual(Array.from(net.params.data), Array.from(before), 'parameters restored');
  // the gradient left in params.grad is the sum over the batches (zeroed first)
  const want = new Float64Array(net.params.size);
  for (const b of batches) {
    net.params.zeroGrad();
    net.gradient(b);
    want.forEach((_, i) => (want[i]! += net.params.grad[i]!));
  }
  net.params.zeroGrad();
  gradientCheck(net, batches);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(net.params.grad[i]! - want[i]!) < 1e-12, `element ${i}`);
  assert.deepEqual(Object.keys(r.perParameter), net.params.entries.map((e) => e.name));
  assert.deepEqual(Object.keys(r.perWeightSet), weightSets(net.params.entries, 'gru', 2).map((s) => s.name));
  assert.equal(r.maxRelError, Math.max(...Object.values(r.perParameter)));
  assert.equal(r.maxWeightSetError, Math.max(...Object.values(r.perWeightSet)));
  assert.ok(r.maxRelError < 1e-7 && r.maxRelError > 0);
  // one batch alone, not in a list
  assert.ok(gradientCheck(net, batches[0]!).maxRelError < 1e-7);
  // a wrong gradient is reported in its matrix and its weight set, and nowhere else
  net.params.zeroGrad();
  const bad = gradientCheckWithWrongGrad(net, batches, 'layer0.W', 5);
  assert.ok(bad.perParameter['layer0.W']! > 1e-3);
  assert.ok(bad.maxRelError === bad.perParameter['layer0.W']);
  const wrongSet = Object.entries(bad.perWeightSet).filter(([, e]) => e > 1e-3).map(([n]) => n);
  assert.equal(wrongSet.length, 1, `${wrongSet}`);
  // a NaN in the gradient fails the check: the largest error is NaN, not the largest finite one
  // (layer0.W comes first, so a max that skipped NaN would report a later matrix's small error)
  net.params.zeroGrad();
  const nan = gradientCheckWithWrongGrad(net, batches, 'layer0.W', NaN);
  assert.ok(Number.isNaN(nan.perParameter['layer0.W']!));
  assert.ok(Number.isNaN(nan.maxRelError) && Number.isNaN(nan.maxWeightSetError), `${nan.maxRelError} ${nan.maxWeightSetError}`);
  // checkParameters: several sets are named by index; each set's gradient is left as it was
  const a = new ParamSet([{ name: 'W', rows: 1, cols: 2, init: 'zeros' }], 'float64');
  const b = new ParamSet([{ name: 'W', rows: 1, cols: 1, init: 'zeros' }, { name: 'u', rows: 1, cols: 1, init: 'zeros' }], 'float64');
  a.data.set([1, 2]);
  b.data.set([3, 4]);
  // loss = a0·a1 + b0² + 5·b1: gradient [2, 1] and [6, 5]; a's given right, b's u given wrong
  a.grad.set([2, 1]);
  b.grad.set([6, 0]);
  const loss = (): number => a.data[0]! * a.data[1]! + b.data[0]! ** 2 + 5 * b.data[1]!;
  const c = checkParameters([a, b], loss);
  assert.deepEqual(Object.keys(c.perParameter), ['0:W', '1:W', '1:u']);
  assert.ok(c.perParameter['0:W']! < 1e-9 && c.perParameter['1:W']! < 1e-9);
  assert.ok(Math.abs(c.perParameter['1:u']! - 1) < 1e-9, `${c.perParameter['1:u']}`);
  assert.equal(c.maxRelError, c.perParameter['1:u']);
  assert.deepEqual([Array.from(a.grad), Array.from(b.grad)], [[2, 1], [6, 0]]);
  assert.deepEqual(Object.keys(checkParameters([a], loss).perParameter), ['W']);
  // the step ε is used: with ε = 0.5 the cubic's error is visible
  const cube = new ParamSet([{ name: 'x', rows: 1, cols: 1, init: 'zeros' }], 'float64');
  cube.data[0] = 1;
  cube.grad[0] = 3;
  assert.ok(Math.abs(checkParameters([cube], () => cube.data[0]! ** 3, { epsilon: 0.5 }).maxRelError - 0.25 / 6.25) < 1e-12);
  assert.equal(checkParameters([cube], () => cube.data[0]! ** 3 + 0 * 1e-20, { floor: 1e3, epsilon: 0.5 }).maxRelError, 0.25 / 1e3);
  // checkParameters too: b's W given as NaN, its u (checked after it) right
  b.grad.set([NaN, 5]);
  const withNaN = checkParameters([b], () => b.data[0]! ** 2 + 5 * b.data[1]!);
  assert.ok(withNaN.perParameter['u']! < 1e-9);
  assert.ok(Number.isNaN(withNaN.maxRelError));
});

/** gradientCheck, with one element of the BPTT gradient of `entry` made wrong by `by` before the comparison. */
function gradientCheckWithWrongGrad(net: Network, batches: SequenceBatch[], entry: string, by: number): ReturnType<typeof gradientCheck> {
  const original = net.gradient.bind(net);
  let calls = 0;
  (net as { gradient: Network['gradient'] }).gradient = (b, o) => {
    const r = original(b, o);
    if (calls++ === 0) net.params.grad[net.params.entry(entry).offset + 1]! += by;
    return r;
  };
  try {
    return gradientCheck(net, batches);
  } finally {
    (net as { gradient: Network['gradient'] }).gradient = original;
  }
}
