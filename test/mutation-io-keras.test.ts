/**
 * The Keras / TF.js weight list, name by name (the focused file of the
 * src/io part B mutation run, docs/testing.md): kerasWeightSpecs for every
 * cell, stacked and bidirectional, with and without biases; exportKeras of
 * tiny networks whose weights are numbered, value by value (LSTM blocks
 * [i | f | c | o], the reset-after GRU's (2, 3H) bias); kerasLayerWeights;
 * importKeras of lists made by hand, weight by weight; every refusal by
 * its whole message, and a refused import changing nothing.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FormatError, ShapeError } from '../src/core/errors.js';
import { Network } from '../src/model/network.js';
import { exportKeras, importKeras, kerasLayerWeights, kerasWeightSpecs, type KerasOptions, type KerasWeightInput } from '../src/io/keras.js';
import { numbered, q } from './helpers/numbered.js';
import { refuses } from './helpers/refuses.js';

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => (a + i) / 4);
const listed = (net: Network, options?: KerasOptions, withBias?: boolean): string[] =>
  kerasWeightSpecs(net, options, withBias).map((s) => `${s.name} ${s.kind} [${s.shape.join(', ')}] ${s.layer}${s.reverse ? ' reverse' : ''}`);

test('kerasWeightSpecs: names, kinds, shapes and layers; D = H (2H both ways) above the first layer; the reset-after GRU\'s (2, 3H) bias', () => {
  assert.deepEqual(listed(numbered({ cell: 'lstm', inputSize: 3, hiddenSize: 2, outputSize: 5, layers: 2 })), [
    'layer0/kernel kernel [3, 8] 0', 'layer0/recurrent_kernel recurrent_kernel [2, 8] 0', 'layer0/bias bias [8] 0',
    'layer1/kernel kernel [2, 8] 1', 'layer1/recurrent_kernel recurrent_kernel [2, 8] 1', 'layer1/bias bias [8] 1',
    'dense/kernel kernel [2, 5] -1', 'dense/bias bias [5] -1',
  ]);
  assert.deepEqual(listed(numbered({ cell: 'gru', inputSize: 1, hiddenSize: 3, outputSize: 2, layers: 2, bidirectional: true })), [
    'layer0/forward/kernel kernel [1, 9] 0', 'layer0/forward/recurrent_kernel recurrent_kernel [3, 9] 0', 'layer0/forward/bias bias [2, 9] 0',
    'layer0/backward/kernel kernel [1, 9] 0 reverse', 'layer0/backward/recurrent_kernel recurrent_kernel [3, 9] 0 reverse', 'layer0/backward/bias bias [2, 9] 0 reverse',
    'layer1/forward/kernel kernel [6, 9] 1', 'layer1/forward/recurrent_kernel recurrent_kernel [3, 9] 1', 'layer1/forward/bias bias [2, 9] 1',
    'layer1/backward/kernel kernel [6, 9] 1 reverse', 'layer1/backward/recurrent_kernel recurrent_kernel [3, 9] 1 reverse', 'layer1/backward/bias bias [2, 9] 1 reverse',
    'dense/kernel kernel [6, 2] -1', 'dense/bias bias [2] -1',
  ]);
  const before = numbered({ cell: 'gru', inputSize: 2, hiddenSize: 1, outputSize: 1, variant: 'reset-before', bias: false });
  assert.deepEqual(listed(before), ['layer0/kernel kernel [2, 3] 0', 'layer0/recurrent_kernel recurrent_kernel [1, 3] 0', 'dense/kernel kernel [1, 1] -1']);
  assert.deepEqual(listed(before, { output: false }, true), ['layer0/kernel kernel [2, 3] 0', 'layer0/recurrent_kernel recurrent_kernel [1, 3] 0', 'layer0/bias bias [3] 0']);
  assert.deepEqual(listed(before, { output: true }, true).slice(3), ['dense/kernel kernel [1, 1] -1', 'dense/bias bias [1] -1']);
  // an RNN: one block
  assert.deepEqual(listed(numbered({ cell: 'rnn', inputSize: 2, hiddenSize: 3, outputSize: 1 })).slice(0, 3), ['layer0/kernel kernel [2, 3] 0', 'layer0/recurrent_kernel recurrent_kernel [3, 3] 0', 'layer0/bias bias [3] 0']);
});

test('exportKeras: an LSTM, every value (kernel rows of W with blocks [i | f | c | o], Dense kernel = V, bias = b_o)', () => {
  // D = 1, H = 1, K = 2: W (2×4) = params 0..7, ours [f | i | o | c]; b = 8..11; V (1×2) = 12..13; b_o = 14..15
  const w = exportKeras(numbered({ cell: 'lstm', inputSize: 1, hiddenSize: 1, outputSize: 2 }));
  assert.deepEqual(w, [
    { name: 'layer0/kernel', shape: [1, 4], values: q(2, 1, 4, 3) },
    { name: 'layer0/recurrent_kernel', shape: [1, 4], values: q(6, 5, 8, 7) },
    { name: 'layer0/bias', shape: [4], values: q(10, 9, 12, 11) },
    { name: 'dense/kernel', shape: [1, 2], values: q(13, 14) },
    { name: 'dense/bias', shape: [2], values: q(15, 16) },
  ]);
  assert.deepEqual(exportKeras(numbered({ cell: 'lstm', inputSize: 1, hiddenSize: 1, outputSize: 2 }), { output: false }).map((x) => x.name), ['layer0/kernel', 'layer0/recurrent_kernel', 'layer0/bias']);
});

test('exportKeras: a reset-after GRU\'s bias is [input biases; 0 | 0 | b_hn], H = 2; a reset-before GRU\'s bias is b alone', () => {
  // D = 1, H = 2: W (3×6) = params 0..17, b = 18..23, b_hn = 24..25, V = 26..27, b_o = 28
  const after = exportKeras(numbered({ cell: 'gru', inputSize: 1, hiddenSize: 2, outputSize: 1 }));
  assert.deepEqual(after.map((x) => [x.name, x.shape]), [['layer0/kernel', [1, 6]], ['layer0/recurrent_kernel', [2, 6]], ['layer0/bias', [2, 6]], ['dense/kernel', [2, 1]], ['dense/bias', [1]]]);
  assert.deepEqual(after[0]!.values, range(1, 6));
  assert.deepEqual(after[1]!.values, range(7, 18));
  assert.deepEqual(after[2]!.values, [...range(19, 24), 0, 0, 0, 0, 6.25, 6.5]);
  assert.deepEqual(after[3]!.values, q(27, 28));
  const before = exportKeras(numbered({ cell: 'gru', inputSize: 1, hiddenSize: 2, outputSize: 1, variant: 'reset-before' }));
  assert.deepEqual(before[2], { name: 'layer0/bias', shape: [6], values: range(19, 24) });
});

test('kerasLayerWeights groups by the part of the name before the first "/" (a name without one is its own group)', () => {
  const w = (name: string) => ({ name, shape: [1], values: [0] });
  const groups = kerasLayerWeights([w('layer0/forward/kernel'), w('layer0/backward/bias'), w('dense/kernel'), w('solo'), w('layer1/kernel'), w('dense/bias'), w('solo')]);
  assert.deepEqual(groups.map((g) => g.map((x) => x.name)), [['layer0/forward/kernel', 'layer0/backward/bias'], ['dense/kernel', 'dense/bias'], ['solo', 'solo'], ['layer1/kernel']]);
  assert.deepEqual(kerasLayerWeights([]), []);
  // names without a "/" that differ only in their last letter are two groups
  assert.deepEqual(kerasLayerWeights([w('ab'), w('ac')]).map((g) => g.map((x) => x.name)), [['ab'], ['ac']]);
});

/** A Keras reset-after GRU list made here: D = 1, H = 2, K = 1 (gates [z | r | h], as ours). */
function gruList(): KerasWeightInput[] {
  return [
    { name: 'gru/gru_cell/kernel:0', shape: [1, 6], values: [1, 2, 3, 4, 5, 6] },
    { name: 'gru/gru_cell/recurrent_kernel:0', shape: [2, 6], values: [[11, 12, 13, 14, 15, 16], [17, 18, 19, 20, 21, 22]] },
    { name: 'gru/gru_cell/bias:0', shape: [2, 6], values: [0.5, 1, 1.5, 2, 2.5, 3, 4, 8, 16, 32, 64, 128] },
    { name: 'dense/kernel:0', shape: [2, 1], values: [7, 9] },
    { name: 'dense/bias:0', shape: [1], values: [-1] },
  ];
}

test('importKeras: a reset-after GRU list made by hand; b_z, b_r = row 0 + row 1, b_n = row 0, b_hn = row 1 of h', () => {
  const net = numbered({ cell: 'gru', inputSize: 1, hiddenSize: 2, outputSize: 1 });
  importKeras(net, gruList());
  assert.deepEqual(Array.from(net.params.view('layer0.W')), [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]);
  assert.deepEqual(Array.from(net.params.view('layer0.b')), [4.5, 9, 17.5, 34, 2.5, 3]);
  assert.deepEqual(Array.from(net.params.view('layer0.b_hn')), [64, 128]);
  assert.deepEqual(Array.from(net.V), [7, 9]);
  assert.deepEqual(Array.from(net.b_o!), [-1]);
  // without names the place decides
  const other = numbered({ cell: 'gru', inputSize: 1, hiddenSize: 2, outputSize: 1 });
  importKeras(other, gruList().map(({ shape, values }) => ({ shape, values })));
  assert.deepEqual(Array.from(other.params.data), Array.from(net.params.data));
});

test('importKeras: an LSTM made by hand ([i | f | c | o] → [f | i | o | c]), a bidirectional RNN\'s backward direction, output: false', () => {
  const net = numbered({ cell: 'lstm', inputSize: 1, hiddenSize: 1, outputSize: 1 });
  importKeras(net, [{ values: [[1, 2, 3, 4]] }, { values: [[5, 6, 7, 8]] }, { values: [10, 20, 30, 40] }, { values: [[9]] }, { values: [3] }]);
  assert.deepEqual(Array.from(net.params.view('layer0.W')), [2, 1, 4, 3, 6, 5, 8, 7]);
  assert.deepEqual(Array.from(net.params.view('layer0.b')), [20, 10, 40, 30]);
  const bi = numbered({ cell: 'rnn', inputSize: 1, hiddenSize: 1, outputSize: 1, bidirectional: true });
  const V = Array.from(bi.V);
  importKeras(bi, [[1], [2], [3], [4], [5], [6]].map((v, i) => ({ name: `x/${['kernel', 'recurrent_kernel', 'bias'][i % 3]}`, values: i % 3 === 2 ? v : [v] })), { output: false });
  assert.deepEqual(Array.from(bi.params.view('layer0.U')), [1]);
  assert.deepEqual(Array.from(bi.params.view('layer0.reverse.U')), [4]);
  assert.deepEqual(Array.from(bi.params.view('layer0.reverse.b_h')), [6]);
  assert.deepEqual(Array.from(bi.V), V);
});

test('importKeras without biases: a list with zero biases is taken, a non-zero one refused; a network with biases refuses a list without', () => {
  const net = numbered({ cell: 'gru', inputSize: 1, hiddenSize: 2, outputSize: 1, bias: false });
  const zeroed = gruList().map((w) => (w.name!.includes('bias') ? { ...w, values: new Array(w.name!.startsWith('dense') ? 1 : 12).fill(0) } : w));
  importKeras(net, zeroed);
  assert.deepEqual(Array.from(net.V), [7, 9]);
  const before = Array.from(net.params.data);
  refuses(() => importKeras(net, zeroed.map((w, i) => (i === 4 ? { ...w, values: [0.25] } : w))), FormatError,
    'tensor "dense/bias:0" has non-zero values (max |b| = 0.25), but the network was built with bias: false; build it with bias: true to import these biases');
  refuses(() => importKeras(net, zeroed.map((w, i) => (i === 2 ? { ...w, values: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -3] } : w))), FormatError,
    'tensor "gru/gru_cell/bias:0" has non-zero values (max |b| = 3), but the network was built with bias: false; build it with bias: true to import these biases');
  assert.deepEqual(Array.from(net.params.data), before);
  // the three weights alone
  importKeras(net, gruList().filter((w) => !w.name!.includes('bias')));
  const withBias = numbered({ cell: 'gru', inputSize: 1, hiddenSize: 2, outputSize: 1 });
  refuses(() => importKeras(withBias, gruList().filter((w) => !w.name!.includes('bias'))), FormatError,
    'missing tensor "layer0/bias" (shape [2, 6]) and the other biases: the list has 3 tensors, as a model built with useBias: false has; build the network with bias: false');
});

test('importKeras refuses what is not a list, a missing, misplaced, unknown or extra tensor, and a GRU bias of the other variant', () => {
  const net = numbered({ cell: 'gru', inputSize: 1, hiddenSize: 2, outputSize: 1 });
  const before = Array.from(net.params.data);
  refuses(() => importKeras(net, {} as never), FormatError, 'importKeras: expected an array of { name?, shape, values } in model.getWeights() order');
  refuses(() => importKeras(net, gruList().slice(0, 4)), FormatError, 'missing tensor "dense/bias" (#4, shape [1]): got 4 tensors, expected 5');
  refuses(() => importKeras(net, [...gruList(), { values: [1] }]), FormatError,
    'unexpected tensor #5: expected 5 tensors (layer0/kernel, layer0/recurrent_kernel, layer0/bias, dense/kernel, dense/bias)');
  refuses(() => importKeras(net, [...gruList(), { name: 'extra/kernel', values: [1] }]), FormatError,
    'unexpected tensor #5 "extra/kernel": expected 5 tensors (layer0/kernel, layer0/recurrent_kernel, layer0/bias, dense/kernel, dense/bias)');
  const swap = gruList();
  [swap[0], swap[1]] = [swap[1]!, swap[0]!];
  refuses(() => importKeras(net, swap), FormatError,
    'tensor #0 "gru/gru_cell/recurrent_kernel:0" is out of place (a tensor is missing or the list is out of order): expected layer0/kernel (a kernel of shape [1, 6])');
  // a kernel or a bias in the wrong place is out of place, not unknown
  refuses(() => importKeras(net, gruList().map((w, i) => (i === 2 ? { ...w, name: 'dense/kernel:0' } : w))), FormatError,
    'tensor #2 "dense/kernel:0" is out of place (a tensor is missing or the list is out of order): expected layer0/bias (a bias of shape [2, 6])');
  refuses(() => importKeras(net, gruList().map((w, i) => (i === 3 ? { ...w, name: 'dense/bias:0' } : w))), FormatError,
    'tensor #3 "dense/bias:0" is out of place (a tensor is missing or the list is out of order): expected dense/kernel (a kernel of shape [2, 1])');
  // only a :N at the end is dropped
  refuses(() => importKeras(net, gruList().map((w, i) => (i === 0 ? { ...w, name: 'gru/ker:5nel' } : w))), FormatError,
    'tensor #0 "gru/ker:5nel" is not a known Keras weight name: expected layer0/kernel (a kernel of shape [1, 6])');
  // a kernel of the wrong rank is a shape question, not a GRU variant one
  refuses(() => importKeras(net, gruList().map((w, i) => (i === 0 ? { ...w, shape: [6] } : w))), ShapeError, 'tensor "gru/gru_cell/kernel:0" has shape [6], expected [1, 6]');
  refuses(() => importKeras(net, gruList().map((w, i) => (i === 2 ? { ...w, name: 'gru/gamma:0' } : w))), FormatError,
    'tensor #2 "gru/gamma:0" is not a known Keras weight name: expected layer0/bias (a bias of shape [2, 6])');
  refuses(() => importKeras(net, gruList().map((w, i) => (i === 3 ? { ...w, shape: [1, 2] } : w))), ShapeError,
    'tensor "dense/kernel:0" has shape [1, 2], expected [2, 1] (it looks transposed)');
  refuses(() => importKeras(net, gruList().map((w, i) => (i === 2 ? { ...w, shape: [6], values: [1, 2, 3, 4, 5, 6] } : w))), ShapeError,
    'tensor "gru/gru_cell/bias:0" has shape [6], expected [2, 6]: it comes from a GRU with reset_after=False (the only TF.js GRU); build the network with variant: "reset-before"');
  // unnamed, the tensor is named by its place
  refuses(() => importKeras(net, gruList().map(({ shape, values }, i) => (i === 2 ? { shape: [3, 2], values } : { shape, values }))), ShapeError,
    'tensor "layer0/bias" has shape [3, 2], expected [2, 6]');
  assert.deepEqual(Array.from(net.params.data), before);
  // a name without a path, with a :N suffix of several digits, is read by its last part
  importKeras(net, gruList().map((w, i) => (i === 3 ? { ...w, name: 'kernel:12' } : i === 4 ? { ...w, name: 'bias' } : w)));
  assert.deepEqual(Array.from(net.V), [7, 9]);
  // a reset-before GRU given the (2, 3H) bias
  const rb = numbered({ cell: 'gru', inputSize: 1, hiddenSize: 2, outputSize: 1, variant: 'reset-before' });
  refuses(() => importKeras(rb, gruList()), ShapeError,
    'tensor "gru/gru_cell/bias:0" has shape [2, 6], expected [6]: it comes from a GRU with reset_after=True; build the network with variant: "reset-after"');
  // without a declared shape the nesting gives it: the same refusal by readTensor, no variant named
  refuses(() => importKeras(rb, gruList().map((w, i) => (i === 2 ? { name: w.name, values: [[1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6]] } : w))), ShapeError,
    'tensor "gru/gru_cell/bias:0" has shape [2, 6], expected [6]');
  // the Dense bias of a GRU model is not a GRU bias
  refuses(() => importKeras(net, gruList().map((w, i) => (i === 4 ? { ...w, shape: [1, 1], values: [[-1]] } : w))), ShapeError,
    'tensor "dense/bias:0" has shape [1, 1], expected [1]');
  // an LSTM's bias of the wrong rank is not a GRU variant question
  const lstm = numbered({ cell: 'lstm', inputSize: 1, hiddenSize: 1, outputSize: 1 });
  refuses(() => importKeras(lstm, [{ values: [[1, 2, 3, 4]] }, { values: [[5, 6, 7, 8]] }, { shape: [1, 4], values: [1, 2, 3, 4] }, { values: [[9]] }, { values: [3] }]), ShapeError,
    'tensor "layer0/bias" has shape [1, 4], expected [4]');
});
