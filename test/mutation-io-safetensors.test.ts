/**
 * safetensors, byte for byte (the focused file of the src/io part B
 * mutation run, docs/testing.md): the header length, the JSON header with
 * its dtype names and data_offsets, the space padding to a multiple of 8,
 * the little-endian data; every refusal of the reader by its whole
 * message; the export of tiny networks whose weights are numbered, tensor
 * by tensor; and the import of a file made by hand here, weight by weight.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FormatError, OptionError } from '../src/core/errors.js';
import { Network, type NetworkOptions } from '../src/model/network.js';
import { decodeSafetensors, encodeSafetensors, exportSafetensors, importSafetensors, type SafeTensor } from '../src/io/safetensors.js';
import { numbered as numberedAs, q } from './helpers/numbered.js';
import { refuses } from './helpers/refuses.js';

const enc = new TextEncoder();

/** The numbered network of the helper, float32 unless the options say otherwise (these formats store float32). */
const numbered = (options: NetworkOptions): Network => numberedAs(options, 'float32');

/** 8-byte little-endian length n, then the header text, then the data bytes. */
function file(header: string, data: number[] = [], n?: number): Uint8Array {
  const h = enc.encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(n ?? h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

const f32 = (...v: number[]): number[] => [...new Uint8Array(Float32Array.from(v).buffer)];
const f64 = (...v: number[]): number[] => [...new Uint8Array(Float64Array.from(v).buffer)];
const bad = (message: string): string => `safetensors: ${message}`;

test('encodeSafetensors: the length, the header (dtype, shape, data_offsets in order), spaces to a multiple of 8, then the data', () => {
  const tensors = new Map<string, SafeTensor>([
    ['b', { shape: [2, 1], data: Float32Array.from([1.5, -2]) }],
    ['a', { shape: [1], data: Float64Array.from([0.1]) }],
    ['s', { shape: [], data: Float32Array.from([3]) }],
  ]);
  const bytes = encodeSafetensors(tensors, { k: 'v' });
  const json = '{"__metadata__":{"k":"v"},"b":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]},"a":{"dtype":"F64","shape":[1],"data_offsets":[8,16]},"s":{"dtype":"F32","shape":[],"data_offsets":[16,20]}}';
  assert.equal(json.length, 189); // 8 + 189 = 197: 3 spaces to 200
  const n = 192;
  assert.equal(bytes.length, 8 + n + 20);
  assert.equal(new DataView(bytes.buffer).getBigUint64(0, true), BigInt(n));
  assert.equal(new TextDecoder().decode(bytes.subarray(8, 8 + n)), `${json}   `);
  assert.deepEqual([...bytes.subarray(8 + n)], [...f32(1.5, -2), ...f64(0.1), ...f32(3)]);
  const back = decodeSafetensors(bytes);
  assert.deepEqual(back.metadata, { k: 'v' });
  assert.deepEqual([...back.tensors.keys()], ['b', 'a', 's']);
  assert.ok(back.tensors.get('a')!.data instanceof Float64Array);
  assert.ok(back.tensors.get('b')!.data instanceof Float32Array);
  assert.deepEqual(Array.from(back.tensors.get('a')!.data), [0.1]);
  assert.deepEqual(back.tensors.get('s')!.shape, []);
});

test('encodeSafetensors: no metadata, and a header already at a multiple of 8 gets no padding', () => {
  // {"__metadata__":{}} is 19 bytes: 8 + 19 = 27, 5 spaces to 32
  const empty = encodeSafetensors(new Map());
  assert.equal(empty.length, 32);
  assert.equal(new TextDecoder().decode(empty.subarray(8)), '{"__metadata__":{}}     ');
  // {"__metadata__":{"abcd":"e"}} is 29 bytes: 3 spaces; one more letter of value each time
  for (const [value, pad] of [['e', 3], ['ef', 2], ['efg', 1], ['efgh', 0], ['efghi', 7]] as const) {
    const bytes = encodeSafetensors(new Map(), { abcd: value });
    const text = `{"__metadata__":{"abcd":"${value}"}}`;
    assert.equal(bytes.length, 8 + text.length + pad, value);
    assert.equal(new TextDecoder().decode(bytes.subarray(8)), text + ' '.repeat(pad));
  }
  // the padding counts bytes, not characters: "é" is two bytes
  const accented = encodeSafetensors(new Map(), { abcd: 'é' });
  assert.equal(accented.length, 8 + 30 + 2);
});

test('encodeSafetensors refuses a tensor named __metadata__ and values that do not fill the shape', () => {
  refuses(() => encodeSafetensors(new Map([['__metadata__', { shape: [1], data: new Float32Array(1) }]])), OptionError, 'a tensor may not be named "__metadata__"');
  refuses(() => encodeSafetensors(new Map([['w', { shape: [2, 3], data: new Float32Array(5) }]])), OptionError, 'tensor "w" has 5 values but its shape [2, 3] needs 6');
  refuses(() => encodeSafetensors(new Map([['w', { shape: [2, 3], data: new Float32Array(7) }]])), OptionError, 'tensor "w" has 7 values but its shape [2, 3] needs 6');
  refuses(() => encodeSafetensors(new Map([['w', { shape: [], data: new Float32Array(2) }]])), OptionError, 'tensor "w" has 2 values but its shape [] needs 1');
});

test('decodeSafetensors: tensors in header order though their data is not; F32 and F64 values; an empty tensor; 8 dimensions', () => {
  const header = '{"late":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"early":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"none":{"dtype":"F32","shape":[0],"data_offsets":[12,12]},"deep":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1],"data_offsets":[12,16]}}';
  const { tensors, metadata } = decodeSafetensors(file(header, [...f64(-0.3), ...f32(7.25), ...f32(-1)]));
  assert.deepEqual(metadata, {});
  assert.deepEqual([...tensors.keys()], ['late', 'early', 'none', 'deep']);
  assert.deepEqual(Array.from(tensors.get('late')!.data), [7.25]);
  assert.deepEqual(Array.from(tensors.get('early')!.data), [-0.3]);
  assert.equal(tensors.get('none')!.data.length, 0);
  assert.deepEqual(tensors.get('deep')!.shape, [1, 1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual(Array.from(tensors.get('deep')!.data), [-1]);
  // an ArrayBuffer is read as well, and a Uint8Array that is a view into a larger buffer
  const bytes = file('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', f32(1, 2));
  assert.deepEqual(Array.from(decodeSafetensors(bytes.slice().buffer).tensors.get('w')!.data), [1, 2]);
  const padded = new Uint8Array(bytes.length + 5);
  padded.set(bytes, 3);
  assert.deepEqual(Array.from(decodeSafetensors(padded.subarray(3, 3 + bytes.length)).tensors.get('w')!.data), [1, 2]);
});

test('decodeSafetensors refuses a short file, a huge or overlong header, bytes that are not UTF-8 JSON, and a header that is no object', () => {
  refuses(() => decodeSafetensors(new Uint8Array(7)), FormatError, bad('the file is truncated: 7 bytes, fewer than the 8-byte header length'));
  refuses(() => decodeSafetensors(new Uint8Array(0)), FormatError, bad('the file is truncated: 0 bytes, fewer than the 8-byte header length'));
  // exactly 8 bytes: an empty header, which is not JSON
  const json = bad('the header is not valid UTF-8 JSON; the file is damaged or not a safetensors file');
  refuses(() => decodeSafetensors(new Uint8Array(8)), FormatError, json);
  refuses(() => decodeSafetensors(file('{}', [], 100 * 1024 * 1024 + 1)), FormatError, bad('the header declares 104857601 bytes, more than the 104857600 accepted; this is not a safetensors file or it is damaged'));
  refuses(() => decodeSafetensors(file('{}', [], 100 * 1024 * 1024)), FormatError, bad('the file is truncated: the header needs bytes 8..104857608 but the file has 10'));
  refuses(() => decodeSafetensors(file('{}', [], 3)), FormatError, bad('the file is truncated: the header needs bytes 8..11 but the file has 10'));
  // the header length exactly the file: fine
  assert.deepEqual(decodeSafetensors(file('{}')).metadata, {});
  refuses(() => decodeSafetensors(file('{"a":')), FormatError, json);
  // invalid UTF-8 inside a JSON string: refused, not read as U+FFFD
  const broken = file('{"__metadata__":{"k":"?"}}');
  broken[8 + 22] = 0xff;
  refuses(() => decodeSafetensors(broken), FormatError, json);
  for (const header of ['1', 'null', '[]', '"x"']) refuses(() => decodeSafetensors(file(header)), FormatError, bad('the header is not a JSON object'));
});

test('decodeSafetensors refuses metadata that is not an object of strings, and a tensor without an object, a dtype or a known dtype', () => {
  for (const m of ['"x"', 'null', '[]', '3']) {
    refuses(() => decodeSafetensors(file(`{"__metadata__":${m}}`)), FormatError, bad('"__metadata__" must be an object of strings'));
  }
  refuses(() => decodeSafetensors(file('{"__metadata__":{"a":"1","b":2}}')), FormatError, bad('"__metadata__"."b" is not a string'));
  assert.deepEqual(decodeSafetensors(file('{"__metadata__":{"a":"1","b":""}}')).metadata, { a: '1', b: '' });
  for (const t of ['"x"', 'null', '[]', '3']) {
    refuses(() => decodeSafetensors(file(`{"w":${t}}`)), FormatError, bad('tensor "w" is not described by an object'));
  }
  refuses(() => decodeSafetensors(file('{"w":{"shape":[1],"data_offsets":[0,4]}}', f32(1))), FormatError, bad('tensor "w" has no dtype'));
  refuses(() => decodeSafetensors(file('{"w":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}', f32(1))), FormatError, bad('tensor "w" has no dtype'));
  refuses(() => decodeSafetensors(file('{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}', f32(1))), FormatError, bad('tensor "w" is F16; this reader takes F32 and F64 (save the state dict as float32)'));
  refuses(() => decodeSafetensors(file('{"w":{"dtype":"toString","shape":[1],"data_offsets":[0,4]}}', f32(1))), FormatError, bad('tensor "w" is toString; this reader takes F32 and F64 (save the state dict as float32)'));
});

test('decodeSafetensors refuses a bad shape or data_offsets, a size that does not match, and tensors that do not tile the data', () => {
  const t = (shape: string, offsets: string, dtype = 'F32'): string => `{"w":{"dtype":"${dtype}","shape":${shape},"data_offsets":${offsets}}}`;
  for (const shape of ['3', '[1.5]', '[-1]', '[1,1,1,1,1,1,1,1,1]', '["1"]', 'null']) {
    refuses(() => decodeSafetensors(file(t(shape, '[0,4]'), f32(1))), FormatError, bad(`tensor "w" has an invalid shape ${shape}`));
  }
  for (const offsets of ['4', '[0]', '[0,4,8]', '[0,4.5]', '[-4,0]', '[0,-4]', '[8,4]', 'null']) {
    refuses(() => decodeSafetensors(file(t('[1]', offsets), f32(1, 2, 3))), FormatError, bad(`tensor "w" has invalid data_offsets ${offsets}`));
  }
  // missing offsets: JSON.stringify(undefined)
  refuses(() => decodeSafetensors(file('{"w":{"dtype":"F32","shape":[1]}}', f32(1))), FormatError, bad('tensor "w" has invalid data_offsets undefined'));
  refuses(() => decodeSafetensors(file(t('[2,3]', '[0,20]'), f32(1, 2, 3, 4, 5))), FormatError, bad('tensor "w" [2, 3] F32 needs 24 bytes but its data_offsets span 20'));
  refuses(() => decodeSafetensors(file(t('[2]', '[0,8]', 'F64'), f64(1))), FormatError, bad('tensor "w" [2] F64 needs 16 bytes but its data_offsets span 8'));
  refuses(() => decodeSafetensors(file(t('[1]', '[8,20]', 'F64'), f64(1, 2, 3))), FormatError, bad('tensor "w" [1] F64 needs 8 bytes but its data_offsets span 12'));
  refuses(() => decodeSafetensors(file(t('[2]', '[4,12]'), f32(1, 2))), FormatError, bad('the file is truncated: tensor "w" ends at data byte 12 but the data has 8'));
  refuses(() => decodeSafetensors(file(t('[1]', '[4,8]'), f32(1, 2))), FormatError, bad('tensor "w" starts at data byte 4, expected 0: the tensors overlap or leave a gap'));
  refuses(() => decodeSafetensors(file(t('[1]', '[0,4]'), f32(1, 2))), FormatError, bad('the file has 4 bytes after the last tensor; it is damaged or two files were joined'));
  const two = (a: string, b: string): string => `{"a":{"dtype":"F32","shape":[1],"data_offsets":${a}},"b":{"dtype":"F32","shape":[1],"data_offsets":${b}}}`;
  refuses(() => decodeSafetensors(file(two('[0,4]', '[0,4]'), f32(1, 2))), FormatError, bad('tensor "b" starts at data byte 0, expected 4: the tensors overlap or leave a gap'));
  refuses(() => decodeSafetensors(file(two('[8,12]', '[0,4]'), f32(1, 2, 3))), FormatError, bad('tensor "a" starts at data byte 8, expected 4: the tensors overlap or leave a gap'));
  // sorted by begin, whatever the header order: b (0..4), then a (4..8)
  assert.deepEqual(Array.from(decodeSafetensors(file(two('[4,8]', '[0,4]'), f32(1, 2))).tensors.get('a')!.data), [2]);
});

/** What a file of our export holds: name → [shape, values]. */
function contents(bytes: Uint8Array): Record<string, [number[], number[]]> {
  const out: Record<string, [number[], number[]]> = {};
  for (const [name, t] of decodeSafetensors(bytes).tensors) {
    assert.ok(t.data instanceof Float32Array, `${name} is F32`);
    out[name] = [[...t.shape], Array.from(t.data)];
  }
  return out;
}

test('exportSafetensors: an RNN, weight_ih = Uᵀ, weight_hh = Wᵀ, bias_ih = b_h, bias_hh = 0, linear = Vᵀ and b_o; the metadata', () => {
  // D = 2, H = 2, K = 3: U = [1 2; 3 4]/4 (params 0..3), W = params 4..7, b_h = 8..9, V (2×3) = 10..15, b_o = 16..18
  const net = numbered({ cell: 'rnn', inputSize: 2, hiddenSize: 2, outputSize: 3 });
  assert.deepEqual(Array.from(net.params.view('layer0.U')), [0.25, 0.5, 0.75, 1]);
  const bytes = exportSafetensors({ networks: { model: net }, meta: { classes: ['a'] } });
  assert.deepEqual(contents(bytes), {
    weight_ih_l0: [[2, 2], q(1, 3, 2, 4)],
    weight_hh_l0: [[2, 2], q(5, 7, 6, 8)],
    bias_ih_l0: [[2], q(9, 10)],
    bias_hh_l0: [[2], [0, 0]],
    'linear.weight': [[3, 2], q(11, 14, 12, 15, 13, 16)],
    'linear.bias': [[3], q(17, 18, 19)],
  });
  assert.deepEqual(decodeSafetensors(bytes).metadata, {
    'rnnkit.network': 'model', 'rnnkit.config': JSON.stringify(net.config), 'rnnkit.meta': '{"classes":["a"]}', generator: 'generated by rnnkit',
  });
  // relu is nn.RNN's other nonlinearity; names prefixed and the Linear renamed
  const relu = numbered({ cell: 'rnn', inputSize: 1, hiddenSize: 1, outputSize: 1, hiddenActivation: 'relu', bias: false });
  assert.deepEqual(contents(exportSafetensors({ networks: { net: relu } }, { prefix: 'rnn.', linear: 'head' })), {
    'rnn.weight_ih_l0': [[1, 1], [0.25]], 'rnn.weight_hh_l0': [[1, 1], [0.5]], 'head.weight': [[1, 1], [0.75]],
  });
});

test('exportSafetensors: a reset-after GRU keeps b_hn in bias_hh\'s n block, gates [r | z | n]; an LSTM\'s gates [i | f | g | o]', () => {
  // GRU D = 1, H = 2: W (2×... rows x, h) = params 0..17 (3 rows × 6), b = 18..23, b_hn = 24..25, V (2×1) = 26..27, b_o = 28
  const gru = numbered({ cell: 'gru', inputSize: 1, hiddenSize: 2, outputSize: 1 });
  assert.deepEqual(Array.from(gru.params.view('layer0.b_hn')), [6.25, 6.5]);
  const g = contents(exportSafetensors({ networks: { model: gru } }));
  // ours [z | r | n]: columns z 0..1, r 2..3, n 4..5 of each row
  assert.deepEqual(g.weight_ih_l0, [[6, 1], q(3, 4, 1, 2, 5, 6)]);
  assert.deepEqual(g.weight_hh_l0, [[6, 2], q(9, 15, 10, 16, 7, 13, 8, 14, 11, 17, 12, 18)]);
  assert.deepEqual(g.bias_ih_l0, [[6], q(21, 22, 19, 20, 23, 24)]);
  assert.deepEqual(g.bias_hh_l0, [[6], [0, 0, 0, 0, 6.25, 6.5]]);
  // LSTM D = 1, H = 1 (ours [f | i | o | c]) with hiddenActivation sigmoid, which only the RNN reads
  const lstm = numbered({ cell: 'lstm', inputSize: 1, hiddenSize: 1, outputSize: 1, hiddenActivation: 'sigmoid' });
  const l = contents(exportSafetensors({ networks: { model: lstm } }));
  assert.deepEqual(l.weight_ih_l0, [[4, 1], q(2, 1, 4, 3)]);
  assert.deepEqual(l.weight_hh_l0, [[4, 1], q(6, 5, 8, 7)]);
  assert.deepEqual(l.bias_hh_l0, [[4], [0, 0, 0, 0]]);
});

test('exportSafetensors refuses what a PyTorch state dict cannot hold, each in one line', () => {
  for (const act of ['sigmoid', 'linear'] as const) {
    refuses(() => exportSafetensors({ networks: { model: numbered({ cell: 'rnn', inputSize: 1, hiddenSize: 1, outputSize: 1, hiddenActivation: act }) } }), FormatError,
      bad(`PyTorch's nn.RNN offers nonlinearity tanh or relu; this RNN uses ${act}, which a PyTorch state dict cannot express (ONNX and TF.js can)`));
  }
  refuses(() => exportSafetensors({ networks: { model: numbered({ cell: 'gru', inputSize: 1, hiddenSize: 1, outputSize: 1, variant: 'reset-before' }) } }), FormatError,
    bad('PyTorch\'s nn.GRU applies the reset gate after the recurrent product; a "reset-before" GRU has no PyTorch layout. Build the network with variant: "reset-after"'));
  const a = numbered({ cell: 'rnn', inputSize: 1, hiddenSize: 1, outputSize: 1 });
  refuses(() => exportSafetensors({ networks: { a, b: a } }), FormatError,
    bad('the model holds 2 networks (a, b); a safetensors file carries one recurrent stack and its output layer, so encoder–decoder models cannot be exported'));
});

const RNN_EXPECTED = 'expected exactly weight_ih_l0 [2, 2], weight_hh_l0 [2, 2], bias_ih_l0 [2], bias_hh_l0 [2], linear.weight [1, 2], linear.bias [1]';

/** A PyTorch RNN state dict made here: D = 2, H = 2, K = 1. */
function handMade(): Map<string, SafeTensor> {
  return new Map<string, SafeTensor>([
    ['weight_ih_l0', { shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) }],
    ['weight_hh_l0', { shape: [2, 2], data: Float32Array.from([5, 6, 7, 8]) }],
    ['bias_ih_l0', { shape: [2], data: Float32Array.from([0.5, 0.25]) }],
    ['bias_hh_l0', { shape: [2], data: Float32Array.from([1, 2]) }],
    ['linear.weight', { shape: [1, 2], data: Float32Array.from([9, 10]) }],
    ['linear.bias', { shape: [1], data: Float32Array.from([11]) }],
  ]);
}

function edited(f: (m: Map<string, SafeTensor>) => void, metadata: Record<string, string> = {}): Uint8Array {
  const m = handMade();
  f(m);
  return encodeSafetensors(m, metadata);
}

test('importSafetensors: a state dict made by hand gives U = weight_ihᵀ, W = weight_hhᵀ, b = bias_ih + bias_hh, V = linear.weightᵀ, b_o', () => {
  const c = importSafetensors(encodeSafetensors(handMade()));
  assert.deepEqual(Object.keys(c.networks), ['model']);
  assert.equal(c.meta, undefined);
  assert.ok(!('meta' in c));
  const net = c.networks.model!;
  assert.deepEqual(net.config, { cell: 'rnn', inputSize: 2, hiddenSize: 2, outputSize: 1, layers: 1, hiddenActivation: 'tanh', outputActivation: 'linear', loss: 'mse', bias: true, dtype: 'float32' });
  assert.deepEqual(Array.from(net.params.view('layer0.U')), [1, 3, 2, 4]);
  assert.deepEqual(Array.from(net.params.view('layer0.W')), [5, 7, 6, 8]);
  assert.deepEqual(Array.from(net.params.view('layer0.b_h')), [1.5, 2.25]);
  assert.deepEqual(Array.from(net.V), [9, 10]);
  assert.deepEqual(Array.from(net.b_o!), [11]);
  // float64 tensors are read too (their values rounded into the float32 network)
  const wide = importSafetensors(edited((m) => m.set('linear.bias', { shape: [1], data: Float64Array.from([0.1]) }))).networks.model!;
  assert.deepEqual(Array.from(wide.b_o!), [Math.fround(0.1)]);
});

test('importSafetensors: names, layers, directions, the cell and the sizes come from the tensors', () => {
  // two layers (weight_hh_l1), prefix and Linear name as given
  const lstm = numbered({ cell: 'lstm', inputSize: 3, hiddenSize: 2, outputSize: 4, layers: 3 });
  const back = importSafetensors(exportSafetensors({ networks: { model: lstm } }, { prefix: 'enc.', linear: 'fc' }), { prefix: 'enc.', linear: 'fc' }).networks.model!;
  assert.deepEqual(back.config, lstm.config);
  assert.deepEqual(Array.from(back.params.data), Array.from(lstm.params.data));
  // without our metadata: the cell from weight_hh's rows (3H: GRU), bidirectional from the _reverse names
  const gru = numbered({ cell: 'gru', inputSize: 1, hiddenSize: 2, outputSize: 3, layers: 2, bidirectional: true });
  const { tensors } = decodeSafetensors(exportSafetensors({ networks: { model: gru } }));
  const plain = importSafetensors(encodeSafetensors(tensors)).networks.model!;
  assert.deepEqual(plain.config, { cell: 'gru', inputSize: 1, hiddenSize: 2, outputSize: 3, layers: 2, hiddenActivation: 'tanh', outputActivation: 'linear', loss: 'mse', bias: true, dtype: 'float32', bidirectional: true });
  assert.deepEqual(Array.from(plain.params.data), Array.from(gru.params.data));
  // one-way: no bidirectional key at all
  assert.ok(!('bidirectional' in importSafetensors(encodeSafetensors(handMade())).networks.model!.config));
  // no biases anywhere: bias false
  const bare = importSafetensors(edited((m) => { m.delete('bias_ih_l0'); m.delete('bias_hh_l0'); m.delete('linear.bias'); })).networks.model!;
  assert.equal(bare.config.bias, false);
  assert.deepEqual(Array.from(bare.V), [9, 10]);
});

test('importSafetensors: a missing bias is named whichever of the recurrent or Linear biases the file has', () => {
  refuses(() => importSafetensors(edited((m) => { m.delete('bias_ih_l0'); m.delete('bias_hh_l0'); })), FormatError, bad(`missing tensor "bias_ih_l0" [2]; ${RNN_EXPECTED}`));
  refuses(() => importSafetensors(edited((m) => m.delete('linear.bias'))), FormatError, bad(`missing tensor "linear.bias" [1]; ${RNN_EXPECTED}`));
  refuses(() => importSafetensors(edited((m) => m.delete('bias_hh_l0'))), FormatError, bad(`missing tensor "bias_hh_l0" [2]; ${RNN_EXPECTED}`));
});

test('importSafetensors refuses a file without the three key tensors, listing what it has', () => {
  const head = 'expected the state dict of nn.RNN/nn.LSTM/nn.GRU (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, …) and nn.Linear';
  refuses(() => importSafetensors(edited((m) => m.delete('weight_ih_l0'))), FormatError,
    bad(`missing weight_ih_l0: ${head} (linear.weight, linear.bias); the file has weight_hh_l0, bias_ih_l0, bias_hh_l0, linear.weight, linear.bias`));
  refuses(() => importSafetensors(edited((m) => m.delete('weight_hh_l0'))), FormatError,
    bad(`missing weight_hh_l0: ${head} (linear.weight, linear.bias); the file has weight_ih_l0, bias_ih_l0, bias_hh_l0, linear.weight, linear.bias`));
  refuses(() => importSafetensors(encodeSafetensors(handMade()), { linear: 'out' }), FormatError,
    bad(`missing out.weight: ${head} (out.weight, out.bias); the file has weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, linear.weight, linear.bias`));
  refuses(() => importSafetensors(encodeSafetensors(handMade()), { prefix: 'rnn.' }), FormatError,
    bad(`missing rnn.weight_ih_l0, rnn.weight_hh_l0: ${head} (linear.weight, linear.bias); the file has weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, linear.weight, linear.bias`));
  refuses(() => importSafetensors(encodeSafetensors(new Map())), FormatError, bad(`missing weight_ih_l0, weight_hh_l0, linear.weight: ${head} (linear.weight, linear.bias); the file has no tensors`));
  // at most 12 names are listed
  const many = new Map(Array.from({ length: 13 }, (_, i) => [`t${i}`, { shape: [1], data: new Float32Array(1) }] as const));
  refuses(() => importSafetensors(encodeSafetensors(many)), FormatError,
    bad(`missing weight_ih_l0, weight_hh_l0, linear.weight: ${head} (linear.weight, linear.bias); the file has t0, t1, t2, t3, t4, t5, t6, t7, t8, t9, t10, t11`));
});

test('importSafetensors refuses key tensors that are not matrices, and a weight_hh whose rows are not 1, 3 or 4 times its columns', () => {
  const matrices = (a: string, b: string, c: string): string => bad(`weight_hh_l0, weight_ih_l0 and linear.weight must be matrices; got ${a}, ${b}, ${c}`);
  refuses(() => importSafetensors(edited((m) => m.set('weight_hh_l0', { shape: [4], data: new Float32Array(4) }))), FormatError, matrices('[4]', '[2, 2]', '[1, 2]'));
  refuses(() => importSafetensors(edited((m) => m.set('weight_ih_l0', { shape: [4], data: new Float32Array(4) }))), FormatError, matrices('[2, 2]', '[4]', '[1, 2]'));
  refuses(() => importSafetensors(edited((m) => m.set('linear.weight', { shape: [2], data: new Float32Array(2) }))), FormatError, matrices('[2, 2]', '[2, 2]', '[2]'));
  refuses(() => importSafetensors(edited((m) => m.set('weight_hh_l0', { shape: [4, 2], data: new Float32Array(8) }))), FormatError,
    bad('weight_hh_l0 has shape [4, 2]: its rows are not 1, 3 or 4 times its columns (RNN, GRU, LSTM)'));
  refuses(() => importSafetensors(edited((m) => m.set('weight_hh_l0', { shape: [0, 0], data: new Float32Array(0) }))), FormatError,
    bad('weight_hh_l0 has shape [0, 0]: its rows are not 1, 3 or 4 times its columns (RNN, GRU, LSTM)'));
  refuses(() => importSafetensors(edited((m) => m.set('weight_hh_l0', { shape: [3, 2], data: new Float32Array(6) }))), FormatError,
    bad('weight_hh_l0 has shape [3, 2]: its rows are not 1, 3 or 4 times its columns (RNN, GRU, LSTM)'));
});

test('importSafetensors refuses an unknown tensor, saying why when it can, and a tensor of the wrong shape or with a non-finite value', () => {
  refuses(() => importSafetensors(edited((m) => m.set('extra', { shape: [1], data: new Float32Array(1) }))), FormatError, bad(`unexpected tensor "extra"; ${RNN_EXPECTED}`));
  refuses(() => importSafetensors(edited((m) => m.set('weight_hr_l0', { shape: [1], data: new Float32Array(1) }))), FormatError,
    bad(`unexpected tensor "weight_hr_l0" (LSTM projections, proj_size > 0, are not supported); ${RNN_EXPECTED}`));
  refuses(() => importSafetensors(edited((m) => m.set('bias_ih_l0_reverse', { shape: [2], data: new Float32Array(2) }))), FormatError,
    bad(`unexpected tensor "bias_ih_l0_reverse" (a bidirectional=True tensor, but weight_hh_l0_reverse is missing); ${RNN_EXPECTED}`));
  refuses(() => importSafetensors(edited((m) => m.set('bias_ih_l0_reverse', { shape: [2], data: new Float32Array(2) })), { prefix: '' }), FormatError,
    bad(`unexpected tensor "bias_ih_l0_reverse" (a bidirectional=True tensor, but weight_hh_l0_reverse is missing); ${RNN_EXPECTED}`));
  // bidirectional, with a reverse tensor of a second layer the file does not have
  const bi = numbered({ cell: 'rnn', inputSize: 1, hiddenSize: 1, outputSize: 1, bidirectional: true });
  const { tensors } = decodeSafetensors(exportSafetensors({ networks: { model: bi } }));
  const more = new Map(tensors).set('weight_ih_l1_reverse', { shape: [1, 2], data: new Float32Array(2) });
  const biExpected = 'expected exactly weight_ih_l0 [1, 1], weight_hh_l0 [1, 1], bias_ih_l0 [1], bias_hh_l0 [1], weight_ih_l0_reverse [1, 1], weight_hh_l0_reverse [1, 1], bias_ih_l0_reverse [1], bias_hh_l0_reverse [1], linear.weight [1, 2], linear.bias [1]';
  refuses(() => importSafetensors(encodeSafetensors(more)), FormatError, bad(`unexpected tensor "weight_ih_l1_reverse" (a backward direction of a layer the file does not have); ${biExpected}`));
  refuses(() => importSafetensors(edited((m) => m.set('bias_hh_l0', { shape: [1, 2], data: new Float32Array(2) }))), FormatError,
    bad(`tensor "bias_hh_l0" has shape [1, 2], expected [2]; ${RNN_EXPECTED}`));
  refuses(() => importSafetensors(edited((m) => m.set('bias_hh_l0', { shape: [3], data: new Float32Array(3) }))), FormatError,
    bad(`tensor "bias_hh_l0" has shape [3], expected [2]; ${RNN_EXPECTED}`));
  // a scalar is not a tensor of one value
  refuses(() => importSafetensors(edited((m) => m.set('linear.bias', { shape: [], data: Float32Array.from([11]) }))), FormatError,
    bad(`tensor "linear.bias" has shape [], expected [1]; ${RNN_EXPECTED}`));
  refuses(() => importSafetensors(edited((m) => m.set('linear.weight', { shape: [1, 3], data: new Float32Array(3) }))), FormatError,
    bad(`tensor "linear.weight" has shape [1, 3], expected [1, 2]; ${RNN_EXPECTED}`));
  refuses(() => importSafetensors(edited((m) => m.set('bias_hh_l0', { shape: [2], data: Float32Array.from([NaN, 1]) }))), FormatError,
    bad('tensor "bias_hh_l0" value 0 is NaN, expected a finite number'));
  refuses(() => importSafetensors(edited((m) => m.set('linear.bias', { shape: [1], data: Float32Array.from([-Infinity]) }))), FormatError,
    bad('tensor "linear.bias" value 0 is -Infinity, expected a finite number'));
  refuses(() => importSafetensors(edited((m) => m.set('weight_hh_l0', { shape: [2, 2], data: Float32Array.from([1, 2, 3, Infinity]) }))), FormatError,
    bad('tensor "weight_hh_l0" value 3 is Infinity, expected a finite number'));
});

test('importSafetensors: our metadata sets what the weights do not say, a network without biases takes only zero biases', () => {
  const config = { cell: 'rnn', inputSize: 2, hiddenSize: 2, outputSize: 1, layers: 1, hiddenActivation: 'relu', outputActivation: 'sigmoid', loss: 'mse', bias: false, dtype: 'float64' };
  const meta = { 'rnnkit.config': JSON.stringify(config), 'rnnkit.network': 'tagger', 'rnnkit.meta': '{"k":[1]}' };
  const zeros = (m: Map<string, SafeTensor>): void => {
    for (const k of ['bias_ih_l0', 'bias_hh_l0', 'linear.bias']) m.set(k, { shape: m.get(k)!.shape, data: new Float32Array(m.get(k)!.data.length) });
  };
  const c = importSafetensors(edited(zeros, meta));
  assert.deepEqual(Object.keys(c.networks), ['tagger']);
  assert.deepEqual(c.meta, { k: [1] });
  const net = c.networks.tagger!;
  assert.deepEqual(net.config, config);
  assert.equal(net.b_o, null);
  assert.deepEqual(Array.from(net.V), [9, 10]);
  assert.deepEqual(Array.from(net.params.view('layer0.U')), [1, 3, 2, 4]);
  refuses(() => importSafetensors(edited((m) => { zeros(m); m.set('linear.bias', { shape: [1], data: Float32Array.from([-0.5]) }); }, meta)), FormatError,
    bad('tensor "linear.bias" has non-zero values but the model has no biases'));
  refuses(() => importSafetensors(edited((m) => { zeros(m); m.set('linear.bias', { shape: [1], data: Float32Array.from([0.5]) }); }, meta), { linear: 'linear' }), FormatError,
    bad('tensor "linear.bias" has non-zero values but the model has no biases'));
  // non-zero recurrent biases, each named
  const nonZero = (name: string): string => bad(`tensor "${name}" has non-zero values (max |b| = 0.5), but the network was built with bias: false; build it with bias: true to import these biases`);
  refuses(() => importSafetensors(edited((m) => { zeros(m); m.set('bias_ih_l0', { shape: [2], data: Float32Array.from([0, -0.5]) }); }, meta)), FormatError, nonZero('bias_ih_l0'));
  refuses(() => importSafetensors(edited((m) => { zeros(m); m.set('bias_hh_l0', { shape: [2], data: Float32Array.from([0.5, 0]) }); }, meta)), FormatError, nonZero('bias_hh_l0'));
  // one non-zero value among zeros in the Linear bias (K = 2)
  const two = new Map<string, SafeTensor>([
    ['weight_ih_l0', { shape: [1, 1], data: Float32Array.from([1]) }], ['weight_hh_l0', { shape: [1, 1], data: Float32Array.from([2]) }],
    ['linear.weight', { shape: [2, 1], data: Float32Array.from([3, 4]) }], ['linear.bias', { shape: [2], data: Float32Array.from([0, 0.5]) }],
  ]);
  const twoConfig = { 'rnnkit.config': JSON.stringify({ ...config, inputSize: 1, hiddenSize: 1, outputSize: 2 }) };
  refuses(() => importSafetensors(encodeSafetensors(two, twoConfig)), FormatError, bad('missing tensor "bias_ih_l0" [1]; expected exactly weight_ih_l0 [1, 1], weight_hh_l0 [1, 1], bias_ih_l0 [1], bias_hh_l0 [1], linear.weight [2, 1], linear.bias [2]'));
  two.set('bias_ih_l0', { shape: [1], data: new Float32Array(1) }).set('bias_hh_l0', { shape: [1], data: new Float32Array(1) });
  refuses(() => importSafetensors(encodeSafetensors(two, twoConfig)), FormatError, bad('tensor "linear.bias" has non-zero values but the model has no biases'));
  // no bias tensors at all in a model without biases: V only
  const noBias = importSafetensors(edited((m) => { m.delete('bias_ih_l0'); m.delete('bias_hh_l0'); m.delete('linear.bias'); }, meta)).networks.tagger!;
  assert.deepEqual(Array.from(noBias.V), [9, 10]);
  // a model with biases and no linear.bias in the file is refused (missing tensor), not filled with zeros
  refuses(() => importSafetensors(edited((m) => m.delete('linear.bias'), { 'rnnkit.config': JSON.stringify({ ...config, bias: true }) })), FormatError,
    bad(`missing tensor "linear.bias" [1]; ${RNN_EXPECTED}`));
});
