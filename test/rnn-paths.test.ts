/**
 * The RNN cell's less travelled paths, each against central differences:
 * masks (holes, left padding) with B ≥ 4 (the packed-W products), a given
 * initial state and ∂J/∂h(0), truncation with masks and ∂J/∂h(0), the
 * step-by-step forward of argmax feedback, and the parameter count without
 * biases. Fast enough for the mutation runs (npm run mutate -- cells).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { assertFeedbackEqualsPlainForward } from './helpers/feedback.js';
import { Network, type SequenceBatch } from '../src/model/network.js';
import { bruteForceTruncated, numericGradient, numericInitGradient, relativeError } from './helpers/truncation.js';

const TOL = 1e-6;
const D = 2;
const H = 3;
const K = 3;
const T = 5;
const B = 5;
/** T×B: sequences 0 and 4 full, 1 left-padded by two, 2 with holes at 2 and 4, 3 ending after step 3. */
const MASK = Uint8Array.from([
  1, 0, 1, 1, 1,
  1, 0, 0, 1, 1,
  1, 1, 1, 1, 1,
  1, 1, 0, 0, 1,
  1, 1, 1, 0, 1,
]);

function problem(seed: number, withInit: boolean, lossSteps = T): { net: Network; batch: SequenceBatch } {
  const net = new Network({ inputSize: D, hiddenSize: H, outputSize: K, loss: 'cross-entropy', dtype: 'float64' });
  const rng = new Rng(seed);
  for (let i = 0; i < net.params.size; i++) net.params.data[i] = rng.uniform(-0.9, 0.9);
  const batch: SequenceBatch = {
    T, B,
    x: { kind: 'dense', data: Float64Array.from({ length: T * B * D }, () => rng.uniform(-1, 1)) },
    y: { kind: 'index', data: Int32Array.from({ length: T * B }, (_, i) => (Math.floor(i / B) < lossSteps ? rng.int(K) : -1)) },
    mask: MASK,
    ...(withInit ? { init: [{ h: Float64Array.from({ length: B * H }, () => rng.uniform(-0.8, 0.8)) }] } : {}),
  };
  return { net, batch };
}

test('rnn, B = 5 with holes, left padding and early ends: exact gradient and ∂J/∂h(0) against central differences', () => {
  for (const withInit of [false, true]) {
    const { net, batch } = problem(withInit ? 2 : 1, withInit);
    const init = { init: [{ h: batch.init ? batch.init[0]!.h : new Float64Array(B * H) }] };
    const b2: SequenceBatch = { ...batch, ...init };
    net.params.zeroGrad();
    const g = net.gradient(b2, { initGradient: true });
    const analytic = Float64Array.from(net.params.grad);
    const err = relativeError(analytic, numericGradient(net, [b2]));
    assert.ok(err < TOL, `init ${withInit}: ∂J/∂θ relative error ${err}`);
    const e0 = relativeError(g.initGradient![0]!.h, numericInitGradient(net, b2)[0]!.h);
    assert.ok(e0 < TOL, `init ${withInit}: ∂J/∂h(0) relative error ${e0}`);
    // without batch.init the same gradient (h(0) = 0 is skipped, not mistaken)
    if (!withInit) {
      net.params.zeroGrad();
      net.gradient(batch);
      assert.ok(relativeError(net.params.grad, analytic) < 1e-14);
    }
  }
});

test('rnn, truncation with masks and B = 5: the brute-force truncated gradient; ∂J/∂h(0) where nothing is cut', () => {
  const { net, batch } = problem(3, true);
  for (const k of [1, 2, 3]) {
    net.params.zeroGrad();
    net.gradient(batch, { truncate: k });
    const err = relativeError(net.params.grad, bruteForceTruncated(net, batch, k));
    assert.ok(err < TOL, `k = ${k}: relative error ${err}`);
  }
  // losses only at steps 1..2: truncate 2 cuts nothing, so ∂J/∂h(0) is exact
  const early = problem(4, true, 2);
  net.params.zeroGrad();
  const g = early.net.gradient(early.batch, { truncate: 2, initGradient: true });
  const e0 = relativeError(g.initGradient![0]!.h, numericInitGradient(early.net, early.batch)[0]!.h);
  assert.ok(e0 < TOL, `∂J/∂h(0) relative error ${e0}`);
  assert.ok(g.initGradient![0]!.h.some((v) => Math.abs(v) > 1e-3), 'a gradient reaches h(0)');
});

test('rnn, argmax feedback (step-by-step forward): equals a whole-sequence forward on the inputs it fed itself', () => {
  const net = new Network({ inputSize: K, hiddenSize: H, outputSize: K, loss: 'cross-entropy', dtype: 'float64', seed: 5 });
  const rng = new Rng(6);
  for (let i = 0; i < net.params.size; i++) net.params.data[i] = rng.uniform(-1.5, 1.5);
  assertFeedbackEqualsPlainForward(net, T, B, K, MASK);
});

test('rnn without biases: U, W and V only', () => {
  const net = new Network({ inputSize: D, hiddenSize: H, outputSize: K, bias: false });
  assert.equal(net.params.size, D * H + H * H + H * K);
  assert.deepEqual(net.params.entries.map((e) => e.name), ['layer0.U', 'layer0.W', 'V']);
  const U = net.params.view('layer0.U');
  // U ~ uniform(±1/√H)
  assert.ok(U.every((v) => Math.abs(v) <= 1 / Math.sqrt(H)) && U.some((v) => Math.abs(v) > 0.5 / Math.sqrt(H)));
});

test('rnn in float32 (the WebAssembly kernels where available: fused tanh, packed W for B ≥ 4) equals the float64 network', () => {
  for (const activation of ['tanh', 'relu', 'linear'] as const) {
    const make = (dtype: 'float32' | 'float64'): Network => new Network({ inputSize: D, hiddenSize: H, outputSize: K, hiddenActivation: activation, dtype, seed: 9 });
    const n64 = make('float64');
    const n32 = make('float32');
    n32.params.data.set(n64.params.data);
    const rng = new Rng(10);
    const x = Array.from({ length: T * B * D }, () => rng.uniform(-1, 1));
    const y = Array.from({ length: T * B * K }, () => rng.uniform(-1, 1));
    const batch = (A: Float64ArrayConstructor | Float32ArrayConstructor, mask?: Uint8Array): SequenceBatch => ({
      T, B, x: { kind: 'dense', data: A.from(x) }, y: { kind: 'dense', data: A.from(y) }, ...(mask ? { mask } : {}),
    });
    for (const mask of [undefined, MASK]) {
      for (const truncate of [undefined, 2]) {
        const opts = truncate ? { truncate } : {};
        n64.params.zeroGrad();
        const j64 = n64.gradient(batch(Float64Array, mask), opts).loss;
        n32.params.zeroGrad();
        const j32 = n32.gradient(batch(Float32Array, mask), opts).loss;
        const what = `${activation}, mask ${mask ? 'on' : 'off'}, truncate ${truncate}`;
        assert.ok(Math.abs(j32 - j64) < 1e-5 * Math.max(1, Math.abs(j64)), `${what}: J ${j32} vs ${j64}`);
        const err = relativeError(n32.params.grad, n64.params.grad);
        assert.ok(err < 1e-5, `${what}: gradient relative error ${err}`);
      }
    }
  }
});

test('rnn: gradients are added to params.grad (two calls without zeroGrad give twice one call)', () => {
  const { net, batch } = problem(7, true);
  net.params.zeroGrad();
  net.gradient(batch);
  const once = Float64Array.from(net.params.grad);
  net.gradient(batch);
  assert.ok(relativeError(net.params.grad, once.map((v) => 2 * v)) < 1e-14);
});

test('rnn, truncate k with losses at every step: ∂J/∂h(0) gets only the sources t ≤ k', () => {
  const { net, batch } = problem(8, true);
  const k = 2;
  net.params.zeroGrad();
  const g = net.gradient(batch, { truncate: k, initGradient: true });
  // the sources that reach h(0) within k steps: the losses at steps 1..k
  const y = Int32Array.from(batch.y.data as Int32Array, (v, i) => (Math.floor(i / B) < k ? v : -1));
  const early: SequenceBatch = { ...batch, y: { kind: 'index', data: y } };
  const err = relativeError(g.initGradient![0]!.h, numericInitGradient(net, early)[0]!.h);
  assert.ok(err < TOL, `∂J/∂h(0) relative error ${err}`);
  assert.ok(relativeError(g.initGradient![0]!.h, numericInitGradient(net, batch)[0]!.h) > 1e-3, 'the cut sources would change ∂J/∂h(0)');
});

test('rnn: the lecture gradient mode refuses a mask', () => {
  const { net, batch } = problem(9, false);
  assert.throws(() => net.gradient(batch, { gradientMode: 'lecture' }), /gradientMode "lecture" supports only a single unmasked RNN layer/);
});
