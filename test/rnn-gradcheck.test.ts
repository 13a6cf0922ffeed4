/**
 * Finite-difference gradient checks (central differences, float64) of the
 * vanilla RNN network: every hidden activation × output activation/loss ×
 * sequence shape, with and without biases, single and stacked layers.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HIDDEN_ACTIVATIONS } from '../src/core/activations.js';
import { Rng } from '../src/core/rng.js';
import { gradientCheck } from '../src/model/gradcheck.js';
import { Network, type SequenceBatch } from '../src/model/network.js';
import type { LossKind } from '../src/model/loss.js';
import type { OutputActivation } from '../src/core/activations.js';

const OUTPUTS: [OutputActivation, LossKind][] = [['linear', 'mse'], ['sigmoid', 'mse'], ['softmax', 'cross-entropy'], ['sigmoid', 'cross-entropy']];
const SHAPES = ['many-to-many', 'many-to-one', 'one-to-many'] as const;

/** A random problem of the given shape; parameters drawn from U(−0.7, 0.7) so no unit sits on a ReLU kink. */
function problem(rng: Rng, net: Network, shape: (typeof SHAPES)[number], loss: LossKind, T: number, B: number): SequenceBatch {
  const { inputSize: D, outputSize: K } = net.config;
  for (let i = 0; i < net.params.size; i++) net.params.data[i] = rng.uniform(-0.7, 0.7);
  const x = new Float64Array(T * B * D);
  for (let i = 0; i < x.length; i++) x[i] = shape === 'one-to-many' && i >= B * D ? 0 : rng.normal();
  const y = loss === 'mse'
    ? { kind: 'dense' as const, data: Float64Array.from({ length: T * B * K }, () => rng.next()) }
    : { kind: 'index' as const, data: Int32Array.from({ length: T * B }, () => rng.int(K)) };
  return { T, B, x: { kind: 'dense', data: x }, y, lossAt: shape === 'many-to-one' ? 'last' : 'all' };
}

for (const g of HIDDEN_ACTIVATIONS) {
  test(`RNN gradients, g_h = ${g}: every output/loss × shape × bias, 1 and 2 layers`, () => {
    const rng = new Rng(42);
    let worst = 0;
    for (const [go, loss] of OUTPUTS) {
      for (const shape of SHAPES) {
        for (const bias of [true, false]) {
          for (const layers of [1, 2]) {
            const net = new Network({ inputSize: 3, hiddenSize: 4, outputSize: 3, layers, hiddenActivation: g, outputActivation: go, loss, bias, dtype: 'float64' });
            const batch = problem(rng, net, shape, loss, 4, 2);
            const r = gradientCheck(net, batch);
            const label = `${go}/${loss} ${shape} bias=${bias} layers=${layers}`;
            assert.ok(r.maxRelError < 1e-6, `${label}: relative error ${r.maxRelError} (${JSON.stringify(r.perParameter)})`);
            // every parameter was checked, and the gradient is not trivially zero
            assert.equal(Object.keys(r.perParameter).length, net.params.entries.length, label);
            worst = Math.max(worst, r.maxRelError);
          }
        }
      }
    }
    assert.ok(worst > 0, 'a finite-difference check that never differs would be suspicious');
  });
}

test('RNN gradients with masks (variable-length sequences) and one-to-many argmax feedback', () => {
  const rng = new Rng(7);
  const net = new Network({ inputSize: 3, hiddenSize: 3, outputSize: 3, layers: 2, hiddenActivation: 'tanh', dtype: 'float64' });
  const masked = problem(rng, net, 'many-to-one', 'mse', 5, 3);
  const mask = new Uint8Array([1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0, 1, 0, 0]);
  assert.ok(gradientCheck(net, { ...masked, mask }).maxRelError < 1e-6);
  const feedback = problem(rng, net, 'one-to-many', 'mse', 4, 2);
  assert.ok(gradientCheck(net, { ...feedback, feedback: 'argmax' }).maxRelError < 1e-6);
});

test('symbol (one-hot index) input gives the same loss and gradients as dense one-hot input', () => {
  const rng = new Rng(3);
  const make = (): Network => new Network({ inputSize: 4, hiddenSize: 3, outputSize: 4, loss: 'cross-entropy', dtype: 'float64', seed: 9 });
  const a = make();
  const b = make();
  const T = 5;
  const B = 2;
  const idx = Int32Array.from({ length: T * B }, () => rng.int(4));
  idx[3] = -1; // the zero vector
  const dense = new Float64Array(T * B * 4);
  idx.forEach((k, r) => { if (k >= 0) dense[r * 4 + k] = 1; });
  const y = { kind: 'index' as const, data: Int32Array.from({ length: T * B }, () => rng.int(4)) };
  a.params.zeroGrad();
  b.params.zeroGrad();
  const ra = a.gradient({ T, B, x: { kind: 'index', data: idx }, y });
  const rb = b.gradient({ T, B, x: { kind: 'dense', data: dense }, y });
  assert.ok(Math.abs(ra.loss - rb.loss) < 1e-12);
  for (let i = 0; i < a.params.size; i++) assert.ok(Math.abs(a.params.grad[i]! - b.params.grad[i]!) < 1e-12, `gradient ${i}`);
  assert.ok(gradientCheck(a, { T, B, x: { kind: 'index', data: idx }, y }).maxRelError < 1e-6);
});
