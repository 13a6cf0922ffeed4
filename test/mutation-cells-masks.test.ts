/**
 * Masks where every row of the batch, the first and the last included, has
 * a hole, for each cell (float64): the forward of the batch against each
 * sequence run alone (B = 1), the gradient and ∂J/∂h(0) against central
 * differences, the truncated gradient against the brute-force definition.
 *
 * The other cell tests keep sequence 0 valid at every step; here the first
 * and the last row of a step are masked too. Small and fast for
 * `npm run mutate -- cells`.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { Network, type SequenceBatch } from '../src/model/network.js';
import { bruteForceTruncated, numericGradient, numericInitGradient, relativeError } from './helpers/truncation.js';

const TOL = 1e-6;
const D = 2;
const H = 3;
const K = 3;
const T = 5;
const B = 4;
/** T×B: sequence 0 with holes at steps 2 and 4, 1 left-padded by two, 2 ending after step 3, 3 with a hole at step 3. */
const MASK = Uint8Array.from([
  1, 0, 1, 1,
  0, 0, 1, 1,
  1, 1, 1, 0,
  0, 1, 0, 1,
  1, 1, 0, 1,
]);

type Cell = 'rnn' | 'lstm' | 'gru' | 'gru reset-before';

function problem(cell: Cell, seed: number, withInit: boolean): { net: Network; batch: SequenceBatch } {
  const type = cell === 'gru reset-before' ? { cell: 'gru' as const, variant: 'reset-before' as const } : { cell };
  const net = new Network({ ...type, inputSize: D, hiddenSize: H, outputSize: K, loss: 'cross-entropy', dtype: 'float64' });
  const rng = new Rng(seed);
  for (let i = 0; i < net.params.size; i++) net.params.data[i] = rng.uniform(-0.9, 0.9);
  const state = (): Float64Array => Float64Array.from({ length: B * H }, () => rng.uniform(-0.8, 0.8));
  const batch: SequenceBatch = {
    T, B,
    x: { kind: 'dense', data: Float64Array.from({ length: T * B * D }, () => rng.uniform(-1, 1)) },
    y: { kind: 'index', data: Int32Array.from({ length: T * B }, () => rng.int(K)) },
    mask: MASK,
    ...(withInit ? { init: [cell === 'lstm' ? { h: state(), c: state() } : { h: state() }] } : {}),
  };
  return { net, batch };
}

/** Column b of a T×B×n array. */
function column(a: ArrayLike<number>, b: number, n: number): Float64Array {
  const out = new Float64Array(T * n);
  for (let t = 0; t < T; t++) for (let j = 0; j < n; j++) out[t * n + j] = a[(t * B + b) * n + j]!;
  return out;
}

for (const cell of ['rnn', 'lstm', 'gru', 'gru reset-before'] as const) {
  test(`${cell}, a hole in every row: the batch's forward equals each sequence run alone`, () => {
    for (const withInit of [false, true]) {
      const { net, batch } = problem(cell, 1, withInit);
      const all = Float64Array.from(net.forward(batch));
      for (let b = 0; b < B; b++) {
        const x = batch.x.data as Float64Array;
        const one: SequenceBatch = {
          T, B: 1,
          x: { kind: 'dense', data: column(x, b, D) },
          y: { kind: 'index', data: Int32Array.from(column(batch.y.data as Int32Array, b, 1)) },
          mask: Uint8Array.from(column(MASK, b, 1)),
          ...(batch.init ? { init: batch.init.map((s) => (s.c ? { h: s.h.slice(b * H, (b + 1) * H), c: s.c.slice(b * H, (b + 1) * H) } : { h: s.h.slice(b * H, (b + 1) * H) })) } : {}),
        };
        const alone = net.forward(one);
        const err = relativeError(column(all, b, K), alone);
        assert.ok(err < 1e-14, `init ${withInit}, sequence ${b}: relative error ${err}`);
      }
    }
  });

  test(`${cell}, a hole in every row: exact gradient and ∂J/∂h(0) against central differences; truncated against brute force`, () => {
    const { net, batch } = problem(cell, 2, true);
    net.params.zeroGrad();
    const g = net.gradient(batch, { initGradient: true });
    const err = relativeError(net.params.grad, numericGradient(net, [batch]));
    assert.ok(err < TOL, `∂J/∂θ relative error ${err}`);
    const num0 = numericInitGradient(net, batch)[0]!;
    const e0 = relativeError(g.initGradient![0]!.h, num0.h);
    assert.ok(e0 < TOL, `∂J/∂h(0) relative error ${e0}`);
    if (cell === 'lstm') {
      const ec = relativeError(g.initGradient![0]!.c!, num0.c!);
      assert.ok(ec < TOL, `∂J/∂c(0) relative error ${ec}`);
    }
    for (const k of [1, 2, 3]) {
      net.params.zeroGrad();
      net.gradient(batch, { truncate: k });
      const et = relativeError(net.params.grad, bruteForceTruncated(net, batch, k));
      assert.ok(et < TOL, `truncate ${k}: relative error ${et}`);
    }
  });
}
