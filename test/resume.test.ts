/**
 * Exact resume (issue 4): N steps straight equal k steps, save
 * (encodeCheckpoint), load (decodeCheckpoint) into a new network, N − k
 * steps — parameters bit for bit in float64, the same loss history.
 * Checked mid-epoch and at an epoch boundary, for shuffled pairs (Adam,
 * cosine schedule with warm-up, clipping, validation) and for stateful
 * stream windows (a 2-layer LSTM with the carried state saved).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { Network, type NetworkOptions } from '../src/model/network.js';
import { sequenceSet } from '../src/data/sequences.js';
import { SequenceBatches } from '../src/data/batches.js';
import { StreamBatches, symbolStream } from '../src/data/windows.js';
import type { BatchSource } from '../src/data/source.js';
import { fit } from '../src/train/fit.js';
import type { FitOptions, FitResult } from '../src/train/fit-types.js';
import { fitStateFromCheckpoint, fitStateToCheckpoint } from '../src/train/fit-state.js';
import { decodeCheckpoint, encodeCheckpoint } from '../src/io/checkpoint.js';

interface Scenario {
  readonly name: string;
  readonly net: NetworkOptions;
  readonly data: () => BatchSource;
  readonly validation: () => BatchSource;
  readonly options: FitOptions;
  readonly N: number;
  readonly ks: readonly number[];
}

function pairs(seed: number, n: number) {
  const rng = new Rng(seed);
  return sequenceSet(Array.from({ length: n }, () => {
    const T = 1 + rng.int(6);
    return {
      input: Int32Array.from({ length: T }, () => rng.int(5)),
      target: Int32Array.of(rng.int(3)),
    };
  }), { inputSize: 5, outputSize: 3, targets: 'last' });
}

const tokens = (() => {
  const rng = new Rng(12);
  return Int32Array.from({ length: 4 * 13 + 1 }, () => rng.int(6));
})();

const scenarios: Scenario[] = [
  {
    name: 'shuffled pairs, GRU, Adam, cosine with warm-up, clipNorm, validation every 2 steps',
    net: { cell: 'gru', inputSize: 5, hiddenSize: 4, outputSize: 3, loss: 'cross-entropy', dtype: 'float64', seed: 4 },
    data: () => new SequenceBatches(pairs(1, 10), { batchSize: 4 }), // 3 batches per epoch
    validation: () => new SequenceBatches(pairs(2, 5), { batchSize: 4, shuffle: false }),
    options: {
      optimizer: { kind: 'adam' }, learningRate: 0.05, schedule: { kind: 'cosine', horizon: 20, warmup: 2 },
      clipNorm: 0.5, validateEvery: 2, patience: 100, tolerance: 1e-12, seed: 77,
    },
    N: 11,
    ks: [4, 6],
  },
  {
    name: 'stream windows, 2-layer LSTM, momentum with weight decay, carried state',
    net: { cell: 'lstm', inputSize: 6, hiddenSize: 3, outputSize: 6, layers: 2, loss: 'cross-entropy', dtype: 'float64', seed: 5 },
    data: () => new StreamBatches(symbolStream(tokens, 6), { batchSize: 4, seqLen: 5 }), // L = 13: 3 windows
    validation: () => new StreamBatches(symbolStream(tokens.subarray(0, 21), 6), { batchSize: 4, seqLen: 5 }),
    options: { optimizer: { kind: 'nesterov', weightDecay: 1e-3 }, learningRate: 0.1, clipValue: 0.3, truncate: 3 },
    N: 10,
    ks: [4, 3],
  },
  {
    name: 'stream windows, LSTM, Adam, linear decay to the end with warm-up (train --schedule linear), clipNorm, validation as one stream',
    net: { cell: 'lstm', inputSize: 6, hiddenSize: 4, outputSize: 6, loss: 'cross-entropy', dtype: 'float64', seed: 6 },
    data: () => new StreamBatches(symbolStream(tokens, 6), { batchSize: 4, seqLen: 5 }),
    validation: () => new StreamBatches(symbolStream(tokens.subarray(0, 30), 6), { batchSize: 1, seqLen: 8 }),
    options: {
      optimizer: { kind: 'adam' }, learningRate: 0.05, schedule: { kind: 'linear', horizon: 9, warmup: 3, floor: 0.001 },
      clipNorm: 1, validateEvery: 3, seed: 9,
    },
    N: 12,
    ks: [2, 5, 10],
  },
];

for (const s of scenarios) {
  test(`resume bit for bit: ${s.name}`, async () => {
    const straightNet = new Network(s.net);
    const straight = await fit(straightNet, s.data(), { ...s.options, validation: s.validation(), maxSteps: s.N });
    assert.equal(straight.step, s.N);
    for (const k of s.ks) {
      const firstNet = new Network(s.net);
      const first = await fit(firstNet, s.data(), { ...s.options, validation: s.validation(), maxSteps: k });
      assert.equal(first.step, k);
      const bytes = encodeCheckpoint({ networks: { model: firstNet }, ...fitStateToCheckpoint(first.state) });
      // A new process: only the bytes survive.
      const loaded = decodeCheckpoint(bytes.slice().buffer);
      const net = loaded.networks['model']!;
      assert.notEqual(net, firstNet);
      const resumed = await fit(net, s.data(), {
        ...s.options, validation: s.validation(), maxSteps: s.N, resume: fitStateFromCheckpoint(loaded, net.config.dtype),
      });
      assert.equal(resumed.step, s.N);
      assert.deepEqual(Array.from(net.params.data), Array.from(straightNet.params.data), `k = ${k}: parameters bit for bit`);
      const losses = (r: FitResult) => r.history.steps.map((x) => [x.step, x.epoch, x.batch, x.loss, x.gradNorm, x.learningRate]);
      assert.deepEqual([...losses(first), ...losses(resumed)], losses(straight), `k = ${k}: the same step history`);
      const vals = (r: FitResult) => r.history.validations.map((x) => [x.step, x.loss]);
      assert.deepEqual([...vals(first), ...vals(resumed)], vals(straight), `k = ${k}: the same validations`);
      const epochs = (r: FitResult) => r.history.epochs.map((x) => [x.epoch, x.step, x.loss]);
      assert.deepEqual([...epochs(first), ...epochs(resumed)], epochs(straight), `k = ${k}: the same epoch losses`);
      assert.deepEqual(resumed.state.optimizer.slots, straight.state.optimizer.slots);
    }
  });
}

test('resume without a file: the state object itself continues exactly, and a stateful source mid-epoch needs its carry', async () => {
  const s = scenarios[1]!;
  const straightNet = new Network(s.net);
  await fit(straightNet, s.data(), { ...s.options, maxSteps: 8 });
  const net = new Network(s.net);
  const first = await fit(net, s.data(), { ...s.options, maxSteps: 5 });
  assert.ok(first.state.carry, 'mid-epoch: the carried state is part of the state');
  await fit(net, s.data(), { ...s.options, maxSteps: 8, resume: first.state });
  assert.deepEqual(Array.from(net.params.data), Array.from(straightNet.params.data));
  const { carry: _dropped, ...withoutCarry } = first.state;
  await assert.rejects(fit(new Network(s.net), s.data(), { ...s.options, maxSteps: 8, resume: withoutCarry }), /resume\.carry is missing/);
});
