/**
 * How fit stops, at the edges: the "step" and "epoch" tolerance rules with
 * a tolerance of 0 on a loss that never changes (no stop), an early stop
 * mid-epoch that leaves no turn to the event loop (an abort queued for that
 * turn does not replace it), a diverged validation at an epoch's end (no
 * epoch record), a validation history halved at an odd limit (no holes),
 * a Network's refusals of data and validation data whose output size
 * is wrong, next to a `parallel` made for it (accepted); a Trainable's
 * `parallel` (its own sets: accepted; a set missing or another model's:
 * refused); and the largest |θ| at the first element of a parameter that
 * is not the first. Small and fast for
 * `npm run mutate -- train` (docs/testing.md, `src/train`).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionError, ShapeError, TrainingError } from '../src/core/errors.js';
import { ParamSet } from '../src/core/params.js';
import type { Rng } from '../src/core/rng.js';
import { BatchList } from '../src/data/list.js';
import type { BatchSource, LoadedBatch } from '../src/data/source.js';
import { Network, type SequenceBatch } from '../src/model/network.js';
import { fit } from '../src/train/fit.js';
import type { FitOptions } from '../src/train/fit-types.js';
import type { Trainable } from '../src/train/trainable.js';

/** J = 1 with a zero gradient (count 1): every loss and RMSE is 1, θ never moves; the validation loss is `validationLoss`. */
class Flat implements Trainable<unknown> {
  readonly paramSets = [new ParamSet([{ name: 'w', rows: 1, cols: 2, init: 'zeros' }], 'float64')];
  readonly dtype = 'float64' as const;
  constructor(readonly validationLoss = 1) {}
  gradient(): { loss: number; count: number } {
    return { loss: 1, count: 1 };
  }
  loss(): { loss: number; count: number } {
    return { loss: this.validationLoss, count: 1 };
  }
}

class Source implements BatchSource<unknown> {
  readonly B = 1;
  readonly stateful = false;
  readonly inputSize = 0;
  readonly outputSize = 0;
  constructor(readonly batchesPerEpoch: number) {}
  beginEpoch(_rng: Rng | null): void {}
  batch(): LoadedBatch<unknown> {
    return { batch: {}, sequences: 1, steps: 1 };
  }
}

const sgd = (options: FitOptions<unknown>): FitOptions<unknown> => ({ optimizer: { kind: 'sgd' }, learningRate: 0.01, ...options });

test('a tolerance of 0 never stops on an RMSE that does not change: |1 − 1| < 0 is false, by step and by epoch', async () => {
  const s = await fit(new Flat(), new Source(2), sgd({ maxSteps: 5, tolerance: 0, toleranceOn: 'step' }));
  assert.deepEqual([s.stopReason, s.step], ['maxSteps', 5]);
  const e = await fit(new Flat(), new Source(2), sgd({ epochs: 4, tolerance: 0, toleranceOn: 'epoch' }));
  assert.deepEqual([e.stopReason, e.step, e.history.epochs.length], ['epochs', 8, 4]);
});

test('validation leaves the "step" tolerance rule alone: the validation RMSE is not its previous RMSE', async () => {
  // the training RMSE is 1 at every step; a tolerance of 0 never stops on it. The validation RMSE (√0.5, the same every
  // time) would stop the run at the second validation if the "validation" rule ran, or fed its RMSE to the "step" rule
  const r = await fit(new Flat(0.5), new Source(2), sgd({ maxSteps: 4, tolerance: 0.1, toleranceOn: 'step', validation: new Source(1), validateEvery: 1 }));
  assert.deepEqual([r.stopReason, r.step, r.history.validations.length], ['tolerance', 1, 1]);
  const e = await fit(new Flat(0.5), new Source(2), sgd({ epochs: 2, tolerance: 1e-9, toleranceOn: 'epoch', validation: new Source(1), validateEvery: 1 }));
  assert.deepEqual([e.stopReason, e.step, e.state.previousRmse], ['tolerance', 4, 1]);
});

test('an early stop mid-epoch returns at once: an abort queued for the next turn to the event loop does not replace it', async () => {
  const controller = new AbortController();
  const r = await fit(new Flat(), new Source(5), sgd({
    epochs: 3, validation: new Source(1), validateEvery: 1, patience: 1, yieldEveryMs: 0, signal: controller.signal,
    onStep: (s) => { if (s.step === 2) setTimeout(() => controller.abort(), 0); },
  }));
  assert.deepEqual([r.stopReason, r.step], ['earlyStopping', 2]);
});

test('a validation at an epoch\'s end that the watch finds diverged: no epoch record, no onEpoch', async () => {
  const epochs: number[] = [];
  const r = await fit(new Flat(Infinity), new Source(2), sgd({ epochs: 3, validation: new Source(1), divergence: {}, onEpoch: (e) => void epochs.push(e.epoch) }));
  assert.deepEqual([r.stopReason, r.history.validations.length, r.history.epochs.length, epochs.length], ['diverged', 1, 0, 0]);
  assert.equal(r.diagnosis, 'training diverged at step 2: the validation loss is Infinity. Lower the learning rate (last 0.01) or clip the gradient (clipNorm: 1).');
});

test('the validation history halved past an odd limit (17): every other point kept, none empty; 17 points kept whole', async () => {
  const r = await fit(new Flat(), new Source(1), sgd({ maxSteps: 20, validation: new Source(1), validateEvery: 1, historyLimit: 17 }));
  // 18 points → 0, 2, …, 16 kept: steps 1, 3, …, 17; then 19 and 20
  assert.deepEqual(r.lossHistory.validation.map(([s]) => s), [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 20]);
  assert.ok(r.lossHistory.validation.every(([, l]) => l === 1));
  // exactly `historyLimit` points: none dropped yet
  const full = await fit(new Flat(), new Source(1), sgd({ maxSteps: 17, validation: new Source(1), validateEvery: 1, historyLimit: 17 }));
  assert.deepEqual(full.lossHistory.validation.map(([s]) => s), Array.from({ length: 17 }, (_, i) => i + 1));
});

test('a Network: data or validation data with the wrong output size is refused; a parallel made for this network is used', async () => {
  const net = new Network({ inputSize: 2, hiddenSize: 3, outputSize: 1, dtype: 'float64', seed: 1 });
  const batch = (K: number): SequenceBatch => ({ T: 1, B: 1, x: { kind: 'dense', data: Float64Array.of(0.5, -1) }, y: { kind: 'dense', data: new Float64Array(K).fill(0.25) } });
  const right = new BatchList([batch(1)], { inputSize: 2, outputSize: 1 });
  const wrong = new BatchList([batch(2)], { inputSize: 2, outputSize: 2 });
  const refused = (e: unknown, message: string): boolean => e instanceof ShapeError && e.message === message;
  await assert.rejects(fit(net, wrong), (e) => refused(e, 'the data has inputSize 2 and outputSize 2, but the network has D = 2 and K = 1'));
  await assert.rejects(fit(net, right, { validation: wrong }),
    (e) => refused(e, 'the validation data has inputSize 2 and outputSize 2, but the network has D = 2 and K = 1'));
  const calls: number[] = [];
  const parallel = { net, gradient: (b: SequenceBatch, o: object) => { calls.push(b.B); return net.gradient(b, o); } };
  const r = await fit(net, right, { parallel: parallel as never, maxSteps: 1 });
  assert.deepEqual([r.step, calls], [1, [1]]);
});

test('a Trainable\'s parallel: made with its own sets it is used; a set missing, or one of another model, is refused', async () => {
  const sets = [new ParamSet([{ name: 'u', rows: 1, cols: 1, init: 'zeros' }], 'float64'), new ParamSet([{ name: 'v', rows: 1, cols: 2, init: 'zeros' }], 'float64')];
  const calls: unknown[] = [];
  const model: Trainable<unknown> = { paramSets: sets, dtype: 'float64', gradient: () => ({ loss: 1, count: 1 }), loss: () => ({ loss: 1, count: 1 }) };
  const parallel = { sets, gradient: (b: unknown) => { calls.push(b); return { loss: 2, count: 1 }; } };
  const r = await fit(model, new Source(1), sgd({ parallel: parallel as never }));
  assert.deepEqual([r.step, calls.length, r.history.steps[0]!.loss], [1, 1, 2]);
  const other = new ParamSet([{ name: 'v', rows: 1, cols: 2, init: 'zeros' }], 'float64');
  for (const wrong of [[sets[0]!], [sets[0]!, other], [other, sets[1]!]]) {
    await assert.rejects(fit(model, new Source(1), sgd({ parallel: { ...parallel, sets: wrong } as never })),
      (e: unknown) => e instanceof OptionError && e.message === 'parallel was made for another model: create it with the model being trained');
  }
});

test('a loss that overflows with finite θ: the largest |θ| at the first element of the second parameter is named there', async () => {
  const set = new ParamSet([{ name: 'a', rows: 1, cols: 2, init: 'zeros' }, { name: 'b', rows: 2, cols: 1, init: 'zeros' }], 'float64');
  set.data.set([1, -2, -7, 3]); // b[0][0] = −7 sits at index 2, where b starts and a ends
  const model: Trainable<unknown> = { paramSets: [set], dtype: 'float64', gradient: () => ({ loss: Infinity, count: 1 }), loss: () => ({ loss: 1, count: 1 }) };
  await assert.rejects(fit(model, new Source(1), sgd({})), (e: unknown) => e instanceof TrainingError && e.message ===
    'training diverged at step 1 (epoch 0, batch 0): the loss is Infinity; every parameter is finite, but the largest |θ| is b[0][0] = -7.000e+0: the weights grew until the loss overflowed. Lower the learning rate (last 0.01) or clip the gradient (clipNorm: 1).');
});
