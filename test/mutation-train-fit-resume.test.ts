/**
 * What fit's state records and what a resume reads back, field by field,
 * and the edges of validation and of the divergence watch: a loss exactly
 * at the baseline, a validation loss that does not change (no improvement,
 * no stop by a tolerance of 0), the learning rate a watch diagnosis names
 * under a schedule, and a validation loss that overflows. The model is a
 * quadratic of two values whose validation loss can be fixed, so every
 * number is known by hand. Small and fast for `npm run mutate -- train`
 * (docs/testing.md, `src/train`).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParamSet } from '../src/core/params.js';
import type { Rng } from '../src/core/rng.js';
import type { BatchSource, LoadedBatch } from '../src/data/source.js';
import { fit } from '../src/train/fit.js';
import { Quad, type QuadBatch } from './helpers/quad.js';
import type { FitOptions } from '../src/train/fit-types.js';
import { createOptimizer, type Optimizer } from '../src/train/optimizers.js';
import type { Trainable } from '../src/train/trainable.js';

/** A batch of {@link Quad}: its centre c, a fixed loss, or a spoiled gradient. */
type Batch = QuadBatch;

class Source implements BatchSource<Batch> {
  readonly B = 1;
  readonly stateful = false;
  readonly inputSize = 0;
  readonly outputSize = 0;
  constructor(readonly list: readonly Batch[]) {}
  get batchesPerEpoch(): number {
    return this.list.length;
  }
  beginEpoch(_rng: Rng | null): void {}
  batch(i: number): LoadedBatch<Batch> {
    return { batch: this.list[i]!, sequences: 1, steps: 1 };
  }
}

const train = (): Source => new Source([{}, {}]);
const sgd = (options: FitOptions<Batch> = {}): FitOptions<Batch> => ({ optimizer: { kind: 'sgd' }, learningRate: 0.01, ...options });

test('resume: step 0 is a step; the parameters saved with a restored best are where training goes on', async () => {
  const first = await fit(new Quad(), train(), sgd({ maxSteps: 1 }));
  const zero = await fit(new Quad(), train(), sgd({ maxSteps: 1, resume: { ...first.state, step: 0 } }));
  assert.equal(zero.step, 1);
  // best at step 1 (validation centre 0: θ moves away from it); stopped at step 2 the model holds θ1, the state θ2
  const straight = new Quad();
  await fit(straight, train(), sgd({ maxSteps: 3 }));
  const m = new Quad();
  const a = await fit(m, train(), sgd({ maxSteps: 2, validation: new Source([{ c: [0, 0] }]), validateEvery: 1, restoreBest: true }));
  assert.equal(a.restoredBest, true);
  assert.notDeepEqual(m.theta, Array.from(a.state.params![0]!));
  await fit(m, train(), sgd({ maxSteps: 3, resume: a.state }));
  assert.deepEqual(m.theta, straight.theta, 'resumed from θ2, not from the best θ1 the model held');
});

test('the state holds exactly the bookkeeping there is: best validation loss, previous RMSE, the watch counters', async () => {
  const plain = await fit(new Quad(), train(), sgd({ maxSteps: 3 }));
  for (const key of ['bestValidationLoss', 'previousRmse', 'best', 'params', 'badEvaluations', 'blockLoss', 'blockCount']) assert.ok(!(key in plain.state), key);
  assert.equal(plain.state.badValidations, 0);
  // validation without restoreBest and without a tolerance: the best loss, no best parameters, no previous RMSE
  const v = await fit(new Quad(), train(), sgd({ maxSteps: 3, validation: new Source([{ c: [1, 2] }]), validateEvery: 1 }));
  assert.equal(v.state.bestValidationLoss, v.bestValidationLoss);
  assert.equal(v.bestValidationLoss, v.history.validations[2]!.loss);
  assert.ok(!('best' in v.state) && !('previousRmse' in v.state));
  // the "step" tolerance rule: the previous RMSE is the last step's
  const t = await fit(new Quad(), train(), sgd({ maxSteps: 3, tolerance: 1e-12, toleranceOn: 'step' }));
  assert.equal(t.state.previousRmse, t.history.steps[2]!.rmse);
  // the watch: blocks of 2 updates above a tiny baseline; after step 3: one bad block, step 3 alone in the next
  const w = await fit(new Quad(), train(), sgd({ maxSteps: 3, divergence: { baseline: 1e-9, patience: 5, every: 2 } }));
  assert.equal(w.state.badEvaluations, 1);
  assert.equal(w.state.blockLoss, 2 * w.history.steps[2]!.loss);
  assert.equal(w.state.blockCount, 2);
});

test('validation: an unchanged loss is no improvement (patience runs out), and a tolerance of 0 never stops on it', async () => {
  const same = new Source([{ fixed: 0.5 }]);
  const p = await fit(new Quad(), train(), sgd({ epochs: 10, validation: same, validateEvery: 1, patience: 2 }));
  assert.deepEqual([p.stopReason, p.step, p.bestValidationLoss], ['earlyStopping', 3, 0.5]);
  const t = await fit(new Quad(), train(), sgd({ maxSteps: 4, validation: same, validateEvery: 1, tolerance: 0, toleranceOn: 'validation' }));
  assert.deepEqual([t.stopReason, t.step], ['maxSteps', 4]);
});

test('the divergence watch: a loss equal to the baseline is good; the η it names follows the schedule; a validation loss that overflows', async () => {
  const at = await fit(new Quad(), train(), sgd({ maxSteps: 4, validation: new Source([{ fixed: 0.5 }]), validateEvery: 1, divergence: { baseline: 0.5, patience: 1 } }));
  assert.deepEqual([at.stopReason, at.step], ['maxSteps', 4]);
  // every step a block above the baseline, patience 2: stops at step 2, naming η of update 2 (index 1): 0.01·0.5
  const s = await fit(new Quad(), train(), sgd({ epochs: 5, schedule: { kind: 'step', every: 1, gamma: 0.5 }, divergence: { baseline: 1e-9, patience: 2, every: 1 } }));
  assert.equal(s.step, 0);
  assert.match(s.diagnosis!, /\(last [\d.]+ at step 2\)\. Lower the learning rate \(last 0\.005\), clip the gradient/);
  const inf = new Source([{ fixed: Infinity }]);
  const a = await fit(new Quad(), train(), sgd({ epochs: 5, validation: inf, validateEvery: 1, divergence: {} }));
  assert.equal(a.stopReason, 'diverged');
  assert.equal(a.diagnosis, 'training diverged at step 1: the validation loss is Infinity. Lower the learning rate (last 0.01) or clip the gradient (clipNorm: 1).');
  const b = await fit(new Quad(), train(), sgd({ epochs: 5, clipNorm: 2, schedule: { kind: 'step', every: 1, gamma: 0.5 }, validation: inf, validateEvery: 2, divergence: {} }));
  assert.equal(b.diagnosis, 'training diverged at step 2: the validation loss is Infinity. Lower the learning rate (last 0.005) or the clipNorm (now 2).');
});

test('the last good point keeps its own copy of the best parameters, though a later validation improved on them', async () => {
  // resumed with a best of loss 10⁶ at θ = (7, 8); the validation at step 1 improves on it but stays above the baseline
  // (no new good point), and step 2's gradient is NaN: back to the start, whose best is still (7, 8)
  const first = await fit(new Quad(), train(), sgd({ maxSteps: 1 }));
  const resume = { ...first.state, step: 0, best: { step: 0, loss: 1e6, params: [Float64Array.of(7, 8)] } };
  const r = await fit(new Quad(), new Source([{}, { nan: true }]), sgd({
    epochs: 3, resume, validation: new Source([{ c: [10, 10] }]), validateEvery: 1, restoreBest: true, divergence: { baseline: 1e-3, patience: 3 },
  }));
  assert.deepEqual([r.stopReason, r.step, r.history.validations.length], ['diverged', 0, 1]);
  assert.ok(r.history.validations[0]!.loss < 1e6);
  assert.deepEqual(r.state.best, { step: 0, loss: 1e6, params: [Float64Array.of(7, 8)] });
});

test('an Optimizer given to fit: one parameter set goes through update, several through updateParts', async () => {
  const spy = (size: number): { opt: Optimizer; calls: string[] } => {
    const opt = createOptimizer({ kind: 'sgd' }, size, 'float64');
    const calls: string[] = [];
    const update = opt.update.bind(opt);
    const updateParts = opt.updateParts.bind(opt);
    let inside = false; // update itself goes through updateParts: record the call fit made
    opt.update = (theta, grad, lr) => { calls.push('update'); inside = true; try { update(theta, grad, lr); } finally { inside = false; } };
    opt.updateParts = (parts, lr) => { if (!inside) calls.push('updateParts'); updateParts(parts, lr); };
    return { opt, calls };
  };
  const one = spy(2);
  await fit(new Quad(), train(), { optimizer: one.opt, learningRate: 0.01 });
  assert.deepEqual(one.calls, ['update', 'update']);
  const two = spy(3);
  const model: Trainable<Batch> = {
    paramSets: [new ParamSet([{ name: 'u', rows: 1, cols: 1, init: 'zeros' }], 'float64'), new ParamSet([{ name: 'v', rows: 1, cols: 2, init: 'zeros' }], 'float64')],
    dtype: 'float64', gradient: () => ({ loss: 1, count: 1 }), loss: () => ({ loss: 1, count: 1 }),
  };
  await fit(model, train(), { optimizer: two.opt, learningRate: 0.01 });
  assert.deepEqual(two.calls, ['updateParts', 'updateParts']);
});
