/**
 * src/tasks/classify.ts on tiny float64 networks, against references built
 * from the network's forward pass on one sequence at a time (B = 1, no
 * mask):
 *
 * - `batch`, `pair`, `featurise`: the padded, masked layouts and the
 *   z-scored features, element by element, and each refusal by its message;
 * - `probabilities` at the last real step, or softmax((1/n)·Σ_t neto(t))
 *   with mean pooling, in passes of 256; `predict` (ties to the first class);
 * - `MeanPooledObjective`: J = Σ_b w_b·(−log p_b[y_b]) by hand, its gradient
 *   against central finite differences of that J (float64), padding rows,
 *   rows without a label, buffers reused across batch shapes, the columns
 *   for data-parallel training both ways;
 * - `classifierSetup`: each default, option and refusal, the feature
 *   statistics, the batch sources, and `run` against `fit` called directly.
 *
 * A few updates of a 2-unit network at most: the file runs in well under a
 * second, for `npm run mutate -- tasks` (docs/testing.md).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionError, ShapeError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import { numericGradient, relativeError } from '../src/model/gradcheck.js';
import { Network, type SequenceBatch } from '../src/model/network.js';
import {
  classifierSetup, classWeightedGradient, MeanPooledObjective, POOLINGS, SequenceClassifier, trainClassifier,
  type ClassifierOptions, type LabelledSequence,
} from '../src/tasks/classify.js';
import { fit } from '../src/train/fit.js';
import { assertClose } from './helpers/approx.js';
import { refuses } from './helpers/refuses.js';

const symbolNet = (seed = 2, C = 3): Network => new Network({ inputSize: 3, hiddenSize: 2, outputSize: C, loss: 'cross-entropy', dtype: 'float64', seed });
const linearNet = (seed = 5, D = 3): Network => new Network({ inputSize: D, hiddenSize: 2, outputSize: 3, loss: 'mse', outputActivation: 'linear', dtype: 'float64', seed });

/** ŷ(t) (C values per step) of one sequence alone: symbol ids, or feature rows already scaled. */
function alone(n: Network, seq: readonly number[] | readonly (readonly number[])[]): number[][] {
  const T = seq.length;
  const C = n.config.outputSize;
  const x: SequenceBatch['x'] = typeof seq[0] === 'number'
    ? { kind: 'index', data: Int32Array.from(seq as readonly number[]) }
    : { kind: 'dense', data: Float64Array.from((seq as readonly (readonly number[])[]).flat()) };
  const y = n.forward({ T, B: 1, x, y: { kind: 'index', data: new Int32Array(T).fill(-1) }, lossAt: 'last' });
  return Array.from({ length: T }, (_, t) => Array.from(y.subarray(t * C, (t + 1) * C)));
}

function softmax(z: readonly number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** softmax of the mean of neto over the sequence's steps. */
function pooledAlone(n: Network, seq: readonly number[] | readonly (readonly number[])[]): number[] {
  const rows = alone(n, seq);
  const C = n.config.outputSize;
  return softmax(Array.from({ length: C }, (_, c) => rows.reduce((s, r) => s + r[c]!, 0) / rows.length));
}

const SYMS: LabelledSequence[] = [{ input: [0, 1, 2], label: 2 }, { input: [1], label: 0 }, { input: [2, 2], label: 1 }];
const STATS = [{ mean: 1, sd: 2 }, { mean: 0, sd: 0.5 }];

test('SequenceClassifier: default info; batch and pair lay out ids, scaled features, masks and labels', () => {
  const n = symbolNet();
  const clf = new SequenceClassifier(n, 'symbols', 3, []);
  assert.equal(clf.pooling, 'last');
  assert.deepEqual(clf.info, { classNames: ['0', '1', '2'], input: { kind: 'symbols', symbols: [] } });
  const info = { classNames: ['a', 'b', 'c'], input: { kind: 'symbols' as const, symbols: ['x', 'y', 'z'] } };
  assert.equal(new SequenceClassifier(n, 'symbols', 3, [], 'last', info).info, info);
  assert.deepEqual(new SequenceClassifier(linearNet(5, 2), 'features', 3, STATS).info, { classNames: ['0', '1', '2'], input: { kind: 'features', names: ['f0', 'f1'] } });
  assert.deepEqual([...POOLINGS], ['last', 'mean']);

  // symbols: x[t·B + b], −1 past a sequence's end; the label at its last real step
  const b = clf.batch(SYMS, true);
  assert.deepEqual([b.T, b.B, b.lossAt], [3, 3, 'last']);
  assert.equal(b.x.kind, 'index');
  assert.deepEqual([...b.x.data], [0, 1, 2, 1, -1, 2, 2, -1, -1]);
  assert.deepEqual([...b.mask!], [1, 1, 1, 1, 0, 1, 1, 0, 0]);
  assert.equal(b.y.kind, 'index');
  assert.deepEqual([...b.y.data], [-1, 0, -1, -1, -1, 1, 2, -1, -1]);
  const u = clf.batch(SYMS.map((s) => s.input), false);
  assert.deepEqual([...u.y.data], new Array(9).fill(-1));
  assert.deepEqual([...u.mask!], [...b.mask!]);
  assert.deepEqual([...u.x.data], [...b.x.data]);
  assert.equal(clf.batch([[1]], false).T, 1);
  refuses(() => clf.batch([{ input: [1], label: 0 }, { input: [], label: 1 }], true), ShapeError, 'sequence 1 is empty; every sequence needs at least one step');
  refuses(() => clf.batch([[0], []], false), ShapeError, 'sequence 1 is empty; every sequence needs at least one step');

  // features: (x − mean) / sd per feature, at ((t·B + b)·D + j)
  const f = new SequenceClassifier(linearNet(5, 2), 'features', 3, STATS);
  const items: LabelledSequence[] = [{ input: [[3, 1], [1, -1]], label: 1 }, { input: [[5, 0]], label: 0 }];
  const fb = f.batch(items, true);
  assert.deepEqual([fb.T, fb.B], [2, 2]);
  assert.ok(fb.x.kind === 'dense' && fb.x.data instanceof Float64Array);
  assert.deepEqual([...fb.x.data], [1, 2, 2, 0, 0, -2, 0, 0]);
  assert.deepEqual([...fb.mask!], [1, 1, 1, 0]);
  assert.deepEqual([...fb.y.data], [-1, 0, 1, -1]);
  const f32 = new SequenceClassifier(new Network({ inputSize: 2, hiddenSize: 2, outputSize: 3 }), 'features', 3, STATS);
  assert.ok(f32.batch(items, true).x.data instanceof Float32Array);
  refuses(() => f.batch([items[0]!, { input: [[1, 2], [3]], label: 0 }], true), ShapeError, 'sequence 1, step 1 has 1 features, expected 2');

  // pairs for SequenceBatches
  const ps = clf.pair({ input: [2, 0], label: 1 });
  assert.ok(ps.input instanceof Int32Array && ps.target instanceof Int32Array);
  assert.deepEqual([...ps.input], [2, 0]);
  assert.deepEqual([...ps.target], [1]);
  const pf = f.pair(items[0]!);
  assert.ok(pf.input instanceof Float64Array);
  assert.deepEqual([...pf.input], [1, 2, 0, -2]);
  assert.deepEqual([...pf.target], [1]);
  refuses(() => f.pair({ input: [[1, 2], [3]], label: 0 }), ShapeError, 'step 1 has 1 features, expected 2');
});

test('probabilities at the last real step, in passes of 256; predict and its ties', () => {
  const n = symbolNet(7);
  const clf = new SequenceClassifier(n, 'symbols', 3, []);
  const rng = new Rng(5);
  const inputs = Array.from({ length: 300 }, () => Array.from({ length: 1 + rng.int(3) }, () => rng.int(3)));
  const p = clf.probabilities(inputs);
  assert.equal(p.length, 300);
  for (const i of [0, 1, 255, 256, 257, 299]) {
    const rows = alone(n, inputs[i]!);
    assert.ok(p[i] instanceof Float64Array);
    assertClose(p[i]!, rows[rows.length - 1]!, 1e-14, `sequence ${i}`);
  }
  const best = (q: ArrayLike<number>): number => Array.from(q).indexOf(Math.max(...Array.from(q)));
  assert.deepEqual(clf.predict(inputs), p.map(best));
  assert.ok(new Set(clf.predict(inputs)).size > 1, 'more than one class predicted');
  assert.deepEqual(clf.probabilities([]), []);
  // every score equal: the first class
  const flat = symbolNet(7);
  flat.params.data.fill(0);
  assert.deepEqual(new SequenceClassifier(flat, 'symbols', 3, []).predict([[0], [1, 2]]), [0, 0]);
});

test('mean pooling: softmax of the mean of neto over each sequence\'s real steps', () => {
  const n = linearNet(5);
  const clf = new SequenceClassifier(n, 'symbols', 3, [], 'mean');
  const inputs = [[0, 1, 2], [1], [2, 2]];
  const p = clf.probabilities(inputs);
  assert.equal(p.length, 3);
  inputs.forEach((s, i) => assertClose(p[i]!, pooledAlone(n, s), 1e-14, `sequence ${i}`));
  assert.deepEqual(clf.predict(inputs), p.map((q) => Array.from(q).indexOf(Math.max(...q))));
  // features, scaled before the network reads them
  const fn = linearNet(9, 2);
  const f = new SequenceClassifier(fn, 'features', 3, STATS, 'mean');
  assertClose(f.probabilities([[[3, 1], [1, -1]]])[0]!, pooledAlone(fn, [[1, 2], [0, -2]]), 1e-14, 'features');
  // large scores do not overflow: the maximum is subtracted first
  const big = linearNet(5);
  big.params.data.fill(0);
  big.params.view('b_o').set([1000, -1000, 0]);
  assert.deepEqual([...new SequenceClassifier(big, 'symbols', 3, [], 'mean').probabilities([[0, 1]])[0]!], [1, 0, 0]);
  big.params.view('b_o').set([-1000, 0, 1000]);
  assert.deepEqual([...new SequenceClassifier(big, 'symbols', 3, [], 'mean').probabilities([[0, 1]])[0]!], [0, 0, 1]);
});

test('featurise and predictProbabilities: text through the symbol table, feature rows checked', () => {
  const n = symbolNet(3);
  const clf = new SequenceClassifier(n, 'symbols', 3, [], 'last', { classNames: ['a', 'b', 'c'], input: { kind: 'symbols', symbols: ['x', 'y', 'z'] } });
  assert.deepEqual(clf.featurise('zxq'), [2, 0, -1]);
  assert.deepEqual(clf.featurise('yy'), [1, 1]);
  // new info (a model continued with another symbol table): the lookup follows it
  const info = clf.info;
  clf.info = { classNames: ['a', 'b', 'c'], input: { kind: 'symbols', symbols: ['z', 'q', 'x'] } };
  assert.deepEqual(clf.featurise('zxqy'), [0, 2, 1, -1]);
  clf.info = info;
  assert.deepEqual(clf.featurise('zxq'), [2, 0, -1]);
  refuses(() => clf.featurise([[1]]), ShapeError, 'this classifier reads text: give a string');
  refuses(() => clf.featurise(''), ShapeError, 'an empty text has no steps to classify');
  const pp = clf.predictProbabilities(['zx', 'y']);
  const ref = clf.probabilities([[2, 0], [1]]);
  assert.deepEqual(pp, ref.map((q) => ({ a: q[0], b: q[1], c: q[2] })));

  const f = new SequenceClassifier(linearNet(5, 2), 'features', 3, STATS, 'last', { classNames: ['lo', 'mid', 'hi'], input: { kind: 'features', names: ['h', 't'] } });
  const raw = [[1, 2], [3, 4]];
  assert.equal(f.featurise(raw), raw);
  refuses(() => f.featurise('abc'), ShapeError, 'this classifier reads sequences of 2 features (h, t), not text');
  refuses(() => f.featurise([]), ShapeError, 'an empty sequence has no steps to classify');
  refuses(() => f.featurise([[1, 2], [3]]), ShapeError, 'step 1 has 1 features, expected 2 (h, t)');
  refuses(() => f.featurise([[1, 2], [3, NaN]]), ShapeError, 'step 1, feature t is NaN; every feature must be a finite number');
  refuses(() => f.featurise([[Infinity, 2]]), ShapeError, 'step 0, feature h is Infinity; every feature must be a finite number');
  assert.deepEqual(Object.keys(f.predictProbabilities([raw])[0]!), ['lo', 'mid', 'hi']);
});

/** J = Σ_b w_{y_b}·(−log p_b[y_b]) with p_b from {@link pooledAlone}. */
function pooledLossRef(n: Network, items: readonly LabelledSequence[], w: readonly number[] | null): number {
  return items.reduce((J, it) => J - (w ? w[it.label]! : 1) * Math.log(pooledAlone(n, it.input)[it.label]!), 0);
}

test('pooledLoss and MeanPooledObjective: J by hand, its gradient against finite differences, added to params.grad', () => {
  const n = linearNet(5);
  const clf = new SequenceClassifier(n, 'symbols', 3, [], 'mean');
  const w = [0.5, 1.5, 2];
  const J = clf.pooledLoss(SYMS, w, false);
  assert.equal(J.count, 3);
  assertClose(J.loss, pooledLossRef(n, SYMS, w), 1e-13, 'weighted J');
  assertClose(clf.pooledLoss(SYMS, undefined, false).loss, pooledLossRef(n, SYMS, null), 1e-13, 'unweighted J');
  const p = n.params;
  p.zeroGrad();
  assert.equal(clf.pooledLoss(SYMS, w, true).count, 3);
  const analytic = Float64Array.from(p.grad);
  const numeric = numericGradient(p.data, () => pooledLossRef(n, SYMS, w));
  const err = relativeError(analytic, numeric);
  assert.ok(err < 1e-7, `relative error ${err}`);
  // added, not set
  clf.pooledLoss(SYMS, w, true);
  assertClose(p.grad, analytic.map((g) => 2 * g), 1e-15, 'twice');
  // without weights
  p.zeroGrad();
  clf.pooledLoss(SYMS, undefined, true);
  assert.ok(relativeError(p.grad, numericGradient(p.data, () => pooledLossRef(n, SYMS, null))) < 1e-7);
});

test('MeanPooledObjective: padding rows, rows without a label, no mask, a probability of 0, reused buffers', () => {
  const n = linearNet(6);
  const obj = new MeanPooledObjective(n);
  assert.deepEqual(obj.paramSets, [n.params]);
  assert.equal(obj.dtype, 'float64');
  const d = obj.describe();
  assert.deepEqual(d, { kind: 'mean-pooled', config: { ...n.config } });
  assert.notEqual(d.config, n.config);
  // T = 2, B = 3: sequence 0 = [0, 1] label 2, sequence 1 = [2] label 0, column 2 padding; weights 0.5, 3, 7
  const batch: SequenceBatch = {
    T: 2, B: 3,
    x: { kind: 'index', data: Int32Array.of(0, 2, -1, 1, -1, -1) },
    y: { kind: 'index', data: Int32Array.of(-1, 0, -1, 2, -1, -1) },
    mask: Uint8Array.of(1, 1, 0, 1, 0, 0),
    weights: [0.5, 3, 7],
    lossAt: 'last',
  };
  const items: LabelledSequence[] = [{ input: [0, 1], label: 2 }, { input: [2], label: 0 }];
  const ref = 0.5 * -Math.log(pooledAlone(n, [0, 1])[2]!) + 3 * -Math.log(pooledAlone(n, [2])[0]!);
  const L = obj.loss(batch);
  assert.equal(L.count, 2);
  assertClose(L.loss, ref, 1e-13, 'J');
  n.params.zeroGrad();
  assert.deepEqual(obj.gradient(batch).count, 2);
  const g = Float64Array.from(n.params.grad);
  const perItem = (k: number): number => (k === 0 ? 0.5 : 3) * -Math.log(pooledAlone(n, items[k]!.input)[items[k]!.label]!);
  assert.ok(relativeError(g, numericGradient(n.params.data, () => perItem(0) + perItem(1))) < 1e-7);
  // sequence 1 without a label (mask on, y all −1): it adds nothing, and none of the last batch's δo stays behind
  const noLabel: SequenceBatch = { ...batch, y: { kind: 'index', data: Int32Array.of(-1, -1, -1, 2, -1, -1) } };
  const L1 = obj.loss(noLabel);
  assert.equal(L1.count, 1);
  assertClose(L1.loss, perItem(0), 1e-13, 'J without sequence 1');
  n.params.zeroGrad();
  obj.gradient(noLabel);
  const g1 = Float64Array.from(n.params.grad);
  n.params.zeroGrad();
  new MeanPooledObjective(n).gradient(noLabel);
  assert.deepEqual([...g1], [...n.params.grad]);
  assert.ok(relativeError(g1, numericGradient(n.params.data, () => perItem(0))) < 1e-7);
  // no mask, no weights, one sequence labelled 0: a larger batch after the smaller one, then the small one again
  const full: SequenceBatch = { T: 4, B: 2, x: { kind: 'index', data: Int32Array.of(0, 1, 2, 2, 1, 0, 1, 2) }, y: { kind: 'index', data: Int32Array.of(-1, -1, -1, -1, -1, -1, 0, 1) } };
  const fullJ = (): number => -Math.log(pooledAlone(n, [0, 2, 1, 1])[0]!) - Math.log(pooledAlone(n, [1, 2, 0, 2])[1]!);
  const fullRef = fullJ();
  assertClose(obj.loss(full).loss, fullRef, 1e-13, 'J without a mask');
  n.params.zeroGrad();
  obj.gradient(full);
  assert.ok(relativeError(n.params.grad, numericGradient(n.params.data, fullJ)) < 1e-7);
  n.params.zeroGrad();
  obj.gradient(batch);
  assertClose(n.params.grad, g, 1e-15, 'the first batch again');
  // p[y] = 0 exactly: −log is clamped at −log 1e−300
  const big = linearNet(6);
  big.params.data.fill(0);
  big.params.view('b_o').set([1000, -1000, 0]);
  const o2 = new MeanPooledObjective(big);
  const one = (label: number): SequenceBatch => ({ T: 1, B: 1, x: { kind: 'index', data: Int32Array.of(0) }, y: { kind: 'index', data: Int32Array.of(label) }, weights: [2] });
  assert.equal(o2.loss(one(1)).loss, -2 * Math.log(1e-300));
  assert.equal(o2.loss(one(0)).loss, 0);
  refuses(() => obj.loss({ ...full, y: { kind: 'dense', data: new Float64Array(24) } }), ShapeError, 'mean pooling needs class ids as targets');
  // loss leaves params.grad alone
  n.params.grad.fill(0);
  obj.loss(batch);
  assert.ok(n.params.grad.every((v) => v === 0));
  // a label given at an earlier real step counts as well: the same J as at the last one
  const early: SequenceBatch = { ...batch, y: { kind: 'index', data: Int32Array.of(2, 0, -1, -1, -1, -1) } };
  assertClose(obj.loss(early).loss, ref, 1e-13, 'the label at step 0');
  // a fresh objective: one sequence first, then three (its buffers grow)
  const grow = new MeanPooledObjective(n);
  const single: SequenceBatch = { T: 1, B: 1, x: { kind: 'index', data: Int32Array.of(2) }, y: { kind: 'index', data: Int32Array.of(0) } };
  assertClose(grow.loss(single).loss, -Math.log(pooledAlone(n, [2])[0]!), 1e-13, 'one sequence');
  assertClose(grow.loss(batch).loss, ref, 1e-13, 'then three');
  n.params.zeroGrad();
  grow.gradient(batch);
  assertClose(n.params.grad, g, 1e-15, 'the gradient after growing');
});

test('MeanPooledObjective: a batch as columns and back', () => {
  const n = linearNet(6);
  const obj = new MeanPooledObjective(n);
  const x = Int32Array.of(0, 2, 1, -1);
  const y = Int32Array.of(-1, 0, 2, -1);
  const mask = Uint8Array.of(1, 1, 1, 0);
  const b: SequenceBatch = { T: 2, B: 2, x: { kind: 'index', data: x }, y: { kind: 'index', data: y }, mask, weights: [0.5, 2], lossAt: 'last' };
  const c = obj.toColumns(b);
  assert.equal(c.B, 2);
  assert.equal(c.flags, 1);
  assert.equal(c.arrays.length, 4);
  assert.deepEqual(c.arrays.slice(0, 3).map((a) => [a.data, a.steps, a.width]), [[x, 2, 1], [y, 2, 1], [mask, 2, 1]]);
  assert.ok(c.arrays[3]!.data instanceof Float64Array);
  assert.deepEqual([[...c.arrays[3]!.data], c.arrays[3]!.steps, c.arrays[3]!.width], [[0.5, 2], 1, 1]);
  const back = obj.fromColumns(c);
  assert.deepEqual(back, { ...b, weights: Float64Array.of(0.5, 2) });
  assert.equal(back.x.data, x);
  assert.equal(back.mask, mask);
  // Float64Array weights pass through; dense x and y take their widths; no mask, no loss placement
  const wf = Float64Array.of(1, 3);
  const xd = new Float64Array(2 * 2 * 3);
  const yd = new Float64Array(2 * 2 * 3);
  const dense: SequenceBatch = { T: 2, B: 2, x: { kind: 'dense', data: xd }, y: { kind: 'dense', data: yd }, weights: wf };
  const dc = obj.toColumns(dense);
  assert.equal(dc.flags, 0);
  assert.equal(dc.arrays[3]!.data, wf);
  assert.deepEqual(dc.arrays.slice(0, 2).map((a) => [a.data, a.steps, a.width]), [[xd, 2, 3], [yd, 2, 3]]);
  assert.deepEqual([[...dc.arrays[2]!.data], dc.arrays[2]!.steps, dc.arrays[2]!.width], [[], 0, 0]);
  const db = obj.fromColumns(dc);
  assert.deepEqual(db, dense);
  assert.ok(!('mask' in db) && !('lossAt' in db));
  assert.equal(db.x.kind, 'dense');
  assert.equal(db.y.kind, 'dense');
  // neither weights nor mask; the loss at every step
  const plain = obj.fromColumns(obj.toColumns({ T: 2, B: 2, x: { kind: 'index', data: x }, y: { kind: 'index', data: y }, lossAt: 'all' }));
  assert.deepEqual(plain, { T: 2, B: 2, x: { kind: 'index', data: x }, y: { kind: 'index', data: y } });
  assert.equal(obj.toColumns({ ...b, lossAt: 'all' }).flags, 0);
  assert.equal(obj.toColumns({ ...b, feedback: 'none' }).flags, 1);
  refuses(() => obj.toColumns({ ...b, feedback: 'argmax' }), ShapeError, 'a mean-pooled batch carries no initial state and no feedback');
  refuses(() => obj.toColumns({ ...b, init: [{ h: new Float64Array(4) }] }), ShapeError, 'a mean-pooled batch carries no initial state and no feedback');
  refuses(() => obj.fromColumns({ ...c, arrays: c.arrays.slice(0, 3) }), ShapeError, 'a mean-pooled batch has 4 column arrays, got 3');
  // a hole in place of any one array (a sparse list) is refused the same way, never read
  for (let k = 0; k < 4; k++) {
    const holed = [...c.arrays] as (typeof c.arrays[number] | undefined)[];
    holed[k] = undefined;
    refuses(() => obj.fromColumns({ ...c, arrays: holed as typeof c.arrays }), ShapeError, 'a mean-pooled batch has 4 column arrays, got 4');
  }
});

const TRAIN: LabelledSequence[] = [
  { input: [0, 1, 2], label: 0 }, { input: [2, 2], label: 1 }, { input: [1], label: 1 }, { input: [0, 0, 1, 2], label: 0 }, { input: [2, 1], label: 1 },
];
const VAL: LabelledSequence[] = [{ input: [0, 2], label: 0 }, { input: [1, 1], label: 1 }];
const OPTS: ClassifierOptions = { classes: 2, inputKind: 'symbols', vocabSize: 3 };

test('classifierSetup: each refusal by its message', () => {
  refuses(() => classifierSetup(TRAIN, VAL, { ...OPTS, classes: 0 }), OptionError, 'classes must be a positive integer, got 0');
  refuses(() => classifierSetup(TRAIN, VAL, { ...OPTS, classes: 1 }), OptionError, 'classes must be at least 2');
  refuses(() => classifierSetup(TRAIN.slice(0, 1), VAL, OPTS), OptionError, 'classification needs at least 2 training items, got 1; give more labelled data');
  refuses(() => classifierSetup([TRAIN[0]!, { input: [1], label: 2 }], VAL, OPTS), ShapeError, 'training item 1 has label 2, outside [0, 2)');
  refuses(() => classifierSetup([TRAIN[0]!, { input: [1], label: -1 }], VAL, OPTS), ShapeError, 'training item 1 has label -1, outside [0, 2)');
  refuses(() => classifierSetup([TRAIN[0]!, { input: [1], label: 0.5 }], VAL, OPTS), ShapeError, 'training item 1 has label 0.5, outside [0, 2)');
  refuses(() => classifierSetup(TRAIN, [VAL[0]!, { input: [1], label: 2 }], OPTS), ShapeError, 'validation item 1 has label 2, outside [0, 2)');
  refuses(() => classifierSetup(TRAIN, [{ input: [1], label: -1 }], OPTS), ShapeError, 'validation item 0 has label -1, outside [0, 2)');
  refuses(() => classifierSetup(TRAIN, [{ input: [1], label: 1.5 }], OPTS), ShapeError, 'validation item 0 has label 1.5, outside [0, 2)');
  refuses(() => classifierSetup(TRAIN, VAL, { ...OPTS, inputKind: 'words' as 'symbols' }), OptionError, 'inputKind must be one of symbols, features, got "words"');
  refuses(() => classifierSetup(TRAIN, VAL, { classes: 2, inputKind: 'symbols', featureSize: 3 }), OptionError, 'vocabSize must be a positive integer, got undefined');
  refuses(() => classifierSetup(TRAIN, VAL, { classes: 2, inputKind: 'features', vocabSize: 3 }), OptionError, 'featureSize must be a positive integer, got undefined');
  refuses(() => classifierSetup(TRAIN, VAL, { ...OPTS, pooling: 'max' as 'mean' }), OptionError, 'pooling must be one of last, mean, got "max"');
  refuses(() => classifierSetup(TRAIN, VAL, { ...OPTS, cell: 'tcn' as 'rnn' }), OptionError, 'cell must be one of rnn, lstm, gru, got "tcn"');
  refuses(() => classifierSetup(TRAIN, VAL, { ...OPTS, classWeights: [1] }), ShapeError, 'classWeights has 1 entries, expected one per class (2)');
  refuses(() => classifierSetup(TRAIN, VAL, { ...OPTS, batchSize: 0 }), OptionError, 'batchSize must be a positive integer, got 0');
  const other = new SequenceClassifier(symbolNet(2, 3), 'symbols', 3, []);
  refuses(() => classifierSetup(TRAIN, VAL, { ...OPTS, model: other }), OptionError, 'the classifier to continue has 3 classes and input width 3, but the data has 2 and 3');
  const wide = new SequenceClassifier(new Network({ inputSize: 4, hiddenSize: 2, outputSize: 2, loss: 'cross-entropy' }), 'symbols', 2, []);
  refuses(() => classifierSetup(TRAIN, VAL, { ...OPTS, model: wide }), OptionError, 'the classifier to continue has 2 classes and input width 4, but the data has 2 and 3');
  refuses(() => classifierSetup([{ input: [[1, 2]], label: 0 }, { input: [[1, 2], [3]], label: 1 }], [], { classes: 2, inputKind: 'features', featureSize: 2 }), ShapeError, 'every step must be a vector of 2 features');
  refuses(() => classifierSetup([{ input: [[1, 2]], label: 0 }, { input: [1, 2], label: 1 }], [], { classes: 2, inputKind: 'features', featureSize: 2 }), ShapeError, 'every step must be a vector of 2 features');
  // the edges that pass: labels 0 and C − 1, two items, no validation
  assert.equal(classifierSetup([{ input: [0], label: 0 }, { input: [1], label: 1 }], [{ input: [2], label: 1 }, { input: [2], label: 0 }], OPTS).train.set.pairs.length, 2);
});

test('classifierSetup: the network, the statistics, the sources and fit\'s defaults', () => {
  const s = classifierSetup(TRAIN, VAL, OPTS);
  const c = s.classifier;
  assert.equal(s.net, c.net);
  const cfg = c.net.config;
  assert.deepEqual([cfg.cell, cfg.inputSize, cfg.hiddenSize, cfg.outputSize, cfg.layers, cfg.loss, cfg.outputActivation, cfg.dtype],
    ['rnn', 3, 32, 2, 1, 'cross-entropy', 'softmax', 'float32']);
  assert.deepEqual([...c.net.params.data], [...new Network({ inputSize: 3, hiddenSize: 32, outputSize: 2, loss: 'cross-entropy', seed: 1 }).params.data]);
  assert.deepEqual([c.inputKind, c.classes, c.pooling], ['symbols', 2, 'last']);
  assert.deepEqual(c.featureStats, []);
  assert.deepEqual(c.info.classNames, ['0', '1']);
  // sources: B = min(32, 5); validation in order, with the training B
  assert.deepEqual([s.train.B, s.train.shuffle, s.train.set.pairs.length, s.train.set.inputSize, s.train.set.outputSize, s.train.set.targets], [5, true, 5, 3, 2, 'last']);
  assert.deepEqual([...s.train.set.pairs[3]!.input], [0, 0, 1, 2]);
  assert.deepEqual([...s.train.set.pairs[3]!.target], [0]);
  assert.deepEqual([s.validation!.B, s.validation!.shuffle, s.validation!.set.pairs.length], [2, false, 2]);
  assert.deepEqual([...s.validation!.set.pairs[1]!.input], [1, 1]);
  assert.equal(s.train.batch(0, 'float32').batch.weights, undefined);
  assert.deepEqual(s.defaults, { optimizer: { kind: 'adam' }, learningRate: 0.005, clipNorm: 5, epochs: 20, seed: 2, restoreBest: true, divergence: { baseline: Math.log(2) } });
  // no validation: no source, no restoreBest
  const nv = classifierSetup(TRAIN, [], { ...OPTS, classes: 3, seed: 8 });
  assert.equal(nv.validation, null);
  assert.deepEqual(nv.defaults, { optimizer: { kind: 'adam' }, learningRate: 0.005, clipNorm: 5, epochs: 20, seed: 9, divergence: { baseline: Math.log(3) } });

  // every option
  const info = { classNames: ['no', 'yes'], input: { kind: 'symbols' as const, symbols: ['a', 'b', 'c'] } };
  const o = classifierSetup(TRAIN, VAL, { ...OPTS, cell: 'lstm', hiddenSize: 2, layers: 2, dtype: 'float64', seed: 4, batchSize: 2, classWeights: [0.25, 4], info });
  const oc = o.classifier.net.config;
  assert.deepEqual([oc.cell, oc.hiddenSize, oc.layers, oc.dtype], ['lstm', 2, 2, 'float64']);
  assert.deepEqual([...o.classifier.net.params.data], [...new Network({ cell: 'lstm', inputSize: 3, hiddenSize: 2, outputSize: 2, layers: 2, loss: 'cross-entropy', dtype: 'float64', seed: 4 }).params.data]);
  assert.equal(o.classifier.info, info);
  assert.deepEqual([o.train.B, o.validation!.B, o.defaults.seed], [2, 2, 5]);
  // each pair's class weight as its loss weight (labels 0, 1 | 1, 0 | 1 in order)
  assert.deepEqual(Array.from(o.train.batch(0, 'float64').batch.weights!), [0.25, 4]);
  assert.deepEqual(Array.from(o.train.batch(1, 'float64').batch.weights!), [4, 0.25]);
  assert.equal(o.validation!.batch(0, 'float64').batch.weights, undefined);

  // mean pooling: a linear output and squared-error config, no network for DataParallel
  const m = classifierSetup(TRAIN, VAL, { ...OPTS, pooling: 'mean' });
  assert.equal(m.net, null);
  assert.equal(m.classifier.pooling, 'mean');
  assert.deepEqual([m.classifier.net.config.loss, m.classifier.net.config.outputActivation], ['mse', 'linear']);
  assert.deepEqual([...m.classifier.net.params.data], [...new Network({ inputSize: 3, hiddenSize: 32, outputSize: 2, loss: 'mse', outputActivation: 'linear', seed: 1 }).params.data]);

  // features: per-feature mean and sd over every step of the training items (sd 0 → 1)
  const feats: LabelledSequence[] = [{ input: [[1, 5], [3, 5]], label: 0 }, { input: [[5, 5]], label: 1 }];
  const fs = classifierSetup(feats, [], { classes: 2, inputKind: 'features', featureSize: 2 });
  const st = fs.classifier.featureStats;
  assert.equal(st.length, 2);
  assertClose([st[0]!.mean, st[0]!.sd, st[1]!.mean, st[1]!.sd], [3, Math.sqrt(8 / 3), 5, 1], 1e-15, 'feature statistics');
  assert.deepEqual(fs.classifier.info.input, { kind: 'features', names: ['f0', 'f1'] });
  assertClose(fs.train.set.pairs[0]!.input, [-2 / Math.sqrt(8 / 3), 0, 0, 0], 1e-15, 'the first pair, scaled');
  // a small but real spread keeps its sd
  const small = classifierSetup([{ input: [[0]], label: 0 }, { input: [[1e-6]], label: 1 }], [], { classes: 2, inputKind: 'features', featureSize: 1 });
  assertClose(small.classifier.featureStats[0]!.sd, 5e-7, 1e-18, 'sd 5e−7');
  // sd of ±1e−12 is exactly 1e−12 (mean 0, √(1e−24)): not above the floor, so 1
  const floor = classifierSetup([{ input: [[1e-12]], label: 0 }, { input: [[-1e-12]], label: 1 }], [], { classes: 2, inputKind: 'features', featureSize: 1 });
  assert.deepEqual(floor.classifier.featureStats, [{ mean: 0, sd: 1 }]);
});

test('classifierSetup with a classifier to continue: kept, its info replaced only when given', () => {
  const first = classifierSetup(TRAIN, VAL, { ...OPTS, hiddenSize: 2, dtype: 'float64' }).classifier;
  const info0 = first.info;
  const again = classifierSetup(TRAIN, VAL, { ...OPTS, model: first, hiddenSize: 7, pooling: 'mean', cell: 'gru' });
  assert.equal(again.classifier, first);
  assert.equal(again.net, first.net);
  assert.equal(first.info, info0);
  const info = { classNames: ['x', 'y'], input: { kind: 'symbols' as const, symbols: ['a', 'b', 'c'] } };
  classifierSetup(TRAIN, VAL, { ...OPTS, model: first, info });
  assert.equal(first.info, info);
});

test('run, trainClassifier, classWeightedGradient: fit with the defaults, the validation part and the options given', async () => {
  const opts: ClassifierOptions = { ...OPTS, hiddenSize: 2, dtype: 'float64', seed: 3, batchSize: 2, classWeights: [0.5, 2] };
  const s = classifierSetup(TRAIN, VAL, opts);
  const fresh = [...s.classifier.net.params.data];
  const r = await s.run({ epochs: 2 });
  assert.equal(r.classifier, s.classifier);
  assert.equal(r.result.epoch, 2);
  assert.equal(typeof r.result.bestValidationLoss, 'number');
  assert.equal(r.result.restoredBest, true);
  const twin = classifierSetup(TRAIN, VAL, opts);
  await fit(twin.classifier.net, twin.train, { ...twin.defaults, validation: twin.validation!, epochs: 2 });
  assert.deepEqual([...s.classifier.net.params.data], [...twin.classifier.net.params.data]);
  assert.notDeepEqual([...s.classifier.net.params.data], fresh);
  const t = await trainClassifier(TRAIN, VAL, { ...opts, fit: { epochs: 2 } });
  assert.deepEqual([...t.classifier.net.params.data], [...s.classifier.net.params.data]);
  // without validation
  const nv = await classifierSetup(TRAIN, [], opts).run({ epochs: 1 });
  assert.equal(nv.result.bestValidationLoss, undefined);

  // mean pooling trains its own objective
  const mo: ClassifierOptions = { ...opts, pooling: 'mean' };
  const m = await classifierSetup(TRAIN, VAL, mo).run({ epochs: 2 });
  const mt = classifierSetup(TRAIN, VAL, mo);
  await fit(new MeanPooledObjective(mt.classifier.net), mt.train, { ...mt.defaults, validation: mt.validation!, epochs: 2 });
  assert.deepEqual([...m.classifier.net.params.data], [...mt.classifier.net.params.data]);
  assert.equal(typeof m.result.bestValidationLoss, 'number');

  // Σ_i w_{y_i}·∇J_i, with params.grad set (not added to)
  const clf = s.classifier;
  const net = clf.net;
  const expected = new Float64Array(net.params.size);
  let J = 0;
  for (const it of TRAIN) {
    net.params.zeroGrad();
    J += [0.5, 2][it.label]! * net.gradient(clf.batch([it], true)).loss;
    for (let i = 0; i < expected.length; i++) expected[i]! += [0.5, 2][it.label]! * net.params.grad[i]!;
  }
  net.params.grad.fill(9);
  const g = classWeightedGradient(clf, TRAIN, [0.5, 2]);
  assert.equal(g.count, 5);
  assertClose(g.loss, J, 1e-12, 'weighted J');
  assertClose(net.params.grad, expected, 1e-12, 'weighted gradient');
});
