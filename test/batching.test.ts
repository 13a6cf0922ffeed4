/**
 * Batches of B sequences with masks (issue 4, "Checked by"):
 * - a batch's gradient is the SUM of its sequences' gradients (1e-12, float64);
 *   fit's default "mean" reduction divides it by B (checked in fit.test.ts);
 * - masked steps change nothing: garbage under mask 0 gives the same loss
 *   and gradients as zero padding, and the same as the sequence alone;
 * - a finite-difference check of a masked, batched, stacked LSTM passes.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { CELL_KINDS, type CellKind } from '../src/cells/cell.js';
import { Network, type SequenceBatch } from '../src/model/network.js';
import { gradientCheck } from '../src/model/gradcheck.js';
import { sequenceSet, type SequencePair, type SequenceSet } from '../src/data/sequences.js';
import { SequenceBatches } from '../src/data/batches.js';
import { maxAbsDiff } from './helpers/approx.js';

const D = 3;
const H = 4;
const K = 2;
const LENGTHS = [5, 2, 4, 1, 3];

/** Dense-input pairs of the given lengths: per-step dense targets, or one class id per sequence. */
function makeSet(kind: 'each-step' | 'last', symbols: boolean, seed: number): SequenceSet {
  const rng = new Rng(seed);
  const pairs: SequencePair[] = LENGTHS.map((T) => {
    const input = symbols ? Int32Array.from({ length: T }, () => rng.int(D)) : Float64Array.from({ length: T * D }, () => rng.uniform(-1, 1));
    const target = kind === 'last'
      ? Int32Array.of(rng.int(K))
      : Float64Array.from({ length: T * K }, () => rng.uniform(-1, 1));
    return { input, target };
  });
  return sequenceSet(pairs, { inputSize: D, outputSize: K, targets: kind });
}

function makeNet(cell: CellKind, kind: 'each-step' | 'last', seed = 3): Network {
  return new Network({
    cell, inputSize: D, hiddenSize: H, outputSize: K, layers: 2, dtype: 'float64', seed,
    loss: kind === 'last' ? 'cross-entropy' : 'mse',
  });
}

function gradOf(net: Network, batch: SequenceBatch): { grad: Float64Array; loss: number; count: number } {
  net.params.zeroGrad();
  const r = net.gradient(batch);
  return { grad: Float64Array.from(net.params.grad), loss: r.loss, count: r.count };
}

for (const cell of CELL_KINDS) {
  for (const kind of ['each-step', 'last'] as const) {
    const symbols = kind === 'last';
    test(`${cell}, targets ${kind}: the batch gradient is the sum of the sequences' gradients (1e-12)`, (t) => {
      const set = makeSet(kind, symbols, 11);
      const net = makeNet(cell, kind);
      const whole = new SequenceBatches(set, { batchSize: set.pairs.length, shuffle: false });
      const all = gradOf(net, whole.batch(0, 'float64').batch);
      const one = new SequenceBatches(set, { batchSize: 1, shuffle: false });
      const sum = new Float64Array(net.params.size);
      let loss = 0;
      let count = 0;
      for (let i = 0; i < set.pairs.length; i++) {
        const r = gradOf(net, one.batch(i, 'float64').batch);
        for (let j = 0; j < sum.length; j++) sum[j]! += r.grad[j]!;
        loss += r.loss;
        count += r.count;
      }
      const scale = Math.max(...Array.from(sum, Math.abs));
      assert.ok(scale > 1e-3, 'the gradient is not trivially zero');
      const diff = maxAbsDiff(all.grad, sum);
      assert.ok(diff <= 1e-12, `max |batch − Σ sequences| = ${diff}`);
      t.diagnostic(`max |batch − Σ sequences| = ${diff.toExponential(2)} (largest gradient ${scale.toFixed(3)})`);
      assert.ok(Math.abs(all.loss - loss) <= 1e-12, `loss ${all.loss} vs Σ ${loss}`);
      assert.equal(all.count, count);
      assert.equal(count, kind === 'last' ? LENGTHS.length : LENGTHS.reduce((a, b) => a + b, 0));
    });
  }

  test(`${cell}: garbage under mask 0 changes neither the loss nor the gradients`, () => {
    for (const kind of ['each-step', 'last'] as const) {
      const set = makeSet(kind, false, 5);
      const net = makeNet(cell, kind);
      const source = new SequenceBatches(set, { batchSize: set.pairs.length, shuffle: false });
      const clean = source.batch(0, 'float64').batch;
      const reference = gradOf(net, clean);
      // The same batch, with large random values in every padded input and target slot.
      const rng = new Rng(99);
      const x = Float64Array.from(clean.x.data as Float64Array);
      const yIsDense = clean.y.kind === 'dense';
      const y = yIsDense ? Float64Array.from(clean.y.data as Float64Array) : Int32Array.from(clean.y.data as Int32Array);
      const mask = clean.mask!;
      for (let r = 0; r < clean.T * clean.B; r++) {
        if (mask[r]) continue;
        for (let j = 0; j < D; j++) x[r * D + j] = rng.uniform(-50, 50);
        if (yIsDense) for (let j = 0; j < K; j++) y[r * K + j] = rng.uniform(-50, 50);
        else y[r] = rng.int(K);
      }
      const dirty: SequenceBatch = {
        T: clean.T, B: clean.B, mask, lossAt: clean.lossAt,
        x: { kind: 'dense', data: x },
        y: yIsDense ? { kind: 'dense', data: y as Float64Array } : { kind: 'index', data: y as Int32Array },
      };
      const garbage = gradOf(net, dirty);
      assert.equal(garbage.loss, reference.loss, `${kind}: loss`);
      assert.equal(garbage.count, reference.count);
      assert.ok(maxAbsDiff(garbage.grad, reference.grad) === 0, `${kind}: gradients differ by ${maxAbsDiff(garbage.grad, reference.grad)}`);
      // Masked steps also leave the carried state unchanged: each sequence's final state is h(T_b).
      const stacked = net.stateAt(clean.T, clean.B);
      for (let b = 0; b < clean.B; b++) {
        const p = source.order[b]!;
        const alone = new SequenceBatches(set, { batchSize: 1, shuffle: false });
        const single = alone.batch(p, 'float64').batch;
        net.loss(single);
        const own = net.stateAt(single.T, 1);
        net.loss(dirty);
        const after = net.stateAt(clean.T, clean.B);
        for (let l = 0; l < own.length; l++) {
          const h = after[l]!.h.subarray(b * H, (b + 1) * H);
          assert.ok(maxAbsDiff(h, own[l]!.h) <= 1e-14, `${kind}: layer ${l} state of sequence ${b} after padding`);
        }
        assert.equal(stacked.length, own.length);
      }
    }
  });
}

test('finite differences: masked, batched, stacked LSTM (many-to-many and many-to-one, with an initial state)', (t) => {
  for (const kind of ['each-step', 'last'] as const) {
    const set = makeSet(kind, kind === 'last', 21);
    const net = makeNet('lstm', kind, 8);
    const source = new SequenceBatches(set, { batchSize: 4, shuffle: false });
    const batches = [0, 1].map((i) => {
      const b = source.batch(i, 'float64').batch;
      // Copy: the source reuses its buffers for the next batch.
      return {
        T: b.T, B: b.B, lossAt: b.lossAt,
        x: b.x.kind === 'dense' ? { kind: 'dense' as const, data: Float64Array.from(b.x.data) } : { kind: 'index' as const, data: Int32Array.from(b.x.data) },
        y: b.y.kind === 'dense' ? { kind: 'dense' as const, data: Float64Array.from(b.y.data) } : { kind: 'index' as const, data: Int32Array.from(b.y.data) },
        ...(b.mask ? { mask: Uint8Array.from(b.mask) } : {}),
      } satisfies SequenceBatch;
    });
    assert.ok(batches[0]!.mask, 'the first batch is padded and masked');
    assert.ok(batches[1]!.mask, 'the short last batch is filled with masked rows');
    const rng = new Rng(4);
    const init = Array.from({ length: 2 }, () => ({
      h: Float64Array.from({ length: 4 * H }, () => rng.uniform(-0.5, 0.5)),
      c: Float64Array.from({ length: 4 * H }, () => rng.uniform(-0.5, 0.5)),
    }));
    const check = gradientCheck(net, [batches[0]!, { ...batches[1]!, init }]);
    assert.ok(check.maxRelError < 1e-7, `${kind}: max relative error ${check.maxRelError} ${JSON.stringify(check.perParameter)}`);
    assert.deepEqual(Object.keys(check.perParameter), ['layer0.W', 'layer0.b', 'layer1.W', 'layer1.b', 'V', 'b_o']);
    t.diagnostic(`${kind}: max relative error ${check.maxRelError.toExponential(2)}`);
  }
});
