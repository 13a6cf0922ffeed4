/**
 * fit's options and divergence messages at the edges the other focused file
 * does not reach: one parameter set of three parameters (the "also" list,
 * the largest |θ| in the last parameter), batches that are not batches of
 * sequences (no y, no T, a number, null), the divergence watch's defaults
 * (a block per epoch without validation; the validation loss alone with
 * it), `toleranceOn: "validation"` without a tolerance, optimizer
 * options that merely hold an `update` key, clipping a gradient whose
 * squared norm overflows or which holds +Infinity alone, the epoch of the
 * last good point, `restoreBest` before any validation, and the keys a
 * result leaves out. Every number by hand; small
 * and fast for `npm run mutate -- train` (docs/testing.md, `src/train`).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionError, TrainingError } from '../src/core/errors.js';
import { ParamSet } from '../src/core/params.js';
import type { Rng } from '../src/core/rng.js';
import type { BatchSource, LoadedBatch } from '../src/data/source.js';
import { fit } from '../src/train/fit.js';
import type { FitOptions } from '../src/train/fit-types.js';
import type { Trainable } from '../src/train/trainable.js';

const C = [1, 2, 3, 4, 5];

/** J = Σᵢ (θᵢ − cᵢ)² over ONE set θ = [a (1×2), b (1×1), c (2×1)]; any batch; `poison` spoils call k of `gradient`. */
class Tri implements Trainable<unknown> {
  readonly paramSets: ParamSet[];
  readonly dtype = 'float64' as const;
  calls = 0;
  poison: { call: number; what: 'loss' | 'grads' } | null = null;

  constructor(theta: readonly number[] = [0, 0, 0, 0, 0]) {
    this.paramSets = [new ParamSet([
      { name: 'a', rows: 1, cols: 2, init: 'zeros' },
      { name: 'b', rows: 1, cols: 1, init: 'zeros' },
      { name: 'c', rows: 2, cols: 1, init: 'zeros' },
    ], 'float64')];
    this.paramSets[0]!.data.set(theta);
  }

  gradient(): { loss: number; count: number } {
    this.calls++;
    const p = this.paramSets[0]!;
    let J = 0;
    p.data.forEach((t, i) => {
      J += (t - C[i]!) ** 2;
      p.grad[i]! += 2 * (t - C[i]!);
    });
    if (this.poison?.call === this.calls) {
      if (this.poison.what === 'loss') J = Infinity;
      else p.grad.set([NaN, 1, -Infinity, 2, NaN]); // a[0][0], b[0][0], c[1][0]
    }
    return { loss: J, count: 5 };
  }

  loss(): { loss: number; count: number } {
    return { loss: Array.from(this.paramSets[0]!.data).reduce((s, t, i) => s + (t - C[i]!) ** 2, 0), count: 5 };
  }
}

/** ∂J/∂θ = the fixed `g` (J = 1 per batch); its sets are given. */
class Fixed implements Trainable<unknown> {
  readonly dtype = 'float64' as const;
  constructor(readonly paramSets: ParamSet[], readonly g: readonly number[][]) {}
  gradient(): { loss: number; count: number } {
    this.paramSets.forEach((p, k) => p.grad.forEach((_, i) => { p.grad[i]! += this.g[k]![i]!; }));
    return { loss: 1, count: 1 };
  }
  loss(): { loss: number; count: number } {
    return { loss: 1, count: 1 };
  }
}

const set = (name: string, n: number): ParamSet => new ParamSet([{ name, rows: 1, cols: n, init: 'zeros' }], 'float64');

/** `n` batches per epoch, each the value given. */
class Source implements BatchSource<unknown> {
  readonly B = 1;
  readonly stateful = false;
  readonly inputSize = 0;
  readonly outputSize = 0;
  constructor(readonly n: number, readonly value: unknown = {}) {}
  get batchesPerEpoch(): number {
    return this.n;
  }
  beginEpoch(_rng: Rng | null): void {}
  batch(): LoadedBatch<unknown> {
    return { batch: this.value, sequences: 1, steps: 1 };
  }
}

const sgd = (options: FitOptions<unknown> = {}): FitOptions<unknown> => ({ optimizer: { kind: 'sgd' }, learningRate: 0.01, ...options });
const HINT = 'Lower the learning rate (last 0.01) or clip the gradient (clipNorm: 1).';

async function message(run: Promise<unknown>): Promise<string> {
  try {
    await run;
  } catch (e) {
    assert.ok(e instanceof TrainingError, String(e));
    return e.message;
  }
  assert.fail('no TrainingError');
}

test('one set of three parameters: the gradient names the first and lists the others; the largest |θ| in the last parameter', async () => {
  const m = new Tri();
  m.poison = { call: 1, what: 'grads' };
  assert.equal(await message(fit(m, new Source(1), sgd())),
    `training diverged at step 1 (epoch 0, batch 0): the gradient norm is NaN; ∂J/∂a[0][0] is NaN (3 non-finite values; also b, c). ${HINT}`);
  const l = new Tri([1, -2, 3, 0.5, -9]);
  l.poison = { call: 1, what: 'loss' };
  assert.equal(await message(fit(l, new Source(1), sgd())),
    `training diverged at step 1 (epoch 0, batch 0): the loss is Infinity; every parameter is finite, but the largest |θ| is c[1][0] = -9.000e+0: the weights grew until the loss overflowed. ${HINT}`);
});

test('a loss that overflows on a batch that is not a batch of sequences: the largest |θ| is named, the batch is not blamed', async () => {
  const dense = (...v: number[]) => ({ kind: 'dense', data: Float64Array.from(v) });
  const named = `training diverged at step 1 (epoch 0, batch 0): the loss is Infinity; every parameter is finite, but the largest |θ| is a[0][1] = 3.000e+0: the weights grew until the loss overflowed. ${HINT}`;
  for (const batch of [{ x: dense(NaN), T: 1 }, { x: dense(NaN), y: dense(1) }, { y: dense(NaN), T: 1 }, 5, null]) {
    const m = new Tri([0, 3, 0, 0, 0]);
    m.poison = { call: 1, what: 'loss' };
    assert.equal(await message(fit(m, new Source(1, batch), sgd())), named, JSON.stringify(batch));
  }
});

test('the divergence watch by default: one training block per epoch without validation; with validation, the validation loss alone', async () => {
  // a baseline under every loss, patience 1: without validation the first block ends after the epoch's 2 batches
  const r = await fit(new Tri(), new Source(2), sgd({ epochs: 10, divergence: { baseline: 0.001, patience: 1 } }));
  assert.equal(r.stopReason, 'diverged');
  assert.equal(r.history.steps.length, 2);
  assert.match(r.diagnosis!, /^training learned nothing: the training loss stayed above 0\.001, .* for 1 evaluations in a row \(last [\d.]+ at step 2\)/);
  // with validation (at each epoch's end) the training blocks are not watched: the validation loss stops it, also at step 2
  const v = await fit(new Tri(), new Source(2), sgd({ epochs: 10, validation: new Source(1), divergence: { baseline: 0.001, patience: 1 } }));
  assert.equal(v.stopReason, 'diverged');
  assert.equal(v.history.validations.length, 1);
  assert.match(v.diagnosis!, /^training learned nothing: the validation loss stayed above 0\.001, .* \(last [\d.]+ at step 2\)/);
  // and with `every` as well, the training blocks are watched too: after step 1
  const e = await fit(new Tri(), new Source(2), sgd({ epochs: 10, validation: new Source(1), divergence: { baseline: 0.001, patience: 1, every: 1 } }));
  assert.match(e.diagnosis!, /^training learned nothing: the training loss .* at step 1\)/);
});

test('options: toleranceOn "validation" without a tolerance needs no validation data; optimizer options with an "update" key are options', async () => {
  const r = await fit(new Tri(), new Source(3), sgd({ toleranceOn: 'validation' }));
  assert.equal(r.stopReason, 'epochs');
  assert.equal(r.step, 3);
  await assert.rejects(fit(new Tri(), new Source(1), { optimizer: { kind: 'sgd', update: 1 } as never }),
    (e: unknown) => e instanceof OptionError && e.message === 'unknown optimizer option "update"; "sgd" takes weightDecay');
});

test('clipping one set whose squared norm overflows, and two sets where one gradient is +Infinity alone', async () => {
  // ‖(3e200, 4e200)‖ = 5e200 although its square overflows (computed as 4e200·‖(0.75, 1)‖); clipNorm 1 gives θ = −η·g/‖g‖ ≈ −η·(0.6, 0.8)
  const one = new Fixed([set('w', 2)], [[3e200, 4e200]]);
  const r = await fit(one, new Source(1), sgd({ clipNorm: 1 }));
  const norm = 4e200 * Math.sqrt((3e200 / 4e200) ** 2 + 1);
  assert.ok(Math.abs(norm / 5e200 - 1) < 1e-15);
  assert.equal(r.history.steps[0]!.gradNorm, norm);
  assert.deepEqual(Array.from(one.paramSets[0]!.data), [-0.01 * (3e200 * (1 / norm)), -0.01 * (4e200 * (1 / norm))]);
  // +Infinity in the second set, finite elsewhere: the norm is Infinity, and the message names the +Infinity as it was (not rescaled to NaN)
  const two = new Fixed([set('u', 2), set('v', 2)], [[1, 2], [Infinity, 3]]);
  assert.equal(await message(fit(two, new Source(1), sgd({ clipNorm: 1 }))),
    'training diverged at step 1 (epoch 0, batch 0): the gradient norm is Infinity; ∂J/∂v[0][0] is Infinity (1 non-finite value). Lower the learning rate (last 0.01) or a smaller clipNorm (now 1).');
});

test('the last good point of a watched run: its step and epoch with two batches per epoch', async () => {
  // a NaN gradient at call 4 (epoch 1, batch 1), watching every step: back to after step 3, in epoch ⌊3 / 2⌋ = 1
  const m = new Tri();
  m.poison = { call: 4, what: 'grads' };
  const r = await fit(m, new Source(2), sgd({ epochs: 10, divergence: { every: 1 } }));
  assert.deepEqual([r.stopReason, r.step, r.epoch, r.state.step], ['diverged', 3, 1, 3]);
});

test('restoreBest before any validation ran: nothing to restore; a result leaves out the keys it has no value for', async () => {
  const m = new Tri();
  const r = await fit(m, new Source(3), sgd({ maxSteps: 1, validation: new Source(1), validateEvery: 2, restoreBest: true }));
  assert.deepEqual([r.stopReason, r.step, r.history.validations.length], ['maxSteps', 1, 0]);
  assert.deepEqual(Object.keys(r).sort(), ['epoch', 'history', 'lossHistory', 'optimizer', 'state', 'step', 'stopReason']);
  assert.ok(!('params' in r.state));
  assert.deepEqual(Array.from(m.paramSets[0]!.data), C.map((c) => 0.01 * 2 * c), 'θ after the one step stays');
});
