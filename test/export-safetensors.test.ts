/**
 * safetensors export (issue 15): the file holds exactly exportPyTorch's
 * names, shapes and values in float32 with the config and meta in
 * __metadata__; .rnn → safetensors → .rnn is bit-identical; what PyTorch
 * cannot express is refused saying so; and an import that does not match
 * names the tensors and shapes it expected. (PyTorch itself loads the
 * files in torch-export.test.ts.)
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportPyTorch } from '../src/io/pytorch.js';
import { decodeSafetensors, encodeSafetensors, exportSafetensors, importSafetensors, type SafeTensor } from '../src/io/safetensors.js';
import { BIDIRECTIONAL, distinctNet, sameBits, VARIANTS } from './helpers/portable.js';

const TORCH = [...VARIANTS, ...BIDIRECTIONAL].filter((v) => !(v.options.cell === 'gru' && v.options.variant === 'reset-before') && !(v.options.cell === 'rnn' && (v.options.hiddenActivation === 'sigmoid' || v.options.hiddenActivation === 'linear')));

for (const v of TORCH) {
  test(`safetensors: ${v.name} holds exportPyTorch's tensors in float32 and round-trips bit for bit`, () => {
    const net = distinctNet(v.options);
    const meta = { kind: 'classifier', classes: ['no', 'yes'] };
    const bytes = exportSafetensors({ networks: { model: net }, meta });
    const { tensors, metadata } = decodeSafetensors(bytes);
    const dict = exportPyTorch(net);
    assert.deepEqual([...tensors.keys()], Object.keys(dict));
    for (const [name, t] of tensors) {
      assert.ok(t.data instanceof Float32Array, `${name} is float32`);
      assert.deepEqual(t.shape, dict[name]!.shape, name);
      assert.deepEqual(Array.from(t.data), dict[name]!.values.map(Math.fround), name);
    }
    assert.deepEqual(JSON.parse(metadata['rnnkit.meta']!), meta);
    const back = importSafetensors(bytes);
    assert.ok(sameBits(back.networks.model!.params.data, net.params.data), 'parameters differ');
    assert.deepEqual(back.networks.model!.config, net.config);
    assert.deepEqual(back.meta, meta);
  });
}

test('safetensors: the header starts at byte 8, the data at a multiple of 8, and the tensors tile the data', () => {
  const bytes = exportSafetensors({ networks: { model: distinctNet({ cell: 'lstm', inputSize: 3, hiddenSize: 2, outputSize: 3 }) } });
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  assert.equal((8 + n) % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { data_offsets?: number[] }>;
  const ends = Object.values(header).filter((e) => e.data_offsets).map((e) => e.data_offsets![1]!);
  assert.equal(Math.max(...ends), bytes.length - 8 - n);
});

test('safetensors: what PyTorch cannot express is refused, saying so in one line', () => {
  const before = distinctNet({ cell: 'gru', inputSize: 2, hiddenSize: 3, outputSize: 2, variant: 'reset-before' });
  assert.throws(() => exportSafetensors({ networks: { model: before } }), /^FormatError: safetensors: PyTorch's nn\.GRU applies the reset gate after[^\n]*$/);
  const sig = distinctNet({ cell: 'rnn', inputSize: 2, hiddenSize: 3, outputSize: 2, hiddenActivation: 'sigmoid' });
  assert.throws(() => exportSafetensors({ networks: { model: sig } }), /^FormatError: safetensors: PyTorch's nn\.RNN offers nonlinearity tanh or relu; this RNN uses sigmoid[^\n]*$/);
});

test('safetensors: an import that does not match names the tensor and the names and shapes expected', () => {
  const net = distinctNet({ cell: 'lstm', inputSize: 3, hiddenSize: 2, outputSize: 3 });
  const { tensors, metadata } = decodeSafetensors(exportSafetensors({ networks: { model: net } }));
  const edit = (f: (m: Map<string, SafeTensor>) => void): Uint8Array => {
    const m = new Map(tensors);
    f(m);
    return encodeSafetensors(m, metadata);
  };
  const expected = /expected exactly weight_ih_l0 \[8, 3\], weight_hh_l0 \[8, 2\], bias_ih_l0 \[8\], bias_hh_l0 \[8\], linear\.weight \[3, 2\], linear\.bias \[3\]$/;
  const extra = edit((m) => m.set('weight_ih_l0_reverse', tensors.get('weight_ih_l0')!));
  assert.throws(() => importSafetensors(extra), (e: Error) => /^safetensors: unexpected tensor "weight_ih_l0_reverse" \(a bidirectional=True tensor, but weight_hh_l0_reverse is missing\)/.test(e.message) && expected.test(e.message));
  const missing = edit((m) => m.delete('bias_hh_l0'));
  assert.throws(() => importSafetensors(missing), (e: Error) => /^safetensors: missing tensor "bias_hh_l0" \[8\]/.test(e.message) && expected.test(e.message));
  const wrong = edit((m) => m.set('linear.bias', { shape: [2], data: new Float32Array(2) }));
  assert.throws(() => importSafetensors(wrong), (e: Error) => /^safetensors: tensor "linear\.bias" has shape \[2\], expected \[3\]/.test(e.message) && expected.test(e.message));
  const foreign = encodeSafetensors(new Map([['encoder.weight', { shape: [2, 2], data: new Float32Array(4) }]]));
  assert.throws(() => importSafetensors(foreign), /^FormatError: safetensors: missing weight_ih_l0, weight_hh_l0, linear\.weight: expected the state dict of nn\.RNN\/nn\.LSTM\/nn\.GRU[^\n]*the file has encoder\.weight$/);
});

test('safetensors: a state dict from PyTorch without our metadata imports with tanh and a linear output (prefix and linear names as exportPyTorch)', () => {
  const net = distinctNet({ cell: 'gru', inputSize: 2, hiddenSize: 3, outputSize: 2, layers: 2 });
  const { tensors } = decodeSafetensors(exportSafetensors({ networks: { model: net } }));
  const renamed = new Map([...tensors].map(([k, t]) => [k.startsWith('linear.') ? k.replace('linear.', 'head.') : `rnn.${k}`, t]));
  const back = importSafetensors(encodeSafetensors(renamed), { prefix: 'rnn.', linear: 'head' }).networks.model!;
  assert.equal(back.config.cell, 'gru');
  assert.equal(back.config.layers, 2);
  assert.equal(back.config.outputActivation, 'linear');
  assert.ok(sameBits(back.params.data, net.params.data));
});

test('safetensors: a bidirectional LSTM has PyTorch\'s bidirectional=True names (…_reverse after each layer) and nn.Linear(2H, K)', () => {
  const net = distinctNet({ cell: 'lstm', inputSize: 3, hiddenSize: 2, outputSize: 3, layers: 2, bidirectional: true });
  const { tensors } = decodeSafetensors(exportSafetensors({ networks: { model: net } }));
  assert.deepEqual([...tensors].map(([k, t]) => `${k} [${t.shape.join(', ')}]`), [
    'weight_ih_l0 [8, 3]', 'weight_hh_l0 [8, 2]', 'bias_ih_l0 [8]', 'bias_hh_l0 [8]',
    'weight_ih_l0_reverse [8, 3]', 'weight_hh_l0_reverse [8, 2]', 'bias_ih_l0_reverse [8]', 'bias_hh_l0_reverse [8]',
    'weight_ih_l1 [8, 4]', 'weight_hh_l1 [8, 2]', 'bias_ih_l1 [8]', 'bias_hh_l1 [8]',
    'weight_ih_l1_reverse [8, 4]', 'weight_hh_l1_reverse [8, 2]', 'bias_ih_l1_reverse [8]', 'bias_hh_l1_reverse [8]',
    'linear.weight [3, 4]', 'linear.bias [3]',
  ]);
  // Without our metadata (a state dict from PyTorch), the _reverse names alone make it bidirectional.
  const back = importSafetensors(encodeSafetensors(tensors)).networks.model!;
  assert.equal(back.config.bidirectional, true);
  assert.ok(sameBits(back.params.data, net.params.data));
  const cut = new Map(tensors);
  cut.delete('bias_hh_l1_reverse');
  assert.throws(() => importSafetensors(encodeSafetensors(cut)), /^FormatError: safetensors: missing tensor "bias_hh_l1_reverse" \[8\]; expected exactly [^\n]*weight_ih_l1_reverse \[8, 4\][^\n]*$/);
});
