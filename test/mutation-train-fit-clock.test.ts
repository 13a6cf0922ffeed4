/**
 * fit's clock: `performance.now` replaced by a clock that moves only when
 * the model computes a gradient (a fixed number of milliseconds per batch),
 * so the seconds, the throughput, the time limit and the turns given to the
 * event loop are exact numbers, not measurements. Also what a stop by
 * abort or by time does with `restoreBest` (nothing), against a stop by
 * epochs (restored). Small and fast for `npm run mutate -- train`
 * (docs/testing.md, `src/train`).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Rng } from '../src/core/rng.js';
import type { BatchSource, LoadedBatch } from '../src/data/source.js';
import { fit } from '../src/train/fit.js';
import { Quad as QuadBase } from './helpers/quad.js';
import type { FitOptions, FitResult } from '../src/train/fit-types.js';

/** The fake clock (milliseconds) that `performance.now` returns during {@link withClock}. */
const clock = { t: 1000 };

async function withClock<T>(run: () => Promise<T>): Promise<T> {
  const original = performance.now;
  clock.t = 1000;
  performance.now = () => clock.t;
  try {
    return await run();
  } finally {
    performance.now = original;
  }
}

/** A batch: the centre c of J = Σᵢ (θᵢ − cᵢ)², and the milliseconds its gradient takes on the fake clock. */
interface Batch {
  readonly c: readonly number[];
  readonly ms: number;
}

/** J = Σᵢ (θᵢ − cᵢ)² over two values; each gradient advances the fake clock by its batch's ms. */
class Quad extends QuadBase<Batch> {
  constructor() {
    super((batch) => {
      clock.t += batch.ms;
    });
  }
}

/** Fixed batches in order, each with its real sequences and steps. */
class Source implements BatchSource<Batch> {
  readonly B = 4;
  readonly stateful = false;
  readonly inputSize = 0;
  readonly outputSize = 0;
  constructor(readonly list: readonly { c?: readonly number[]; ms: number; sequences: number; steps: number }[]) {}
  get batchesPerEpoch(): number {
    return this.list.length;
  }
  beginEpoch(_rng: Rng | null): void {}
  batch(i: number): LoadedBatch<Batch> {
    const b = this.list[i]!;
    return { batch: { c: b.c ?? [1, 2], ms: b.ms }, sequences: b.sequences, steps: b.steps };
  }
}

const sgd = (options: FitOptions<Batch>): FitOptions<Batch> => ({ optimizer: { kind: 'sgd' }, learningRate: 0.1, ...options });

test('seconds and throughput per step and per epoch, from a clock that moves 4 ms and 6 ms in the two gradients', async () => {
  const r = await withClock(() => fit(new Quad(), new Source([{ ms: 4, sequences: 3, steps: 30 }, { ms: 6, sequences: 1, steps: 7 }]), sgd({ epochs: 2 })));
  assert.deepEqual(r.history.steps.map((s) => [s.samplesPerSec, s.tokensPerSec]), [[3 / 0.004, 30 / 0.004], [1 / 0.006, 7 / 0.006], [3 / 0.004, 30 / 0.004], [1 / 0.006, 7 / 0.006]]);
  const seconds = 0 + 4 / 1000 + 6 / 1000;
  for (const e of r.history.epochs) {
    assert.equal(e.seconds, seconds);
    assert.equal(e.samplesPerSec, 4 / seconds);
    assert.equal(e.tokensPerSec, 37 / seconds);
  }
  // a gradient that takes no time on the clock: the throughput is counted over 1e−9 s, not divided by 0
  const z = await withClock(() => fit(new Quad(), new Source([{ ms: 0, sequences: 2, steps: 5 }]), sgd({ epochs: 1 })));
  assert.deepEqual([z.history.steps[0]!.samplesPerSec, z.history.steps[0]!.tokensPerSec], [2 / 1e-9, 5 / 1e-9]);
  assert.deepEqual([z.history.epochs[0]!.seconds, z.history.epochs[0]!.samplesPerSec, z.history.epochs[0]!.tokensPerSec], [1e-9, 2 / 1e-9, 5 / 1e-9]);
});

test('the time limit stops at the first check at or past it: 5 ms a step, 10 ms → after step 2; 11 ms → after step 3', async () => {
  const five = new Source([{ ms: 5, sequences: 1, steps: 1 }]);
  const at10 = await withClock(() => fit(new Quad(), five, sgd({ timeLimitMs: 10 })));
  assert.deepEqual([at10.stopReason, at10.step], ['time', 2]);
  const at11 = await withClock(() => fit(new Quad(), five, sgd({ timeLimitMs: 11 })));
  assert.deepEqual([at11.stopReason, at11.step], ['time', 3]);
});

/** The step after which an abort queued (as a 0 ms timer) when step `queueAfter` ends lands: the step of fit's next turn to the event loop. */
async function abortLandsAfter(yieldEveryMs: number, ms: number, queueAfter: number): Promise<number> {
  const controller = new AbortController();
  const queue = (): void => void setTimeout(() => controller.abort(), 0);
  if (queueAfter === 0) queue();
  const r = await withClock(() => fit(new Quad(), new Source([{ ms, sequences: 1, steps: 1 }]), sgd({
    maxSteps: 100, yieldEveryMs, signal: controller.signal, onStep: (s) => { if (s.step === queueAfter) queue(); },
  })));
  assert.equal(r.stopReason, 'aborted');
  return r.step;
}

test('turns to the event loop: every yieldEveryMs on the clock, counted from the last turn', async () => {
  // 5 ms a step, a turn every 10 ms: after steps 2, 4, 6, …
  assert.equal(await abortLandsAfter(10, 5, 0), 2);
  assert.equal(await abortLandsAfter(10, 5, 2), 2, 'the turn comes after onStep');
  assert.equal(await abortLandsAfter(10, 5, 3), 4, 'counted from the turn after step 2, not from the start');
  // 0 ms: a turn after every step, even when the clock did not move
  assert.equal(await abortLandsAfter(0, 0, 0), 1);
  assert.equal(await abortLandsAfter(0, 0, 3), 3);
  // 4 ms a step, every 10 ms: after step 3 (12 ms), then step 6 (24 ms)
  assert.equal(await abortLandsAfter(10, 4, 0), 3);
  assert.equal(await abortLandsAfter(10, 4, 4), 6);
});

test('restoreBest: a stop by epochs restores the best validation\'s θ; a stop by abort or by time keeps the last θ', async () => {
  // training pulls θ towards (1, 2); the validation centre is (0, 0): its loss grows every step, so the best is step 1
  const run = async (options: FitOptions<Batch>, thetas: number[][]): Promise<{ r: FitResult; theta: number[] }> => {
    const m = new Quad();
    const r = await withClock(() => fit(m, new Source([{ ms: 5, sequences: 1, steps: 1 }]), sgd({
      restoreBest: true, validation: new Source([{ c: [0, 0], ms: 0, sequences: 1, steps: 1 }]), validateEvery: 1,
      onStep: () => void thetas.push(m.theta), ...options,
    })));
    return { r, theta: m.theta };
  };
  const seen: number[][] = [];
  const byEpochs = await run({ epochs: 3 }, seen);
  assert.equal(byEpochs.r.stopReason, 'epochs');
  assert.equal(byEpochs.r.restoredBest, true);
  assert.deepEqual(byEpochs.theta, seen[0], 'back to θ after step 1');
  assert.deepEqual(Array.from(byEpochs.r.state.params![0]!), seen[2], 'the state resumes from the last θ');
  const controller = new AbortController();
  const a = await run({ epochs: 10, signal: controller.signal, onStep: (s) => { if (s.step === 3) controller.abort(); } }, []);
  assert.deepEqual([a.r.stopReason, a.r.step, a.r.restoredBest, a.r.state.params], ['aborted', 3, undefined, undefined]);
  assert.deepEqual(a.theta, seen[2], 'the last θ (step 3) stays');
  const timed = await run({ timeLimitMs: 15 }, []);
  assert.deepEqual([timed.r.stopReason, timed.r.step, timed.r.restoredBest, timed.r.state.params], ['time', 3, undefined, undefined]);
  assert.deepEqual(timed.theta, seen[2]);
});
