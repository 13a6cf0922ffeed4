/**
 * Truncated BPTT against a brute-force truncated gradient.
 *
 * Definition: with truncation k, the loss J(t) reaches the parameters only
 * through steps t, t−1, …, t−k+1. Brute force: give every time step s its
 * own copy of U, W, b_h; then ∂J(t)/∂W_s is exactly the contribution of
 * the paths through step s, and the truncated gradient is
 * Σ_t Σ_{s=t−k+1..t} ∂J(t)/∂W_s (the same for U and b_h). V and b_o are
 * not recurrent and keep their exact gradient. Each ∂J(t)/∂W_s is computed
 * here by central differences on a separate plain-loop RNN.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { Network, type SequenceBatch } from '../src/model/network.js';

const D = 2;
const H = 3;
const K = 2;
const T = 6;

/** Squared-error loss of step `t` alone, with per-step parameter copies (tanh hidden, linear output). */
function stepLoss(t: number, Us: Float64Array[], Ws: Float64Array[], bs: Float64Array[], V: Float64Array, bo: Float64Array, x: Float64Array, y: Float64Array): number {
  let h = new Float64Array(H);
  for (let s = 1; s <= t; s++) {
    const next = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      let net = bs[s - 1]![j]!;
      for (let i = 0; i < H; i++) net += h[i]! * Ws[s - 1]![i * H + j]!;
      for (let i = 0; i < D; i++) net += x[(s - 1) * D + i]! * Us[s - 1]![i * H + j]!;
      next[j] = Math.tanh(net);
    }
    h = next;
  }
  let J = 0;
  for (let j = 0; j < K; j++) {
    let o = bo[j]!;
    for (let i = 0; i < H; i++) o += h[i]! * V[i * K + j]!;
    J += (y[(t - 1) * K + j]! - o) ** 2;
  }
  return J;
}

test('truncated BPTT equals the brute-force truncated gradient for k = 1, 2, 3, T', () => {
  const rng = new Rng(11);
  const net = new Network({ inputSize: D, hiddenSize: H, outputSize: K, hiddenActivation: 'tanh', dtype: 'float64' });
  for (let i = 0; i < net.params.size; i++) net.params.data[i] = rng.uniform(-0.9, 0.9);
  const x = Float64Array.from({ length: T * D }, () => rng.normal());
  const y = Float64Array.from({ length: T * K }, () => rng.normal());
  const batch: SequenceBatch = { T, B: 1, x: { kind: 'dense', data: x }, y: { kind: 'dense', data: y } };
  const U = Float64Array.from(net.params.view('layer0.U'));
  const W = Float64Array.from(net.params.view('layer0.W'));
  const b = Float64Array.from(net.params.view('layer0.b_h'));
  const V = Float64Array.from(net.params.view('V'));
  const bo = Float64Array.from(net.params.view('b_o'));
  const eps = 1e-6;
  for (const k of [1, 2, 3, T]) {
    const brute = { U: new Float64Array(U.length), W: new Float64Array(W.length), b: new Float64Array(b.length) };
    for (let t = 1; t <= T; t++) {
      for (let s = Math.max(1, t - k + 1); s <= t; s++) {
        for (const [name, base] of [['U', U], ['W', W], ['b', b]] as const) {
          for (let i = 0; i < base.length; i++) {
            const copies = (p: Float64Array): Float64Array[] => Array.from({ length: T }, () => Float64Array.from(p));
            const Us = copies(U);
            const Ws = copies(W);
            const bs = copies(b);
            const target = name === 'U' ? Us : name === 'W' ? Ws : bs;
            target[s - 1]![i] = base[i]! + eps;
            const plus = stepLoss(t, Us, Ws, bs, V, bo, x, y);
            target[s - 1]![i] = base[i]! - eps;
            const minus = stepLoss(t, Us, Ws, bs, V, bo, x, y);
            brute[name][i]! += (plus - minus) / (2 * eps);
          }
        }
      }
    }
    net.params.zeroGrad();
    net.gradient(batch, { truncate: k });
    for (const [name, param] of [['U', 'layer0.U'], ['W', 'layer0.W'], ['b', 'layer0.b_h']] as const) {
      const got = net.params.gradView(param);
      const want = brute[name];
      let diff = 0;
      let norm = 0;
      for (let i = 0; i < want.length; i++) {
        diff += (got[i]! - want[i]!) ** 2;
        norm += want[i]! ** 2;
      }
      assert.ok(Math.sqrt(diff / norm) < 1e-6, `k = ${k}, ∂J/∂${name}: relative error ${Math.sqrt(diff / norm)}`);
    }
  }
  // Truncation really changes the gradient (k = 1 differs from exact).
  net.params.zeroGrad();
  net.gradient(batch, { truncate: 1 });
  const truncated = Float64Array.from(net.params.gradView('layer0.W'));
  net.params.zeroGrad();
  net.gradient(batch);
  const exact = net.params.gradView('layer0.W');
  assert.ok(truncated.some((v, i) => Math.abs(v - exact[i]!) > 1e-3));
});
