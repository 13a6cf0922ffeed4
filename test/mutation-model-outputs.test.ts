/**
 * The network's output layer, loss and bookkeeping, for
 * `npm run mutate -- model`, each against numbers computed here from the
 * layers' states (stateAt) and the output weights, not from the network's
 * own output code:
 *
 * - ŷ = g_o(h_L·V + b_o) for every output activation, on the JavaScript
 *   kernels (float64) and on the WebAssembly ones (float32, whose softmax
 *   is a kernel of its own);
 * - J and the count over the steps that carry loss: masks with holes, left
 *   padding and an empty sequence, many-to-one, symbol targets of −1,
 *   per-sequence weights; and ∂J/∂θ against central differences for the
 *   same batches;
 * - a bidirectional many-to-one output reads [h→(last) | h←(1)];
 * - BPTT from a caller's δo ignores the rows of masked steps;
 * - ∂J/∂(initial state) only when asked for, h and C for the LSTM;
 * - work buffers per batch size: four kept, a fifth drops the oldest.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsKernels } from '../src/core/kernels.js';
import { Rng } from '../src/core/rng.js';
import { kernelsName, useKernels } from '../src/kernels/index.js';
import { Network, type NetworkOptions, type SequenceBatch } from '../src/model/network.js';

const wasm = useKernels('wasm');

const [D, H, K, T, B] = [2, 3, 3, 4, 4];
/** T×B: sequence 0 full, 1 left-padded by one step, 2 with a hole at step 3 and ending after it... 3 empty. */
const MASK = Uint8Array.from([
  1, 0, 1, 0,
  1, 1, 1, 0,
  1, 1, 0, 0,
  1, 1, 1, 0,
]);
/** Each sequence's last valid step (0: none). */
const LAST = [4, 4, 4, 0];
const MASK_ENDS = Uint8Array.from([
  1, 1, 1, 0,
  1, 1, 0, 0,
  1, 0, 0, 0,
  1, 0, 0, 0,
]);
const LAST_ENDS = [4, 2, 1, 0];

function net(options: Partial<NetworkOptions>, seed = 5): Network {
  const n = new Network({ inputSize: D, hiddenSize: H, outputSize: K, dtype: 'float64', kernels: jsKernels, ...options });
  const rng = new Rng(seed);
  for (let i = 0; i < n.params.size; i++) n.params.data[i] = rng.uniform(-1, 1);
  return n;
}

function denseBatch(dtype: 'float32' | 'float64', seed: number, extra: Partial<SequenceBatch> = {}): SequenceBatch {
  const rng = new Rng(seed);
  const values = Array.from({ length: T * B * D }, () => rng.uniform(-1, 1));
  return {
    T, B,
    x: { kind: 'dense', data: dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values) },
    y: { kind: 'dense', data: Float64Array.from({ length: T * B * K }, () => rng.uniform(0.05, 0.95)) },
    ...extra,
  };
}

/** ŷ(t, b) from the top layer's state after the last pass: g_o(h_L·V + b_o), by hand. */
function outputsByHand(n: Network, Tn: number, Bn: number): Float64Array {
  const { outputActivation: g, outputSize: Kn } = n.config;
  const S = n.config.bidirectional ? 2 * n.config.hiddenSize : n.config.hiddenSize;
  const out = new Float64Array(Tn * Bn * Kn);
  for (let t = 1; t <= Tn; t++) {
    const h = n.stateAt(t, Bn)[n.layers.length - 1]!.h;
    for (let b = 0; b < Bn; b++) {
      const o = ((t - 1) * Bn + b) * Kn;
      for (let j = 0; j < Kn; j++) {
        let z = n.b_o ? n.b_o[j]! : 0;
        for (let i = 0; i < S; i++) z += h[b * S + i]! * n.V[i * Kn + j]!;
        out[o + j] = g === 'sigmoid' ? 1 / (1 + Math.exp(-z)) : z;
      }
      if (g === 'softmax') {
        let m = -Infinity;
        for (let j = 0; j < Kn; j++) m = Math.max(m, out[o + j]!);
        let s = 0;
        for (let j = 0; j < Kn; j++) s += (out[o + j] = Math.exp(out[o + j]! - m));
        for (let j = 0; j < Kn; j++) out[o + j]! /= s;
      }
    }
  }
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'lengths');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** J of one row by hand: squared error, softmax cross-entropy, or binary cross-entropy per output. */
function rowLossByHand(n: Network, p: ArrayLike<number>, y: number[]): number {
  let J = 0;
  for (let j = 0; j < p.length; j++) {
    if (n.config.loss === 'mse') J += (y[j]! - p[j]!) ** 2;
    else if (n.config.outputActivation === 'softmax') J -= y[j]! * Math.log(p[j]!);
    else J -= y[j]! * Math.log(p[j]!) + (1 - y[j]!) * Math.log(1 - p[j]!);
  }
  return J;
}

function numericGradient(n: Network, batch: SequenceBatch): Float64Array {
  const v = n.params.data;
  const g = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const keep = v[i]!;
    v[i] = keep + 1e-6;
    const plus = n.loss(batch).loss;
    v[i] = keep - 1e-6;
    const minus = n.loss(batch).loss;
    v[i] = keep;
    g[i] = (plus - minus) / 2e-6;
  }
  return g;
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    s += a[i]! ** 2 + b[i]! ** 2;
  }
  return Math.sqrt(d / s);
}

const OUTPUTS = [
  { outputActivation: 'linear', loss: 'mse' },
  { outputActivation: 'sigmoid', loss: 'mse' },
  { outputActivation: 'softmax', loss: 'cross-entropy' },
  { outputActivation: 'sigmoid', loss: 'cross-entropy' },
] as const;

test('ŷ = g_o(h_L·V + b_o) for every output activation, two layers, float64 (JavaScript kernels), with and without b_o', () => {
  for (const o of OUTPUTS) {
    for (const bias of [true, false]) {
      const n = net({ ...o, bias, layers: 2 });
      const y = n.forward(denseBatch('float64', 1));
      assert.equal(y.length, T * B * K);
      assert.ok(maxDiff(y, outputsByHand(n, T, B)) < 1e-12, `${o.outputActivation}, bias ${bias}`);
    }
  }
});

test('float32 on the WebAssembly kernels (their softmax kernel): ŷ by hand, for softmax, sigmoid and linear outputs', () => {
  assert.match(kernelsName(), /^wasm/);
  for (const o of OUTPUTS) {
    const n = new Network({ inputSize: D, hiddenSize: H, outputSize: K, kernels: wasm, seed: 3, ...o });
    for (let j = 0; j < K; j++) n.b_o![j] = 0.3 * (j - 1);
    const y = n.forward(denseBatch('float32', 2));
    assert.ok(maxDiff(y, outputsByHand(n, T, B)) < 1e-6, o.outputActivation);
  }
});

test('the loss and its count: every step that counts, masks with holes, left padding and an empty sequence; weights; symbol targets of −1', () => {
  for (const o of OUTPUTS) {
    for (const lossAt of ['all', 'last'] as const) {
      for (const [mask, last] of [[MASK, LAST], [MASK_ENDS, LAST_ENDS]] as const) {
        const n = net({ ...o, layers: 2 }, 7);
        const weights = [1, 0.5, 2, 3];
        const batch = denseBatch('float64', 3, { mask, lossAt, weights });
        if (o.outputActivation === 'softmax') {
          // targets that are distributions
          const yd = batch.y.data as Float64Array;
          for (let r = 0; r < T * B; r++) {
            let s = 0;
            for (let j = 0; j < K; j++) s += yd[r * K + j]!;
            for (let j = 0; j < K; j++) yd[r * K + j]! /= s;
          }
        }
        const yhat = Float64Array.from(n.forward(batch));
        let J = 0;
        let count = 0;
        for (let t = 1; t <= T; t++) {
          for (let b = 0; b < B; b++) {
            const r = (t - 1) * B + b;
            if (!mask[r] || (lossAt === 'last' && last[b] !== t)) continue;
            J += weights[b]! * rowLossByHand(n, yhat.subarray(r * K, (r + 1) * K), Array.from((batch.y.data as Float64Array).subarray(r * K, (r + 1) * K)));
            count++;
          }
        }
        const what = `${o.outputActivation}/${o.loss}, loss at ${lossAt}`;
        const got = n.loss(batch);
        assert.equal(got.count, count, what);
        assert.ok(Math.abs(got.loss - J) < 1e-12 * Math.max(1, J), `${what}: J ${got.loss} ≠ ${J}`);
        n.params.zeroGrad();
        const g = n.gradient(batch);
        assert.equal(g.count, count);
        assert.ok(Math.abs(g.loss - J) < 1e-12 * Math.max(1, J));
        assert.equal('initGradient' in g, false, 'no ∂J/∂h(0) unless asked for');
        const err = relErr(n.params.grad, numericGradient(n, batch));
        assert.ok(err < 1e-6, `${what}: gradient relative error ${err}`);
      }
    }
  }
});

test('symbol targets: −1 carries no loss; softmax + cross-entropy (its one-hot shortcut) and the general rows agree with the hand loss and with central differences', () => {
  const targets = Int32Array.from([0, 2, -1, 1, 1, -1, 2, 0, 2, 0, 1, -1, -1, 1, 0, 2]);
  for (const o of OUTPUTS) {
    const n = net({ ...o }, 9);
    const batch: SequenceBatch = { ...denseBatch('float64', 4), y: { kind: 'index', data: targets }, mask: MASK, weights: [2, 1, 1, 0.25] };
    const yhat = Float64Array.from(n.forward(batch));
    let J = 0;
    let count = 0;
    for (let r = 0; r < T * B; r++) {
      if (!MASK[r] || targets[r]! < 0) continue;
      const y = Array.from({ length: K }, (_, j) => (j === targets[r] ? 1 : 0));
      J += [2, 1, 1, 0.25][r % B]! * rowLossByHand(n, yhat.subarray(r * K, (r + 1) * K), y);
      count++;
    }
    const got = n.loss(batch);
    assert.equal(got.count, count);
    assert.ok(Math.abs(got.loss - J) < 1e-12 * J, `${o.outputActivation}/${o.loss}: ${got.loss} ≠ ${J}`);
    n.params.zeroGrad();
    n.gradient(batch);
    const err = relErr(n.params.grad, numericGradient(n, batch));
    assert.ok(err < 1e-6, `${o.outputActivation}/${o.loss}: gradient relative error ${err}`);
  }
});

test('bidirectional many-to-one: the output at each last step reads [h→(last) | h←(1)]; the gradient against central differences', () => {
  for (const cell of ['rnn', 'lstm'] as const) {
    const n = net({ cell, bidirectional: true, layers: 2 }, 11);
    const batch = denseBatch('float64', 5, { mask: MASK_ENDS, lossAt: 'last' });
    const yhat = Float64Array.from(n.forward(batch));
    // the top layer's rows at step 1 and at each last step, from stateAt after this pass
    for (let b = 0; b < B; b++) {
      const t = LAST_ENDS[b]!;
      if (t === 0) continue;
      const atLast = n.stateAt(t, B)[1]!.h.slice(b * 2 * H, (b + 1) * 2 * H);
      const first = n.stateAt(1, B)[1]!.h.slice(b * 2 * H, (b + 1) * 2 * H);
      assert.deepEqual(Array.from(atLast.subarray(H)), Array.from(first.subarray(H)), `sequence ${b}: h←(1) in the last row`);
    }
    assert.ok(maxDiff(yhat, outputsByHand(n, T, B)) < 1e-12);
    n.params.zeroGrad();
    n.gradient(batch);
    const err = relErr(n.params.grad, numericGradient(n, batch));
    assert.ok(err < 1e-6, `${cell}: gradient relative error ${err}`);
  }
});

test('BPTT from a caller\'s δo: the rows of masked steps are ignored, the others used as given', () => {
  const n = net({ layers: 2 }, 13);
  const batch = denseBatch('float64', 6, { mask: MASK });
  const rng = new Rng(14);
  const dO = Float64Array.from({ length: T * B * K }, () => rng.uniform(-1, 1));
  // the reference: the gradient of Σ_(counted rows) δo·neto (linear output), by central differences
  const f = (): number => {
    const y = n.forward(batch);
    let s = 0;
    for (let r = 0; r < T * B; r++) if (MASK[r]) for (let j = 0; j < K; j++) s += dO[r * K + j]! * y[r * K + j]!;
    return s;
  };
  const v = n.params.data;
  const want = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const keep = v[i]!;
    v[i] = keep + 1e-6;
    const plus = f();
    v[i] = keep - 1e-6;
    const minus = f();
    v[i] = keep;
    want[i] = (plus - minus) / 2e-6;
  }
  const garbage = Float64Array.from(dO);
  for (let r = 0; r < T * B; r++) if (!MASK[r]) garbage.fill(1e6, r * K, (r + 1) * K);
  n.params.zeroGrad();
  assert.equal(n.gradientFromOutputDelta(batch, garbage), undefined, 'no ∂J/∂h(0) unless asked for');
  assert.ok(relErr(n.params.grad, want) < 1e-6, `relative error ${relErr(n.params.grad, want)}`);
  // ∂/∂h(0) when asked for: h and C for the LSTM, h alone for the RNN and the GRU
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    const m = net({ cell, layers: 2 }, 15);
    const init = [0, 1].map(() => (cell === 'lstm' ? { h: new Float64Array(B * H).fill(0.1), c: new Float64Array(B * H).fill(0.2) } : { h: new Float64Array(B * H).fill(0.1) }));
    const b2 = { ...batch, init };
    const states = m.gradientFromOutputDelta(b2, dO, { initGradient: true })!;
    assert.equal(states.length, 2);
    for (const s of states) assert.deepEqual(Object.keys(s).sort(), cell === 'lstm' ? ['c', 'h'] : ['h']);
    const r = m.gradient(b2, { initGradient: true });
    assert.equal(r.initGradient!.length, 2);
    // ∂J/∂h_l(0) against central differences, both layers
    for (let l = 0; l < 2; l++) {
      const h0 = init[l]!.h;
      for (const i of [0, B * H - 1]) {
        const keep = h0[i]!;
        h0[i] = keep + 1e-6;
        const plus = m.loss(b2).loss;
        h0[i] = keep - 1e-6;
        const minus = m.loss(b2).loss;
        h0[i] = keep;
        const fd = (plus - minus) / 2e-6;
        assert.ok(Math.abs(r.initGradient![l]!.h[i]! - fd) < 1e-6 * Math.max(1, Math.abs(fd)), `${cell}, layer ${l}, element ${i}`);
      }
    }
  }
});

test('work buffers: a longer T grows them, a shorter one reuses them; four batch sizes kept, a fifth drops the oldest', () => {
  const n = net({}, 17);
  const pass = (Tn: number, Bn: number): Float64Array => {
    const rng = new Rng(Tn * 10 + Bn);
    return Float64Array.from(n.forward({
      T: Tn, B: Bn,
      x: { kind: 'dense', data: Float64Array.from({ length: Tn * Bn * D }, () => rng.uniform(-1, 1)) },
      y: { kind: 'dense', data: new Float64Array(Tn * Bn * K) },
    }));
  };
  const y3 = pass(3, 2);
  assert.equal(y3.length, 3 * 2 * K);
  const y5 = pass(5, 2);
  assert.equal(y5.length, 5 * 2 * K);
  assert.ok(maxDiff(y5, outputsByHand(n, 5, 2)) < 1e-12);
  assert.equal(pass(2, 2).length, 2 * 2 * K);
  n.stateAt(5, 2); // capacity 5 kept
  assert.deepEqual(pass(3, 2), y3, 'the same batch, the same outputs after the buffers grew');
  for (const Bn of [1, 3, 4]) pass(2, Bn);
  for (const Bn of [1, 2, 3, 4]) n.stateAt(1, Bn);
  pass(2, 5); // a fifth size drops the oldest, B = 2
  assert.throws(() => n.stateAt(1, 2), /no forward pass of that shape/);
  for (const Bn of [1, 3, 4, 5]) n.stateAt(1, Bn);
});

test('argmax feedback with symbol inputs: the caller\'s x is not written, and the outputs equal a plain pass on the inputs fed', () => {
  const n = new Network({ inputSize: K, hiddenSize: H, outputSize: K, dtype: 'float64', seed: 19, loss: 'cross-entropy', kernels: jsKernels });
  const x = Int32Array.from([0, 2, -1, 1, 0, 0, 0, 0]);
  const y = { kind: 'index' as const, data: new Int32Array(8) };
  const fed = Float64Array.from(n.forward({ T: 4, B: 2, x: { kind: 'index', data: x }, y, feedback: 'argmax' }));
  assert.deepEqual(Array.from(x), [0, 2, -1, 1, 0, 0, 0, 0]);
  const plain = Int32Array.from(x);
  for (let t = 1; t < 4; t++) {
    for (let b = 0; b < 2; b++) {
      const row = fed.subarray(((t - 1) * 2 + b) * K, ((t - 1) * 2 + b + 1) * K);
      plain[t * 2 + b] = row.indexOf(Math.max(...row));
    }
  }
  const again = n.forward({ T: 4, B: 2, x: { kind: 'index', data: plain }, y });
  assert.ok(maxDiff(again, fed) < 1e-15);
});
