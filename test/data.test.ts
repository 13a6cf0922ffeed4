/**
 * Data sources of issue 4: pairs batched with padding and masks, shuffled
 * reproducibly by seed; a long sequence cut into stream windows; validation
 * splits of either. Expected layouts are written out by hand here.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { ShapeError, OptionError } from '../src/core/errors.js';
import { sequenceSet } from '../src/data/sequences.js';
import { SequenceBatches } from '../src/data/batches.js';
import { StreamBatches, symbolStream, alignedStream } from '../src/data/windows.js';
import { splitSequences, splitStream } from '../src/data/split.js';
import { BatchList } from '../src/data/list.js';

/** Pairs whose ids encode (pair, step): input id = 10·p + t, target id = p. */
function idSet(lengths: number[], targets: 'each-step' | 'last' = 'each-step') {
  return sequenceSet(lengths.map((T, p) => ({
    input: Int32Array.from({ length: T }, (_, t) => 10 * p + t),
    target: targets === 'last' ? Int32Array.of(p) : Int32Array.from({ length: T }, () => p),
  })), { inputSize: 1000, outputSize: 100, targets });
}

test('pairs: padded to the batch\'s longest sequence, masked, ids −1 in padding; the short last batch is filled with masked rows', () => {
  const src = new SequenceBatches(idSet([3, 1, 2]), { batchSize: 2, shuffle: false });
  assert.equal(src.batchesPerEpoch, 2);
  const b0 = src.batch(0, 'float64').batch;
  assert.equal(b0.T, 3);
  // t-major: [t=1: seq0, seq1], [t=2: …], [t=3: …]
  assert.deepEqual(Array.from(b0.x.data.subarray(0, 6)), [0, 10, 1, -1, 2, -1]);
  assert.deepEqual(Array.from(b0.y.data.subarray(0, 6)), [0, 1, 0, -1, 0, -1]);
  assert.deepEqual(Array.from(b0.mask!.subarray(0, 6)), [1, 1, 1, 0, 1, 0]);
  const l1 = src.batch(1, 'float64');
  assert.equal(l1.sequences, 1);
  assert.equal(l1.steps, 2);
  assert.equal(l1.batch.T, 2);
  assert.equal(l1.batch.B, 2, 'B stays 2');
  assert.deepEqual(Array.from(l1.batch.x.data.subarray(0, 4)), [20, -1, 21, -1]);
  assert.deepEqual(Array.from(l1.batch.mask!.subarray(0, 4)), [1, 0, 1, 0]);
});

test('pairs, many-to-one: the target sits at each sequence\'s last valid step; dense input keeps its rows', () => {
  const set = sequenceSet([
    { input: Float64Array.of(1, 2, 3, 4, 5, 6), target: Float64Array.of(7) },
    { input: Float64Array.of(8, 9), target: Float64Array.of(-7) },
  ], { inputSize: 2, outputSize: 1, targets: 'last' });
  assert.deepEqual(Array.from(set.lengths), [3, 1]);
  const b = new SequenceBatches(set, { batchSize: 2, shuffle: false }).batch(0, 'float32').batch;
  assert.equal(b.lossAt, 'last');
  assert.ok(b.x.data instanceof Float32Array, 'dense input in the network\'s dtype');
  assert.deepEqual(Array.from(b.x.data.subarray(0, 12)), [1, 2, 8, 9, 3, 4, 0, 0, 5, 6, 0, 0]);
  assert.deepEqual(Array.from(b.y.data.subarray(0, 6)), [0, -7, 0, 0, 7, 0]);
});

test('shuffling: the same seed gives the same orders, another seed others; every epoch is a permutation', () => {
  const set = idSet(Array.from({ length: 20 }, (_, i) => 1 + (i % 4)));
  const orders = (seed: number): number[][] => {
    const src = new SequenceBatches(set, { batchSize: 4 });
    const rng = new Rng(seed);
    return [0, 1, 2].map(() => {
      src.beginEpoch(rng);
      return Array.from(src.order);
    });
  };
  const a = orders(7);
  assert.deepEqual(orders(7), a);
  assert.notDeepEqual(orders(8), a);
  assert.notDeepEqual(a[0], a[1], 'each epoch draws a new order');
  for (const o of a) assert.deepEqual([...o].sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i));
  // The order is a function of the generator's state at the epoch start only.
  const rng = new Rng(7);
  rng.setState(new Rng(7).getState());
  const src = new SequenceBatches(set, { batchSize: 4 });
  src.beginEpoch(rng);
  assert.deepEqual(Array.from(src.order), a[0]);
  // Without shuffling (validation) the order is the stored one.
  const fixed = new SequenceBatches(set, { batchSize: 4, shuffle: false });
  fixed.beginEpoch(new Rng(3));
  assert.deepEqual(Array.from(fixed.order), Array.from({ length: 20 }, (_, i) => i));
});

test('stream windows: B streams of ⌊N/B⌋ steps, windows of T, the last one shorter', () => {
  const tokens = Int32Array.from({ length: 29 }, (_, i) => i % 7);
  const stream = symbolStream(tokens, 7);
  assert.equal(stream.length, 28);
  const src = new StreamBatches(stream, { batchSize: 3, seqLen: 4 });
  assert.equal(src.streamLength, 9);
  assert.equal(src.batchesPerEpoch, 3);
  assert.equal(src.stateful, true);
  for (let w = 0; w < 3; w++) {
    const l = src.batch(w, 'float64');
    const Tw = w < 2 ? 4 : 1;
    assert.equal(l.batch.T, Tw);
    assert.equal(l.steps, 3 * Tw);
    assert.equal(l.batch.mask, undefined);
    for (let t = 0; t < Tw; t++) {
      for (let b = 0; b < 3; b++) {
        const pos = b * 9 + w * 4 + t;
        assert.equal(l.batch.x.data[t * 3 + b], tokens[pos], `x window ${w} t ${t} b ${b}`);
        assert.equal(l.batch.y.data[t * 3 + b], tokens[pos + 1], `y window ${w} t ${t} b ${b}`);
      }
    }
  }
  // dense streams: D values per step
  const dense = alignedStream(Float64Array.from({ length: 12 }, (_, i) => i), Float64Array.from({ length: 6 }, (_, i) => -i), { inputSize: 2, outputSize: 1 });
  const d = new StreamBatches(dense, { batchSize: 2, seqLen: 2 }).batch(1, 'float64').batch;
  // L = 3: window 1 holds step 2 of stream 0 (pos 2) and of stream 1 (pos 5)
  assert.equal(d.T, 1);
  assert.deepEqual(Array.from(d.x.data.subarray(0, 4)), [4, 5, 10, 11]);
  assert.deepEqual(Array.from(d.y.data.subarray(0, 2)), [-2, -5]);
});

test('validation splits: sizes, tail and seeded random', () => {
  const set = idSet(Array.from({ length: 10 }, () => 2));
  const tail = splitSequences(set, { fraction: 0.3, mode: 'tail' });
  assert.equal(tail.train.pairs.length, 7);
  assert.equal(tail.validation.pairs.length, 3);
  assert.deepEqual(tail.validation.pairs.map((p) => p.target[0]), [7, 8, 9]);
  const r1 = splitSequences(set, { fraction: 0.3, seed: 5 });
  const r2 = splitSequences(set, { fraction: 0.3, seed: 5 });
  const r3 = splitSequences(set, { fraction: 0.3, seed: 6 });
  const ids = (s: typeof set): number[] => s.pairs.map((p) => p.target[0]!);
  assert.equal(r1.validation.pairs.length, 3);
  assert.deepEqual(ids(r1.validation), ids(r2.validation));
  assert.notDeepEqual(ids(r1.validation), ids(r3.validation));
  assert.deepEqual([...ids(r1.train), ...ids(r1.validation)].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.throws(() => splitSequences(set, { fraction: 0.01 }), OptionError);

  const stream = symbolStream(Int32Array.from({ length: 101 }, (_, i) => i % 5), 5);
  const s = splitStream(stream, 0.1);
  assert.equal(s.train.length, 90);
  assert.equal(s.validation.length, 10);
  assert.equal(s.validation.input[0], 90 % 5);
  assert.equal(s.validation.target[9], 100 % 5);
});

test('bad data is rejected with a message naming the pair', () => {
  assert.throws(() => sequenceSet([{ input: Float64Array.of(1, 2, 3), target: Float64Array.of(1) }], { inputSize: 2, outputSize: 1 }),
    (e: unknown) => e instanceof ShapeError && /pairs\[0\]\.input has 3 values/.test(e.message));
  assert.throws(() => sequenceSet([{ input: Int32Array.of(1, 2), target: Int32Array.of(1) }], { inputSize: 5, outputSize: 3 }),
    (e: unknown) => e instanceof ShapeError && /pairs\[0\]\.target has 1 values, expected T = 2 class ids/.test(e.message));
  assert.throws(() => sequenceSet([{ input: Int32Array.of(1, 9), target: Int32Array.of(1, 1) }], { inputSize: 5, outputSize: 3 }),
    (e: unknown) => e instanceof ShapeError && /input\[1\] = 9/.test(e.message));
  assert.throws(() => new StreamBatches(symbolStream(Int32Array.of(1, 2, 3), 4), { batchSize: 5, seqLen: 2 }), OptionError);
  const b = { T: 1, B: 1, x: { kind: 'index' as const, data: Int32Array.of(0) }, y: { kind: 'index' as const, data: Int32Array.of(0) } };
  assert.throws(() => new BatchList([b, { ...b, B: 2 }], { inputSize: 1, outputSize: 1 }), ShapeError);
});
