/**
 * The lecture gradient mode (docs/maths.md §5) with a tanh hidden layer,
 * against the slides' formulas computed here by hand in float64:
 *
 *   factor(t) = δo(t)·Vᵀ·Π_{z=2..t}(g_h'(neth(z−1))·Wᵀ)
 *   ∂J/∂W = Σ_t h(t−1)ᵀ·factor(t)    ∂J/∂U = Σ_t x(t)ᵀ·factor(t)    ∂J/∂V = Σ_t h(t)ᵀ·δo(t)
 *
 * The worked example (lecture.test.ts) has linear activations, whose
 * derivative is 1 at every step; with tanh, g_h' read at another step
 * gives other numbers. Small and fast for `npm run mutate -- cells`.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { Network, type SequenceBatch } from '../src/model/network.js';
import { relativeError } from './helpers/truncation.js';

const D = 3;
const H = 2;
const K = 3;
const T = 4;

/** Row vector a (1×r) times M (r×c, row-major), or times Mᵀ when M is c×r. */
function times(a: number[], M: ArrayLike<number>, rows: number, cols: number, transpose = false): number[] {
  const out = new Array<number>(transpose ? rows : cols).fill(0);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
    if (transpose) out[i]! += a[j]! * M[i * cols + j]!;
    else out[j]! += a[i]! * M[i * cols + j]!;
  }
  return out;
}

/** The slides' gradients [∂J/∂U, ∂J/∂W, ∂J/∂V] (flattened in the network's order) for one sequence. */
function slides(U: Float64Array, W: Float64Array, V: Float64Array, x: number[][], y: number[][], tanh: boolean, derivativeStep = (z: number): number => z - 1): number[] {
  const g = tanh ? Math.tanh : (v: number): number => v;
  const dg = (h: number): number => (tanh ? 1 - h * h : 1);
  const h: number[][] = [new Array(H).fill(0)];
  for (let t = 1; t <= T; t++) {
    const net = times(h[t - 1]!, W, H, H).map((v, j) => v + times(x[t - 1]!, U, D, H)[j]!);
    h.push(net.map(g));
  }
  const dU = new Array<number>(D * H).fill(0);
  const dW = new Array<number>(H * H).fill(0);
  const dV = new Array<number>(H * K).fill(0);
  for (let t = 1; t <= T; t++) {
    const yhat = times(h[t]!, V, H, K);
    const dO = yhat.map((v, k) => 2 * (v - y[t - 1]![k]!)); // mse, linear output: δo = 2(ŷ − y)
    let factor = times(dO, V, H, K, true); // δo(t)·Vᵀ
    for (let z = 2; z <= t; z++) factor = times(factor.map((f, j) => f * dg(h[derivativeStep(z)]![j]!)), W, H, H, true);
    for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) dW[i * H + j]! += h[t - 1]![i]! * factor[j]!;
    for (let i = 0; i < D; i++) for (let j = 0; j < H; j++) dU[i * H + j]! += x[t - 1]![i]! * factor[j]!;
    for (let i = 0; i < H; i++) for (let k = 0; k < K; k++) dV[i * K + k]! += h[t]![i]! * dO[k]!;
  }
  return [...dU, ...dW, ...dV];
}

for (const activation of ['linear', 'tanh'] as const) {
  test(`lecture mode, ${activation} hidden layer, T = ${T}: the slides' formulas computed by hand`, () => {
    const net = new Network({
      cell: 'rnn', inputSize: D, hiddenSize: H, outputSize: K, hiddenActivation: activation,
      outputActivation: 'linear', loss: 'mse', bias: false, dtype: 'float64',
    });
    assert.deepEqual(net.params.entries.map((e) => e.name), ['layer0.U', 'layer0.W', 'V']);
    const rng = new Rng(21);
    for (let i = 0; i < net.params.size; i++) net.params.data[i] = rng.uniform(-1.2, 1.2);
    const x = Array.from({ length: T }, () => Array.from({ length: D }, () => rng.uniform(-1, 1)));
    const y = Array.from({ length: T }, () => Array.from({ length: K }, () => rng.uniform(-1, 1)));
    const batch: SequenceBatch = { T, B: 1, x: { kind: 'dense', data: Float64Array.from(x.flat()) }, y: { kind: 'dense', data: Float64Array.from(y.flat()) } };
    net.params.zeroGrad();
    net.gradient(batch, { gradientMode: 'lecture' });
    const v = (name: string): Float64Array => net.params.view(name) as Float64Array;
    const expected = slides(v('layer0.U'), v('layer0.W'), v('V'), x, y, activation === 'tanh');
    const err = relativeError(net.params.grad, expected);
    assert.ok(err < 1e-12, `relative error ${err}`);
    if (activation === 'tanh') {
      // the step matters: g_h' read at z instead of z − 1 gives other numbers
      const shifted = slides(v('layer0.U'), v('layer0.W'), v('V'), x, y, true, (z) => z);
      assert.ok(relativeError(shifted, expected) > 1e-3, `g_h'(neth(z)): ${relativeError(shifted, expected)}`);
    }
  });
}
