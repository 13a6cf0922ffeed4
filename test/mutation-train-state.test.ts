/**
 * The pieces around fit: a FitState in and out of a checkpoint's fields
 * (every field, −0, a NaN loss, each refusal by name), the state carried
 * between stream windows and the validation loss (StateCarry, evaluate,
 * evaluateTrainable), and the lecture's gradientDescent (the mean
 * reduction, several batches, the step limit, a non-finite RMSE).
 * Small and fast for `npm run mutate -- train`.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FormatError, OptionError, ShapeError, TrainingError } from '../src/core/errors.js';
import { ParamSet } from '../src/core/params.js';
import type { Checkpoint } from '../src/io/checkpoint.js';
import { BatchList } from '../src/data/list.js';
import { StreamBatches, symbolStream } from '../src/data/windows.js';
import { Network, type SequenceBatch } from '../src/model/network.js';
import { StateCarry, evaluate, evaluateTrainable } from '../src/train/evaluate.js';
import { fitStateFromCheckpoint, fitStateToCheckpoint } from '../src/train/fit-state.js';
import type { FitState } from '../src/train/fit-types.js';
import { gradientDescent } from '../src/train/gradient-descent.js';
import { createOptimizer } from '../src/train/optimizers.js';
import { isShardable, type Trainable } from '../src/train/trainable.js';
import { assertClose } from './helpers/approx.js';

const optimizer = createOptimizer({ kind: 'sgd' }, 2, 'float64').getState();

test('fitStateToCheckpoint → JSON → fitStateFromCheckpoint keeps every field, −0 and the loss history with a NaN', () => {
  const state: FitState = {
    step: 7, rngState: [1, 2, 3, 4], optimizer,
    carry: [{ h: Float64Array.of(-0, 0.25), c: Float64Array.of(1.5, -2) }, { h: Float64Array.of(3, -0) }],
    epochLoss: 12.5, epochCount: 9, bestValidationLoss: 0.75, badValidations: 2, previousRmse: 0.5,
    badEvaluations: 1, blockLoss: 4.25, blockCount: 3,
    lossHistory: { train: [[2, 1.5], [4, NaN]], validation: [[4, 0.5]], stride: 2 },
  };
  const fields = fitStateToCheckpoint(state);
  assert.equal(fields.step, 7);
  assert.deepEqual(fields.rngState, [1, 2, 3, 4]);
  assert.equal(fields.optimizer, optimizer);
  assert.deepEqual(fields.extra.fit.carry, [{ h: ['-0', 0.25], c: [1.5, -2] }, { h: [3, '-0'] }]);
  const json = JSON.parse(JSON.stringify(fields)) as typeof fields;
  assert.deepEqual(json.extra.fit.lossHistory, { train: [[2, 1.5], [4, null]], validation: [[4, 0.5]], stride: 2 });
  const back = fitStateFromCheckpoint({ networks: {}, ...json, optimizer } as Checkpoint, 'float64');
  assert.deepEqual(back, { ...state, optimizer });
  assert.ok(Object.is(back.carry![0]!.h[0], -0) && Object.is(back.carry![1]!.h[1], -0), '−0 survives');
  assert.ok(back.carry![0]!.h instanceof Float64Array);
  assert.ok(fitStateFromCheckpoint({ networks: {}, ...json } as Checkpoint, 'float32').carry![0]!.c instanceof Float32Array);
  // the loss history is copied, not shared
  assert.notEqual(fields.extra.fit.lossHistory!.train[0], state.lossHistory!.train[0]);
  // non-finite bookkeeping (no best yet: Infinity; no previous RMSE: NaN) is left out, and absent fields stay absent
  const bare = fitStateToCheckpoint({ step: 0, rngState: [1], optimizer, bestValidationLoss: Infinity, previousRmse: NaN, epochLoss: -Infinity });
  assert.deepEqual(JSON.parse(JSON.stringify(bare.extra)), { fit: {} });
  const read = fitStateFromCheckpoint({ networks: {}, step: 0, rngState: [1], optimizer, extra: bare.extra } as Checkpoint, 'float64');
  assert.deepEqual(read, { step: 0, rngState: [1], optimizer, carry: undefined, epochLoss: undefined, epochCount: undefined, bestValidationLoss: undefined,
    badValidations: undefined, previousRmse: undefined, badEvaluations: undefined, blockLoss: undefined, blockCount: undefined });
  assert.ok(!('lossHistory' in read));
  // a checkpoint without extra (or without extra.fit) holds just the step, generator and optimizer
  for (const extra of [undefined, null, [], { fit: [] }, { other: 1 }]) {
    assert.equal(fitStateFromCheckpoint({ networks: {}, step: 3, rngState: [1], optimizer, extra } as Checkpoint, 'float64').epochLoss, undefined);
  }
});

test('fitStateFromCheckpoint refuses each bad part by name', () => {
  const base = { networks: {}, step: 3, rngState: [1, 2], optimizer };
  const refuse = (c: object, message: string): void => {
    assert.throws(() => fitStateFromCheckpoint(c as Checkpoint, 'float64'), (e: unknown) => e instanceof FormatError && e.message === message, message);
  };
  const none = 'the checkpoint has no training state (step, rngState and optimizer); it was not saved with fitStateToCheckpoint';
  refuse({ ...base, step: undefined }, none);
  refuse({ ...base, rngState: undefined }, none);
  refuse({ ...base, optimizer: undefined }, none);
  const fit = (f: object): object => ({ ...base, extra: { fit: f } });
  refuse(fit({ epochLoss: 'x' }), 'checkpoint extra.fit.epochLoss must be a finite number');
  refuse(fit({ blockCount: null }), 'checkpoint extra.fit.blockCount must be a finite number');
  refuse(fit({ carry: {} }), 'checkpoint extra.fit.carry must be an array of layer states');
  refuse(fit({ carry: [{ h: [0] }, 3] }), 'checkpoint extra.fit.carry[1] must be an object { h, c? }');
  refuse(fit({ carry: [[0]] }), 'checkpoint extra.fit.carry[0] must be an object { h, c? }');
  refuse(fit({ carry: [{ h: 'x' }] }), 'checkpoint extra.fit.carry[0].h must be an array of numbers');
  refuse(fit({ carry: [{ h: [0, 1], c: [0, null] }] }), 'checkpoint extra.fit.carry[0].c[1] is not a finite number');
  refuse(fit({ carry: [{ h: [0, '+0'] }] }), 'checkpoint extra.fit.carry[0].h[1] is not a finite number');
  refuse(fit({ lossHistory: [] }), 'checkpoint extra.fit.lossHistory must be an object { train, validation, stride }');
  refuse(fit({ lossHistory: null }), 'checkpoint extra.fit.lossHistory must be an object { train, validation, stride }');
  const h = { train: [[1, 0.5]], validation: [], stride: 1 };
  refuse(fit({ lossHistory: { ...h, stride: 0 } }), 'checkpoint extra.fit.lossHistory.stride must be a positive integer');
  refuse(fit({ lossHistory: { ...h, stride: 1.5 } }), 'checkpoint extra.fit.lossHistory.stride must be a positive integer');
  refuse(fit({ lossHistory: { ...h, stride: '2' } }), 'checkpoint extra.fit.lossHistory.stride must be a positive integer');
  refuse(fit({ lossHistory: { ...h, train: {} } }), 'checkpoint extra.fit.lossHistory.train must be an array of [step, loss] pairs');
  refuse(fit({ lossHistory: { ...h, validation: 'x' } }), 'checkpoint extra.fit.lossHistory.validation must be an array of [step, loss] pairs');
  for (const pair of [[1], [1, 2, 3], ['1', 2], [1, '2'], 5]) {
    refuse(fit({ lossHistory: { ...h, train: [[0, 1], pair] } }), 'checkpoint extra.fit.lossHistory.train[1] must be a [step, loss] pair');
  }
  const ok = fitStateFromCheckpoint(fit({ lossHistory: { train: [[1, null]], validation: [[2, 0.5]], stride: 3 } }) as Checkpoint, 'float64');
  assert.deepEqual(ok.lossHistory, { train: [[1, NaN]], validation: [[2, 0.5]], stride: 3 });
});

/** A 2-layer LSTM and a 1-layer RNN over 3 symbols. */
const lstm = (): Network => new Network({ cell: 'lstm', inputSize: 3, hiddenSize: 2, outputSize: 3, layers: 2, loss: 'cross-entropy', dtype: 'float64', seed: 4 });

test('StateCarry: h and C per layer, reset, capture, snapshot copies, restore refuses a wrong shape by name', () => {
  const carry = new StateCarry(lstm(), 3);
  assert.equal(carry.B, 3);
  assert.equal(carry.states.length, 2);
  assert.deepEqual(carry.states.map((s) => [s.h.length, s.c?.length]), [[6, 6], [6, 6]]);
  const rnn = new StateCarry(new Network({ inputSize: 3, hiddenSize: 4, outputSize: 3, dtype: 'float32' }), 2);
  assert.equal(rnn.states[0]!.c, undefined);
  assert.ok(rnn.states[0]!.h instanceof Float32Array && rnn.states[0]!.h.length === 8);
  const now = [0, 1].map((l) => ({ h: Float64Array.from({ length: 6 }, (_, i) => l * 10 + i), c: Float64Array.from({ length: 6 }, (_, i) => -(l * 10 + i)) }));
  carry.capture(now);
  assert.deepEqual(carry.init, now);
  const snap = carry.snapshot();
  carry.reset();
  assert.ok(carry.states.every((s) => s.h.every((v) => v === 0) && s.c!.every((v) => v === 0)), 'reset zeroes h and C');
  assert.deepEqual(snap, now, 'the snapshot is a copy');
  carry.restore(snap);
  assert.deepEqual(carry.states, now);
  assert.throws(() => carry.restore([snap[0]!]), (e: unknown) => e instanceof ShapeError && e.message === 'resume.carry has 1 layer states, expected 2');
  assert.throws(() => carry.restore([snap[0]!, { h: new Float64Array(6) }]), (e: unknown) => e instanceof ShapeError && e.message === 'resume.carry[1] must hold B×H = 6 values for h and for c');
  assert.throws(() => carry.restore([snap[0]!, { h: new Float64Array(5), c: new Float64Array(6) }]), /resume\.carry\[1\] must hold B×H = 6 values for h and for c/);
  assert.throws(() => rnn.restore([{ h: new Float64Array(7) }]), (e: unknown) => e instanceof ShapeError && e.message === 'resume.carry[0] must hold B×H = 8 values for h');
  rnn.restore([{ h: Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8), c: new Float64Array(3) }]);
  assert.deepEqual(Array.from(rnn.states[0]!.h), [1, 2, 3, 4, 5, 6, 7, 8]);
});

test('evaluate: a stateful source from zeros equals one long pass, twice in a row, with or without a carry given', () => {
  const tokens = Int32Array.from({ length: 2 * 9 + 1 }, (_, i) => (i * 5 + 1) % 3);
  const stream = symbolStream(tokens, 3);
  const net = lstm();
  const long = new StreamBatches(stream, { batchSize: 2, seqLen: 9 }).batch(0, 'float64').batch;
  const whole = net.loss(long);
  const windows = new StreamBatches(stream, { batchSize: 2, seqLen: 4 }); // windows of 4, 4, 1
  const a = evaluate(net, windows);
  assert.equal(a.count, whole.count);
  assertClose(a.loss, whole.loss / whole.count, 1e-14, 'windowed = long');
  assert.equal(a.rmse, Math.sqrt(a.loss));
  const carry = new StateCarry(net, 2);
  carry.capture(carry.states.map((s) => ({ h: s.h.map(() => 5), c: s.c!.map(() => 5) })));
  const b = evaluate(net, windows, carry);
  assert.equal(b.loss, a.loss, 'a carry given is reset first');
  assert.equal(evaluate(net, windows).loss, a.loss, 'again: from zeros again');
  // a source that is not stateful: each batch from its own zero state
  const batches: SequenceBatch[] = [0, 1].map((k) => ({
    T: 2, B: 1, x: { kind: 'index', data: Int32Array.of(k, 2) }, y: { kind: 'index', data: Int32Array.of(2, k) },
  }));
  const list = new BatchList(batches, { inputSize: 3, outputSize: 3 });
  const sum = batches.map((bt) => net.loss(bt));
  const e = evaluate(net, list);
  assertClose(e.loss, (sum[0]!.loss + sum[1]!.loss) / 4, 1e-14, 'J/count over two batches');
  assert.equal(e.count, 4);
});

test('evaluateTrainable: J / count over every batch in order', () => {
  const seen: number[] = [];
  const model: Trainable<number> = {
    paramSets: [new ParamSet([{ name: 'w', rows: 1, cols: 1, init: 'zeros' }], 'float64')], dtype: 'float64',
    gradient: () => ({ loss: 0, count: 0 }),
    loss: (b) => { seen.push(b); return { loss: b * b, count: b }; },
  };
  let begun = 0;
  const source = {
    B: 1, batchesPerEpoch: 3, stateful: false, inputSize: 0, outputSize: 0,
    beginEpoch: (rng: unknown) => { assert.equal(rng, null); begun++; },
    batch: (i: number) => ({ batch: i + 1, sequences: 1, steps: 1 }),
  };
  const r = evaluateTrainable(model, source);
  assert.deepEqual(seen, [1, 2, 3]);
  assert.equal(begun, 1);
  assert.deepEqual(r, { loss: 14 / 6, count: 6, rmse: Math.sqrt(14 / 6) });
  const none = evaluateTrainable({ ...model, loss: () => ({ loss: 0, count: 0 }) }, source);
  assert.deepEqual(none, { loss: 0, count: 0, rmse: 0 }, 'no counted outputs: 0, not NaN');
  assert.equal(isShardable(model), false);
  assert.equal(isShardable({ ...model, describe: () => ({ kind: 'seq2seq', options: {} }), toColumns: () => ({ B: 0, arrays: [], flags: 0 }) } as Trainable<number>), false);
  assert.equal(isShardable({ ...model, describe: () => ({ kind: 'seq2seq', options: {} }), toColumns: () => ({ B: 0, arrays: [], flags: 0 }), fromColumns: () => 1 } as Trainable<number>), true);
});

test('gradientDescent: η·Σg (sum) or η·Σg / (sequences over all batches) (mean), the step limit, the first RMSE, refusals', () => {
  const make = (): Network => new Network({ inputSize: 2, hiddenSize: 3, outputSize: 1, dtype: 'float64', seed: 6 });
  const batches: SequenceBatch[] = [
    { T: 2, B: 2, x: { kind: 'dense', data: Float64Array.of(0.5, -1, 0.25, 0.75, 1, 0.5, -0.5, 0) }, y: { kind: 'dense', data: Float64Array.of(0.3, -0.2, 0.1, 0.4) } },
    { T: 1, B: 1, x: { kind: 'dense', data: Float64Array.of(-0.3, 0.8) }, y: { kind: 'dense', data: Float64Array.of(-0.6) } },
  ];
  for (const reduction of ['sum', 'mean'] as const) {
    const net = make();
    const ref = make();
    const r = gradientDescent(net, batches, { learningRate: 0.2, maxSteps: 2, tolerance: 0, reduction, truncate: 1 });
    assert.equal(r.updates, 2);
    assert.equal(r.converged, false);
    assert.equal(r.rmse.length, 3);
    for (let k = 0; k < 2; k++) {
      ref.params.zeroGrad();
      let J = 0;
      let count = 0;
      for (const b of batches) {
        const g = ref.gradient(b, { truncate: 1 });
        J += g.loss;
        count += g.count;
      }
      assert.equal(count, 5);
      assertClose(r.rmse[k]!, Math.sqrt(J / 5), 1e-15, `${reduction} RMSE before update ${k + 1}`);
      const scale = reduction === 'mean' ? 0.2 / 3 : 0.2;
      for (let i = 0; i < ref.params.size; i++) ref.params.data[i]! -= scale * ref.params.grad[i]!;
    }
    assert.deepEqual(net.params.data, ref.params.data, `${reduction}: θ after 2 updates`);
    assertClose(r.rmse[2]!, Math.sqrt((ref.loss(batches[0]!).loss + ref.loss(batches[1]!).loss) / 5), 1e-15, `${reduction}: the last RMSE, at the final θ`);
  }
  // one batch, the default "sum"; the tolerance rule with a huge tolerance stops at the second measurement, before updating
  const one = make();
  const theta0 = Float64Array.from(one.params.data);
  const t = gradientDescent(one, batches[0]!, { learningRate: 0.1, tolerance: 1e9 });
  assert.deepEqual([t.updates, t.converged, t.rmse.length], [1, true, 2]);
  const ref = make();
  ref.params.zeroGrad();
  ref.gradient(batches[0]!);
  for (let i = 0; i < ref.params.size; i++) ref.params.data[i]! -= 0.1 * ref.params.grad[i]!;
  assert.deepEqual(one.params.data, ref.params.data, 'one update of η·g');
  assert.notDeepEqual(one.params.data, theta0);
  // maxSteps 1 with no tolerance: one update and two measurements
  assert.deepEqual(gradientDescent(make(), batches[0]!, { tolerance: 0, maxSteps: 1 }).rmse.length, 2);
  // a huge η: the RMSE becomes non-finite
  assert.throws(() => gradientDescent(make(), batches, { learningRate: 1e300, tolerance: 0, maxSteps: 50 }),
    (e: unknown) => e instanceof TrainingError && /^RMSE became (NaN|Infinity) after \d+ updates; lower the learning rate \(now 1e\+300\)$/.test(e.message));
  assert.throws(() => gradientDescent(make(), batches, { learningRate: 0 }), (e: unknown) => e instanceof OptionError && e.message === 'learningRate must be greater than 0');
  assert.throws(() => gradientDescent(make(), batches, { tolerance: -1 }), /tolerance must be a number in \[0, Infinity\], got -1/);
  assert.throws(() => gradientDescent(make(), batches, { maxSteps: 0 }), /maxSteps must be a positive integer, got 0/);
  // the backward options reach the gradient: the lecture mode moves θ as the lecture gradient says
  const lec = make();
  gradientDescent(lec, batches[0]!, { gradientMode: 'lecture', tolerance: 0, maxSteps: 1 });
  const lref = make();
  lref.params.zeroGrad();
  lref.gradient(batches[0]!, { gradientMode: 'lecture' });
  for (let i = 0; i < lref.params.size; i++) lref.params.data[i]! -= 0.1 * lref.params.grad[i]!;
  assert.deepEqual(lec.params.data, lref.params.data);
  assert.notDeepEqual(lec.params.data, ref.params.data);
});
