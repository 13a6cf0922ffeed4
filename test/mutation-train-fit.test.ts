/**
 * fit's bookkeeping on a model whose every number is known by hand: a
 * quadratic Trainable of two parameter sets, J = Σᵢ (θᵢ − cᵢ)², so
 * ∂J/∂θ = 2(θ − c). Its batches say how many real sequences they hold, so
 * the reduction, the common clipping factor of several sets, clipping by
 * value, the schedule, the step and epoch records, the divergence messages
 * (each quantity, each place), the watch, validation bookkeeping and every
 * refusal of the options are checked against exact values. Small and fast
 * for `npm run mutate -- train`.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionError, ShapeError, TrainingError } from '../src/core/errors.js';
import { ParamSet } from '../src/core/params.js';
import { Rng } from '../src/core/rng.js';
import type { BackwardOptions } from '../src/cells/cell.js';
import type { BatchSource, LoadedBatch } from '../src/data/source.js';
import { BatchList } from '../src/data/list.js';
import { Network } from '../src/model/network.js';
import { fit, uniformLoss } from '../src/train/fit.js';
import type { FitOptions } from '../src/train/fit-types.js';
import { createOptimizer } from '../src/train/optimizers.js';
import type { Trainable } from '../src/train/trainable.js';
import { assertClose } from './helpers/approx.js';

/** A batch of the quadratic model: the centre c (5 values), the count J is divided by, and how many real sequences it stands for. */
interface QBatch {
  readonly c: readonly number[];
  readonly count: number;
}

/** J = Σᵢ (θᵢ − cᵢ)² over θ = [a (1×2), b (3×1)]; `poison` makes call k (1-based) of `gradient` return a bad value. */
class Quad implements Trainable<QBatch> {
  readonly paramSets: ParamSet[];
  readonly dtype = 'float64' as const;
  calls = 0;
  received: BackwardOptions[] = [];
  poison: { call: number; what: 'loss' | 'grad' | 'grads' } | null = null;

  constructor(theta: readonly number[] = [0, 0, 0, 0, 0]) {
    this.paramSets = [
      new ParamSet([{ name: 'p.a', rows: 1, cols: 2, init: 'zeros' }], 'float64'),
      new ParamSet([{ name: 'q.b', rows: 3, cols: 1, init: 'zeros' }], 'float64'),
    ];
    this.theta = theta;
  }

  get theta(): number[] {
    return [...this.paramSets[0]!.data, ...this.paramSets[1]!.data];
  }

  set theta(v: readonly number[]) {
    this.paramSets[0]!.data.set(v.slice(0, 2));
    this.paramSets[1]!.data.set(v.slice(2));
  }

  gradient(batch: QBatch, options: BackwardOptions = {}): { loss: number; count: number } {
    this.calls++;
    this.received.push(options);
    const theta = this.theta;
    let J = 0;
    theta.forEach((t, i) => {
      J += (t - batch.c[i]!) ** 2;
      const [set, k] = i < 2 ? [this.paramSets[0]!, i] : [this.paramSets[1]!, i - 2];
      set.grad[k]! += 2 * (t - batch.c[i]!);
    });
    if (this.poison?.call === this.calls) {
      if (this.poison.what === 'loss') J = Infinity;
      if (this.poison.what !== 'loss') this.paramSets[1]!.grad[1] = NaN; // b[1][0]
      if (this.poison.what === 'grads') this.paramSets[0]!.grad[1] = -Infinity; // a[0][1]
    }
    return { loss: J, count: batch.count };
  }

  loss(batch: QBatch): { loss: number; count: number } {
    return { loss: this.theta.reduce((s, t, i) => s + (t - batch.c[i]!) ** 2, 0), count: batch.count };
  }
}

/** Fixed batches, in order; each with its number of real sequences and steps. */
class QSource implements BatchSource<QBatch> {
  readonly B = 4;
  readonly stateful: boolean;
  readonly inputSize = 0;
  readonly outputSize = 0;
  readonly draws: number[] = [];
  constructor(readonly list: readonly { c: readonly number[]; count?: number; sequences?: number; steps?: number; extra?: object }[], stateful = false) {
    this.stateful = stateful;
  }
  get batchesPerEpoch(): number {
    return this.list.length;
  }
  beginEpoch(rng: Rng | null): void {
    if (rng) this.draws.push(rng.uniform(0, 1));
  }
  batch(i: number): LoadedBatch<QBatch> {
    const b = this.list[i]!;
    return { batch: { c: b.c, count: b.count ?? 5, ...b.extra }, sequences: b.sequences ?? 1, steps: b.steps ?? 10 };
  }
}

const C = [1, 2, 3, 4, 5];

test('one step by hand: the mean over the real sequences, a common clipping factor over both sets, then clipping by value', async () => {
  // θ = 0, c = [1..5]: g = −2c = [−2, −4, −6, −8, −10]; 2 real sequences → g/2 = −c, ‖g/2‖ = √55; J = 55, count 5
  const one = async (options: FitOptions<QBatch>, sequences = 2): Promise<{ theta: number[]; rec: { loss: number; rmse: number; gradNorm: number; learningRate: number } }> => {
    const m = new Quad();
    const r = await fit(m, new QSource([{ c: C, sequences }]), { optimizer: { kind: 'sgd' }, learningRate: 0.1, maxSteps: 1, ...options });
    assert.equal(r.step, 1);
    return { theta: m.theta, rec: r.history.steps[0]! };
  };
  const mean = await one({});
  assertClose(mean.theta, C.map((c) => 0.1 * c), 1e-15, 'mean: θ = η·c');
  assertClose(mean.rec.gradNorm, Math.sqrt(55), 1e-14, 'the norm after the mean');
  assert.equal(mean.rec.loss, 11);
  assert.equal(mean.rec.rmse, Math.sqrt(11));
  assert.equal(mean.rec.learningRate, 0.1);
  assertClose((await one({ reduction: 'sum' })).theta, C.map((c) => 0.2 * c), 1e-15, 'sum: θ = 2η·c');
  assertClose((await one({}, 1)).theta, C.map((c) => 0.2 * c), 1e-15, 'one real sequence: nothing divided');
  assertClose((await one({}, 4)).theta, C.map((c) => 0.05 * c), 1e-15, 'four real sequences');
  // clipNorm 1: g ← g/‖g‖ over both sets together: θ = η·c/√55
  const clipped = await one({ clipNorm: 1 });
  assertClose(clipped.theta, C.map((c) => (0.1 * c) / Math.sqrt(55)), 1e-15, 'clipNorm over both sets');
  assertClose(clipped.rec.gradNorm, Math.sqrt(55), 1e-14, 'the norm before clipping');
  assertClose((await one({ clipNorm: Math.sqrt(55) })).theta, C.map((c) => 0.1 * c), 1e-15, 'a limit equal to the norm: unchanged');
  assertClose((await one({ clipNorm: 100 })).theta, C.map((c) => 0.1 * c), 1e-15, 'a limit above the norm: unchanged');
  // clipValue 2.5: −c clamped to [−2.5, 2.5] → θ = η·[1, 2, 2.5, 2.5, 2.5]
  assertClose((await one({ clipValue: 2.5 })).theta, [0.1, 0.2, 0.25, 0.25, 0.25], 1e-15, 'clipValue');
  // both: by norm first (to 3: −c·3/√55, max 15/√55 ≈ 2.02), then by value 1.5
  const both = C.map((c) => Math.min((c * 3) / Math.sqrt(55), 1.5) * 0.1);
  assertClose((await one({ clipNorm: 3, clipValue: 1.5 })).theta, both, 1e-15, 'clipNorm then clipValue');
});

test('the step and epoch records, the schedule across epochs, the default optimizer and learning rate', async () => {
  const m = new Quad();
  const src = new QSource([{ c: C, sequences: 1, steps: 7 }, { c: [0, 0, 0, 0, 0], count: 2, sequences: 1, steps: 3 }]);
  const epochs: { loss: number; rmse: number; step: number; epoch: number }[] = [];
  const r = await fit(m, src, {
    optimizer: { kind: 'sgd' }, learningRate: 0.1, epochs: 2, schedule: { kind: 'step', every: 1, gamma: 0.5, warmup: 1 },
    onEpoch: (e) => void epochs.push({ loss: e.loss, rmse: e.rmse, step: e.step, epoch: e.epoch }),
  });
  assert.equal(r.stopReason, 'epochs');
  assert.equal(r.step, 4);
  assert.equal(r.epoch, 2);
  // η: warm-up 1 → 0.1; then 0.1·0.5^(s−1): 0.1, 0.05, 0.025
  assert.deepEqual(r.history.steps.map((s) => [s.step, s.epoch, s.batch, s.learningRate]), [[1, 0, 0, 0.1], [2, 0, 1, 0.1], [3, 1, 0, 0.05], [4, 1, 1, 0.025]]);
  // by hand: θ1 = 0.2c; step 2 (c = 0, count 2): J = 0.04·55 = 2.2, θ2 = θ1 − 0.1·2θ1 = 0.8θ1 = 0.16c
  assertClose(r.history.steps[0]!.loss, 11, 1e-14, 'J/count of step 1');
  assertClose(r.history.steps[1]!.loss, 2.2 / 2, 1e-14, 'J/count of step 2');
  // epoch 0: (55 + 2.2) / (5 + 2)
  assertClose(epochs[0]!.loss, 57.2 / 7, 1e-14, 'epoch loss = ΣJ / Σcount');
  assertClose(epochs[0]!.rmse, Math.sqrt(57.2 / 7), 1e-14, 'epoch rmse');
  assert.deepEqual(epochs.map((e) => [e.epoch, e.step]), [[0, 2], [1, 4]]);
  // throughput: steps per record are 7 and 3 tokens for one sequence
  for (const s of r.history.steps) assertClose(s.tokensPerSec / s.samplesPerSec, s.batch === 0 ? 7 : 3, 1e-9, 'tokens per sequence');
  const e0 = r.history.epochs[0]!;
  assertClose(e0.tokensPerSec / e0.samplesPerSec, 10 / 2, 1e-9, 'epoch tokens per sequence');
  // defaults: Adam with η = 1e−3, one epoch
  const d = await fit(new Quad(), new QSource([{ c: C }, { c: C }]));
  assert.equal(d.optimizer.kind, 'adam');
  assert.equal(d.stopReason, 'epochs');
  assert.equal(d.step, 2);
  assert.deepEqual(d.history.steps.map((s) => s.learningRate), [1e-3, 1e-3]);
  // an Optimizer object is used as it is
  const opt = createOptimizer({ kind: 'momentum' }, 5, 'float64');
  const o = await fit(new Quad(), new QSource([{ c: C }]), { optimizer: opt, maxSteps: 1 });
  assert.equal(o.optimizer, opt);
  assert.equal(opt.steps, 1);
});

test('limits: maxSteps or a time limit alone lift the one-epoch default; the seed or rng given draws the data order', async () => {
  const ms = await fit(new Quad(), new QSource([{ c: C }, { c: C }]), { maxSteps: 5 });
  assert.equal(ms.stopReason, 'maxSteps');
  assert.equal(ms.step, 5);
  const controller = new AbortController();
  const tl = await fit(new Quad(), new QSource([{ c: C }, { c: C }]), {
    timeLimitMs: 1e9, signal: controller.signal, onStep: (s) => { if (s.step === 5) controller.abort(); },
  });
  assert.equal(tl.stopReason, 'aborted');
  assert.equal(tl.step, 5);
  // the data order's generator: seed 1 by default, the seed given, or the Rng given
  const draw = async (options: FitOptions<QBatch>): Promise<number[]> => {
    const src = new QSource([{ c: C }]);
    await fit(new Quad(), src, { epochs: 2, ...options });
    return src.draws;
  };
  const first = (seed: number): number[] => {
    const rng = new Rng(seed);
    return [rng.uniform(0, 1), rng.uniform(0, 1)];
  };
  assert.deepEqual(await draw({}), first(1));
  assert.deepEqual(await draw({ seed: 5 }), first(5));
  assert.deepEqual(await draw({ rng: new Rng(6), seed: 5 }), first(6));
  // the backward options reach the model's gradient
  const q = new Quad();
  await fit(q, new QSource([{ c: C }]), { truncate: 3, gradientMode: 'lecture' });
  assert.deepEqual(q.received, [{ truncate: 3, gradientMode: 'lecture' }]);
  const q2 = new Quad();
  await fit(q2, new QSource([{ c: C }]), {});
  assert.deepEqual(q2.received, [{}]);
});

test('yieldEveryMs 0: fit gives the event loop a turn after every step (an abort queued before it lands after step 1)', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 0);
  const r = await fit(new Quad(), new QSource([{ c: C }, { c: C }]), { maxSteps: 1000, signal: controller.signal, yieldEveryMs: 0 });
  assert.equal(r.stopReason, 'aborted');
  assert.equal(r.step, 1);
});

const HINT_NO_CLIP = 'clip the gradient (clipNorm: 1)';

test('divergence messages: the gradient (one set, two sets), the loss with finite parameters, the update; step, epoch, batch and η', async () => {
  const two = new QSource([{ c: C }, { c: C }]);
  const run = (m: Quad, options: FitOptions<QBatch> = {}): Promise<unknown> =>
    fit(m, two, { optimizer: { kind: 'sgd' }, learningRate: 0.01, epochs: 5, schedule: { kind: 'step', every: 1, gamma: 0.5 }, ...options });
  const rejects = async (m: Quad, options: FitOptions<QBatch>, message: string): Promise<void> => {
    await assert.rejects(run(m, options), (e: unknown) => {
      assert.ok(e instanceof TrainingError, String(e));
      assert.equal(e.message, message);
      return true;
    });
  };
  // call 4 = step 4 = epoch 1, batch 1; η of the step before (s = 2) = 0.01·0.25
  const g = new Quad();
  g.poison = { call: 4, what: 'grad' };
  await rejects(g, {}, `training diverged at step 4 (epoch 1, batch 1): the gradient norm is NaN; ∂J/∂q.b[1][0] is NaN (1 non-finite value). Lower the learning rate (last 0.0025) or ${HINT_NO_CLIP}.`);
  const gg = new Quad();
  gg.poison = { call: 1, what: 'grads' };
  await rejects(gg, { clipNorm: 5 }, 'training diverged at step 1 (epoch 0, batch 0): the gradient norm is NaN; ∂J/∂p.a[0][1] is -Infinity (1 non-finite value). Lower the learning rate (last 0.01) or a smaller clipNorm (now 5).');
  // the loss overflows with every parameter finite: the largest |θ| is named (the first of two equal ones)
  const l = new Quad([0.5, 9, 1, -9, 2]);
  l.poison = { call: 1, what: 'loss' };
  await rejects(l, {}, `training diverged at step 1 (epoch 0, batch 0): the loss is Infinity; every parameter is finite, but the largest |θ| is p.a[0][1] = 9.000e+0: the weights grew until the loss overflowed. Lower the learning rate (last 0.01) or ${HINT_NO_CLIP}.`);
  // after step 1: b[1] = −12 − 0.01·2·(−12 − 4) = −11.68
  const l2 = new Quad([0.5, 9, 1, -12, 2]);
  l2.poison = { call: 2, what: 'loss' };
  await rejects(l2, {}, `training diverged at step 2 (epoch 0, batch 1): the loss is Infinity; every parameter is finite, but the largest |θ| is q.b[1][0] = -1.168e+1: the weights grew until the loss overflowed. Lower the learning rate (last 0.01) or ${HINT_NO_CLIP}.`);
  // the update overflows: θ = 0 − 1e308·(−2c) = +Infinity everywhere
  await assert.rejects(fit(new Quad(), two, { optimizer: { kind: 'sgd' }, learningRate: 1e308 }), (e: unknown) => e instanceof TrainingError &&
    e.message === `training diverged at step 1 (epoch 0, batch 0): the parameter update is Infinity; parameter p.a[0][0] is Infinity (2 non-finite values). Lower the learning rate (last 1e+308) or ${HINT_NO_CLIP}.`);
});

test('divergence of a loss with finite parameters: a batch of sequences holding NaN or Infinity is named as such', async () => {
  // (a Network refuses such a batch before its pass; a Trainable's batch of the same shape reaches fit's check)
  const dense = (...v: number[]) => ({ kind: 'dense', data: Float64Array.from(v) });
  const symbols = { kind: 'symbols', index: Int32Array.of(0) };
  const message = async (extra: object): Promise<string> => {
    const m = new Quad([0, 3, 0, 0, 0]);
    m.poison = { call: 1, what: 'loss' };
    try {
      await fit(m, new QSource([{ c: C, extra: { T: 1, ...extra } }]), { optimizer: { kind: 'sgd' }, learningRate: 0.1 });
    } catch (e) {
      assert.ok(e instanceof TrainingError);
      return e.message;
    }
    assert.fail('no TrainingError');
  };
  const named = `training diverged at step 1 (epoch 0, batch 0): the loss is Infinity; the batch's inputs or targets hold NaN or Infinity: clean the data. Lower the learning rate (last 0.1) or ${HINT_NO_CLIP}.`;
  assert.equal(await message({ x: dense(0.5, NaN), y: dense(1) }), named);
  assert.equal(await message({ x: symbols, y: dense(1, -Infinity) }), named);
  assert.equal(await message({ x: dense(0.5, NaN), y: symbols }), named);
  const clean = 'the loss is Infinity; every parameter is finite, but the largest |θ| is p.a[0][1] = 3.000e+0';
  assert.match(await message({ x: dense(0.5, 2), y: dense(1) }), new RegExp(clean.replace(/[[\]|().+]/g, '\\$&')));
  assert.match(await message({ x: symbols, y: symbols }), /every parameter is finite/);
  assert.match(await message({ y: dense(NaN) }), /every parameter is finite/, 'without x it is not a batch of sequences');
});

test('the divergence watch: the last good θ, the diagnosis, and the training-loss blocks', async () => {
  // a NaN gradient at step 3, watching every step: stops "diverged", θ back to after step 2, no throw
  const m = new Quad();
  m.poison = { call: 3, what: 'grad' };
  const thetas: number[][] = [];
  const r = await fit(m, new QSource([{ c: C }]), {
    optimizer: { kind: 'sgd' }, learningRate: 0.1, epochs: 10, divergence: { every: 1 }, onStep: () => void thetas.push(m.theta),
  });
  assert.equal(r.stopReason, 'diverged');
  assert.equal(r.step, 2);
  assert.equal(r.epoch, 2);
  assert.deepEqual(m.theta, thetas[1]);
  assert.match(r.diagnosis!, /^training diverged at step 3 \(epoch 2, batch 0\): the gradient norm is NaN; ∂J\/∂q\.b\[1\]\[0\] is NaN/);
  assert.equal(r.state.step, 2);
  // a baseline below every loss: "learned nothing" after `patience` blocks of `every` updates; the message whole
  const s = new Quad();
  const stuck = await fit(s, new QSource([{ c: C }]), {
    optimizer: { kind: 'sgd' }, learningRate: 0.01, epochs: 50, clipNorm: 2, divergence: { baseline: 0.5, patience: 2, every: 3 },
  });
  assert.equal(stuck.stopReason, 'diverged');
  assert.equal(stuck.step, 0, 'back to the start: no evaluation was good');
  assert.equal(stuck.history.steps.length, 6);
  // the mean J/count of steps 4–6 (the second block), by hand: each sgd step with clipNorm 2 moves θ by 0.02 towards c along c/√55
  const u = C.map((c) => c / Math.sqrt(55));
  const lossAt = (k: number): number => C.reduce((acc, c, i) => acc + (0.02 * k * u[i]! - c) ** 2, 0) / 5;
  const block = (lossAt(3) + lossAt(4) + lossAt(5)) / 3;
  assert.equal(stuck.diagnosis, `training learned nothing: the training loss stayed above 0.5, the loss of a model that learned nothing, for 2 evaluations in a row (last ${Number(block.toPrecision(4))} at step 6). Lower the learning rate (last 0.01) or check that the inputs carry information about the targets.`);
  assert.deepEqual(s.theta, [0, 0, 0, 0, 0]);
  // without clipping the hint says to clip
  const t = await fit(new Quad(), new QSource([{ c: C }]), { optimizer: { kind: 'sgd' }, learningRate: 0.01, epochs: 50, divergence: { baseline: 0.5, patience: 1, every: 2 } });
  assert.match(t.diagnosis!, /for 1 evaluations in a row \(last [\d.]+ at step 2\)\. Lower the learning rate \(last 0\.01\), clip the gradient \(clipNorm: 1\) or check/);
  // a NaN loss under the watch: its own diagnosis, with the clipNorm hint
  const n = new Quad();
  n.poison = { call: 2, what: 'loss' };
  const nan = await fit(n, new QSource([{ c: C }]), { optimizer: { kind: 'sgd' }, learningRate: 0.01, epochs: 5, clipNorm: 4, divergence: {} });
  assert.equal(nan.stopReason, 'diverged');
  assert.match(nan.diagnosis!, /^training diverged at step 2 \(epoch 1, batch 0\): the loss is Infinity; .* or a smaller clipNorm \(now 4\)\.$/);
  assert.equal(uniformLoss(4), Math.log(4));
  assert.throws(() => uniformLoss(0), /K must be a positive integer/);
});

test('validation: minDelta, patience, the "validation" tolerance rule, validateEvery mid-epoch, and the bounded validation history', async () => {
  // validation centre c: each sgd step (η = 0.1, sum) moves θ 20 % of the way to c, so the validation loss falls by a factor 0.64 a step
  const val = new QSource([{ c: C }]);
  const losses: number[] = [];
  const r = await fit(new Quad(), new QSource([{ c: C }]), {
    optimizer: { kind: 'sgd' }, learningRate: 0.1, reduction: 'sum', maxSteps: 40, validation: val, validateEvery: 1, patience: 2,
    minDelta: 0.5, onValidation: (v) => void losses.push(v.loss),
  });
  // losses 11·0.64^k: 7.04, 4.5056, 2.8836, 1.8455, 1.1811, 0.7559, 0.4838, … improvements under 0.5 from the 6th on
  assertClose(losses.slice(0, 3), [7.04, 4.5056, 2.883584], 1e-12, 'validation losses');
  assert.equal(r.stopReason, 'earlyStopping');
  // best = 1.1811 at step 5 (improves 0.664 > 0.5); 0.7559 improves by 0.425 < 0.5: bad 1; 0.4838 vs 1.1811: 0.697 > 0.5, best again; ...
  const best = [11];
  let bad = 0;
  let stopAt = 0;
  for (let k = 0; k < losses.length; k++) {
    if (losses[k]! < best[0]! - 0.5) { best[0] = losses[k]!; bad = 0; } else if (++bad >= 2) { stopAt = k + 1; break; }
  }
  assert.equal(r.step, stopAt);
  assert.equal(r.bestValidationLoss, best[0]);
  // the "validation" tolerance rule: stops once the validation RMSE changes by less than 0.1
  const tol = await fit(new Quad(), new QSource([{ c: C }, { c: C }]), {
    optimizer: { kind: 'sgd' }, learningRate: 0.1, reduction: 'sum', maxSteps: 100, validation: val, validateEvery: 1, tolerance: 0.1, toleranceOn: 'validation',
  });
  assert.equal(tol.stopReason, 'tolerance');
  const rmse = tol.history.validations.map((v) => v.rmse);
  const k = rmse.findIndex((x, i) => i > 0 && Math.abs(x - rmse[i - 1]!) < 0.1);
  assert.equal(tol.step, k + 1, 'the first change under the tolerance stops');
  assert.equal(tol.history.validations.length, k + 1);
  // a stop found by the validation after an epoch's last batch finishes that epoch (its record); mid-epoch it does not
  const end = await fit(new Quad(), new QSource([{ c: C }, { c: C }]), {
    optimizer: { kind: 'sgd' }, learningRate: 0.1, reduction: 'sum', epochs: 10, validation: val, validateEvery: 2, tolerance: 1e9, toleranceOn: 'validation',
  });
  assert.equal(end.stopReason, 'tolerance');
  assert.equal(end.step, 4, 'the second validation (step 4) stops: the first sets the previous RMSE');
  assert.equal(end.history.epochs.length, 2, 'the epoch of that last batch is finished');
  const mid = await fit(new Quad(), new QSource([{ c: C }, { c: C }, { c: C }]), {
    optimizer: { kind: 'sgd' }, learningRate: 0.1, reduction: 'sum', epochs: 10, validation: val, validateEvery: 2, tolerance: 1e9, toleranceOn: 'validation',
  });
  assert.equal(mid.step, 4);
  assert.equal(mid.history.epochs.length, 1, 'stopped mid-epoch 1: no record for it');
  // the validation history is halved past historyLimit, like the training one
  const h = await fit(new Quad(), new QSource([{ c: C }]), { optimizer: { kind: 'sgd' }, learningRate: 1e-4, maxSteps: 20, validation: val, validateEvery: 1, historyLimit: 16 });
  assert.deepEqual(h.lossHistory.validation.map(([s]) => s), [1, 3, 5, 7, 9, 11, 13, 15, 17, 18, 19, 20]);
  assert.equal(h.history.validations.length, 20, 'the full validation records stay');
});

test('resume: the state carries the loss history, the best point, the bookkeeping; bad resumes are refused by name', async () => {
  const val = new QSource([{ c: [0, 0, 0, 0, 0] }]);
  const opts = { optimizer: { kind: 'adam' as const }, learningRate: 0.3, validation: val, restoreBest: true, validateEvery: 1, historyLimit: 16 };
  const straight = new Quad([1, 1, 1, 1, 1]);
  const a = await fit(straight, new QSource([{ c: C }, { c: C.map((c) => -c) }]), { ...opts, maxSteps: 30 });
  const first = new Quad([1, 1, 1, 1, 1]);
  const b = await fit(first, new QSource([{ c: C }, { c: C.map((c) => -c) }]), { ...opts, maxSteps: 13 });
  const second = new Quad(first.theta);
  const c = await fit(second, new QSource([{ c: C }, { c: C.map((c) => -c) }]), { ...opts, maxSteps: 30, resume: b.state });
  assert.deepEqual(second.theta, straight.theta);
  assert.deepEqual(c.lossHistory, a.lossHistory);
  assert.deepEqual(c.state, a.state);
  assert.equal(c.bestValidationLoss, a.bestValidationLoss);
  const bad = async (resume: unknown, pattern: RegExp, type: typeof OptionError | typeof ShapeError = OptionError): Promise<void> => {
    await assert.rejects(fit(new Quad(), new QSource([{ c: C }]), { ...opts, maxSteps: 30, resume: resume as never }), (e: unknown) => e instanceof type && pattern.test(e.message), String(pattern));
  };
  await bad({ ...b.state, step: -1 }, /^resume\.step must be a non-negative integer, got -1$/);
  await bad({ ...b.state, step: 2.5 }, /^resume\.step must be a non-negative integer, got 2\.5$/);
  await bad({ ...b.state, params: [new Float64Array(2)] }, /^resume\.params holds 1 arrays, expected one per parameter set \(2\)$/);
  await bad({ ...b.state, best: { ...b.state.best!, params: [new Float64Array(2), new Float64Array(4)] } }, /^resume\.best\.params\[1\] holds 4 values, expected 3$/, ShapeError);
});

test('every refusal of fit\'s options, message whole', async () => {
  const refuse = async (options: unknown, message: string, model: Quad | Network = new Quad(), data: BatchSource<never> = new QSource([{ c: C }]) as never): Promise<void> => {
    await assert.rejects(fit(model as never, data, options as never), (e: unknown) => (e instanceof OptionError || e instanceof ShapeError) && e.message === message, message);
  };
  await refuse({ lr: 1 }, `unknown fit option "lr"; known options: optimizer, learningRate, schedule, clipNorm, clipValue, reduction, truncate, gradientMode, epochs, maxSteps, timeLimitMs, signal, validation, validateEvery, patience, minDelta, tolerance, toleranceOn, onStep, onEpoch, onValidation, rng, seed, resume, yieldEveryMs, parallel, restoreBest, divergence, historyLimit`);
  await refuse({ learningRate: 0 }, 'learningRate must be greater than 0, got 0');
  await refuse({ learningRate: -1 }, 'learningRate must be a number in [0, Infinity], got -1');
  await refuse({ clipNorm: 0 }, 'clipNorm must be greater than 0, got 0');
  await refuse({ clipValue: 0 }, 'clipValue must be greater than 0, got 0');
  await refuse({ timeLimitMs: 0 }, 'timeLimitMs must be greater than 0, got 0');
  await refuse({ schedule: { kind: 'cosine' } }, 'cosine schedule horizon must be a positive integer, got undefined');
  await refuse({ toleranceOn: 'batch' }, 'toleranceOn must be one of epoch, step, validation, got "batch"');
  const needs = 'patience, validateEvery and toleranceOn "validation" need validation data (options.validation)';
  await refuse({ patience: 2 }, needs);
  await refuse({ validateEvery: 2 }, needs);
  await refuse({ tolerance: 0.1, toleranceOn: 'validation' }, needs);
  await refuse({ truncate: 0 }, 'truncate must be a positive integer, got 0');
  await refuse({ restoreBest: 1 }, 'restoreBest must be true or false');
  await refuse({ restoreBest: true }, 'restoreBest needs validation data (options.validation)');
  await refuse({ divergence: { limit: 3 } }, 'unknown divergence option "limit"; known options: baseline, patience, every');
  await refuse({ divergence: { baseline: NaN } }, 'divergence.baseline must be a finite number, got NaN');
  await refuse({ divergence: { patience: 0 } }, 'divergence.patience must be a positive integer, got 0');
  await refuse({ divergence: { every: 1.5 } }, 'divergence.every must be a positive integer, got 1.5');
  await refuse({ historyLimit: 15 }, 'historyLimit must be at least 16, got 15');
  await refuse({ historyLimit: 0 }, 'historyLimit must be a positive integer, got 0');
  await refuse({ reduction: 'avg' }, 'reduction must be one of mean, sum, got "avg"');
  await refuse({ gradientMode: 'approx' }, 'gradientMode must be one of exact, lecture, got "approx"');
  await refuse({ epochs: 0 }, 'epochs must be a positive integer, got 0');
  await refuse({ maxSteps: 0 }, 'maxSteps must be a positive integer, got 0');
  const val = new QSource([{ c: C }]);
  await refuse({ validation: val, validateEvery: 0 }, 'validateEvery must be a positive integer, got 0');
  await refuse({ validation: val, patience: 0 }, 'patience must be a positive integer, got 0');
  await refuse({ minDelta: -1 }, 'minDelta must be a number in [0, Infinity], got -1');
  await refuse({ tolerance: -1 }, 'tolerance must be a number in [0, Infinity], got -1');
  await refuse({ yieldEveryMs: -1 }, 'yieldEveryMs must be a number in [0, Infinity], got -1');
  await refuse({ optimizer: createOptimizer({ kind: 'sgd' }, 4, 'float64') }, 'the optimizer covers 4 parameters, but the network has 5; create it with createOptimizer(options, net.params.size, dtype)');
  // a Trainable: no parameter sets, another model's parallel, a stateful source
  const empty = Object.assign(new Quad(), { paramSets: [] });
  await refuse({}, 'the model to train has no parameter sets', empty);
  const other = new Quad();
  await refuse({ parallel: { sets: other.paramSets } }, 'parallel was made for another model: create it with the model being trained');
  await refuse({ parallel: { sets: [new Quad().paramSets[0]] } }, 'parallel was made for another model: create it with the model being trained');
  await refuse({}, 'a stateful source (stream windows) needs a Network, which carries the state', new Quad(), new QSource([{ c: C }], true) as never);
  await refuse({ validation: new QSource([{ c: C }], true) }, 'a stateful source (stream windows) needs a Network, which carries the state');
  // a Network: sizes of the data and of the validation data, another network's parallel
  const net = new Network({ inputSize: 2, hiddenSize: 3, outputSize: 1, dtype: 'float64', seed: 1 });
  const fits = new BatchList([{ T: 1, B: 1, x: { kind: 'dense', data: Float64Array.of(1, 2) }, y: { kind: 'dense', data: Float64Array.of(1) } }], { inputSize: 2, outputSize: 1 });
  const wrong = new BatchList([{ T: 1, B: 1, x: { kind: 'dense', data: Float64Array.of(1, 2, 3) }, y: { kind: 'dense', data: Float64Array.of(1) } }], { inputSize: 3, outputSize: 1 });
  await refuse({}, 'the data has inputSize 3 and outputSize 1, but the network has D = 2 and K = 1', net, wrong as never);
  await refuse({ validation: wrong }, 'the validation data has inputSize 3 and outputSize 1, but the network has D = 2 and K = 1', net, fits as never);
  await refuse({ parallel: { net: new Network({ inputSize: 2, hiddenSize: 3, outputSize: 1, dtype: 'float64', seed: 1 }) } }, 'parallel was made for another network: create it with the network being trained', net, fits as never);
});
