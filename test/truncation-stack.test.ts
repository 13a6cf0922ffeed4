/**
 * Truncated BPTT in stacks and with masks, for every cell, against the
 * brute-force definition of test/helpers/truncation.ts
 * (bruteForceTruncatedStack: the gradient entering layer l at step s goes
 * back k steps in layer l, in EVERY layer; built from forward passes and
 * central differences only).
 *
 * These tests catch two bugs that the one-layer, unmasked tests let through:
 * truncation applied to the top layer only (lower layers then get the exact
 * gradient), and truncation that ignores the mask (a padded or missing step
 * must pass δh through unchanged and add nothing, inside the window too).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import type { CellKind } from '../src/cells/cell.js';
import { Network, type SequenceBatch } from '../src/model/network.js';
import { bruteForceTruncatedStack, numericGradient, relativeError } from './helpers/truncation.js';

const TOL = 1e-7;
const D = 2;
const H = 3;
const K = 2;
const T = 6;
const B = 3;
/** Sequence 0 full length, sequence 1 left-padded by two steps, sequence 2 with holes at steps 2 and 5 (T×B, step-major). */
const MASK = Uint8Array.from([
  1, 0, 1,
  1, 0, 0,
  1, 1, 1,
  1, 1, 1,
  1, 1, 0,
  1, 1, 1,
]);

function problem(cell: CellKind, layers: number, seed: number, masked: boolean): { net: Network; batch: SequenceBatch } {
  const net = new Network({ cell, inputSize: D, hiddenSize: H, outputSize: K, layers, dtype: 'float64' });
  const rng = new Rng(seed);
  // weights large enough that the cut terms are far from negligible
  for (let i = 0; i < net.params.size; i++) net.params.data[i] = rng.uniform(-0.9, 0.9);
  const batch: SequenceBatch = {
    T, B,
    x: { kind: 'dense', data: Float64Array.from({ length: T * B * D }, () => rng.uniform(-1, 1)) },
    y: { kind: 'dense', data: Float64Array.from({ length: T * B * K }, () => rng.uniform(-1, 1)) },
    ...(masked ? { mask: MASK } : {}),
  };
  return { net, batch };
}

function gradient(net: Network, batch: SequenceBatch, truncate?: number): Float64Array {
  net.params.zeroGrad();
  net.gradient(batch, truncate === undefined ? {} : { truncate });
  return Float64Array.from(net.params.grad);
}

/** The elements of `g` that belong to layer l. */
function layerPart(net: Network, g: Float64Array, l: number): number[] {
  return net.params.entries.filter((e) => e.name.startsWith(`layer${l}.`)).flatMap((e) => Array.from(g.subarray(e.offset, e.offset + e.size)));
}

test('the brute-force definition itself: with k ≥ T nothing is cut and it equals the finite-difference gradient of J', () => {
  for (const cell of ['rnn', 'lstm'] as const) {
    const { net, batch } = problem(cell, 2, 5, true);
    const fd = numericGradient(net, [batch]);
    for (const k of [T, T + 3]) {
      const err = relativeError(bruteForceTruncatedStack(net, batch, k), fd);
      assert.ok(err < TOL, `${cell}, k = ${k}: relative error ${err}`);
    }
  }
});

for (const cell of ['rnn', 'lstm', 'gru'] as const) {
  for (const layers of [1, 2]) {
    test(`${cell}, ${layers} layer(s), masks with holes and left padding: truncate k equals the brute-force truncated gradient`, () => {
      const { net, batch } = problem(cell, layers, 20 + layers, true);
      const exact = gradient(net, batch);
      for (const k of [1, 2, 3]) {
        const got = gradient(net, batch, k);
        const want = bruteForceTruncatedStack(net, batch, k);
        const err = relativeError(got, want);
        assert.ok(err < TOL, `k = ${k}: relative error ${err} against the brute-force truncated gradient`);
        // the test can fail: truncation changes every layer's gradient, the bottom one included
        for (let l = 0; l < layers; l++) {
          const e = relativeError(layerPart(net, got, l), layerPart(net, exact, l));
          assert.ok(e > 1e-3, `k = ${k}: layer ${l}'s truncated gradient is within ${e} of the exact one`);
        }
      }
    });
  }
}

test('rnn, 3 layers, no mask: every layer is truncated (k = 1, 2)', () => {
  const { net, batch } = problem('rnn', 3, 40, false);
  for (const k of [1, 2]) {
    const err = relativeError(gradient(net, batch, k), bruteForceTruncatedStack(net, batch, k));
    assert.ok(err < TOL, `k = ${k}: relative error ${err}`);
  }
});

test('a masked step inside the window counts as one of the k steps and passes δh through unchanged', () => {
  // one sequence whose steps 2..4 are missing: with k = 2 the loss at step 5
  // reaches step 4 (masked: nothing added) and stops there; with k = 5 it
  // reaches step 1 through the three masked steps
  const net = new Network({ inputSize: D, hiddenSize: H, outputSize: K, dtype: 'float64' });
  const rng = new Rng(3);
  for (let i = 0; i < net.params.size; i++) net.params.data[i] = rng.uniform(-0.9, 0.9);
  const batch: SequenceBatch = {
    T: 5, B: 1,
    x: { kind: 'dense', data: Float64Array.from({ length: 5 * D }, () => rng.uniform(-1, 1)) },
    // loss at steps 1 and 5 (the masked steps carry none)
    y: { kind: 'dense', data: Float64Array.from({ length: 5 * K }, () => rng.uniform(-1, 1)) },
    mask: Uint8Array.from([1, 0, 0, 0, 1]),
  };
  for (const k of [1, 2, 4, 5]) {
    const err = relativeError(gradient(net, batch, k), bruteForceTruncatedStack(net, batch, k));
    assert.ok(err < TOL, `k = ${k}: relative error ${err}`);
  }
  // k = 2 and k = 4 cut the same paths here (steps 2..4 are masked) but k = 5 reaches step 1
  assert.ok(relativeError(gradient(net, batch, 2), gradient(net, batch, 4)) < 1e-12);
  assert.ok(relativeError(gradient(net, batch, 4), gradient(net, batch, 5)) > 1e-3);
});
