/**
 * The pure parts of src/parallel, for `npm run mutate -- parallel`, against
 * layouts and copies worked out by hand (the byte counts in the comments):
 *
 * - protocol.ts: the control block's views, the error text (truncated to
 *   fit, split at the first newline), the shard header written and read at
 *   its fixed places, a shard's data layout (8-byte aligned arrays);
 * - shard.ts: sequences [b0, b1) of a batch copied column by column
 *   (element (t·B + b)·w + j), the shard as a batch, its views in a shared
 *   block, and the local arrays reused while the shape stays;
 * - columns.ts: the same for a trainable's column arrays, the int32 header
 *   of a shared block, the local buffers grown by half;
 * - models.ts: a replica's model built from its description.
 *
 * No thread and no training: the file runs in well under a second.
 */

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { OptionError, ShapeError } from '../src/core/errors.js';
import { Network, type SequenceBatch } from '../src/model/network.js';
import { Seq2Seq } from '../src/seq2seq/model.js';
import { MeanPooledObjective } from '../src/tasks/classify.js';
import type { BatchColumns, ColumnArray } from '../src/train/trainable.js';
import {
  C, CONTROL_BYTES, controlViews, floatView, readError, readHeader, shardDims, shardLayout, writeError, writeHeader,
  type ShardDims, type ShardHeader,
} from '../src/parallel/protocol.js';
import { copyColumns, headerOf, LocalShard, sharedShard, shardBatch, type ShardArrays } from '../src/parallel/shard.js';
import {
  columnsHeader, columnsLayout, copyColumnArrays, LocalColumns, readColumnsHeader, sharedColumns, writeColumns, type ColumnsHeader,
} from '../src/parallel/columns.js';
import { buildReplicaModel } from '../src/parallel/models.js';
import type { ReplicaModel } from '../src/parallel/protocol.js';
import { refuses } from './helpers/refuses.js';
import { useKernels } from '../src/kernels/select.js';

// float32 buffers as plain arrays (not views of the WebAssembly heap), so their sizes can be read
before(() => useKernels('js'));

/** Where a view lies: its type, byte offset and length. */
const where = (a: ArrayBufferView & { length: number } | null) => (a ? [a.constructor.name, a.byteOffset, a.length] : null);

test('protocol: the control block is 32 int32, then J and the count (float64 at byte 128), then 4096 bytes of error text at 144', () => {
  assert.equal(CONTROL_BYTES, 4240);
  const v = controlViews(new SharedArrayBuffer(CONTROL_BYTES));
  assert.deepEqual(where(v.ints), ['Int32Array', 0, 32]);
  assert.deepEqual(where(v.result), ['Float64Array', 128, 2]);
  assert.deepEqual(where(v.error), ['Uint8Array', 144, 4096]);
  assert.deepEqual([C.SEQ, C.DONE, C.STATUS, C.GEN, C.CMD, C.T, C.B, C.X_DENSE, C.Y_DENSE, C.HAS_MASK, C.HAS_WEIGHTS, C.HAS_INIT, C.LOSS_LAST, C.FEEDBACK, C.TRUNCATE, C.LECTURE, C.ERROR_BYTES],
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
});

test('protocol: an error travels as "name\\nmessage", split at the first newline; a value that is not an Error is named Error; a long one is cut at 4096 bytes', () => {
  const c = controlViews(new SharedArrayBuffer(CONTROL_BYTES));
  writeError(c, new ShapeError('bad shape'));
  assert.equal(c.ints[C.ERROR_BYTES], 20); // "ShapeError\nbad shape"
  assert.equal(new TextDecoder().decode(c.error.slice(0, 20)), 'ShapeError\nbad shape');
  assert.deepEqual(readError(c), { name: 'ShapeError', message: 'bad shape' });
  writeError(c, new RangeError('two\nlines'));
  assert.deepEqual(readError(c), { name: 'RangeError', message: 'two\nlines' });
  writeError(c, 'plain text');
  assert.deepEqual(readError(c), { name: 'Error', message: 'plain text' });
  writeError(c, 42);
  assert.deepEqual(readError(c), { name: 'Error', message: '42' }); // shorter than the text before: only its own bytes are read
  writeError(c, new Error('x'.repeat(5000)));
  assert.equal(c.ints[C.ERROR_BYTES], 4096);
  assert.deepEqual(readError(c), { name: 'Error', message: 'x'.repeat(4090) });
  // a text without a newline is a message of an Error; one that starts with a newline has an empty name
  const put = (s: string) => {
    const b = new TextEncoder().encode(s);
    c.error.set(b);
    c.ints[C.ERROR_BYTES] = b.length;
  };
  put('no newline');
  assert.deepEqual(readError(c), { name: 'Error', message: 'no newline' });
  put('\nrest');
  assert.deepEqual(readError(c), { name: '', message: 'rest' });
  put('N\n');
  assert.deepEqual(readError(c), { name: 'N', message: '' });
});

test('protocol: the shard header is written at C.T … C.HAS_INIT (flags as 0 / 1) and read back', () => {
  const ints = new Int32Array(32);
  const h: ShardHeader = { T: 7, B: 3, xDense: true, yDense: false, mask: true, weights: false, init: true };
  writeHeader(ints, h);
  assert.deepEqual([...ints.subarray(0, 14)], [0, 0, 0, 0, 0, 7, 3, 1, 0, 1, 0, 1, 0, 0]);
  assert.deepEqual(readHeader(ints), h);
  const g: ShardHeader = { T: 2, B: 9, xDense: false, yDense: true, mask: false, weights: true, init: false };
  writeHeader(ints, g);
  assert.deepEqual([...ints.subarray(5, 12)], [2, 9, 0, 1, 0, 1, 0]);
  assert.deepEqual(readHeader(ints), g);
});

test('protocol: shardDims of a network (H doubled when bidirectional; a cell state per LSTM layer)', () => {
  const lstm = new Network({ cell: 'lstm', inputSize: 3, hiddenSize: 4, outputSize: 2, layers: 3, dtype: 'float64' });
  assert.deepEqual(shardDims(lstm.config), { D: 3, K: 2, H: 4, dtype: 'float64', hasC: [true, true, true] });
  const gru = new Network({ cell: 'gru', inputSize: 5, hiddenSize: 3, outputSize: 6, layers: 2, bidirectional: true });
  assert.deepEqual(shardDims(gru.config), { D: 5, K: 6, H: 6, dtype: 'float32', hasC: [false, false] });
});

test('protocol: shard layouts worked out by hand (every array 8-byte aligned, −1 when absent)', () => {
  // float32, T = 3, B = 2 (6 rows), D = 3, H = 3: x 72 B; y 24; mask 6 → 8; weights 16; each state 24
  const a = shardLayout({ T: 3, B: 2, xDense: true, yDense: false, mask: true, weights: true, init: true }, { D: 3, K: 5, H: 3, hasC: [true, false], dtype: 'float32' });
  assert.deepEqual(a, { x: 0, y: 72, mask: 96, weights: 104, initH: [120, 168], initC: [144, -1], finalH: [192, 240], finalC: [216, -1], bytes: 264 });
  // float32, T = 5, B = 1: x 5 indices 20 → 24; y 5×3 floats 60 → 64; a state 1×3 floats 12 → 16
  const b = shardLayout({ T: 5, B: 1, xDense: false, yDense: true, mask: false, weights: false, init: false }, { D: 2, K: 3, H: 3, hasC: [true], dtype: 'float32' });
  assert.deepEqual(b, { x: 0, y: 24, mask: -1, weights: -1, initH: [-1], initC: [-1], finalH: [88], finalC: [104], bytes: 120 });
  // float64, T = 2, B = 3: x and y 6×1 doubles 48 each; mask 6 → 8; a state 3 doubles 24
  const c = shardLayout({ T: 2, B: 3, xDense: true, yDense: true, mask: true, weights: false, init: true }, { D: 1, K: 1, H: 1, hasC: [false], dtype: 'float64' });
  assert.deepEqual(c, { x: 0, y: 48, mask: 96, weights: -1, initH: [104], initC: [-1], finalH: [128], finalC: [-1], bytes: 152 });
  // index y of float64: 4 bytes per row, not 8
  const d = shardLayout({ T: 1, B: 3, xDense: false, yDense: false, mask: false, weights: true, init: false }, { D: 2, K: 2, H: 2, hasC: [false], dtype: 'float64' });
  assert.deepEqual(d, { x: 0, y: 16, mask: -1, weights: 32, initH: [-1], initC: [-1], finalH: [56], finalC: [-1], bytes: 104 });
});

test('protocol: floatView is a view of the dtype at a byte offset', () => {
  const buf = new SharedArrayBuffer(64);
  assert.deepEqual(where(floatView(buf, 'float64', 16, 3)), ['Float64Array', 16, 3]);
  assert.deepEqual(where(floatView(buf, 'float32', 8, 5)), ['Float32Array', 8, 5]);
});

// --- shard.ts ---

const D = 2, K = 4, H = 2;
const DIMS: ShardDims = { D, K, H, hasC: [true, false], dtype: 'float64' };

/** A T×B batch whose every value names its place: x (t, b, j) = 100t + 10b + j + 0.5, y = 100t + 10b, h(0) = 1000l + 10b + j. */
function namedBatch(T: number, B: number, extra = 0): SequenceBatch {
  // `extra` steps of padding past T·B in every time-major array: a reused, longer buffer
  const steps = T + extra;
  return {
    T, B,
    x: { kind: 'dense', data: Float64Array.from({ length: steps * B * D }, (_, i) => 100 * Math.floor(i / (B * D)) + 10 * (Math.floor(i / D) % B) + (i % D) + 0.5) },
    y: { kind: 'index', data: Int32Array.from({ length: steps * B }, (_, i) => 100 * Math.floor(i / B) + 10 * (i % B)) },
    mask: Uint8Array.from({ length: steps * B }, (_, i) => (Math.floor(i / B) + (i % B)) % 2),
    weights: Float64Array.from({ length: B + extra }, (_, b) => b + 0.25),
    init: [0, 1].map((l) => ({
      h: Float64Array.from({ length: (B + extra) * H }, (_, i) => 1000 * l + 10 * Math.floor(i / H) + (i % H)),
      // layer 1 (no cell state in DIMS) still carries a C: it must be ignored, not written
      c: Float64Array.from({ length: (B + extra) * H }, (_, i) => -(1000 * l + 10 * Math.floor(i / H) + (i % H))),
    })),
  };
}

/** Shard arrays `pad` elements longer than needed, filled with −7 (a write past the shard shows). */
function sentinelArrays(T: number, n: number, pad: number, withAll = true): ShardArrays {
  const f = (len: number) => new Float64Array(len + pad).fill(-7);
  return {
    x: f(T * n * D), y: new Int32Array(T * n + pad).fill(-7),
    mask: withAll ? new Uint8Array(T * n + pad).fill(7) : null,
    weights: withAll ? f(n) : null,
    initH: [f(n * H), f(n * H)], initC: [f(n * H), null],
  };
}

test('shard: headerOf and copyColumns take sequences [b0, b1) of every array, at every step, and nothing past them', () => {
  const T = 3, B = 5, b0 = 1, b1 = 4, n = b1 - b0, pad = 3;
  const src = namedBatch(T, B, 1);
  assert.deepEqual(headerOf(src, b0, b1), { T, B: n, xDense: true, yDense: false, mask: true, weights: true, init: true });
  const dst = sentinelArrays(T, n, pad);
  copyColumns(src, b0, b1, dst, DIMS);
  const xs: number[] = [], ys: number[] = [], ms: number[] = [];
  for (let t = 0; t < T; t++) {
    for (let b = b0; b < b1; b++) {
      for (let j = 0; j < D; j++) xs.push(100 * t + 10 * b + j + 0.5);
      ys.push(100 * t + 10 * b);
      ms.push((t + b) % 2);
    }
  }
  assert.deepEqual([...dst.x], [...xs, -7, -7, -7]);
  assert.deepEqual([...dst.y], [...ys, -7, -7, -7]);
  assert.deepEqual([...dst.mask!], [...ms, 7, 7, 7]);
  assert.deepEqual([...dst.weights!], [1.25, 2.25, 3.25, -7, -7, -7]);
  assert.deepEqual([...dst.initH[0]!], [10, 11, 20, 21, 30, 31, -7, -7, -7]);
  assert.deepEqual([...dst.initC[0]!], [-10, -11, -20, -21, -30, -31, -7, -7, -7]);
  assert.deepEqual([...dst.initH[1]!], [1010, 1011, 1020, 1021, 1030, 1031, -7, -7, -7]);
  assert.equal(dst.initC[1], null);
});

test('shard: copyColumns with index x and dense y (widths 1 and K); absent source arrays leave the shard\'s alone, absent shard arrays are skipped', () => {
  const T = 2, B = 3;
  const src: SequenceBatch = {
    T, B,
    x: { kind: 'index', data: Int32Array.from({ length: T * B }, (_, i) => i) },
    y: { kind: 'dense', data: Float64Array.from({ length: T * B * K }, (_, i) => i / 4) },
  };
  const dst = sentinelArrays(T, 2, 0);
  const into: ShardArrays = { ...dst, x: new Int32Array(4), y: new Float64Array(T * 2 * K) };
  copyColumns(src, 1, 3, into, DIMS);
  assert.deepEqual([...into.x], [1, 2, 4, 5]);
  assert.deepEqual([...into.y as Float64Array].map((v) => v * 4), [4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23]);
  assert.deepEqual([...into.mask!], [7, 7, 7, 7]);
  assert.deepEqual([...into.weights!], [-7, -7]);
  assert.deepEqual([...into.initH[0]!], [-7, -7, -7, -7]);
  // the whole batch into arrays without mask, weights or initial states: nothing to write there
  const full = namedBatch(T, B);
  const bare: ShardArrays = { x: new Float64Array(T * B * D), y: new Int32Array(T * B), mask: null, weights: null, initH: [null, null], initC: [null, null] };
  copyColumns(full, 0, B, bare, DIMS);
  assert.deepEqual([...bare.y], [0, 10, 20, 100, 110, 120]);
});

test('shard: shardBatch builds the batch over a shard\'s arrays, with lossAt and feedback of the source, and only the parts present', () => {
  const a = sentinelArrays(2, 3, 0);
  const h: ShardHeader = { T: 2, B: 3, xDense: true, yDense: false, mask: true, weights: true, init: true };
  const full = shardBatch(h, a, { lossAt: 'last', feedback: 'argmax' });
  assert.deepEqual(Object.keys(full).sort(), ['B', 'T', 'feedback', 'init', 'lossAt', 'mask', 'weights', 'x', 'y']);
  assert.equal(full.T, 2);
  assert.equal(full.B, 3);
  assert.equal(full.x.kind, 'dense');
  assert.equal(full.x.data, a.x);
  assert.equal(full.y.kind, 'index');
  assert.equal(full.y.data, a.y);
  assert.equal(full.mask, a.mask);
  assert.equal(full.weights, a.weights);
  assert.equal(full.lossAt, 'last');
  assert.equal(full.feedback, 'argmax');
  assert.equal(full.init!.length, 2);
  assert.equal(full.init![0]!.h, a.initH[0]);
  assert.equal(full.init![0]!.c, a.initC[0]);
  assert.equal(full.init![1]!.h, a.initH[1]);
  assert.deepEqual(Object.keys(full.init![1]!), ['h']);
  const bare: ShardArrays = { x: new Int32Array(4), y: new Float64Array(8), mask: null, weights: null, initH: [null], initC: [null] };
  const b = shardBatch({ T: 2, B: 2, xDense: false, yDense: true, mask: false, weights: false, init: false }, bare, {});
  assert.deepEqual(Object.keys(b).sort(), ['B', 'T', 'x', 'y']);
  assert.equal(b.x.kind, 'index');
  assert.equal(b.y.kind, 'dense');
});

test('shard: sharedShard views every array at its layout offset (the by-hand layouts above)', () => {
  const s = sharedShard(new SharedArrayBuffer(264), { T: 3, B: 2, xDense: true, yDense: false, mask: true, weights: true, init: true }, { D: 3, K: 5, H: 3, hasC: [true, false], dtype: 'float32' });
  assert.deepEqual(where(s.x), ['Float32Array', 0, 18]);
  assert.deepEqual(where(s.y), ['Int32Array', 72, 6]);
  assert.deepEqual(where(s.mask), ['Uint8Array', 96, 6]);
  assert.deepEqual(where(s.weights), ['Float64Array', 104, 2]);
  assert.deepEqual(s.initH.map(where), [['Float32Array', 120, 6], ['Float32Array', 168, 6]]);
  assert.deepEqual(s.initC.map(where), [['Float32Array', 144, 6], null]);
  assert.deepEqual(s.finalH.map(where), [['Float32Array', 192, 6], ['Float32Array', 240, 6]]);
  assert.deepEqual(s.finalC.map(where), [['Float32Array', 216, 6], null]);
  const t = sharedShard(new SharedArrayBuffer(120), { T: 5, B: 1, xDense: false, yDense: true, mask: false, weights: false, init: false }, { D: 2, K: 3, H: 3, hasC: [true], dtype: 'float32' });
  assert.deepEqual([where(t.x), where(t.y), t.mask, t.weights], [['Int32Array', 0, 5], ['Float32Array', 24, 15], null, null]);
  assert.deepEqual([t.initH, t.initC, t.finalH.map(where), t.finalC.map(where)], [[null], [null], [['Float32Array', 88, 3]], [['Float32Array', 104, 3]]]);
  const u = sharedShard(new SharedArrayBuffer(152), { T: 2, B: 3, xDense: true, yDense: true, mask: true, weights: false, init: true }, { D: 1, K: 1, H: 1, hasC: [false], dtype: 'float64' });
  assert.deepEqual([where(u.x), where(u.y), where(u.mask), u.weights], [['Float64Array', 0, 6], ['Float64Array', 48, 6], ['Uint8Array', 96, 6], null]);
  assert.deepEqual([u.initH.map(where), u.initC, u.finalH.map(where), u.finalC], [[['Float64Array', 104, 3]], [null], [['Float64Array', 128, 3]], [null]]);
});

test('shard: LocalShard copies a shard into arrays of exactly its size, reused while the shape stays', () => {
  const local = new LocalShard(DIMS);
  const src = namedBatch(3, 5);
  const a = local.load(src, 1, 4);
  assert.deepEqual([a.T, a.B, a.x.data.length, a.y.data.length, a.mask!.length, a.weights!.length], [3, 3, 18, 9, 9, 3]);
  assert.deepEqual(a.init!.map((s) => [s.h.length, s.c?.length]), [[6, 6], [6, undefined]]);
  assert.deepEqual([...a.y.data], [10, 20, 30, 110, 120, 130, 210, 220, 230]);
  assert.deepEqual(Array.from(a.weights!), [1.25, 2.25, 3.25]);
  assert.deepEqual([...a.init![0]!.c!], [-10, -11, -20, -21, -30, -31]);
  const again = local.load(src, 2, 5);
  assert.equal(again.x.data, a.x.data, 'the same shape reuses the arrays');
  assert.deepEqual([...again.y.data], [20, 30, 40, 120, 130, 140, 220, 230, 240]);
  const other = local.load({ ...src, lossAt: 'last' }, 0, 2);
  assert.notEqual(other.x.data, a.x.data);
  assert.deepEqual([other.B, other.x.data.length, other.lossAt], [2, 12, 'last']);
  assert.deepEqual([...other.y.data], [0, 10, 100, 110, 200, 210]);
  const bare = local.load({ T: 2, B: 2, x: { kind: 'index', data: new Int32Array([1, 2, 3, 4]) }, y: { kind: 'index', data: new Int32Array([5, 6, 7, 8]) } }, 1, 2);
  assert.deepEqual(Object.keys(bare).sort(), ['B', 'T', 'x', 'y']);
  assert.deepEqual([[...bare.x.data], [...bare.y.data]], [[2, 4], [6, 8]]);
});

// --- columns.ts ---

/** Column arrays of B = 5 sequences: int32 (2 steps), uint8 (2 steps), float64 per sequence, float32 (3 steps, width 2), an absent one. */
function namedColumns(extra = 0): BatchColumns {
  const B = 5;
  return {
    B, flags: 6,
    arrays: [
      { data: Int32Array.from({ length: (2 + extra) * B }, (_, i) => 100 * Math.floor(i / B) + (i % B)), steps: 2, width: 1 },
      { data: Uint8Array.from({ length: (2 + extra) * B }, (_, i) => 10 * Math.floor(i / B) + (i % B)), steps: 2, width: 1 },
      { data: Float64Array.from({ length: (1 + extra) * B }, (_, b) => b + 0.5), steps: 1, width: 1 },
      { data: Float32Array.from({ length: (3 + extra) * B * 2 }, (_, i) => 100 * Math.floor(i / (B * 2)) + 10 * (Math.floor(i / 2) % B) + (i % 2)), steps: 3, width: 2 },
      { data: new Uint8Array(0), steps: 0, width: 0 },
    ],
  };
}

/** Columns [b0, b1) of namedColumns, computed directly. */
function expectedColumns(b0: number, b1: number): number[][] {
  const a: number[][] = [[], [], [], [], []];
  for (let t = 0; t < 2; t++) for (let b = b0; b < b1; b++) a[0]!.push(100 * t + b);
  for (let t = 0; t < 2; t++) for (let b = b0; b < b1; b++) a[1]!.push(10 * t + b);
  for (let b = b0; b < b1; b++) a[2]!.push(b + 0.5);
  for (let t = 0; t < 3; t++) for (let b = b0; b < b1; b++) for (let j = 0; j < 2; j++) a[3]!.push(100 * t + 10 * b + j);
  return a;
}

const SHARD_1_4: ColumnsHeader = {
  B: 3, flags: 6,
  arrays: [
    { type: 'int32', steps: 2, width: 1 }, { type: 'uint8', steps: 2, width: 1 }, { type: 'float64', steps: 1, width: 1 },
    { type: 'float32', steps: 3, width: 2 }, { type: 'uint8', steps: 0, width: 0 },
  ],
};

test('columns: columnsHeader of a shard; refusals of more than 16 arrays and of a short array, by message', () => {
  assert.deepEqual(columnsHeader(namedColumns(), 1, 4), SHARD_1_4);
  const one = (len: number): ColumnArray => ({ data: new Int32Array(len), steps: 2, width: 1 });
  assert.equal(columnsHeader({ B: 3, flags: 0, arrays: Array.from({ length: 16 }, () => one(6)) }, 0, 3).arrays.length, 16);
  refuses(() => columnsHeader({ B: 3, flags: 0, arrays: Array.from({ length: 17 }, () => one(6)) }, 0, 3), ShapeError, 'a batch to shard has at most 16 arrays, got 17');
  refuses(() => columnsHeader({ B: 3, flags: 0, arrays: [one(6), one(5)] }, 0, 3), ShapeError, 'array 1 of the batch has 5 values, fewer than steps×B×width = 2×3×1');
  refuses(() => columnsHeader({ B: 3, flags: 0, arrays: [{ data: new Float64Array(17), steps: 3, width: 2 }] }, 0, 3), ShapeError, 'array 0 of the batch has 17 values, fewer than steps×B×width = 3×3×2');
  assert.equal(columnsHeader({ B: 3, flags: 0, arrays: [{ data: new Float64Array(18), steps: 3, width: 2 }] }, 0, 3).arrays[0]!.type, 'float64');
});

test('columns: columnsLayout puts the arrays after a 208-byte header (51 int32, 8-aligned), each 8-aligned', () => {
  // int32 2×3×1 = 24 B; uint8 6 → 8; float64 3 × 8 = 24; float32 3×3×2 × 4 = 72; absent 0
  assert.deepEqual(columnsLayout(SHARD_1_4), { offsets: [208, 232, 240, 264, 336], bytes: 336 });
  assert.deepEqual(columnsLayout({ B: 1, flags: 0, arrays: [{ type: 'uint8', steps: 3, width: 1 }, { type: 'float32', steps: 1, width: 3 }, { type: 'float64', steps: 1, width: 1 }] }),
    { offsets: [208, 216, 232], bytes: 240 });
  assert.deepEqual(columnsLayout({ B: 4, flags: 0, arrays: [] }), { offsets: [], bytes: 208 });
});

test('columns: writeColumns writes the int32 header (B, flags, count, then type, steps, width) and the columns; readColumnsHeader and sharedColumns read them back', () => {
  const buf = new SharedArrayBuffer(336);
  writeColumns(buf, namedColumns(1), 1, 4, SHARD_1_4);
  const ints = new Int32Array(buf, 0, 52);
  assert.deepEqual([...ints.subarray(0, 18)], [3, 6, 5, 0, 2, 1, 1, 2, 1, 3, 1, 1, 2, 3, 2, 1, 0, 0]);
  assert.equal(ints[51], 0, 'the header ends at int 51');
  assert.deepEqual(readColumnsHeader(buf), SHARD_1_4);
  const cols = sharedColumns(buf, SHARD_1_4);
  assert.deepEqual([cols.B, cols.flags], [3, 6]);
  assert.deepEqual(cols.arrays.map((a) => [where(a.data), a.steps, a.width]),
    [[['Int32Array', 208, 6], 2, 1], [['Uint8Array', 232, 6], 2, 1], [['Float64Array', 240, 3], 1, 1], [['Float32Array', 264, 18], 3, 2], [['Uint8Array', 336, 0], 0, 0]]);
  assert.deepEqual(cols.arrays.map((a) => [...a.data]), expectedColumns(1, 4));
});

test('columns: copyColumnArrays copies columns [b0, b1) at every step and writes nothing past the shard', () => {
  const src = namedColumns(1);
  const dst: ColumnArray[] = [
    { data: new Int32Array(8).fill(-7), steps: 2, width: 1 }, { data: new Uint8Array(8).fill(77), steps: 2, width: 1 },
    { data: new Float64Array(4).fill(-7), steps: 1, width: 1 }, { data: new Float32Array(14).fill(-7), steps: 3, width: 2 },
    { data: new Uint8Array(2).fill(77), steps: 0, width: 0 },
  ];
  copyColumnArrays(src, 3, 5, dst);
  const e = expectedColumns(3, 5);
  assert.deepEqual([...dst[0]!.data], [...e[0]!, -7, -7, -7, -7]);
  assert.deepEqual([...dst[1]!.data], [...e[1]!, 77, 77, 77, 77]);
  assert.deepEqual([...dst[2]!.data], [...e[2]!, -7, -7]);
  assert.deepEqual([...dst[3]!.data], [...e[3]!, -7, -7]);
  assert.deepEqual([...dst[4]!.data], [77, 77]);
});

test('columns: LocalColumns copies a shard into its own buffers, reused while big enough, grown by half (or to the need), renewed when the type changes', () => {
  const local = new LocalColumns();
  const src = namedColumns();
  const a = local.load(src, 1, 4);
  assert.deepEqual([a.B, a.flags], [3, 6]);
  assert.deepEqual(a.arrays.map((x) => [x.data.constructor.name, x.data.length, x.steps, x.width]),
    [['Int32Array', 6, 2, 1], ['Uint8Array', 6, 2, 1], ['Float64Array', 3, 1, 1], ['Float32Array', 18, 3, 2], ['Uint8Array', 0, 0, 0]]);
  assert.deepEqual(a.arrays.map((x) => [...x.data]), expectedColumns(1, 4));
  const buffers = a.arrays.map((x) => x.data.buffer);
  assert.deepEqual(buffers.map((b) => b.byteLength), [24, 6, 24, 72, 0]);
  // the same size, then a smaller shard: the same buffers
  const same = local.load(src, 2, 5);
  assert.deepEqual(same.arrays.map((x) => x.data.buffer), buffers);
  assert.deepEqual(same.arrays.map((x) => [...x.data]), expectedColumns(2, 5));
  const small = local.load(src, 0, 2);
  assert.deepEqual(small.arrays.map((x) => x.data.buffer), buffers);
  assert.deepEqual(small.arrays.map((x) => x.data.length), [4, 4, 2, 12, 0]);
  // 4 columns: 8 > 6 int32 → ⌈1.5·6⌉ = 9; float64 4 > 3 → max(4, ⌈4.5⌉) = 5; float32 24 > 18 → 27
  const big = local.load(src, 1, 5);
  assert.deepEqual(big.arrays.map((x) => x.data.buffer.byteLength), [36, 9, 40, 108, 0]);
  assert.deepEqual(big.arrays.map((x) => [...x.data]), expectedColumns(1, 5));
  // a need beyond 1.5× the buffer: exactly the need
  const wide: BatchColumns = { B: 40, flags: 0, arrays: [{ data: Int32Array.from({ length: 80 }, (_, i) => i), steps: 2, width: 1 }] };
  const w = local.load(wide, 0, 40);
  assert.equal(w.arrays[0]!.data.buffer.byteLength, 320);
  assert.deepEqual([...w.arrays[0]!.data], Array.from({ length: 80 }, (_, i) => i));
  // a float64 array where an int32 one was: a new float64 buffer of the size needed
  const typed: BatchColumns = { B: 2, flags: 1, arrays: [{ data: Float64Array.of(0.5, 1.5, 2.5, 3.5), steps: 2, width: 1 }] };
  const t = local.load(typed, 1, 2);
  assert.equal(t.arrays[0]!.data.constructor, Float64Array);
  assert.equal(t.arrays[0]!.data.buffer.byteLength, 16);
  assert.deepEqual([...t.arrays[0]!.data], [1.5, 3.5]);
});

// --- models.ts ---

test('models: a replica builds a network from its config, an encoder–decoder and a mean-pooled objective from their descriptions; an unknown kind is refused', () => {
  const net = new Network({ cell: 'gru', inputSize: 3, hiddenSize: 4, outputSize: 2, layers: 2, dtype: 'float64', seed: 3 });
  const copy = buildReplicaModel({ kind: 'network', config: net.config });
  assert.ok(copy instanceof Network);
  assert.deepEqual(copy.config, net.config);
  const s2s = new Seq2Seq({ sourceVocabSize: 4, targetVocabSize: 3, hiddenSize: 5, dtype: 'float64', attention: 'luong' });
  const s = buildReplicaModel(s2s.describe());
  assert.ok(s instanceof Seq2Seq);
  assert.deepEqual(s.describe(), s2s.describe());
  const pooled = new MeanPooledObjective(net);
  const p = buildReplicaModel(pooled.describe());
  assert.ok(p instanceof MeanPooledObjective);
  assert.deepEqual(p.net.config, net.config);
  refuses(() => buildReplicaModel({ kind: 'bogus' } as unknown as ReplicaModel), OptionError, 'a replica cannot build a model of kind bogus');
});
