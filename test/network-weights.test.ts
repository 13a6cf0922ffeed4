/**
 * Per-sequence loss weights, and BPTT from a δo given by the caller: both
 * against the network's ordinary gradient and against finite differences.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { gradientCheck } from '../src/model/gradcheck.js';
import { Network, type SequenceBatch } from '../src/model/network.js';
import { assertClose } from './helpers/approx.js';

function problem(cell: 'rnn' | 'lstm' | 'gru'): { net: Network; batch: SequenceBatch } {
  const rng = new Rng(8);
  const net = new Network({ cell, inputSize: 3, hiddenSize: 4, outputSize: 3, layers: 2, loss: 'cross-entropy', dtype: 'float64' });
  for (let i = 0; i < net.params.size; i++) net.params.data[i] = rng.uniform(-0.7, 0.7);
  const T = 4;
  const B = 3;
  const batch: SequenceBatch = {
    T, B,
    x: { kind: 'dense', data: Float64Array.from({ length: T * B * 3 }, () => rng.normal()) },
    y: { kind: 'index', data: Int32Array.from({ length: T * B }, () => rng.int(3)) },
    mask: Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0]),
  };
  return { net, batch };
}

for (const cell of ['rnn', 'lstm', 'gru'] as const) {
  test(`${cell}: weighted loss J = Σ_b w_b·J_b, its gradient = Σ_b w_b·∇J_b, and finite differences agree`, () => {
    const { net, batch } = problem(cell);
    const w = [0.25, 2, 1.5];
    net.params.zeroGrad();
    const weighted = net.gradient({ ...batch, weights: w });
    const got = Float64Array.from(net.params.grad);
    const want = new Float64Array(net.params.size);
    let J = 0;
    for (let b = 0; b < batch.B; b++) {
      const only = w.map((_, k) => (k === b ? 1 : 0));
      net.params.zeroGrad();
      J += w[b]! * net.gradient({ ...batch, weights: only }).loss;
      for (let i = 0; i < want.length; i++) want[i]! += w[b]! * net.params.grad[i]!;
    }
    assertClose(weighted.loss, J, 1e-12, 'weighted J');
    assertClose(got, want, 1e-12, 'weighted gradient');
    assert.ok(gradientCheck(net, { ...batch, weights: w }).maxRelError < 1e-6);
    assert.throws(() => net.gradient({ ...batch, weights: [1, -1, 1] }), /batch\.weights\[1\] must be a finite number ≥ 0/);
    assert.throws(() => net.gradient({ ...batch, weights: [1] }), /batch\.weights has 1 entries, expected one per sequence \(B = 3\)/);
  });

  test(`${cell}: BPTT from a caller's δo equals the gradient of the loss that δo comes from`, () => {
    const { net, batch } = problem(cell);
    net.params.zeroGrad();
    net.gradient(batch);
    const want = Float64Array.from(net.params.grad);
    // δo = ŷ − y (softmax + cross-entropy), on every step that carries loss
    const K = 3;
    const yhat = Float64Array.from(net.forward(batch));
    const dO = new Float64Array(batch.T * batch.B * K);
    const y = batch.y.data as Int32Array;
    for (let r = 0; r < batch.T * batch.B; r++) for (let j = 0; j < K; j++) dO[r * K + j] = yhat[r * K + j]! - (y[r] === j ? 1 : 0);
    // garbage on masked rows must be ignored
    for (let r = 0; r < batch.T * batch.B; r++) if (!batch.mask![r]) dO.fill(1e6, r * K, (r + 1) * K);
    net.params.zeroGrad();
    net.gradientFromOutputDelta(batch, dO);
    assertClose(net.params.grad, want, 1e-12, 'gradient from δo');
    assert.throws(() => net.gradientFromOutputDelta(batch, new Float64Array(5)), /dO has 5 values, expected T×B×K/);
  });
}
