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
  const t0 = performance.now();
  const tl = await fit(regressionNet(), new SequenceBatches(set, { batchSize: 4 }), { timeLimitMs: 40 });
  assert.equal(tl.stopReason, 'time');
  assert.ok(performance.now() - t0 < 1000);
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

// ---------------------------------------------------------------- one loop for every model (issue 13)

/** Σ over the pairs at `indices` of each pair's own gradient at the network's current θ (batches of one, so nothing is averaged). */
function summedGradient(net: Network, set: SequenceSet, indices: readonly number[], weights?: readonly number[]): Float64Array {
  const sum = new Float64Array(net.params.size);
  const single = new SequenceBatches(set, { batchSize: 1, shuffle: false });
  for (const i of indices) {
    net.params.zeroGrad();
    const b = single.batch(i, 'float64').batch;
    net.gradient(weights ? { ...b, weights: [weights[i]!] } : b);
    for (let k = 0; k < sum.length; k++) sum[k]! += net.params.grad[k]!;
  }
  return sum;
}

test('a short last batch divides by its own real count: Δθ = −η·Σ_b g_b / B_real per batch (5 pairs, B = 2: 2, 2, 1)', async () => {
  const set = regressionSet(5, 21);
  const eta = 0.1;
  const net = regressionNet(4);
  const r = await fit(net, new SequenceBatches(set, { batchSize: 2, shuffle: false }), { optimizer: { kind: 'sgd' }, learningRate: eta, epochs: 1 });
  assert.equal(r.step, 3);
  // by hand: θ ← θ − η·(Σ g over the batch's real pairs) / (their count), batch by batch
  const ref = regressionNet(4);
  for (const batch of [[0, 1], [2, 3], [4]]) {
    const g = summedGradient(ref, set, batch);
    for (let k = 0; k < g.length; k++) ref.params.data[k]! -= (eta * g[k]!) / batch.length;
  }
  const theta0 = regressionNet(4).params.data;
  const moved = Array.from(net.params.data, (v, k) => v - theta0[k]!);
  const expected = Array.from(ref.params.data, (v, k) => v - theta0[k]!);
  assert.ok(Math.max(...expected.map(Math.abs)) > 1e-3, 'the steps are not negligible');
  for (let k = 0; k < moved.length; k++) assert.ok(Math.abs(moved[k]! - expected[k]!) <= 1e-12, `Δθ[${k}] = ${moved[k]}, expected ${expected[k]}`);
  // dividing the last batch by B = 2 (the padded size) instead would move it by half as much
  const half = regressionNet(4);
  for (const batch of [[0, 1], [2, 3], [4]]) {
    const g = summedGradient(half, set, batch);
    for (let k = 0; k < g.length; k++) half.params.data[k]! -= (eta * g[k]!) / 2;
  }
  assert.ok(Array.from(half.params.data).some((v, k) => Math.abs(v - net.params.data[k]!) > 1e-6), 'the test cannot tell B_real from B');
});

test('per-pair loss weights (class weights): Δθ = −η·Σ_b w_b·g_b / B_real', async () => {
  const set = regressionSet(3, 22);
  const weights = [0.25, 3, 1.5];
  const eta = 0.05;
  const net = regressionNet(5);
  await fit(net, new SequenceBatches(set, { batchSize: 3, shuffle: false, weights }), { optimizer: { kind: 'sgd' }, learningRate: eta, maxSteps: 1 });
  const ref = regressionNet(5);
  const g = summedGradient(ref, set, [0, 1, 2], weights);
  const expected = Array.from(ref.params.data, (v, k) => v - (eta * g[k]!) / 3);
  for (let k = 0; k < expected.length; k++) assert.ok(Math.abs(net.params.data[k]! - expected[k]!) <= 1e-12, `θ[${k}]`);
  const unweighted = regressionNet(5);
  await fit(unweighted, new SequenceBatches(set, { batchSize: 3, shuffle: false }), { optimizer: { kind: 'sgd' }, learningRate: eta, maxSteps: 1 });
  assert.ok(Array.from(unweighted.params.data).some((v, k) => Math.abs(v - net.params.data[k]!) > 1e-6), 'weights changed nothing');
  assert.throws(() => new SequenceBatches(set, { batchSize: 3, weights: [1, 2] }), /weights has 2 entries, expected one per pair \(3\)/);
});

test('per-epoch decay: η of epoch e is η₀·γ^e (epoch-decay schedule)', async () => {
  const set = regressionSet(6, 23);
  const r = await fit(regressionNet(), new SequenceBatches(set, { batchSize: 2 }), { optimizer: { kind: 'sgd' }, learningRate: 0.1, epochs: 3, schedule: { kind: 'epoch-decay', gamma: 0.5 } });
  assert.deepEqual(r.history.steps.map((s) => [s.epoch, s.learningRate]), [[0, 0.1], [0, 0.1], [0, 0.1], [1, 0.05], [1, 0.05], [1, 0.05], [2, 0.025], [2, 0.025], [2, 0.025]]);
});

test('restoreBest: the parameters end as they were at the best validation, not the last', async () => {
  const rng = new Rng(31);
  // noise targets: the validation loss falls, then rises as the network memorises the training noise
  const noise = (n: number): SequenceSet => sequenceSet(Array.from({ length: n }, () => {
    const input = Float64Array.from({ length: 8 }, () => rng.uniform(-1, 1));
    return { input, target: Float64Array.from({ length: 4 }, () => rng.uniform(-1, 1)) };
  }), { inputSize: 2, outputSize: 1 });
  const train = noise(8);
  const validation = noise(8);
  const net = new Network({ inputSize: 2, hiddenSize: 12, outputSize: 1, dtype: 'float64', seed: 3 });
  const seen: { loss: number; theta: Float64Array }[] = [];
  const r = await fit(net, new SequenceBatches(train, { batchSize: 8 }), {
    optimizer: { kind: 'adam' }, learningRate: 0.05, epochs: 60, restoreBest: true,
    validation: new SequenceBatches(validation, { batchSize: 8, shuffle: false }),
    onValidation: (v) => void seen.push({ loss: v.loss, theta: Float64Array.from(net.params.data) }),
  });
  let best = 0;
  seen.forEach((s, i) => { if (s.loss < seen[best]!.loss) best = i; });
  assert.ok(best < seen.length - 5, `the best validation (${best}) should come well before the last (${seen.length - 1})`);
  assert.equal(r.restoredBest, true);
  assert.equal(r.bestValidationLoss, seen[best]!.loss);
  assert.deepEqual(net.params.data, seen[best]!.theta);
  assert.equal(evaluate(net, new SequenceBatches(validation, { batchSize: 8, shuffle: false })).loss, seen[best]!.loss);
  assert.equal(r.state.best?.step, r.history.validations[best]!.step);
  await assert.rejects(fit(regressionNet(), new SequenceBatches(train, { batchSize: 8 }), { restoreBest: true }), /restoreBest needs validation data/);
});

test('divergence watch: a NaN run stops "diverged" at the last good point with a diagnosis; a run above the baseline stops too', async () => {
  const set = regressionSet(8, 6);
  const theta0 = Float64Array.from(regressionNet().params.data);
  const net = regressionNet();
  const after = new Map<number, Float64Array>([[0, theta0]]);
  const r = await fit(net, new SequenceBatches(set, { batchSize: 4 }), {
    optimizer: { kind: 'sgd' }, learningRate: 1e6, epochs: 100, divergence: {},
    onStep: (s) => void after.set(s.step, Float64Array.from(net.params.data)),
  });
  assert.equal(r.stopReason, 'diverged');
  assert.match(r.diagnosis!, /^training diverged at step \d+ .*Lower the learning rate \(last 1000000\)/);
  // the last good point: the last evaluation (every 2 updates, the batches of an epoch) before the failure
  assert.equal(r.step % 2, 0);
  assert.deepEqual(net.params.data, after.get(r.step));
  assert.ok(net.params.data.every(Number.isFinite));
  assert.equal(r.state.step, r.step);
  // baseline 0: no evaluation is good, so after 2 evaluations (blocks of 2 updates) it stops at the start
  const stuck = regressionNet();
  const s = await fit(stuck, new SequenceBatches(set, { batchSize: 4 }), { optimizer: { kind: 'sgd' }, learningRate: 0.01, epochs: 100, divergence: { baseline: 0, patience: 2, every: 2 } });
  assert.equal(s.stopReason, 'diverged');
  assert.match(s.diagnosis!, /stayed above 0, the loss of a model that learned nothing, for 2 evaluations in a row .*Lower the learning rate \(last 0\.01\)/);
  assert.equal(s.step, 0);
  assert.deepEqual(stuck.params.data, theta0);
  assert.equal(s.history.steps.length, 4, 'it trained 4 updates before giving up');
  // a generous baseline never stops a run that learns
  const fine = await fit(regressionNet(), new SequenceBatches(set, { batchSize: 4 }), { optimizer: { kind: 'sgd' }, learningRate: 0.01, epochs: 20, divergence: { baseline: 10 } });
  assert.equal(fine.stopReason, 'epochs');
});

test('the loss history stays bounded: every other point dropped past historyLimit, the stride doubles', async () => {
  const set = regressionSet(4, 7);
  const r = await fit(regressionNet(), new SequenceBatches(set, { batchSize: 2 }), { optimizer: { kind: 'sgd' }, learningRate: 0.01, maxSteps: 100, historyLimit: 16 });
  assert.ok(r.lossHistory.train.length <= 16 && r.lossHistory.train.length >= 8, `${r.lossHistory.train.length} points`);
  assert.equal(r.lossHistory.stride, 8);
  assert.ok(r.lossHistory.train.every(([s]) => s % 8 === 0));
  assert.deepEqual(r.history.steps.map((s) => s.step), r.lossHistory.train.map(([s]) => s));
  assert.equal(r.lossHistory.validation.length, 0);
});

test('seq2seq through fit: one SGD step equals −η·(∂J/∂θ of encoder and decoder) / B from Seq2Seq.gradient', async () => {
  const { Seq2Seq } = await import('../src/seq2seq/model.js');
  const { PairBatches } = await import('../src/data/pairs.js');
  const pairs = [{ source: [0, 1, 2], target: [3, 1] }, { source: [2], target: [0, 0, 2] }, { source: [1, 1], target: [2] }];
  for (const cell of ['rnn', 'lstm'] as const) {
    const make = () => new Seq2Seq({ cell, sourceVocabSize: 3, targetVocabSize: 4, hiddenSize: 5, dtype: 'float64', seed: 8 });
    const model = make();
    const eta = 0.3;
    await fit(model, new PairBatches(model, pairs, { batchSize: 3, shuffle: false }), { optimizer: { kind: 'sgd' }, learningRate: eta, maxSteps: 1 });
    const ref = make();
    ref.zeroGrad();
    ref.gradient(ref.makeBatch(pairs));
    for (const [i, p] of ref.paramSets.entries()) {
      const expected = Array.from(p.data, (v, k) => v - (eta * p.grad[k]!) / 3);
      const got = model.paramSets[i]!.data;
      for (let k = 0; k < expected.length; k++) assert.ok(Math.abs(got[k]! - expected[k]!) <= 1e-13, `${cell} set ${i} θ[${k}]`);
      assert.ok(expected.some((v, k) => Math.abs(v - p.data[k]!) > 1e-4), `${cell}: set ${i} did not move`);
    }
  }
});
