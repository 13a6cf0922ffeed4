/**
 * The gated cells' contracts outside the gradient's values: ∂J/∂θ is added
 * to params.grad (two calls without zeroGrad give twice one call), the
 * lecture gradient mode is refused by the cell itself (the network refuses
 * it earlier), and a dFinalC shorter than B×H is refused with its sizes.
 * Small and fast for `npm run mutate -- cells`.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GruCell, gruParamSpecs } from '../src/cells/gru.js';
import { LstmCell, lstmParamSpecs } from '../src/cells/lstm.js';
import { OptionError, ShapeError } from '../src/core/errors.js';
import { jsKernels } from '../src/core/kernels.js';
import { ParamSet } from '../src/core/params.js';
import { Rng } from '../src/core/rng.js';
import { Network, type SequenceBatch } from '../src/model/network.js';
import { relativeError } from './helpers/truncation.js';

const [T, B, D, H] = [4, 3, 2, 3];

for (const [cell, variant] of [['lstm'], ['gru', 'reset-after'], ['gru', 'reset-before']] as const) {
  test(`${cell}${variant ? ` ${variant}` : ''}: gradients are added to params.grad (two calls without zeroGrad give twice one call)`, () => {
    const net = new Network({ cell, ...(variant ? { variant } : {}), inputSize: D, hiddenSize: H, outputSize: 2, dtype: 'float64', seed: 3 });
    const rng = new Rng(4);
    const batch: SequenceBatch = {
      T, B,
      x: { kind: 'dense', data: Float64Array.from({ length: T * B * D }, () => rng.uniform(-1, 1)) },
      y: { kind: 'index', data: Int32Array.from({ length: T * B }, () => rng.int(2)) },
      init: [cell === 'lstm' ? { h: Float64Array.from({ length: B * H }, () => rng.uniform(-1, 1)), c: Float64Array.from({ length: B * H }, () => rng.uniform(-1, 1)) } : { h: Float64Array.from({ length: B * H }, () => rng.uniform(-1, 1)) }],
    };
    for (const truncate of [undefined, 2]) {
      const opts = truncate ? { truncate } : {};
      net.params.zeroGrad();
      net.gradient(batch, opts);
      const once = Float64Array.from(net.params.grad);
      assert.ok(once.every((v) => Number.isFinite(v)) && once.some((v) => Math.abs(v) > 1e-3));
      net.gradient(batch, opts);
      assert.ok(relativeError(net.params.grad, once.map((v) => 2 * v)) < 1e-14, `truncate ${truncate}`);
    }
  });
}

function lstmCell(): { cell: LstmCell; x: { kind: 'dense'; data: Float64Array } } {
  const params = new ParamSet(lstmParamSpecs({ inputSize: D, hiddenSize: H, bias: true, prefix: '' }), 'float64');
  const cell = new LstmCell({ inputSize: D, hiddenSize: H, bias: true, prefix: '', kernels: jsKernels }, params);
  return { cell, x: { kind: 'dense', data: new Float64Array(T * B * D) } };
}

test('the gated cells refuse the lecture gradient mode themselves', () => {
  const { cell, x } = lstmCell();
  const cache = cell.createCache(T, B);
  cell.forward(x, T, B, cache);
  assert.throws(() => cell.backward(x, T, B, cache, new Float64Array(T * B * H), null, null, undefined, { gradientMode: 'lecture' }),
    (e: unknown) => e instanceof OptionError && e.message === 'gradientMode "lecture" is defined only for the RNN; use "exact" for the LSTM');
  const gp = new ParamSet(gruParamSpecs({ inputSize: D, hiddenSize: H, bias: true, prefix: '' }), 'float64');
  const gru = new GruCell({ inputSize: D, hiddenSize: H, bias: true, prefix: '', kernels: jsKernels }, gp);
  const gc = gru.createCache(T, B);
  gru.forward(x, T, B, gc);
  assert.throws(() => gru.backward(x, T, B, gc, new Float64Array(T * B * H), null, null, undefined, { gradientMode: 'lecture' }),
    (e: unknown) => e instanceof OptionError && e.message === 'gradientMode "lecture" is defined only for the RNN; use "exact" for the GRU');
});

test('lstm: a dFinalC shorter than B×H is refused, naming both sizes; exactly B×H is taken', () => {
  const { cell, x } = lstmCell();
  const cache = cell.createCache(T, B);
  cell.forward(x, T, B, cache);
  const dH = new Float64Array(T * B * H);
  assert.throws(() => cell.backward(x, T, B, cache, dH, null, null, undefined, { dFinalC: new Float64Array(B * H - 1) }),
    (e: unknown) => e instanceof ShapeError && e.message === `dFinalC has ${B * H - 1} values, expected B×H = ${B}×${H}`);
  assert.doesNotThrow(() => cell.backward(x, T, B, cache, dH, null, null, undefined, { dFinalC: new Float64Array(B * H) }));
});

test('gru: W starts uniform in ±1/√H (H = 16: every |w| ≤ 0.25, and the draws fill the range)', () => {
  const specs = gruParamSpecs({ inputSize: 5, hiddenSize: 16, bias: true, prefix: '' });
  assert.deepEqual(specs.map((s) => [s.name, s.rows, s.cols, s.init]), [['W', 21, 48, 'uniform'], ['b', 1, 48, 'zeros'], ['b_hn', 1, 16, 'zeros']]);
  assert.equal(specs[0]!.scale, 0.25);
  const net = new Network({ cell: 'gru', inputSize: 5, hiddenSize: 16, outputSize: 2, dtype: 'float64', seed: 7 });
  const W = net.params.view('layer0.W');
  let max = 0;
  for (const v of W) max = Math.max(max, Math.abs(v));
  assert.ok(max <= 0.25 && max > 0.24, `max |w| = ${max}`);
});
