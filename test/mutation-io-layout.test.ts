/**
 * What the weight formats share, for `npm run mutate -- io`: layout.ts
 * (gate orders, where each layer's weights live, block copies against
 * hand-built permutations, tensor checks by their exact messages) and
 * exchange.ts (metadata, the network a file describes, the column layout
 * of ONNX and PyTorch with its split biases), on tiny networks whose
 * weights are set to 1, 2, 3, … so every expected number is written out.
 * Builds networks only (no training): the file runs in well under a second.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FormatError, OptionError, RecurrentError, ShapeError } from '../src/core/errors.js';
import { Network, type NetworkOptions } from '../src/model/network.js';
import {
  expectZeros, gatePermutation, KERAS_GATES, layerSlots, networkGruVariant, OUR_GATES, permuteBlocks, permuteTransposed,
  readTensor, showShape, slotOf, TORCH_GATES, transpose, unpermuteBlocks, unpermuteTransposed, withRollback, type LayerSlots,
} from '../src/io/layout.js';
import {
  buildPortable, formatError, fromColumns, GENERATOR, METADATA_KEYS, portableCheckpoint, portableMetadata, portableModel, toColumns, withFormat,
  type InferredShape,
} from '../src/io/exchange.js';
import { refuses } from './helpers/refuses.js';

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

// ---------------------------------------------------------------- gate orders

test('gate orders: ours, Keras and PyTorch, and the permutations between them', () => {
  assert.deepEqual(OUR_GATES, { rnn: ['h'], lstm: ['f', 'i', 'o', 'c'], gru: ['z', 'r', 'n'] });
  assert.deepEqual(KERAS_GATES, { rnn: ['h'], lstm: ['i', 'f', 'c', 'o'], gru: ['z', 'r', 'n'] });
  assert.deepEqual(TORCH_GATES, { rnn: ['h'], lstm: ['i', 'f', 'c', 'o'], gru: ['r', 'z', 'n'] });
  // perm[k] = our index of the foreign k-th block: Keras/PyTorch LSTM i, f, c, o = our 1, 0, 3, 2
  assert.deepEqual(gatePermutation('lstm', KERAS_GATES), [1, 0, 3, 2]);
  assert.deepEqual(gatePermutation('lstm', TORCH_GATES), [1, 0, 3, 2]);
  assert.deepEqual(gatePermutation('gru', KERAS_GATES), [0, 1, 2]);
  assert.deepEqual(gatePermutation('gru', TORCH_GATES), [1, 0, 2]);
  assert.deepEqual(gatePermutation('rnn', TORCH_GATES), [0]);
  assert.deepEqual(gatePermutation('lstm', OUR_GATES), [0, 1, 2, 3]);
});

// ---------------------------------------------------------------- block copies

// src: 3 rows × 3 blocks of H = 2 columns, values 0…17 (row r = 6r … 6r + 5); perm = [2, 0, 1]
const SRC = range(0, 18);
const PERM = [2, 0, 1];

test('permuteBlocks / unpermuteBlocks: out block k ← src block perm[k], row by row, and back', () => {
  assert.deepEqual(permuteBlocks(SRC, 3, 2, PERM), [
    4, 5, 0, 1, 2, 3,
    10, 11, 6, 7, 8, 9,
    16, 17, 12, 13, 14, 15,
  ]);
  const dst = new Float64Array(18);
  unpermuteBlocks(SRC, dst, 3, 2, PERM); // dst block perm[k] ← block k: block 2 ← 0…1, block 0 ← 2…3, block 1 ← 4…5
  assert.deepEqual(Array.from(dst), [
    2, 3, 4, 5, 0, 1,
    8, 9, 10, 11, 6, 7,
    14, 15, 16, 17, 12, 13,
  ]);
  const back = new Float64Array(18);
  unpermuteBlocks(permuteBlocks(SRC, 3, 2, PERM), back, 3, 2, PERM);
  assert.deepEqual(Array.from(back), SRC);
  assert.deepEqual(permuteBlocks([1, 2, 3], 1, 3, [0]), [1, 2, 3]);
});

test('permuteTransposed / unpermuteTransposed: out row k·H + j ← src column perm[k]·H + j, and back', () => {
  // column c of SRC is [c, 6 + c, 12 + c]
  assert.deepEqual(permuteTransposed(SRC, 3, 2, PERM), [
    4, 10, 16, 5, 11, 17, // block 2's columns 4, 5
    0, 6, 12, 1, 7, 13, // block 0's columns 0, 1
    2, 8, 14, 3, 9, 15, // block 1's columns 2, 3
  ]);
  const dst = new Float64Array(18);
  unpermuteTransposed(permuteTransposed(SRC, 3, 2, PERM), dst, 3, 2, PERM);
  assert.deepEqual(Array.from(dst), SRC);
  const dst2 = new Float64Array(18);
  unpermuteTransposed(SRC, dst2, 3, 2, PERM); // values row k·H + j (3 long) → column perm[k]·H + j
  assert.deepEqual(Array.from(dst2), [
    6, 9, 12, 15, 0, 3,
    7, 10, 13, 16, 1, 4,
    8, 11, 14, 17, 2, 5,
  ]);
  // rows × gH values only: a longer destination keeps what lies past them
  for (const un of [unpermuteBlocks, unpermuteTransposed]) {
    const longer = new Float64Array(20).fill(9);
    un(range(0, 24), longer, 3, 2, PERM);
    assert.deepEqual([longer[18], longer[19]], [9, 9], un.name);
  }
  assert.deepEqual(transpose([0, 1, 2, 3, 4, 5], 2, 3), [0, 3, 1, 4, 2, 5]);
  assert.deepEqual(transpose([0, 1, 2, 3, 4, 5], 3, 2), [0, 2, 4, 1, 3, 5]);
  assert.equal(showShape([2, 3]), '[2, 3]');
  assert.equal(showShape([null, 4]), '[, 4]');
});

// ---------------------------------------------------------------- layer slots

function net(options: Partial<NetworkOptions>): Network {
  const n = new Network({ inputSize: 3, hiddenSize: 2, outputSize: 1, seed: 1, dtype: 'float64', ...options } as NetworkOptions);
  n.params.data.set(range(1, n.params.size));
  return n;
}

test('layerSlots: a stacked bidirectional LSTM — views into W, names, D = 2H above the first layer', () => {
  const n = net({ cell: 'lstm', layers: 2, bidirectional: true });
  const slots = layerSlots(n);
  assert.deepEqual(slots.map((s) => [s.index, s.reverse, s.D, s.H, s.gates, s.cell, s.resetAfter]), [
    [0, false, 3, 2, 4, 'lstm', false], [0, true, 3, 2, 4, 'lstm', false],
    [1, false, 4, 2, 4, 'lstm', false], [1, true, 4, 2, 4, 'lstm', false],
  ]);
  assert.deepEqual(slots[3]!.names, { Wx: 'layer1.reverse.W (rows 0..3)', Wh: 'layer1.reverse.W (rows 4..5)', b: 'layer1.reverse.b', b_hn: 'layer1.reverse.b_hn' });
  assert.deepEqual(slots[0]!.names, { Wx: 'layer0.W (rows 0..2)', Wh: 'layer0.W (rows 3..4)', b: 'layer0.b', b_hn: 'layer0.b_hn' });
  for (const s of slots) {
    const pre = `layer${s.index}.${s.reverse ? 'reverse.' : ''}`;
    const W = n.params.view(`${pre}W`);
    assert.equal(s.Wx.length, s.D * 8);
    assert.equal(s.Wh.length, 2 * 8);
    assert.deepEqual(Array.from(s.Wx), Array.from(W.subarray(0, s.D * 8)));
    assert.deepEqual(Array.from(s.Wh), Array.from(W.subarray(s.D * 8)));
    assert.deepEqual(Array.from(s.b!), Array.from(n.params.view(`${pre}b`)));
    assert.equal(s.b_hn, null);
  }
  // live views: a write through a slot changes the network
  slots[2]!.Wh[0] = -7;
  assert.equal(n.params.view('layer1.W')[4 * 8], -7);
  assert.equal(slotOf(slots, 1, true), slots[3]);
  assert.equal(slotOf(slots, 0, false), slots[0]);
  refuses(() => slotOf(slots, 2, false), FormatError, 'the network has no layer 2');
  refuses(() => slotOf(layerSlots(net({ cell: 'lstm' })), 0, true), FormatError, 'the network has no backward direction of layer 0');
});

test('layerSlots: the RNN (U, W, b_h), the GRU variants (b_hn) and networks without biases', () => {
  const rnn = net({ cell: 'rnn', layers: 2 });
  const [r0, r1] = layerSlots(rnn);
  assert.deepEqual(r0!.names, { Wx: 'layer0.U', Wh: 'layer0.W', b: 'layer0.b_h', b_hn: 'layer0.b_hn' });
  assert.deepEqual([r0!.D, r1!.D, r0!.gates, r0!.resetAfter, r1!.reverse], [3, 2, 1, false, false]);
  assert.deepEqual(Array.from(r1!.Wx), Array.from(rnn.params.view('layer1.U')));
  assert.deepEqual(Array.from(r1!.Wh), Array.from(rnn.params.view('layer1.W')));
  assert.deepEqual(Array.from(r1!.b!), Array.from(rnn.params.view('layer1.b_h')));

  const after = net({ cell: 'gru' });
  const [g] = layerSlots(after);
  assert.equal(networkGruVariant(after), 'reset-after');
  assert.equal(g!.resetAfter, true);
  assert.equal(g!.gates, 3);
  assert.deepEqual(Array.from(g!.b_hn!), Array.from(after.params.view('layer0.b_hn')));
  assert.equal(g!.b_hn!.length, 2);

  const before = net({ cell: 'gru', variant: 'reset-before' });
  assert.equal(networkGruVariant(before), 'reset-before');
  assert.deepEqual([layerSlots(before)[0]!.resetAfter, layerSlots(before)[0]!.b_hn], [false, null]);

  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    const [s] = layerSlots(net({ cell, bias: false }));
    assert.equal(s!.b, null, cell);
    assert.equal(s!.b_hn, null, cell);
    assert.equal(s!.resetAfter, cell === 'gru', cell);
  }
});

/** A stand-in for a Network whose parameters are not the ones its config implies. */
function fake(config: Partial<NetworkOptions>, params: Record<string, number>): Network {
  const arrays = Object.fromEntries(Object.entries(params).map(([k, n]) => [k, new Float64Array(n)]));
  return {
    config: { cell: 'lstm', inputSize: 1, hiddenSize: 1, outputSize: 1, layers: 1, bias: true, ...config },
    params: { view: (name: string) => arrays[name]!, has: (name: string) => name in arrays },
  } as unknown as Network;
}

test('layerSlots: parameters that do not fit the layout are refused by name', () => {
  refuses(() => layerSlots(fake({}, { 'layer0.W': 7, 'layer0.b': 4 })), FormatError,
    'parameter layer0.W (rows 1..1) has 3 values, expected 4; the cell\'s parameter layout is not the one this exporter knows');
  refuses(() => layerSlots(fake({}, { 'layer0.W': 3, 'layer0.b': 4 })), FormatError,
    'parameter layer0.W (rows 0..0) has 3 values, expected 4; the cell\'s parameter layout is not the one this exporter knows');
  refuses(() => layerSlots(fake({ cell: 'rnn' }, { 'layer0.U': 2, 'layer0.W': 1, 'layer0.b_h': 1 })), FormatError,
    'parameter layer0.U has 2 values, expected 1; the cell\'s parameter layout is not the one this exporter knows');
  refuses(() => layerSlots(fake({}, { 'layer0.W': 8 })), FormatError, 'the network has biases but no parameter "layer0.b"');
  refuses(() => layerSlots(fake({ cell: 'gru' }, { 'layer0.W': 6, 'layer0.b': 3 })), FormatError,
    'a reset-after GRU with biases needs "layer0.b_hn", which the network lacks');
  // without biases neither is needed
  assert.equal(layerSlots(fake({ cell: 'gru', bias: false }, { 'layer0.W': 6 }))[0]!.b, null);
  assert.equal(layerSlots(fake({ cell: 'gru', variant: 'reset-before' }, { 'layer0.W': 6, 'layer0.b': 3 }))[0]!.b_hn, null);
});

// ---------------------------------------------------------------- tensors

test('readTensor: flat or nested values against the expected shape, each refusal by its message', () => {
  assert.deepEqual(Array.from(readTensor('k', [2, 3], [1, 2, 3, 4, 5, 6], [2, 3])), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(readTensor('k', undefined, [[1, 2, 3], [4, 5, 6]], [2, 3])), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(readTensor('k', undefined, new Float32Array([0.5, -1]), [2])), [0.5, -1]);
  // values that are not arrays (a JSON file can hold anything): one clear refusal, not a TypeError
  refuses(() => readTensor('k', [2], null as unknown as number[], [2]), FormatError, 'tensor "k" has values null, expected an array of numbers (nested or flat) or a typed array');
  refuses(() => readTensor('k', [2], 7 as unknown as number[], [2]), FormatError, 'tensor "k" has values number, expected an array of numbers (nested or flat) or a typed array');
  assert.deepEqual(Array.from(readTensor('k', undefined, [[[1], [2]]], [1, 2, 1])), [1, 2]);
  assert.ok(readTensor('k', [2], [1, 2], [2]) instanceof Float64Array);
  refuses(() => readTensor('k', undefined, [1, 2, 3], [1, 3]), ShapeError, 'tensor "k" has shape [3], expected [1, 3]');
  refuses(() => readTensor('k', [3, 2], range(0, 6), [2, 3]), ShapeError, 'tensor "k" has shape [3, 2], expected [2, 3] (it looks transposed)');
  refuses(() => readTensor('k', undefined, [[1, 2], [3, 4], [5, 6]], [2, 3]), ShapeError, 'tensor "k" has shape [3, 2], expected [2, 3] (it looks transposed)');
  refuses(() => readTensor('k', [3, 3], range(0, 9), [2, 3]), ShapeError, 'tensor "k" has shape [3, 3], expected [2, 3]');
  refuses(() => readTensor('k', [2, 2], range(0, 4), [2, 3]), ShapeError, 'tensor "k" has shape [2, 2], expected [2, 3]');
  refuses(() => readTensor('k', [2, 3, 1], range(0, 6), [2, 3]), ShapeError, 'tensor "k" has shape [2, 3, 1], expected [2, 3]');
  refuses(() => readTensor('k', [3, 2, 1], range(0, 6), [2, 3, 1]), ShapeError, 'tensor "k" has shape [3, 2, 1], expected [2, 3, 1]');
  refuses(() => readTensor('k', [3, 2], range(0, 6), [2, 3, 1]), ShapeError, 'tensor "k" has shape [3, 2], expected [2, 3, 1]');
  refuses(() => readTensor('k', [2, 3], range(0, 6), [3, 4]), ShapeError, 'tensor "k" has shape [2, 3], expected [3, 4]');
  refuses(() => readTensor('k', 5 as unknown as number[], [1], [1]), ShapeError, 'tensor "k" has shape 5, expected [1]');
  // a declared shape that is a prefix of the expected one, or the transpose of it with a third axis
  refuses(() => readTensor('k', [2], [1, 2], [2, 1]), ShapeError, 'tensor "k" has shape [2], expected [2, 1]');
  refuses(() => readTensor('k', [3, 2, 1], range(0, 6), [2, 3]), ShapeError, 'tensor "k" has shape [3, 2, 1], expected [2, 3]');
  // what a hostile file may put where a shape or values belong: objects that merely look like arrays
  const shapeLike = { length: 2, 0: 3, 1: 2 } as unknown as number[];
  refuses(() => readTensor('k', shapeLike, range(0, 6), [2, 3]), ShapeError, 'tensor "k" has shape [object Object], expected [2, 3]');
  refuses(() => readTensor('k', [1], { length: 1, 0: [1] } as unknown as number[], [1]), FormatError, 'tensor "k" value 0 is 1, expected a finite number');
  refuses(() => readTensor('w', [2, 3], [1, 2, 3, 4, 5], [2, 3]), ShapeError, 'tensor "w" has 5 values, but its shape [2, 3] needs 6');
  refuses(() => readTensor('w', [2, 3], range(0, 7), [2, 3]), ShapeError, 'tensor "w" has 7 values, but its shape [2, 3] needs 6');
  refuses(() => readTensor('w', undefined, [[1, 2], [3]], [2, 2]), ShapeError, 'tensor "w" has 3 values, but its shape [2, 2] needs 4');
  refuses(() => readTensor('w', undefined, [[1, 2], [3, NaN]], [2, 2]), FormatError, 'tensor "w" value 3 is NaN, expected a finite number');
  refuses(() => readTensor('w', [2], [1, Infinity], [2]), FormatError, 'tensor "w" value 1 is Infinity, expected a finite number');
  refuses(() => readTensor('w', [2], [1, '2'] as unknown as number[], [2]), FormatError, 'tensor "w" value 1 is 2, expected a finite number');
  refuses(() => readTensor('w', [2], [null, 1] as unknown as number[], [2]), FormatError, 'tensor "w" value 0 is null, expected a finite number');
  assert.deepEqual(Array.from(readTensor('w', undefined, [], [0])), []);
  // nesting: 9 levels are read, 10 refused
  let nine: unknown = [1];
  for (let i = 1; i < 9; i++) nine = [nine];
  assert.deepEqual(Array.from(readTensor('d', undefined, nine as number[], new Array<number>(9).fill(1))), [1]);
  refuses(() => readTensor('d', undefined, [nine] as unknown as number[], new Array<number>(10).fill(1)), FormatError, 'tensor "d" is nested too deeply');
});

test('expectZeros and withRollback', () => {
  expectZeros('b', [0, -0, 0]);
  expectZeros('b', []);
  refuses(() => expectZeros('bias', [0, -3, 2]), FormatError,
    'tensor "bias" has non-zero values (max |b| = 3), but the network was built with bias: false; build it with bias: true to import these biases');
  refuses(() => expectZeros('bias', [0.5, 0, -0.25]), FormatError,
    'tensor "bias" has non-zero values (max |b| = 0.5), but the network was built with bias: false; build it with bias: true to import these biases');
  const n = net({ cell: 'rnn' });
  const before = Array.from(n.params.data);
  assert.throws(() => withRollback(n, () => {
    n.params.data.fill(9);
    throw new FormatError('refused halfway');
  }), /refused halfway/);
  assert.deepEqual(Array.from(n.params.data), before);
  withRollback(n, () => { n.params.data[0] = 42; });
  assert.equal(n.params.data[0], 42);
});

// ---------------------------------------------------------------- exchange: metadata and the network a file describes

test('portableModel, portableMetadata, portableCheckpoint: one network, its name, config and meta as strings', () => {
  assert.deepEqual(METADATA_KEYS, { generator: 'generator', config: 'rnnkit.config', meta: 'rnnkit.meta', network: 'rnnkit.network' });
  assert.equal(GENERATOR, 'generated by rnnkit');
  const e = formatError('ONNX', 'broken');
  assert.ok(e instanceof FormatError);
  assert.equal(e.message, 'ONNX: broken');
  const n = net({ cell: 'rnn' });
  const p = portableModel({ networks: { enc: n }, meta: { v: [1] } }, 'ONNX');
  assert.deepEqual(p, { name: 'enc', net: n, meta: { v: [1] } });
  const bare = portableModel({ networks: { model: n } }, 'ONNX');
  assert.deepEqual(Object.keys(bare), ['name', 'net']);
  refuses(() => portableModel({ networks: { encoder: n, decoder: n } }, 'TF.js'), FormatError,
    'TF.js: the model holds 2 networks (encoder, decoder); a TF.js file carries one recurrent stack and its output layer, so encoder–decoder models cannot be exported');
  refuses(() => portableModel({ networks: {} }, 'ONNX'), FormatError,
    'ONNX: the model holds 0 networks (); a ONNX file carries one recurrent stack and its output layer, so encoder–decoder models cannot be exported');
  const md = portableMetadata(p);
  assert.deepEqual(Object.entries(md), [
    ['rnnkit.network', 'enc'], ['rnnkit.config', JSON.stringify(n.config)], ['rnnkit.meta', '{"v":[1]}'], ['generator', 'generated by rnnkit'],
  ]);
  assert.deepEqual(Object.keys(portableMetadata(bare)), ['rnnkit.network', 'rnnkit.config', 'generator']);
  assert.deepEqual(portableCheckpoint({ name: 'm', net: n, meta: 3 }), { networks: { m: n }, meta: 3 });
  assert.deepEqual(Object.keys(portableCheckpoint({ name: 'm', net: n })), ['networks']);
});

const SHAPE: InferredShape = { cell: 'gru', inputSize: 3, hiddenSize: 2, outputSize: 1, layers: 1, bias: true };

test('buildPortable: without our metadata, the defaults; the name and meta from metadata', () => {
  const a = buildPortable('ONNX', SHAPE, {});
  assert.equal(a.name, 'model');
  assert.ok(!('meta' in a));
  assert.deepEqual(a.net.config, {
    cell: 'gru', inputSize: 3, hiddenSize: 2, outputSize: 1, layers: 1, hiddenActivation: 'tanh', outputActivation: 'linear', loss: 'mse', bias: true, dtype: 'float32',
  });
  const b = buildPortable('ONNX', { ...SHAPE, cell: 'rnn', bias: false, hiddenActivation: 'relu', outputActivation: 'softmax', bidirectional: true, layers: 2 },
    { 'rnnkit.network': 'Dec-1.x', 'rnnkit.meta': '{"vocab":["a"]}' });
  assert.equal(b.name, 'Dec-1.x');
  assert.deepEqual(b.meta, { vocab: ['a'] });
  assert.deepEqual(b.net.config, {
    cell: 'rnn', inputSize: 3, hiddenSize: 2, outputSize: 1, layers: 2, hiddenActivation: 'relu', outputActivation: 'softmax', loss: 'cross-entropy', bias: false, dtype: 'float32', bidirectional: true,
  });
  const c = buildPortable('ONNX', { ...SHAPE, variant: 'reset-before', bidirectional: false }, {});
  assert.equal(c.net.config.variant, 'reset-before');
  assert.equal(c.net.config.bidirectional, undefined);
  assert.equal(buildPortable('ONNX', SHAPE, { 'rnnkit.network': 'a'.repeat(64) }).name.length, 64);
  refuses(() => buildPortable('ONNX', SHAPE, { 'rnnkit.network': 'a'.repeat(65) }), FormatError, `ONNX: metadata "rnnkit.network" "${'a'.repeat(65)}" is not a network name`);
  refuses(() => buildPortable('ONNX', SHAPE, { 'rnnkit.network': '1model' }), FormatError, 'ONNX: metadata "rnnkit.network" "1model" is not a network name');
  refuses(() => buildPortable('ONNX', SHAPE, { 'rnnkit.network': 'model!' }), FormatError, 'ONNX: metadata "rnnkit.network" "model!" is not a network name');
  refuses(() => buildPortable('ONNX', SHAPE, { 'rnnkit.network': 'x y' }), FormatError, 'ONNX: metadata "rnnkit.network" "x y" is not a network name');
  refuses(() => buildPortable('TF.js', SHAPE, { 'rnnkit.meta': '{nope' }), FormatError, 'TF.js: metadata "rnnkit.meta" is not valid JSON');
  refuses(() => buildPortable('ONNX', { ...SHAPE, hiddenSize: 0 }, {}), FormatError, 'ONNX: the model it describes cannot be built: hiddenSize must be a positive integer, got 0');
});

test('buildPortable: our stored config must agree with the weights and with what the file says', () => {
  const n = net({ cell: 'gru', dtype: 'float64', hiddenActivation: 'tanh', outputActivation: 'sigmoid', loss: 'mse' } as Partial<NetworkOptions>);
  const config = JSON.stringify(n.config);
  const a = buildPortable('ONNX', SHAPE, { 'rnnkit.config': config });
  assert.deepEqual(a.net.config, n.config);
  assert.equal(a.net.config.dtype, 'float64');
  // what the file's structure says, when it agrees (the GRU's default variant is reset-after)
  buildPortable('ONNX', { ...SHAPE, variant: 'reset-after', hiddenActivation: 'tanh', outputActivation: 'sigmoid' }, { 'rnnkit.config': config });
  for (const k of ['cell', 'inputSize', 'hiddenSize', 'outputSize', 'layers'] as const) {
    const shape = { ...SHAPE, [k]: k === 'cell' ? 'lstm' : 5 } as InferredShape;
    const said = JSON.stringify((n.config as unknown as Record<string, unknown>)[k]);
    refuses(() => buildPortable('ONNX', shape, { 'rnnkit.config': config }), FormatError, `ONNX: metadata "rnnkit.config" says ${k} ${said} but the weights give ${k === 'cell' ? 'lstm' : 5}`);
  }
  refuses(() => buildPortable('ONNX', { ...SHAPE, bidirectional: true }, { 'rnnkit.config': config }), FormatError,
    'ONNX: metadata "rnnkit.config" says the layers are one-way but the weights are bidirectional');
  const bi = JSON.stringify(net({ cell: 'gru', bidirectional: true }).config);
  refuses(() => buildPortable('ONNX', SHAPE, { 'rnnkit.config': bi }), FormatError,
    'ONNX: metadata "rnnkit.config" says the layers are bidirectional but the weights are one-way');
  assert.equal(buildPortable('ONNX', { ...SHAPE, bidirectional: true }, { 'rnnkit.config': bi }).net.config.bidirectional, true);
  refuses(() => buildPortable('ONNX', { ...SHAPE, variant: 'reset-before' }, { 'rnnkit.config': config }), FormatError,
    'ONNX: metadata "rnnkit.config" says variant "reset-after" but the model\'s layers say "reset-before"');
  refuses(() => buildPortable('ONNX', { ...SHAPE, hiddenActivation: 'relu' }, { 'rnnkit.config': config }), FormatError,
    'ONNX: metadata "rnnkit.config" says hiddenActivation "tanh" but the model\'s layers say "relu"');
  refuses(() => buildPortable('ONNX', { ...SHAPE, outputActivation: 'linear' }, { 'rnnkit.config': config }), FormatError,
    'ONNX: metadata "rnnkit.config" says outputActivation "sigmoid" but the model\'s layers say "linear"');
  // an LSTM says no variant; a file that names one disagrees
  const lstm = JSON.stringify(net({ cell: 'lstm' }).config);
  const lstmShape = { ...SHAPE, cell: 'lstm' as const };
  buildPortable('ONNX', lstmShape, { 'rnnkit.config': lstm });
  refuses(() => buildPortable('ONNX', { ...lstmShape, variant: 'reset-after' }, { 'rnnkit.config': lstm }), FormatError,
    'ONNX: metadata "rnnkit.config" says variant undefined but the model\'s layers say "reset-after"');
  for (const text of ['[1]', 'null', '3', '"x"']) {
    refuses(() => buildPortable('ONNX', SHAPE, { 'rnnkit.config': text }), FormatError, 'ONNX: metadata "rnnkit.config" is not a JSON object');
  }
  refuses(() => buildPortable('ONNX', SHAPE, { 'rnnkit.config': '{' }), FormatError, 'ONNX: metadata "rnnkit.config" is not valid JSON');
  const wrong = JSON.stringify({ ...n.config, hiddenActivation: 'swish' });
  refuses(() => buildPortable('ONNX', SHAPE, { 'rnnkit.config': wrong }), FormatError,
    'ONNX: the model it describes cannot be built: hiddenActivation must be one of linear, tanh, sigmoid, relu, got "swish"');
});

test('withFormat: a library error gets the format\'s name once; other errors pass unchanged', () => {
  assert.equal(withFormat('ONNX', () => 7), 7);
  refuses(() => withFormat('ONNX', () => { throw new ShapeError('bad shape'); }), FormatError, 'ONNX: bad shape');
  const named = new OptionError('ONNX: already named');
  assert.throws(() => withFormat('ONNX', () => { throw named; }), (e) => e === named);
  const plain = new TypeError('not ours');
  assert.throws(() => withFormat('ONNX', () => { throw plain; }), (e) => e === plain);
  const other = new OptionError('TF.js: from elsewhere');
  refuses(() => withFormat('ONNX', () => { throw other; }), FormatError, 'ONNX: TF.js: from elsewhere');
  assert.ok(new FormatError('x') instanceof RecurrentError);
});

// ---------------------------------------------------------------- the column layout

test('toColumns: an LSTM (D = 2, H = 1) transposed, gate blocks in PyTorch order; biases in Wb, Rb zero', () => {
  const n = net({ cell: 'lstm', inputSize: 2, hiddenSize: 1 });
  const [s] = layerSlots(n);
  // ours: Wx rows [f i o c] = [1 2 3 4], [5 6 7 8]; Wh [9 10 11 12]; b [13 14 15 16]
  s!.Wx.set(range(1, 8));
  s!.Wh.set(range(9, 4));
  s!.b!.set(range(13, 4));
  const c = toColumns(s!, TORCH_GATES);
  assert.ok(c.W instanceof Float32Array);
  assert.deepEqual(Array.from(c.W), [2, 6, 1, 5, 4, 8, 3, 7]); // rows i, f, g, o; columns x0, x1
  assert.deepEqual(Array.from(c.R), [10, 9, 12, 11]);
  assert.deepEqual(Array.from(c.Wb!), [14, 13, 16, 15]);
  assert.deepEqual(Array.from(c.Rb!), [0, 0, 0, 0]);
  const noBias = toColumns(layerSlots(net({ cell: 'lstm', inputSize: 2, hiddenSize: 1, bias: false }))[0]!, TORCH_GATES);
  assert.deepEqual([noBias.Wb, noBias.Rb], [null, null]);
  assert.equal(noBias.W.length, 8);
});

test('toColumns: a reset-after GRU (D = 1, H = 2): b_hn is the candidate block of Rb, in either order', () => {
  const n = net({ cell: 'gru', inputSize: 1, hiddenSize: 2 });
  const [s] = layerSlots(n);
  s!.Wx.set(range(1, 6)); // [z0 z1 r0 r1 n0 n1]
  s!.b!.set(range(11, 6));
  s!.b_hn!.set([20, 21]);
  const t = toColumns(s!, TORCH_GATES);
  assert.deepEqual(Array.from(t.W), [3, 4, 1, 2, 5, 6]);
  assert.deepEqual(Array.from(t.Wb!), [13, 14, 11, 12, 15, 16]);
  assert.deepEqual(Array.from(t.Rb!), [0, 0, 0, 0, 20, 21]);
  const k = toColumns(s!, KERAS_GATES);
  assert.deepEqual(Array.from(k.W), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(k.Rb!), [0, 0, 0, 0, 20, 21]);
  // a GRU whose candidate sits first in the foreign order
  const nFirst = { ...TORCH_GATES, gru: ['n', 'z', 'r'] as const };
  assert.deepEqual(Array.from(toColumns(s!, nFirst).Rb!), [20, 21, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(toColumns(s!, nFirst).W), [5, 6, 1, 2, 3, 4]);
});

function slot(options: Partial<NetworkOptions>): LayerSlots {
  const n = net(options);
  n.params.data.fill(0.5);
  return layerSlots(n)[0]!;
}

test('fromColumns: weights back in our layout; b = Wb + Rb per gate, Wb\'s bits kept where Rb is 0', () => {
  const s = slot({ cell: 'lstm', inputSize: 2, hiddenSize: 1 });
  fromColumns(s, TORCH_GATES, { W: [2, 6, 1, 5, 4, 8, 3, 7], R: [10, 9, 12, 11], Wb: [-0, 13, 16, 15], Rb: [0, 1, 0.5, 0] }, { Wb: 'Wb', Rb: 'Rb' });
  assert.deepEqual(Array.from(s.Wx), range(1, 8));
  assert.deepEqual(Array.from(s.Wh), range(9, 4));
  assert.deepEqual(Array.from(s.b!), [14, -0, 15, 16.5]); // f = 13 + 1, i = −0 + 0 (kept), o = 15 + 0, c = 16 + 0.5
  assert.ok(Object.is(s.b![1], -0), 'Wb\'s −0 is kept where Rb is 0');
  // absent biases are zeros
  fromColumns(s, TORCH_GATES, { W: range(0, 8), R: range(0, 4), Wb: null, Rb: null }, { Wb: 'Wb', Rb: 'Rb' });
  assert.deepEqual(Array.from(s.b!), [0, 0, 0, 0]);
  fromColumns(s, TORCH_GATES, { W: range(0, 8), R: range(0, 4), Wb: null, Rb: [1, 2, 3, 4] }, { Wb: 'Wb', Rb: 'Rb' });
  assert.deepEqual(Array.from(s.b!), [2, 1, 4, 3]);
});

test('fromColumns: the reset-after GRU keeps the candidate\'s recurrent bias apart (b_hn); reset-before sums it', () => {
  const after = slot({ cell: 'gru', inputSize: 1, hiddenSize: 2 });
  fromColumns(after, TORCH_GATES, { W: [3, 4, 1, 2, 5, 6], R: range(0, 12), Wb: [13, 14, 11, 12, 15, 16], Rb: [1, 2, 3, 4, 20, 21] }, { Wb: 'Wb', Rb: 'Rb' });
  assert.deepEqual(Array.from(after.Wx), range(1, 6));
  assert.deepEqual(Array.from(after.b!), [14, 16, 14, 16, 15, 16]); // z = 11 + 3, 12 + 4; r = 13 + 1, 14 + 2; n = Wb alone
  assert.deepEqual(Array.from(after.b_hn!), [20, 21]);
  fromColumns(after, TORCH_GATES, { W: range(0, 6), R: range(0, 12), Wb: [1, 1, 1, 1, 1, 1], Rb: null }, { Wb: 'Wb', Rb: 'Rb' });
  assert.deepEqual(Array.from(after.b_hn!), [0, 0]);
  assert.deepEqual(Array.from(after.b!), [1, 1, 1, 1, 1, 1]);
  const before = slot({ cell: 'gru', inputSize: 1, hiddenSize: 2, variant: 'reset-before' });
  fromColumns(before, TORCH_GATES, { W: range(0, 6), R: range(0, 12), Wb: [13, 14, 11, 12, 15, 16], Rb: [1, 2, 3, 4, 20, 21] }, { Wb: 'Wb', Rb: 'Rb' });
  assert.deepEqual(Array.from(before.b!), [14, 16, 14, 16, 35, 37]);
  assert.equal(before.b_hn, null);
});

test('fromColumns: a network without biases takes only zero biases, named in the refusal', () => {
  const s = slot({ cell: 'rnn', inputSize: 2, hiddenSize: 2, bias: false });
  fromColumns(s, TORCH_GATES, { W: [1, 2, 3, 4], R: [5, 6, 7, 8], Wb: [0, 0], Rb: [0, -0] }, { Wb: 'W_bias', Rb: 'R_bias' });
  assert.deepEqual(Array.from(s.Wx), [1, 3, 2, 4]); // transposed back
  assert.deepEqual(Array.from(s.Wh), [5, 7, 6, 8]);
  refuses(() => fromColumns(s, TORCH_GATES, { W: [1, 2, 3, 4], R: [5, 6, 7, 8], Wb: [0, 2], Rb: null }, { Wb: 'W_bias', Rb: 'R_bias' }), FormatError,
    'tensor "W_bias" has non-zero values (max |b| = 2), but the network was built with bias: false; build it with bias: true to import these biases');
  refuses(() => fromColumns(s, TORCH_GATES, { W: [1, 2, 3, 4], R: [5, 6, 7, 8], Wb: null, Rb: [0, -1] }, { Wb: 'W_bias', Rb: 'R_bias' }), FormatError,
    'tensor "R_bias" has non-zero values (max |b| = 1), but the network was built with bias: false; build it with bias: true to import these biases');
});
