/**
 * The PyTorch state-dict layout, name by name (the focused file of the
 * src/io part B mutation run, docs/testing.md): pyTorchWeightSpecs for
 * every cell, stacked and bidirectional, with and without biases, prefix
 * and Linear names; exportPyTorch of tiny networks whose weights are
 * numbered, value by value (weights transposed, gate blocks [i | f | g | o]
 * and [r | z | n], bias_hh zero but for the GRU's b_hn); importPyTorch of
 * dictionaries made by hand, weight by weight (b = bias_ih + bias_hh, the
 * GRU's n split into b_n and b_hn); every refusal by its whole message.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FormatError, OptionError, ShapeError } from '../src/core/errors.js';
import { Network } from '../src/model/network.js';
import { exportPyTorch, importPyTorch, pyTorchWeightSpecs, type PyTorchOptions, type TorchStateDict } from '../src/io/pytorch.js';
import { numbered, q } from './helpers/numbered.js';
import { refuses } from './helpers/refuses.js';

const listed = (net: Network, options?: PyTorchOptions, withBias?: boolean): string[] =>
  pyTorchWeightSpecs(net, options, withBias).map((s) => `${s.name} ${s.kind} [${s.shape.join(', ')}] ${s.layer}${s.reverse ? ' reverse' : ''}`);

test('pyTorchWeightSpecs: names, kinds, shapes, layers; layers above the first read H (2H both ways); prefix and Linear name', () => {
  const lstm = numbered({ cell: 'lstm', inputSize: 3, hiddenSize: 2, outputSize: 5, layers: 2 });
  assert.deepEqual(listed(lstm), [
    'weight_ih_l0 weight_ih [8, 3] 0', 'weight_hh_l0 weight_hh [8, 2] 0', 'bias_ih_l0 bias_ih [8] 0', 'bias_hh_l0 bias_hh [8] 0',
    'weight_ih_l1 weight_ih [8, 2] 1', 'weight_hh_l1 weight_hh [8, 2] 1', 'bias_ih_l1 bias_ih [8] 1', 'bias_hh_l1 bias_hh [8] 1',
    'linear.weight weight [5, 2] -1', 'linear.bias bias [5] -1',
  ]);
  const gru = numbered({ cell: 'gru', inputSize: 1, hiddenSize: 3, outputSize: 2, layers: 2, bidirectional: true, bias: false });
  assert.deepEqual(listed(gru, { prefix: 'rnn.', linear: 'fc' }), [
    'rnn.weight_ih_l0 weight_ih [9, 1] 0', 'rnn.weight_hh_l0 weight_hh [9, 3] 0',
    'rnn.weight_ih_l0_reverse weight_ih [9, 1] 0 reverse', 'rnn.weight_hh_l0_reverse weight_hh [9, 3] 0 reverse',
    'rnn.weight_ih_l1 weight_ih [9, 6] 1', 'rnn.weight_hh_l1 weight_hh [9, 3] 1',
    'rnn.weight_ih_l1_reverse weight_ih [9, 6] 1 reverse', 'rnn.weight_hh_l1_reverse weight_hh [9, 3] 1 reverse',
    'fc.weight weight [2, 6] -1',
  ]);
  // withBias forces the bias entries in; output: false leaves the Linear out
  const rnn = numbered({ cell: 'rnn', inputSize: 2, hiddenSize: 3, outputSize: 1, bias: false });
  assert.deepEqual(listed(rnn, {}, true), [
    'weight_ih_l0 weight_ih [3, 2] 0', 'weight_hh_l0 weight_hh [3, 3] 0', 'bias_ih_l0 bias_ih [3] 0', 'bias_hh_l0 bias_hh [3] 0',
    'linear.weight weight [1, 3] -1', 'linear.bias bias [1] -1',
  ]);
  assert.deepEqual(listed(rnn, { output: false }, true), ['weight_ih_l0 weight_ih [3, 2] 0', 'weight_hh_l0 weight_hh [3, 3] 0', 'bias_ih_l0 bias_ih [3] 0', 'bias_hh_l0 bias_hh [3] 0']);
  assert.deepEqual(listed(rnn, { output: true }), ['weight_ih_l0 weight_ih [3, 2] 0', 'weight_hh_l0 weight_hh [3, 3] 0', 'linear.weight weight [1, 3] -1']);
  const before = numbered({ cell: 'gru', inputSize: 1, hiddenSize: 1, outputSize: 1, variant: 'reset-before' });
  const message = 'PyTorch\'s nn.GRU applies the reset gate after the recurrent product; a "reset-before" GRU has no PyTorch layout. Build the network with variant: "reset-after"';
  refuses(() => pyTorchWeightSpecs(before), OptionError, message);
  refuses(() => exportPyTorch(before), OptionError, message);
  refuses(() => importPyTorch(before, {}), OptionError, message);
  // a reset-after GRU named explicitly is fine
  assert.equal(pyTorchWeightSpecs(numbered({ cell: 'gru', inputSize: 1, hiddenSize: 1, outputSize: 1, variant: 'reset-after' })).length, 6);
});

test('exportPyTorch: an RNN, every value (weights transposed, bias_hh zero, linear.weight = Vᵀ)', () => {
  // D = 2, H = 2, K = 3: U = params 0..3, W = 4..7, b_h = 8..9, V (2×3) = 10..15, b_o = 16..18
  const net = numbered({ cell: 'rnn', inputSize: 2, hiddenSize: 2, outputSize: 3 });
  assert.deepEqual(exportPyTorch(net), {
    weight_ih_l0: { shape: [2, 2], values: q(1, 3, 2, 4) },
    weight_hh_l0: { shape: [2, 2], values: q(5, 7, 6, 8) },
    bias_ih_l0: { shape: [2], values: q(9, 10) },
    bias_hh_l0: { shape: [2], values: [0, 0] },
    'linear.weight': { shape: [3, 2], values: q(11, 14, 12, 15, 13, 16) },
    'linear.bias': { shape: [3], values: q(17, 18, 19) },
  });
  // output: false stops at the recurrent module
  assert.deepEqual(Object.keys(exportPyTorch(net, { output: false, prefix: 'm.' })), ['m.weight_ih_l0', 'm.weight_hh_l0', 'm.bias_ih_l0', 'm.bias_hh_l0']);
});

test('exportPyTorch: a GRU ([r | z | n], bias_hh = [0 | 0 | b_hn]) and an LSTM ([i | f | g | o]), H = 2', () => {
  // GRU D = 1, H = 2: W (3×6) = params 0..17, b = 18..23, b_hn = 24..25
  const gru = exportPyTorch(numbered({ cell: 'gru', inputSize: 1, hiddenSize: 2, outputSize: 1 }));
  assert.deepEqual(gru.weight_ih_l0!.values, q(3, 4, 1, 2, 5, 6));
  assert.deepEqual(gru.weight_hh_l0!.values, q(9, 15, 10, 16, 7, 13, 8, 14, 11, 17, 12, 18));
  assert.deepEqual(gru.bias_ih_l0!.values, q(21, 22, 19, 20, 23, 24));
  assert.deepEqual(gru.bias_hh_l0!.values, [0, 0, 0, 0, 6.25, 6.5]);
  // LSTM D = 1, H = 2: W (3×8) = params 0..23, ours [f | i | o | c]; b = 24..31
  const lstm = exportPyTorch(numbered({ cell: 'lstm', inputSize: 1, hiddenSize: 2, outputSize: 1 }));
  assert.deepEqual(lstm.weight_ih_l0!.values, q(3, 4, 1, 2, 7, 8, 5, 6));
  assert.deepEqual(lstm.bias_ih_l0!.values, q(27, 28, 25, 26, 31, 32, 29, 30));
  assert.deepEqual(lstm.bias_hh_l0!.values, [0, 0, 0, 0, 0, 0, 0, 0]);
  // a GRU without biases has no bias entries at all
  assert.deepEqual(Object.keys(exportPyTorch(numbered({ cell: 'gru', inputSize: 1, hiddenSize: 2, outputSize: 1, bias: false }))), ['weight_ih_l0', 'weight_hh_l0', 'linear.weight']);
});

test('exportPyTorch: a bidirectional RNN, the backward direction under _reverse, linear.weight K × 2H', () => {
  // D = 1, H = 1, K = 1: forward U, W, b_h = params 0..2, backward 3..5, V (2×1) = 6..7, b_o = 8
  const net = numbered({ cell: 'rnn', inputSize: 1, hiddenSize: 1, outputSize: 1, bidirectional: true });
  assert.deepEqual(Array.from(net.params.view('layer0.reverse.U')), [1]);
  assert.deepEqual(exportPyTorch(net), {
    weight_ih_l0: { shape: [1, 1], values: [0.25] }, weight_hh_l0: { shape: [1, 1], values: [0.5] },
    bias_ih_l0: { shape: [1], values: [0.75] }, bias_hh_l0: { shape: [1], values: [0] },
    weight_ih_l0_reverse: { shape: [1, 1], values: [1] }, weight_hh_l0_reverse: { shape: [1, 1], values: [1.25] },
    bias_ih_l0_reverse: { shape: [1], values: [1.5] }, bias_hh_l0_reverse: { shape: [1], values: [0] },
    'linear.weight': { shape: [1, 2], values: [1.75, 2] }, 'linear.bias': { shape: [1], values: [2.25] },
  });
});

/** A PyTorch GRU state dict made here: D = 1, H = 2, K = 1 (gates [r | z | n]). */
function gruDict(): TorchStateDict {
  return {
    weight_ih_l0: { shape: [6, 1], values: [1, 2, 3, 4, 5, 6] },
    weight_hh_l0: { shape: [6, 2], values: [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22] },
    bias_ih_l0: { shape: [6], values: [0.5, 1, 1.5, 2, 2.5, 3] },
    bias_hh_l0: { shape: [6], values: [4, 8, 16, 32, 64, 128] },
    'linear.weight': { shape: [1, 2], values: [7, 9] },
    'linear.bias': { shape: [1], values: [-1] },
  };
}

test('importPyTorch: a GRU made by hand, weight by weight; b_z, b_r = bias_ih + bias_hh; b_n = bias_ih, b_hn = bias_hh of n', () => {
  const net = numbered({ cell: 'gru', inputSize: 1, hiddenSize: 2, outputSize: 1 });
  importPyTorch(net, gruDict());
  // ours [z | r | n]: row 0 (x) then rows 1, 2 (h)
  assert.deepEqual(Array.from(net.params.view('layer0.W')), [
    3, 4, 1, 2, 5, 6,
    15, 17, 11, 13, 19, 21,
    16, 18, 12, 14, 20, 22,
  ]);
  assert.deepEqual(Array.from(net.params.view('layer0.b')), [1.5 + 16, 2 + 32, 0.5 + 4, 1 + 8, 2.5, 3]);
  assert.deepEqual(Array.from(net.params.view('layer0.b_hn')), [64, 128]);
  assert.deepEqual(Array.from(net.V), [7, 9]);
  assert.deepEqual(Array.from(net.b_o!), [-1]);
  // the biases in the other order (bias_hh first) give the same
  const { bias_ih_l0: ih, ...rest } = gruDict();
  const other = numbered({ cell: 'gru', inputSize: 1, hiddenSize: 2, outputSize: 1 });
  importPyTorch(other, { ...rest, bias_ih_l0: ih! });
  assert.deepEqual(Array.from(other.params.data), Array.from(net.params.data));
});

test('importPyTorch: an LSTM made by hand (b = bias_ih + bias_hh, blocks [i | f | g | o] → [f | i | o | c]); nested values without a shape', () => {
  const net = numbered({ cell: 'lstm', inputSize: 1, hiddenSize: 1, outputSize: 2 });
  importPyTorch(net, {
    weight_ih_l0: [[1], [2], [3], [4]],
    weight_hh_l0: { values: [[5], [6], [7], [8]] },
    bias_ih_l0: { shape: [4], values: [0.5, 0.25, 0.125, 1] },
    bias_hh_l0: [10, 20, 30, 40],
    'linear.weight': { shape: [2, 1], values: [[9], [10]] },
    'linear.bias': [3, 4],
  });
  assert.deepEqual(Array.from(net.params.view('layer0.W')), [2, 1, 4, 3, 6, 5, 8, 7]);
  assert.deepEqual(Array.from(net.params.view('layer0.b')), [20.25, 10.5, 41, 30.125]);
  assert.deepEqual(Array.from(net.V), [9, 10]);
  assert.deepEqual(Array.from(net.b_o!), [3, 4]);
});

test('importPyTorch: a typed array is a tensor\'s values; null, a number or a string is refused by name', () => {
  const net = numbered({ cell: 'rnn', inputSize: 1, hiddenSize: 2, outputSize: 1 });
  const dict = { ...exportPyTorch(net), bias_ih_l0: Float32Array.from([1, 2]), bias_hh_l0: Float64Array.from([0.5, 0.25]) };
  importPyTorch(net, dict);
  assert.deepEqual(Array.from(net.params.view('layer0.b_h')), [1.5, 2.25]);
  const before = Array.from(net.params.data);
  for (const [t, what] of [[null, 'null'], [3, 'number'], ['x', 'string'], [undefined, 'undefined'], [true, 'boolean']] as const) {
    refuses(() => importPyTorch(net, { ...dict, bias_hh_l0: t as never }), FormatError, `tensor "bias_hh_l0" has values ${what}, expected an array of numbers (nested or flat) or a typed array`);
  }
  assert.deepEqual(Array.from(net.params.data), before);
  // an object without values is not a shaped tensor: its length is read (none), so its shape is []
  refuses(() => importPyTorch(net, { ...dict, bias_hh_l0: { shape: [2] } as never }), ShapeError, 'tensor "bias_hh_l0" has shape [], expected [2]');
  // an RNN keeps a GRU variant option it does not use: PyTorch's layout is still its own
  const rnn = numbered({ cell: 'rnn', inputSize: 1, hiddenSize: 1, outputSize: 1, variant: 'reset-before' });
  assert.deepEqual(Object.keys(exportPyTorch(rnn)), ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0', 'linear.weight', 'linear.bias']);
});

test('importPyTorch: a bidirectional RNN and a second layer reach their own slots', () => {
  const src = numbered({ cell: 'rnn', inputSize: 1, hiddenSize: 1, outputSize: 1, layers: 2, bidirectional: true });
  const dict = exportPyTorch(src);
  const net = new Network({ cell: 'rnn', inputSize: 1, hiddenSize: 1, outputSize: 1, layers: 2, bidirectional: true, dtype: 'float64', seed: 9 });
  importPyTorch(net, dict);
  assert.deepEqual(Array.from(net.params.data), Array.from(src.params.data));
  assert.deepEqual(dict.weight_ih_l1_reverse!.shape, [1, 2]);
});

test('importPyTorch without biases: bias tensors may be absent, or present and zero; a non-zero one is refused, nothing changed', () => {
  const net = numbered({ cell: 'gru', inputSize: 1, hiddenSize: 2, outputSize: 1, bias: false });
  const before = Array.from(net.params.data);
  const { bias_ih_l0: _a, bias_hh_l0: _b, 'linear.bias': _c, ...bare } = gruDict();
  importPyTorch(net, bare);
  assert.deepEqual(Array.from(net.V), [7, 9]);
  assert.deepEqual(Array.from(net.params.view('layer0.W')).slice(0, 6), [3, 4, 1, 2, 5, 6]);
  const zero = { shape: [6], values: [0, 0, 0, 0, 0, 0] };
  importPyTorch(net, { ...bare, bias_hh_l0: zero, 'linear.bias': { shape: [1], values: [0] } });
  net.params.data.set(before);
  refuses(() => importPyTorch(net, { ...bare, bias_ih_l0: zero, bias_hh_l0: { shape: [6], values: [0, 0, 0, 0, 0, -0.5] } }), FormatError,
    'tensor "bias_hh_l0" has non-zero values (max |b| = 0.5), but the network was built with bias: false; build it with bias: true to import these biases');
  assert.deepEqual(Array.from(net.params.data), before);
  refuses(() => importPyTorch(net, { ...bare, 'linear.bias': { shape: [1], values: [2] } }), FormatError,
    'tensor "linear.bias" has non-zero values (max |b| = 2), but the network was built with bias: false; build it with bias: true to import these biases');
  assert.deepEqual(Array.from(net.params.data), before);
  // the weights are still required
  const { weight_hh_l0: _w, ...noW } = bare;
  refuses(() => importPyTorch(net, noW), FormatError, 'missing tensor "weight_hh_l0" (shape [6, 2])');
  // the bias tensors still have to have their shape
  refuses(() => importPyTorch(net, { ...bare, 'linear.bias': { shape: [2], values: [0, 0] } }), ShapeError, 'tensor "linear.bias" has shape [2], expected [1]');
});

test('importPyTorch refuses what is not a dictionary, an unknown or missing name, saying why when it can', () => {
  const net = numbered({ cell: 'rnn', inputSize: 1, hiddenSize: 1, outputSize: 1 });
  const expected = 'expected weight_ih_l0 [1, 1], weight_hh_l0 [1, 1], bias_ih_l0 [1], bias_hh_l0 [1], linear.weight [1, 1], linear.bias [1]';
  for (const d of [null, [], 'weights', 3]) {
    refuses(() => importPyTorch(net, d as never), FormatError, 'importPyTorch: expected an object mapping tensor names to tensors');
  }
  const good = exportPyTorch(net);
  refuses(() => importPyTorch(net, { ...good, extra: [1] }), FormatError, `unknown tensor "extra"; ${expected}`);
  refuses(() => importPyTorch(net, { ...good, weight_hr_l0: [1] }), FormatError, `unknown tensor "weight_hr_l0" (LSTM projections, proj_size > 0, are not supported); ${expected}`);
  refuses(() => importPyTorch(net, { ...good, bias_hh_l0_reverse: [1] }), FormatError, `unknown tensor "bias_hh_l0_reverse" (a bidirectional=True module: build the network with bidirectional: true); ${expected}`);
  // the first unknown name is the one reported
  refuses(() => importPyTorch(net, { a: [1], ...good, b: [1] }), FormatError, `unknown tensor "a"; ${expected}`);
  const { weight_hh_l0: _w, ...noW } = good;
  refuses(() => importPyTorch(net, noW), FormatError, 'missing tensor "weight_hh_l0" (shape [1, 1])');
  const { 'linear.bias': _b, ...noB } = good;
  refuses(() => importPyTorch(net, noB), FormatError, 'missing tensor "linear.bias" (shape [1])');
  // without the Linear (output: false), linear.* is unknown
  refuses(() => importPyTorch(net, good, { output: false }), FormatError,
    'unknown tensor "linear.weight"; expected weight_ih_l0 [1, 1], weight_hh_l0 [1, 1], bias_ih_l0 [1], bias_hh_l0 [1]');
});

test('importPyTorch: a tensor of the wrong shape or with a non-finite value is refused by name, and a late refusal undoes the early writes', () => {
  const net = numbered({ cell: 'gru', inputSize: 1, hiddenSize: 2, outputSize: 1 });
  const before = Array.from(net.params.data);
  refuses(() => importPyTorch(net, { ...gruDict(), 'linear.bias': { shape: [1], values: [NaN] } }), FormatError, 'tensor "linear.bias" value 0 is NaN, expected a finite number');
  assert.deepEqual(Array.from(net.params.data), before);
  refuses(() => importPyTorch(net, { ...gruDict(), 'linear.weight': { shape: [2, 1], values: [7, 9] } }), ShapeError, 'tensor "linear.weight" has shape [2, 1], expected [1, 2] (it looks transposed)');
  assert.deepEqual(Array.from(net.params.data), before);
  refuses(() => importPyTorch(net, { ...gruDict(), 'linear.weight': [7, 9] }), ShapeError, 'tensor "linear.weight" has shape [2], expected [1, 2]');
  assert.deepEqual(Array.from(net.params.data), before);
});
