/**
 * Truncated BPTT in a two-layer stack, small enough for
 * `npm run mutate -- model`: truncation must apply in EVERY layer, not only
 * the top one (the planted bug of issue 16 that only the slow
 * truncation-stack.test.ts caught).
 *
 * One entry point: a many-to-one batch (`lossAt: "last"`), so the loss
 * enters the top layer at step T only. With `truncate: k` the gradient is
 * carried back through steps T, …, T−k+1 of layer 2, and it enters layer 1
 * at each of those steps s (through x_2(s) = h_1(s)), each entry carried
 * back through steps s, …, s−k+1 of layer 1. That is the derivative of
 *
 *   F(θ) = J(h_2(T)),  h_2 re-run over steps T−k+1..T from the recorded
 *   state h_2(T−k) held fixed, its input at step s being h_1(s) re-run over
 *   steps s−k+1..s from the recorded h_1(s−k) held fixed,
 *
 * which this file computes with its own tanh RNN equations
 * (h(t) = tanh(x(t)·U + h(t−1)·W + b_h), ŷ = h_2·V + b_o, J = Σ (ŷ − y)²)
 * and differentiates by central differences in float64: no code of the
 * library's backward pass is used. F equals J at θ (asserted), and k ≥ T
 * gives the exact gradient.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { numericGradient } from '../src/model/gradcheck.js';
import { Network, type SequenceBatch } from '../src/model/network.js';
import { maxAbsDiff } from './helpers/approx.js';

const [D, H, K, T] = [2, 3, 2, 4];
const EPS = 1e-6;

function setup(): { net: Network; batch: SequenceBatch } {
  const net = new Network({ inputSize: D, hiddenSize: H, outputSize: K, layers: 2, dtype: 'float64' });
  const rng = new Rng(11);
  // weights large enough that the cut paths carry a visible part of the gradient
  for (let i = 0; i < net.params.size; i++) net.params.data[i] = rng.uniform(-0.9, 0.9);
  const batch: SequenceBatch = {
    T, B: 1, lossAt: 'last',
    x: { kind: 'dense', data: Float64Array.from({ length: T * D }, () => rng.uniform(-1, 1)) },
    y: { kind: 'dense', data: Float64Array.from({ length: T * K }, () => rng.uniform(-1, 1)) },
  };
  return { net, batch };
}

/** One tanh RNN step of layer l (0-based) from the network's current parameters. */
function step(net: Network, l: number, x: ArrayLike<number>, h: ArrayLike<number>): Float64Array {
  const U = net.params.view(`layer${l}.U`);
  const W = net.params.view(`layer${l}.W`);
  const b = net.params.view(`layer${l}.b_h`);
  const out = new Float64Array(H);
  for (let j = 0; j < H; j++) {
    let a = b[j]!;
    for (let i = 0; i < x.length; i++) a += x[i]! * U[i * H + j]!;
    for (let i = 0; i < H; i++) a += h[i]! * W[i * H + j]!;
    out[j] = Math.tanh(a);
  }
  return out;
}

/** J of the top state at step T, ŷ = h·V + b_o, squared error. */
function outputLoss(net: Network, h: ArrayLike<number>, y: ArrayLike<number>): number {
  const V = net.params.view('V');
  const bo = net.params.view('b_o');
  let J = 0;
  for (let j = 0; j < K; j++) {
    let o = bo[j]!;
    for (let i = 0; i < H; i++) o += h[i]! * V[i * K + j]!;
    J += (o - y[j]!) ** 2;
  }
  return J;
}

const xAt = (batch: SequenceBatch, t: number): Float64Array => (batch.x.data as Float64Array).subarray((t - 1) * D, t * D);

/** Every layer's state after steps 0..T at the current parameters (h(0) = 0). */
function record(net: Network, batch: SequenceBatch): Float64Array[][] {
  const S: Float64Array[][] = [[new Float64Array(H)], [new Float64Array(H)]];
  for (let t = 1; t <= T; t++) {
    S[0]![t] = step(net, 0, xAt(batch, t), S[0]![t - 1]!);
    S[1]![t] = step(net, 1, S[0]![t]!, S[1]![t - 1]!);
  }
  return S;
}

/** F(θ) of the header, with the recorded states S held fixed. */
function truncatedObjective(net: Network, batch: SequenceBatch, S: Float64Array[][], k: number): number {
  const bottom = (s: number): Float64Array => {
    const from = Math.max(0, s - k);
    let h = S[0]![from]!;
    for (let r = from + 1; r <= s; r++) h = step(net, 0, xAt(batch, r), h);
    return h;
  };
  const from = Math.max(0, T - k);
  let h = S[1]![from]!;
  for (let s = from + 1; s <= T; s++) h = step(net, 1, bottom(s), h);
  return outputLoss(net, h, (batch.y.data as Float64Array).subarray((T - 1) * K, T * K));
}

function gradient(net: Network, batch: SequenceBatch, truncate?: number): Float64Array {
  net.params.zeroGrad();
  net.gradient(batch, truncate === undefined ? {} : { truncate });
  return Float64Array.from(net.params.grad);
}

test('two layers, T = 4, loss at step 4 only: truncate k equals the hand-built truncated gradient in both layers', () => {
  const { net, batch } = setup();
  const S = record(net, batch);
  // the hand equations are the network's: the same J at θ
  const J = net.loss(batch).loss;
  assert.ok(Math.abs(truncatedObjective(net, batch, S, T) - J) < 1e-12, 'hand forward and network disagree');
  const data = net.params.data as Float64Array;
  const layer0 = net.params.entries.filter((e) => e.name.startsWith('layer0.'));
  const [lo, hi] = [layer0[0]!.offset, layer0[layer0.length - 1]!.offset + layer0[layer0.length - 1]!.size];
  const exact = gradient(net, batch);
  for (const k of [1, 2, 3, T]) {
    assert.ok(Math.abs(truncatedObjective(net, batch, S, k) - J) < 1e-12, `k = ${k}: F(θ) ≠ J(θ)`);
    const want = numericGradient(data, () => truncatedObjective(net, batch, S, k), EPS);
    const got = gradient(net, batch, k);
    const err = maxAbsDiff(got, want);
    assert.ok(err < 1e-7, `k = ${k}: max |BPTT − definition| = ${err}`);
    // the test can fail: below k = T the bottom layer's truncated gradient is not the exact one
    const cut = maxAbsDiff(exact.subarray(lo, hi), want.subarray(lo, hi));
    if (k < T) assert.ok(cut > 1e-3, `k = ${k}: layer 1's truncated gradient is within ${cut} of the exact one`);
    else assert.ok(cut < 1e-7, `k = T: the definition is the exact gradient (differs by ${cut})`);
  }
});
