/**
 * The GRU cell in both variants (reset-after: PyTorch / Keras reset_after;
 * reset-before: classic, TensorFlow.js): float64 gradient checks of every
 * parameter for each sequence shape, single and stacked, with and without
 * biases, masks and B > 1; truncation against a brute-force gradient;
 * introspection against a hand computation; float32 against float64.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GRADCHECK_EPSILON, gradcheckProblem, SEQUENCE_SHAPES } from '../src/cli/commands/gradcheck.js';
import { OptionError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import { GRU_VARIANTS } from '../src/cells/gru.js';
import { gradientCheck } from '../src/model/gradcheck.js';
import { Network, type SequenceBatch } from '../src/model/network.js';
import { assertClose } from './helpers/approx.js';
import { bruteForceTruncated, numericInitGradient, relativeError } from './helpers/truncation.js';

const TOL = 1e-6;

function assertChecks(label: string, r: { maxRelError: number; perParameter: Record<string, number> }): void {
  assert.ok(r.maxRelError < TOL, `${label}: max relative error ${r.maxRelError}\n${JSON.stringify(r.perParameter)}`);
}

test('parameter layout per variant; reset-after is the default; unknown variants are refused', () => {
  const names = (variant?: string, bias = true): string[][] => new Network({
    cell: 'gru', inputSize: 3, hiddenSize: 4, outputSize: 2, bias, ...(variant ? { variant } : {}),
  }).params.entries.map((e) => [e.name, `${e.rows}×${e.cols}`]);
  assert.deepEqual(names(), [['layer0.W', '7×12'], ['layer0.b', '1×12'], ['layer0.b_hn', '1×4'], ['V', '4×2'], ['b_o', '1×2']]);
  assert.deepEqual(names('reset-before'), [['layer0.W', '7×12'], ['layer0.b', '1×12'], ['V', '4×2'], ['b_o', '1×2']]);
  assert.deepEqual(names('reset-after', false), [['layer0.W', '7×12'], ['V', '4×2']]);
  assert.throws(() => names('reset-sideways'), (e: unknown) => e instanceof OptionError && /variant.*reset-after, reset-before/.test(e.message));
});

for (const variant of GRU_VARIANTS) {
  test(`${variant}: gradient check, every shape, 1 and 3 layers, with and without biases`, () => {
    for (const shape of SEQUENCE_SHAPES) {
      for (const layers of [1, 3]) {
        for (const bias of [true, false]) {
          const { net, batch } = gradcheckProblem({ cell: 'gru', variant, shape, layers, bias, seed: 3 + layers, D: 3, H: 4, K: 2, T: 4, B: 2 });
          assertChecks(`${variant} ${shape}, ${layers} layers, bias ${bias}`, gradientCheck(net, batch, { epsilon: GRADCHECK_EPSILON }));
        }
      }
    }
  });

  test(`${variant}: gradient check with masks (variable lengths), B = 3, two layers, each shape`, () => {
    for (const shape of SEQUENCE_SHAPES) {
      const { net, batch } = gradcheckProblem({ cell: 'gru', variant, shape, layers: 2, seed: 6, D: 2, H: 3, K: 3, T: 5, B: 3, lengths: [3, 5, 1] });
      assertChecks(`${variant} ${shape} masked`, gradientCheck(net, batch, { epsilon: GRADCHECK_EPSILON }));
    }
  });

  test(`${variant}: symbol input with cross-entropy, and ∂J/∂h(0) of every layer`, () => {
    const net = new Network({ cell: 'gru', variant, inputSize: 4, hiddenSize: 3, outputSize: 4, layers: 2, loss: 'cross-entropy', dtype: 'float64' });
    const rng = new Rng(12);
    for (let i = 0; i < net.params.data.length; i++) net.params.data[i] = rng.uniform(-0.5, 0.5);
    const init = [0, 1].map(() => ({ h: Float64Array.from({ length: 6 }, () => rng.uniform(-0.5, 0.5)) }));
    const batch: SequenceBatch = {
      T: 4, B: 2,
      x: { kind: 'index', data: Int32Array.from([0, 3, 2, -1, 1, 1, 3, 0]) },
      y: { kind: 'index', data: Int32Array.from([3, 2, -1, 1, 0, 0, 2, 3]) },
      mask: Uint8Array.from([1, 1, 1, 1, 1, 0, 1, 0]),
      init,
    };
    assertChecks(`${variant} index input`, gradientCheck(net, batch, { epsilon: GRADCHECK_EPSILON }));
    net.params.zeroGrad();
    const g = net.gradient(batch, { initGradient: true }).initGradient!;
    const numericInit = numericInitGradient(net, batch);
    for (let l = 0; l < 2; l++) {
      assert.ok(relativeError(g[l]!.h, numericInit[l]!.h) < TOL, `layer ${l} ∂J/∂h(0)`);
      assert.equal(g[l]!.c, undefined);
    }
  });

  test(`${variant}: truncated BPTT equals the brute-force detached-state gradient`, () => {
    const T = 6;
    const B = 2;
    const net = new Network({ cell: 'gru', variant, inputSize: 2, hiddenSize: 3, outputSize: 3, loss: 'cross-entropy', dtype: 'float64' });
    const rng = new Rng(31);
    for (let i = 0; i < net.params.data.length; i++) net.params.data[i] = rng.uniform(-0.8, 0.8);
    const batch: SequenceBatch = {
      T, B,
      x: { kind: 'dense', data: Float64Array.from({ length: T * B * 2 }, () => rng.uniform(-1, 1)) },
      y: { kind: 'index', data: Int32Array.from({ length: T * B }, () => rng.int(3)) },
      mask: Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1]), // lengths 4 and 6
    };
    net.params.zeroGrad();
    net.gradient(batch);
    const exact = Float64Array.from(net.params.grad);
    for (const k of [1, 2]) {
      net.params.zeroGrad();
      net.gradient(batch, { truncate: k });
      const truncated = Float64Array.from(net.params.grad);
      const err = relativeError(truncated, bruteForceTruncated(net, batch, k));
      assert.ok(err < TOL, `truncate ${k}: relative error ${err} against the brute-force gradient`);
      assert.ok(relativeError(truncated, exact) > 1e-4, `truncate ${k} must differ from exact BPTT`);
    }
  });

  test(`${variant}: masks with holes and left padding pass gradients through to h(0)`, () => {
    const { net, batch } = gradcheckProblem({ cell: 'gru', variant, layers: 2, D: 2, H: 3, K: 2, T: 5, B: 3, seed: 14 });
    const rng = new Rng(15);
    const masked: SequenceBatch = {
      ...batch,
      // columns are sequences: b = 0 all valid, b = 1 left-padded by 2, b = 2 with holes at t = 2 and 4
      mask: Uint8Array.from([1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1]),
      init: [0, 1].map(() => ({ h: Float64Array.from({ length: 9 }, () => rng.uniform(-0.5, 0.5)) })),
    };
    assertChecks(`${variant} mask with holes`, gradientCheck(net, masked, { epsilon: GRADCHECK_EPSILON }));
    net.params.zeroGrad();
    const g = net.gradient(masked, { initGradient: true }).initGradient!;
    const numeric = numericInitGradient(net, masked);
    for (let l = 0; l < 2; l++) assert.ok(relativeError(g[l]!.h, numeric[l]!.h) < TOL, `layer ${l} ∂J/∂h(0)`);
  });

  test(`${variant}: truncated ∂J/∂h(0) collects only the sources within k steps of the start`, () => {
    const T = 5;
    const B = 2;
    const net = new Network({ cell: 'gru', variant, inputSize: 2, hiddenSize: 3, outputSize: 3, loss: 'cross-entropy', dtype: 'float64' });
    const rng = new Rng(17);
    for (let i = 0; i < net.params.data.length; i++) net.params.data[i] = rng.uniform(-0.8, 0.8);
    const y = Int32Array.from({ length: T * B }, () => rng.int(3));
    const batch: SequenceBatch = {
      T, B,
      x: { kind: 'dense', data: Float64Array.from({ length: T * B * 2 }, () => rng.uniform(-1, 1)) },
      y: { kind: 'index', data: y },
      init: [{ h: Float64Array.from({ length: 6 }, () => rng.uniform(-0.5, 0.5)) }],
    };
    for (const k of [1, 2]) {
      net.params.zeroGrad();
      const g = net.gradient(batch, { truncate: k, initGradient: true }).initGradient![0]!;
      // The exact ∂/∂h(0) of the loss with the targets after step k switched off (−1).
      const early: SequenceBatch = { ...batch, y: { kind: 'index', data: y.map((v, i) => (i < k * B ? v : -1)) } };
      assert.ok(relativeError(g.h, numericInitGradient(net, early)[0]!.h) < TOL, `truncate ${k}: ∂J/∂h(0)`);
    }
  });

  test(`${variant}: float32 forward equals float64 to 1e-5`, () => {
    const { net: n64, batch } = gradcheckProblem({ cell: 'gru', variant, layers: 3, D: 3, H: 5, K: 2, T: 6, B: 3, lengths: [6, 2, 5] });
    const n32 = new Network({ cell: 'gru', variant, inputSize: 3, hiddenSize: 5, outputSize: 2, layers: 3 });
    n32.params.data.set(n64.params.data);
    const y64 = n64.forward(batch);
    const y32 = n32.forward({ ...batch, x: { kind: 'dense', data: Float32Array.from(batch.x.data as Float64Array) } });
    assertClose(y32, y64, 1e-5, 'ŷ float32 vs float64');
  });
}

test('introspection: one step with D = H = 1, by hand, both variants', () => {
  // W rows: x then h; columns [z | r | n]. x = 0.5, h(0) = 0.2.
  //   a_z = 0.5·0.5 + 0.2·1 + 0.1 = 0.55      z = σ(0.55) = 0.6341355910
  //   a_r = 0.5·(−1) + 0.2·0.5 + 0.2 = −0.2   r = σ(−0.2) = 0.4501660027
  // reset-after (b_hn = 0.25):
  //   n = tanh(0.5·2 − 0.3 + r·(0.2·(−1.5) + 0.25)) = tanh(0.7 − 0.05·r) = 0.5898863179
  //   h = (1 − z)·n + z·0.2 = 0.3426455273
  // reset-before:
  //   n = tanh(0.5·2 + (r·0.2)·(−1.5) − 0.3) = tanh(0.7 − 0.3·r) = 0.5116410350
  //   h = (1 − z)·n + z·0.2 = 0.3140183631
  const expected = { 'reset-after': [0.5898863179, 0.3426455273], 'reset-before': [0.5116410350, 0.3140183631] };
  for (const variant of GRU_VARIANTS) {
    const net = new Network({ cell: 'gru', variant, inputSize: 1, hiddenSize: 1, outputSize: 1, dtype: 'float64' });
    net.params.view('layer0.W').set([0.5, -1, 2, 1, 0.5, -1.5]);
    net.params.view('layer0.b').set([0.1, 0.2, -0.3]);
    if (variant === 'reset-after') net.params.view('layer0.b_hn').set([0.25]);
    net.forward({
      T: 1, B: 1,
      x: { kind: 'dense', data: Float64Array.from([0.5]) },
      y: { kind: 'dense', data: Float64Array.from([0]) },
      init: [{ h: Float64Array.from([0.2]) }],
    });
    const [trace] = net.inspect(1, 1);
    assert.deepEqual(trace!.names, ['z', 'r', 'n', 'h']);
    assertClose(trace!.values.z!, [0.6341355910], 1e-10, `${variant} z`);
    assertClose(trace!.values.r!, [0.4501660027], 1e-10, `${variant} r`);
    assertClose(trace!.values.n!, [expected[variant][0]!], 1e-10, `${variant} n`);
    assertClose(trace!.values.h!, [expected[variant][1]!], 1e-10, `${variant} h`);
  }
});

test('a masked step leaves h unchanged; inspect() agrees with the states', () => {
  const { net, batch } = gradcheckProblem({ cell: 'gru', layers: 2, D: 2, H: 3, K: 2, T: 4, B: 2, lengths: [4, 2] });
  net.forward(batch);
  const traces = net.inspect(4, 2);
  for (let l = 0; l < 2; l++) {
    assertClose(net.stateAt(4, 2)[l]!.h.subarray(3, 6), net.stateAt(2, 2)[l]!.h.subarray(3, 6), 0, `layer ${l} short sequence`);
    for (let t = 1; t <= 4; t++) assertClose(traces[l]!.values.h!.subarray((t - 1) * 6, t * 6), net.stateAt(t, 2)[l]!.h, 0, 'h');
  }
});

test('the RNN is traced too (h only), and a 3-layer network of every cell type runs with D ≠ H ≠ K', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    const { net, batch } = gradcheckProblem({ cell, layers: 3, D: 5, H: 2, K: 3, T: 3, B: 2 });
    const y = net.forward(batch);
    assert.equal(y.length, 3 * 2 * 3);
    assert.ok(Array.from(y).every(Number.isFinite));
    const traces = net.inspect(3, 2);
    assert.equal(traces.length, 3);
    if (cell === 'rnn') assert.deepEqual(traces[0]!.names, ['h']);
  }
});
