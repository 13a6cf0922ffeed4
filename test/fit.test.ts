/**
 * fit(): reductions and clipping, the state carried through stream windows,
 * validation, early stopping, the lecture's tolerance rule, limits,
 * cancellation and divergence. Reference values are computed in each test
 * from Network.gradient and plain loops (or, for the tolerance rule, by
 * gradientDescent, the lecture's own trainer).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { TrainingError } from '../src/core/errors.js';
import { Network, type SequenceBatch } from '../src/model/network.js';
import { sequenceSet, type SequenceSet } from '../src/data/sequences.js';
import { SequenceBatches } from '../src/data/batches.js';
import { StreamBatches, symbolStream } from '../src/data/windows.js';
import { splitStream } from '../src/data/split.js';
import { BatchList } from '../src/data/list.js';
import { fit } from '../src/train/fit.js';
import { evaluate } from '../src/train/evaluate.js';
import type { Optimizer, OptimizerState } from '../src/train/optimizers.js';
import { gradientDescent } from '../src/train/gradient-descent.js';
import { lectureBatch, lectureNetwork } from '../src/lecture/example.js';
import type { CellState } from '../src/cells/cell.js';

/** Dense many-to-many regression pairs: y(t) = 0.5·(x₁(t) − x₂(t)) of random lengths 2..6. */
function regressionSet(n: number, seed: number): SequenceSet {
  const rng = new Rng(seed);
  return sequenceSet(Array.from({ length: n }, () => {
    const T = 2 + rng.int(5);
    const input = Float64Array.from({ length: 2 * T }, () => rng.uniform(-1, 1));
    const target = Float64Array.from({ length: T }, (_, t) => 0.5 * (input[2 * t]! - input[2 * t + 1]!));
    return { input, target };
  }), { inputSize: 2, outputSize: 1 });
}

function regressionNet(seed = 2): Network {
  return new Network({ inputSize: 2, hiddenSize: 5, outputSize: 1, dtype: 'float64', seed });
}

/** An optimizer that never changes θ: fit's bookkeeping runs, the model stays fixed. */
function frozen(size: number): Optimizer {
  let steps = 0;
  const state = (): OptimizerState => ({ kind: 'sgd', steps, slots: {}, options: { kind: 'sgd' } });
  return {
    kind: 'sgd', size, dtype: 'float64', options: { kind: 'sgd' },
    get steps() { return steps; },
    update() { steps++; },
    updateParts() { steps++; },
    getState: state,
    setState(s: OptimizerState) { steps = s.steps; },
  };
}

test('reduction: "sum" steps by η·Σ_b g_b, "mean" (default) by η·Σ_b g_b / B; clipNorm leaves exactly that norm', async () => {
  const set = regressionSet(6, 1);
  for (const reduction of ['sum', 'mean', undefined] as const) {
    const net = regressionNet();
    const source = new SequenceBatches(set, { batchSize: 6, shuffle: false });
    const batch = source.batch(0, 'float64').batch;
    const theta0 = Float64Array.from(net.params.data);
    net.params.zeroGrad();
    net.gradient(batch);
    const g = Float64Array.from(net.params.grad);
    const result = await fit(net, source, { optimizer: { kind: 'sgd' }, learningRate: 0.1, reduction, maxSteps: 1 });
    const divide = reduction === 'sum' ? 1 : 1 / 6;
    const expected = theta0.map((v, i) => v - 0.1 * (divide === 1 ? g[i]! : g[i]! * divide));
    assert.deepEqual(Array.from(net.params.data), Array.from(expected), `reduction ${reduction}`);
    const norm = Math.sqrt(g.reduce((s, v) => s + (v * divide) ** 2, 0));
    assert.ok(Math.abs(result.history.steps[0]!.gradNorm - norm) < 1e-12);
  }
  const net = regressionNet();
  const theta0 = Float64Array.from(net.params.data);
  const r = await fit(net, new SequenceBatches(set, { batchSize: 6 }), { optimizer: { kind: 'sgd' }, learningRate: 0.1, clipNorm: 0.01, maxSteps: 1 });
  assert.ok(r.history.steps[0]!.gradNorm > 0.01, 'the gradient was clipped');
  const moved = Math.sqrt(Array.from(net.params.data).reduce((s, v, i) => s + (v - theta0[i]!) ** 2, 0));
  assert.ok(Math.abs(moved - 0.1 * 0.01) < 1e-15, `‖Δθ‖ = ${moved}, expected η·clipNorm = 0.001`);
});

test('stream windows carry the state: window w\'s final state is window w+1\'s init, zeros at each epoch start, and the outputs equal one long pass', async () => {
  const rng = new Rng(5);
  const tokens = Int32Array.from({ length: 3 * 11 + 1 }, () => rng.int(4));
  const stream = symbolStream(tokens, 4);
  const opts = { cell: 'lstm' as const, inputSize: 4, hiddenSize: 3, outputSize: 4, layers: 2, loss: 'cross-entropy' as const, dtype: 'float64' as const, seed: 9 };
  const inits: CellState[][] = [];
  const finals: CellState[][] = [];
  const outputs: Float64Array[] = [];
  class SpyNetwork extends Network {
    override gradient(batch: SequenceBatch, options = {}) {
      inits.push(batch.init!.map((s) => ({ h: Float64Array.from(s.h), c: Float64Array.from(s.c!) })));
      const r = super.gradient(batch, options);
      finals.push(this.stateAt(batch.T, batch.B).map((s) => ({ h: Float64Array.from(s.h), c: Float64Array.from(s.c!) })));
      outputs.push(Float64Array.from(this.forward(batch)));
      return r;
    }
  }
  const net = new SpyNetwork(opts);
  const windows = new StreamBatches(stream, { batchSize: 3, seqLen: 4 });
  assert.equal(windows.batchesPerEpoch, 3); // L = 11: windows of 4, 4, 3
  await fit(net, windows, { optimizer: frozen(net.params.size), epochs: 2 });
  assert.equal(inits.length, 6);
  for (const w of [0, 1, 3, 4]) {
    assert.deepEqual(inits[w + 1], finals[w], `window ${w + 1} starts where window ${w} ended`);
  }
  for (const w of [0, 3]) {
    for (const s of inits[w]!) assert.ok(s.h.every((v) => v === 0) && s.c!.every((v) => v === 0), `epoch start ${w}: zero state`);
  }
  // One long pass over the whole streams (T = L = 11) gives the same outputs, window by window.
  const long = new StreamBatches(stream, { batchSize: 3, seqLen: 11 });
  const whole = Float64Array.from(net.forward(long.batch(0, 'float64').batch));
  let maxDiff = 0;
  for (let w = 0; w < 3; w++) {
    const Tw = w < 2 ? 4 : 3;
    for (let t = 0; t < Tw; t++) {
      for (let j = 0; j < 3 * 4; j++) maxDiff = Math.max(maxDiff, Math.abs(outputs[w]![t * 12 + j]! - whole[(w * 4 + t) * 12 + j]!));
    }
  }
  assert.ok(maxDiff <= 1e-12, `windowed vs long pass: max |Δŷ| = ${maxDiff}`);
  // evaluate() carries the state the same way: its loss is the long pass's.
  const lossLong = net.loss(long.batch(0, 'float64').batch);
  const v = evaluate(net, windows);
  assert.equal(v.count, lossLong.count);
  assert.ok(Math.abs(v.loss - lossLong.loss / lossLong.count) < 1e-12, `${v.loss} vs ${lossLong.loss / lossLong.count}`);
});

test('the tolerance rule on the lecture example: "step" stops exactly where gradientDescent does, "epoch" one update later', async () => {
  const ref = lectureNetwork();
  const gd = gradientDescent(ref, lectureBatch(), { learningRate: 0.1, tolerance: 1e-4 });
  assert.ok(gd.converged && gd.updates > 5 && gd.updates < 100, `gradientDescent: ${gd.updates} updates`);
  const net = lectureNetwork();
  const data = new BatchList([lectureBatch()], { inputSize: 3, outputSize: 3 });
  const r = await fit(net, data, { optimizer: { kind: 'sgd' }, learningRate: 0.1, reduction: 'sum', tolerance: 1e-4, toleranceOn: 'step', epochs: 1000 });
  assert.equal(r.stopReason, 'tolerance');
  assert.equal(r.step, gd.updates);
  assert.deepEqual(Array.from(net.params.data), Array.from(ref.params.data), 'the same parameters, bit for bit');
  assert.deepEqual(r.history.steps.map((s) => s.rmse), gd.rmse.slice(0, -1));
  const byEpoch = await fit(lectureNetwork(), data, { optimizer: { kind: 'sgd' }, learningRate: 0.1, reduction: 'sum', tolerance: 1e-4, epochs: 1000 });
  assert.equal(byEpoch.stopReason, 'tolerance');
  assert.equal(byEpoch.step, gd.updates + 1);
});

test('early stopping: stops after `patience` validations without improvement, not before', async () => {
  // Training pulls ŷ towards +0.5, the validation set wants −0.5 for the same inputs: validation only gets worse.
  const input = Float64Array.of(0.3, -0.2, 0.1, 0.4);
  const mk = (y: number) => sequenceSet([{ input, target: Float64Array.of(y, y) }], { inputSize: 2, outputSize: 1 });
  const net = regressionNet();
  const train = new SequenceBatches(mk(0.5), { batchSize: 1 });
  const validation = new SequenceBatches(mk(-0.5), { batchSize: 1 });
  const r = await fit(net, train, { optimizer: { kind: 'sgd' }, learningRate: 0.05, validation, validateEvery: 1, patience: 3, maxSteps: 100 });
  assert.equal(r.stopReason, 'earlyStopping');
  assert.equal(r.step, 4, 'best at step 1, then 3 worse validations');
  assert.equal(r.history.validations.length, 4);
  assert.equal(r.bestValidationLoss, r.history.validations[0]!.loss);
  const losses = r.history.validations.map((v) => v.loss);
  for (let i = 1; i < 4; i++) assert.ok(losses[i]! > losses[i - 1]!);
  // When validation improves, it runs to the limit; per-epoch validation by default.
  const ok = await fit(regressionNet(), new SequenceBatches(mk(0.5), { batchSize: 1 }), {
    optimizer: { kind: 'sgd' }, learningRate: 0.05, validation: new SequenceBatches(mk(0.5), { batchSize: 1 }), patience: 2, epochs: 6,
  });
  assert.equal(ok.stopReason, 'epochs');
  assert.equal(ok.history.validations.length, 6);
  assert.equal(ok.history.epochs.length, 6);
  assert.equal(ok.history.epochs[5]!.validationLoss, ok.history.validations[5]!.loss);
});

test('AbortSignal: stops after the step in progress and returns the history', async () => {
  const set = regressionSet(12, 3);
  const controller = new AbortController();
  const r = await fit(regressionNet(), new SequenceBatches(set, { batchSize: 4 }), {
    signal: controller.signal, epochs: 100, onStep: (s) => { if (s.step === 5) controller.abort(); },
  });
  assert.equal(r.stopReason, 'aborted');
  assert.equal(r.step, 5);
  assert.equal(r.history.steps.length, 5);
  // Aborted by a timer while training: fit yields to the event loop.
  const timed = new AbortController();
  setTimeout(() => timed.abort(), 30);
  const t = await fit(regressionNet(), new SequenceBatches(set, { batchSize: 4 }), { signal: timed.signal, maxSteps: 1e9, yieldEveryMs: 5 });
  assert.equal(t.stopReason, 'aborted');
  assert.ok(t.step > 0 && t.step < 1e9);
  const pre = new AbortController();
  pre.abort();
  const none = await fit(regressionNet(), new SequenceBatches(set, { batchSize: 4 }), { signal: pre.signal });
  assert.equal(none.step, 0);
});

test('limits: maxSteps, epochs and a time budget; callbacks report loss, gradient norm, η and throughput', async () => {
  const set = regressionSet(10, 4); // 3 batches of 4 (the last one 2 real + 2 masked)
  const steps: number[] = [];
  const lrs: number[] = [];
  const epochs: number[] = [];
  const r = await fit(regressionNet(), new SequenceBatches(set, { batchSize: 4 }), {
    optimizer: { kind: 'momentum' }, learningRate: 0.1, schedule: { kind: 'step', every: 2, gamma: 0.5 }, epochs: 3,
    onStep: (s) => { steps.push(s.step); lrs.push(s.learningRate); assert.ok(s.samplesPerSec > 0 && s.tokensPerSec > s.samplesPerSec && s.gradNorm > 0); },
    onEpoch: (e) => { epochs.push(e.step); },
  });
  assert.equal(r.stopReason, 'epochs');
  assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(lrs, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125, 0.00625]);
  assert.deepEqual(epochs, [3, 6, 9]);
  assert.ok(r.history.epochs[2]!.loss < r.history.epochs[0]!.loss, 'training lowers the loss');
  const m = await fit(regressionNet(), new SequenceBatches(set, { batchSize: 4 }), { maxSteps: 7 });
  assert.equal(m.stopReason, 'maxSteps');
  assert.equal(m.step, 7);
  assert.equal(m.epoch, 2);
  // The time budget is checked before every step. The first step's onStep
  // waits until the budget has surely run out (measured from a moment after
  // fit started), so fit must stop at its very next check: after 1 step, on
  // any machine. (Only a stall of the whole budget before the first step
  // could stop it sooner, at 0 steps.)
  let calls = 0;
  let first: number | undefined;
  const tl = await fit(regressionNet(), new SequenceBatches(set, { batchSize: 4 }), {
    timeLimitMs: 200, epochs: 1000,
    onStep: async () => {
      calls++;
      first ??= performance.now();
      while (performance.now() - first < 200) await new Promise((resolve) => setTimeout(resolve, 5));
    },
  });
  assert.equal(tl.stopReason, 'time');
  assert.equal(tl.step, calls);
  assert.ok(calls <= 1, `fit went on for ${calls} steps after its time budget ran out`);
});

test('divergence: learning rate 1e6 raises a TrainingError naming the step, the quantity and the parameter', async () => {
  const set = regressionSet(8, 6);
  await assert.rejects(
    fit(regressionNet(), new SequenceBatches(set, { batchSize: 4 }), { optimizer: { kind: 'sgd' }, learningRate: 1e6, epochs: 100 }),
    (e: unknown) => {
      assert.ok(e instanceof TrainingError, String(e));
      assert.match(e.message, /^training diverged at step \d+ \(epoch \d+, batch \d\): the (loss|gradient norm) is (NaN|Infinity)/);
      assert.match(e.message, /(parameter |∂J\/∂|the largest \|θ\| is )(layer0\.(U|W|b_h)|V|b_o)\[\d+\]\[\d+\]/);
      assert.match(e.message, /Lower the learning rate \(last 1000000\) or clip the gradient/);
      return true;
    });
});

test('a small task is learned: next symbol of a repeating pattern, validated on the tail', async () => {
  const pattern = [0, 1, 2, 3, 2, 1];
  const tokens = Int32Array.from({ length: 600 }, (_, i) => pattern[i % 6]!);
  const { train, validation } = splitStream(symbolStream(tokens, 4), 0.2);
  const net = new Network({ inputSize: 4, hiddenSize: 8, outputSize: 4, loss: 'cross-entropy', seed: 3 });
  const r = await fit(net, new StreamBatches(train, { batchSize: 8, seqLen: 10 }), {
    optimizer: { kind: 'adam' }, learningRate: 0.03, epochs: 15, clipNorm: 5,
    validation: new StreamBatches(validation, { batchSize: 8, seqLen: 10 }),
  });
  const last = r.history.validations.at(-1)!.loss;
  assert.ok(last < 0.05, `validation cross-entropy per symbol ${last}`);
});

test('shuffling inside fit: the same seed trains the same model, another seed visits the batches in another order', async () => {
  const set = regressionSet(12, 8);
  const run = async (seed: number) => {
    const net = regressionNet();
    const r = await fit(net, new SequenceBatches(set, { batchSize: 3 }), { optimizer: { kind: 'sgd' }, learningRate: 0.05, epochs: 2, seed });
    return { theta: Array.from(net.params.data), losses: r.history.steps.map((s) => s.loss) };
  };
  const a = await run(1);
  assert.deepEqual(await run(1), a);
  const b = await run(2);
  assert.notDeepEqual(b.losses, a.losses);
  assert.notDeepEqual(b.theta, a.theta);
});

test('reduction "mean" with a short last batch: each step moves θ by η·Σ_b g_b / (real sequences in the batch), not / batch size', async () => {
  const set = regressionSet(5, 11); // batches of 3 and 2 (the second padded to 3 with a masked column)
  const source = new SequenceBatches(set, { batchSize: 3, shuffle: false });
  const last = source.batch(1, 'float64');
  assert.equal(last.batch.B, 3, 'the short batch is padded to the batch size');
  assert.equal(last.sequences, 2);
  // reference: the same two SGD steps by hand
  const ref = regressionNet();
  for (const [pos, real] of [[0, 3], [1, 2]] as const) {
    ref.params.zeroGrad();
    ref.gradient(source.batch(pos, 'float64').batch);
    for (let i = 0; i < ref.params.size; i++) ref.params.data[i]! -= 0.1 * ref.params.grad[i]! / real;
  }
  const net = regressionNet();
  const theta0 = Float64Array.from(net.params.data);
  const r = await fit(net, new SequenceBatches(set, { batchSize: 3, shuffle: false }), { optimizer: { kind: 'sgd' }, learningRate: 0.1, epochs: 1 });
  assert.equal(r.step, 2);
  const moved = Array.from(net.params.data, (v, i) => v - theta0[i]!);
  const want = Array.from(ref.params.data, (v, i) => v - theta0[i]!);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(moved[i]! - want[i]!) <= 1e-12 * Math.max(1, Math.abs(want[i]!)), `Δθ[${i}] = ${moved[i]}, expected ${want[i]}`);
});
