/**
 * fit as the one training loop of every model (issue 13): the gradient
 * averaged over a batch's real sequences, per-pair loss weights, per-epoch
 * decay, the best validation's parameters restored, the divergence watch,
 * the bounded loss history, and an encoder–decoder trained like a network.
 * Reference values come from Network.gradient / Seq2Seq.gradient and plain
 * loops in each test.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { Network } from '../src/model/network.js';
import { sequenceSet, type SequenceSet } from '../src/data/sequences.js';
import { SequenceBatches } from '../src/data/batches.js';
import { StreamBatches, symbolStream } from '../src/data/windows.js';
import { splitStream } from '../src/data/split.js';
import { fit } from '../src/train/fit.js';
import { evaluate } from '../src/train/evaluate.js';

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

test('the last good point is a state to resume from: after a NaN mid-epoch, resuming it equals a straight run (stream windows, validation each epoch)', async () => {
  const pattern = [0, 1, 2, 3, 2, 1, 0, 2];
  const tokens = Int32Array.from({ length: 400 }, (_, i) => pattern[(i * 7) % 8]!);
  const { train, validation } = splitStream(symbolStream(tokens, 4), 0.2);
  const source = () => new StreamBatches(train, { batchSize: 4, seqLen: 8 });
  const val = () => new StreamBatches(validation, { batchSize: 4, seqLen: 8 });
  const make = () => new Network({ cell: 'gru', inputSize: 4, hiddenSize: 6, outputSize: 4, loss: 'cross-entropy', dtype: 'float64', seed: 3 });
  const nb = source().batchesPerEpoch;
  const common = { optimizer: { kind: 'adam' as const }, learningRate: 0.02, seed: 9 };
  // straight: 4 epochs
  const a = make();
  const ra = await fit(a, source(), { ...common, epochs: 4, validation: val() });
  // watched: a NaN is injected in epoch 2; the run stops at the end of epoch 1 (its last good validation)
  const b = make();
  const rb = await fit(b, source(), {
    ...common, epochs: 4, validation: val(), divergence: { baseline: 100 },
    onStep: (s) => { if (s.step === 2 * nb + 3) b.params.data[0] = NaN; },
  });
  assert.equal(rb.stopReason, 'diverged');
  assert.equal(rb.step, 2 * nb);
  assert.equal(rb.state.epochLoss, 0);
  assert.equal(rb.state.carry, undefined);
  const c = make();
  c.params.data.set(b.params.data);
  const rc = await fit(c, source(), { ...common, epochs: 4, validation: val(), resume: rb.state });
  assert.equal(rc.step, ra.step);
  assert.deepEqual(c.params.data, a.params.data);
  assert.deepEqual(rc.history.epochs.map((e) => e.loss), ra.history.epochs.slice(2).map((e) => e.loss));
});
