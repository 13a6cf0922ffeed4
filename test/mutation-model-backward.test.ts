/**
 * The network's backward paths that the other mutation-model files leave
 * open, for `npm run mutate -- model`, each against central differences in
 * float64 or numbers computed here:
 *
 * - a bidirectional network with loss at every step: ŷ(t) reads
 *   [h→(t) | h←(t)], h← from the backward cell alone on the reversed
 *   sequence (only many-to-one reads h←(1) at the last step), and its
 *   gradient; many-to-one with every sequence ending at step T;
 * - ∂J/∂(initial state) for every element of h (and the LSTM's C), twice
 *   in a row on the same work buffers: each call's own value, not a sum;
 * - the loss: dense targets below 0 count; sigmoid + cross-entropy on
 *   symbol targets gives the same J from gradient() as from loss();
 * - the δo length refusal with B > 1 in its message;
 * - gradcheck.ts: a loss that computes gradients itself (as a training loss
 *   does) leaves the compared gradient in params.grad, and the comparison
 *   is made against the gradient from before it ran; a batch given alone
 *   is checked as a list of one.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShapeError } from '../src/core/errors.js';
import { jsKernels } from '../src/core/kernels.js';
import { Rng } from '../src/core/rng.js';
import { checkParameters, gradientCheck, numericGradient, relativeError } from '../src/model/gradcheck.js';
import { Network, type SequenceBatch } from '../src/model/network.js';
import { randomNetwork as randomNet } from './helpers/random-network.js';


test('bidirectional, loss at every step: ŷ(t) = [h→(t) | h←(t)]·V + b_o with h← from the backward cell alone on the reversed sequence; the gradient against central differences', () => {
  const [D, H, Kb, T, B] = [2, 2, 2, 4, 2];
  for (const cell of ['rnn', 'gru'] as const) {
    const bi = randomNet({ cell, inputSize: D, hiddenSize: H, outputSize: Kb, bidirectional: true }, 23);
    const rng = new Rng(24);
    const x = Float64Array.from({ length: T * B * D }, () => rng.uniform(-1, 1));
    const batch: SequenceBatch = {
      T, B, x: { kind: 'dense', data: x },
      y: { kind: 'dense', data: Float64Array.from({ length: T * B * Kb }, () => rng.uniform(-1, 1)) },
    };
    const yhat = Float64Array.from(bi.forward(batch));
    // each direction as a one-way network with that direction's cell parameters
    const one = (prefix: string, input: Float64Array): Float64Array[] => {
      const n = new Network({ cell, inputSize: D, hiddenSize: H, outputSize: 1, dtype: 'float64', kernels: jsKernels });
      for (const e of n.params.entries) if (e.name.startsWith('layer0.')) n.params.view(e.name).set(bi.params.view(e.name.replace('layer0.', prefix)));
      n.forward({ T, B, x: { kind: 'dense', data: input }, y: { kind: 'dense', data: new Float64Array(T * B) } });
      return Array.from({ length: T }, (_, t) => Float64Array.from(n.stateAt(t + 1, B)[0]!.h));
    };
    const reversed = new Float64Array(T * B * D);
    for (let t = 0; t < T; t++) reversed.set(x.subarray(t * B * D, (t + 1) * B * D), (T - 1 - t) * B * D);
    const fwd = one('layer0.', x);
    const bwd = one('layer0.reverse.', reversed);
    for (let t = 1; t <= T; t++) {
      for (let b = 0; b < B; b++) {
        const s = [...fwd[t - 1]!.subarray(b * H, (b + 1) * H), ...bwd[T - t]!.subarray(b * H, (b + 1) * H)];
        for (let j = 0; j < Kb; j++) {
          let z = bi.b_o![j]!;
          for (let i = 0; i < 2 * H; i++) z += s[i]! * bi.V[i * Kb + j]!;
          const got = yhat[((t - 1) * B + b) * Kb + j]!;
          assert.ok(Math.abs(got - z) < 1e-12, `${cell}: ŷ(t=${t}, b=${b}, ${j}) = ${got}, by hand ${z}`);
        }
      }
    }
    bi.params.zeroGrad();
    bi.gradient(batch);
    const analytic = Float64Array.from(bi.params.grad);
    const err = relativeError(analytic, numericGradient(bi.params.data, () => bi.loss(batch).loss));
    assert.ok(err < 1e-7, `${cell}: gradient relative error ${err}`);
  }
});

test('∂J/∂(initial state): every element of h (and C for the LSTM) against central differences, asked for twice on the same buffers', () => {
  const [D, H, Kn, T, B] = [2, 3, 2, 3, 4];
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    const n = randomNet({ cell, inputSize: D, hiddenSize: H, outputSize: Kn, layers: 2 }, 31);
    const rng = new Rng(32);
    const init = [0, 1].map(() => ({
      h: Float64Array.from({ length: B * H }, () => rng.uniform(-0.5, 0.5)),
      ...(cell === 'lstm' ? { c: Float64Array.from({ length: B * H }, () => rng.uniform(-0.5, 0.5)) } : {}),
    }));
    const batch: SequenceBatch = {
      T, B, init,
      x: { kind: 'dense', data: Float64Array.from({ length: T * B * D }, () => rng.uniform(-1, 1)) },
      y: { kind: 'dense', data: Float64Array.from({ length: T * B * Kn }, () => rng.uniform(-1, 1)) },
    };
    const loss = (): number => n.loss(batch).loss;
    const want = init.map((s) => ({ h: numericGradient(s.h, loss), c: s.c ? numericGradient(s.c, loss) : null }));
    for (const call of [1, 2]) {
      const got = n.gradient(batch, { initGradient: true }).initGradient!;
      assert.equal(got.length, 2);
      for (let l = 0; l < 2; l++) {
        assert.equal(got[l]!.h.length, B * H, `${cell}, call ${call}, layer ${l}: h has B×H values`);
        const eh = relativeError(got[l]!.h, want[l]!.h);
        assert.ok(eh < 1e-7, `${cell}, call ${call}, layer ${l}: ∂J/∂h(0) relative error ${eh}`);
        if (cell === 'lstm') {
          assert.equal(got[l]!.c!.length, B * H, `${cell}, call ${call}, layer ${l}: C has B×H values`);
          const ec = relativeError(got[l]!.c!, want[l]!.c!);
          assert.ok(ec < 1e-7, `${cell}, call ${call}, layer ${l}: ∂J/∂C(0) relative error ${ec}`);
        } else assert.equal(got[l]!.c, undefined);
      }
    }
  }
});

test('a δo of the wrong length: the message gives T×B×K with B > 1', () => {
  const n = randomNet({ inputSize: 2, hiddenSize: 2, outputSize: 3 }, 41);
  const batch: SequenceBatch = { T: 2, B: 4, x: { kind: 'dense', data: new Float64Array(16) }, y: { kind: 'dense', data: new Float64Array(24) } };
  assert.throws(() => n.gradientFromOutputDelta(batch, new Float64Array(23)), (e: unknown) => {
    assert.ok(e instanceof ShapeError);
    assert.equal((e as Error).message, 'dO has 23 values, expected T×B×K = 2×4×3 = 24');
    return true;
  });
});

test('the loss: dense targets below zero count; sigmoid + cross-entropy on symbol targets, J from gradient() equals J from loss() and by hand', () => {
  const [D, H, Kn, T, B] = [2, 3, 3, 3, 2];
  const n = randomNet({ inputSize: D, hiddenSize: H, outputSize: Kn }, 53);
  const rng = new Rng(54);
  const x = { kind: 'dense' as const, data: Float64Array.from({ length: T * B * D }, () => rng.uniform(-1, 1)) };
  const yd = Float64Array.from({ length: T * B * Kn }, () => rng.uniform(-1, -0.1));
  const yhat = Float64Array.from(n.forward({ T, B, x, y: { kind: 'dense', data: yd } }));
  let J = 0;
  for (let i = 0; i < yd.length; i++) J += (yhat[i]! - yd[i]!) ** 2;
  for (const r of [n.loss({ T, B, x, y: { kind: 'dense', data: yd } }), n.gradient({ T, B, x, y: { kind: 'dense', data: yd } })]) {
    assert.equal(r.count, T * B);
    assert.ok(Math.abs(r.loss - J) < 1e-12, `${r.loss} ≠ ${J}`);
  }
  const bce = randomNet({ inputSize: D, hiddenSize: H, outputSize: Kn, outputActivation: 'sigmoid', loss: 'cross-entropy' }, 55);
  const targets = Int32Array.from([0, 2, 1, -1, 2, 0]);
  const batch: SequenceBatch = { T, B, x, y: { kind: 'index', data: targets } };
  const p = Float64Array.from(bce.forward(batch));
  let Jb = 0;
  for (let r = 0; r < T * B; r++) {
    if (targets[r]! < 0) continue;
    for (let j = 0; j < Kn; j++) Jb -= j === targets[r] ? Math.log(p[r * Kn + j]!) : Math.log(1 - p[r * Kn + j]!);
  }
  assert.ok(Math.abs(bce.loss(batch).loss - Jb) < 1e-12);
  bce.params.zeroGrad();
  const g = bce.gradient(batch);
  assert.equal(g.count, 5);
  assert.ok(Math.abs(g.loss - Jb) < 1e-12, `gradient(): ${g.loss} ≠ ${Jb}`);
  const err = relativeError(bce.params.grad, numericGradient(bce.params.data, () => bce.loss(batch).loss));
  assert.ok(err < 1e-7, `gradient relative error ${err}`);
});

test('bidirectional many-to-one, every sequence ending at step T: the gradient against central differences', () => {
  const [D, H, Kn, T, B] = [2, 2, 2, 3, 3];
  const n = randomNet({ cell: 'lstm', inputSize: D, hiddenSize: H, outputSize: Kn, bidirectional: true }, 57);
  const rng = new Rng(58);
  const batch: SequenceBatch = {
    T, B, lossAt: 'last',
    x: { kind: 'dense', data: Float64Array.from({ length: T * B * D }, () => rng.uniform(-1, 1)) },
    y: { kind: 'dense', data: Float64Array.from({ length: T * B * Kn }, () => rng.uniform(-1, 1)) },
  };
  n.params.zeroGrad();
  assert.equal(n.gradient(batch).count, B);
  const err = relativeError(n.params.grad, numericGradient(n.params.data, () => n.loss(batch).loss));
  assert.ok(err < 1e-7, `gradient relative error ${err}`);
});

test('checkParameters / gradientCheck: a loss that writes params.grad (a backward pass inside it) does not change what is compared or what is left', () => {
  const n = randomNet({ inputSize: 2, hiddenSize: 2, outputSize: 2 }, 61);
  const rng = new Rng(62);
  const batch: SequenceBatch = {
    T: 3, B: 2,
    x: { kind: 'dense', data: Float64Array.from({ length: 12 }, () => rng.uniform(-1, 1)) },
    y: { kind: 'dense', data: Float64Array.from({ length: 12 }, () => rng.uniform(-1, 1)) },
  };
  n.params.zeroGrad();
  n.gradient(batch);
  const right = Float64Array.from(n.params.grad);
  // the loss as a training step computes it: zeroGrad, then a forward and backward pass (gradients at the shifted θ)
  const lossWithBackward = (): number => {
    n.params.zeroGrad();
    return n.gradient(batch).loss;
  };
  const r = checkParameters([n.params], lossWithBackward);
  assert.ok(r.maxRelError < 1e-7, `${r.maxRelError}`);
  assert.deepEqual(Array.from(n.params.grad), Array.from(right), 'the gradient from before the check is left');
  // a wrong gradient given is still found wrong: the loss's own backward passes are not what is compared
  n.params.grad[0]! += 1;
  const wrong = Float64Array.from(n.params.grad);
  assert.ok(checkParameters([n.params], lossWithBackward).perParameter['layer0.U']! > 1e-3);
  assert.deepEqual(Array.from(n.params.grad), Array.from(wrong));
  // one batch not in a list: the same check as a list of one, and the batch's gradient left in params.grad
  const alone = gradientCheck(n, batch);
  assert.deepEqual(Array.from(n.params.grad), Array.from(right));
  assert.deepEqual(alone, gradientCheck(n, [batch]));
  assert.ok(alone.maxRelError > 0 && alone.maxRelError < 1e-7, `${alone.maxRelError}`);
});
