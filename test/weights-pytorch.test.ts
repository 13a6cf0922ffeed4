/**
 * PyTorch weight layout: committed reference vectors, export → import round
 * trips, and the errors a bad state_dict gets.
 *
 * Source of the expected numbers: test/vectors/pytorch.json, written by
 * test/vectors/make_vectors.py, an independent float64 numpy implementation
 * of PyTorch's nn.RNN / nn.LSTM / nn.GRU + nn.Linear equations.
 */

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { FormatError, OptionError, ShapeError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import type { CellKind, CellState } from '../src/cells/cell.js';
import type { HiddenActivation } from '../src/core/activations.js';
import { Network, type SequenceBatch } from '../src/model/network.js';
import { exportPyTorch, importPyTorch, type TorchStateDict } from '../src/io/pytorch.js';
import { assertClose } from './helpers/approx.js';

interface Tensor { shape: number[]; values: number[] }
interface VectorCase {
  name: string;
  config: { cell: CellKind; nonlinearity: HiddenActivation; layers: number; inputSize: number; hiddenSize: number; outputSize: number; T: number; B: number; bias: boolean };
  stateDict: Record<string, Tensor>;
  x: Tensor; h0: Tensor; c0?: Tensor; output: Tensor; h_n: Tensor; c_n?: Tensor; y: Tensor;
}

/** test/vectors/pytorch.json, found from the compiled test (dist/test) or the source (test/). */
function loadVectors(): VectorCase[] {
  for (const rel of ['../vectors/pytorch.json', '../../test/vectors/pytorch.json']) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return (JSON.parse(readFileSync(path, 'utf8')) as { cases: VectorCase[] }).cases;
  }
  throw new Error('test/vectors/pytorch.json not found');
}

const VECTORS = loadVectors();

function networkFor(c: VectorCase['config'], seed = 7, dtype: 'float32' | 'float64' = 'float64'): Network {
  return new Network({
    cell: c.cell, inputSize: c.inputSize, hiddenSize: c.hiddenSize, outputSize: c.outputSize,
    layers: c.layers, bias: c.bias, dtype, seed, hiddenActivation: c.nonlinearity,
    ...(c.cell === 'gru' ? { variant: 'reset-after' } : {}),
  });
}

/** The case's inputs as a batch: x (T×B×D, already PyTorch's sequence-first order) and h0/c0 per layer. */
function batchFor(v: VectorCase, dtype: 'float32' | 'float64' = 'float64'): SequenceBatch {
  const { T, B, hiddenSize: H, outputSize: K, layers } = v.config;
  const arr = (a: number[]): Float32Array | Float64Array => (dtype === 'float64' ? Float64Array.from(a) : Float32Array.from(a));
  const init: CellState[] = [];
  for (let l = 0; l < layers; l++) {
    const h = arr(v.h0.values.slice(l * B * H, (l + 1) * B * H));
    init.push(v.c0 ? { h, c: arr(v.c0.values.slice(l * B * H, (l + 1) * B * H)) } : { h });
  }
  return { T, B, x: { kind: 'dense', data: arr(v.x.values) }, y: { kind: 'dense', data: arr(new Array<number>(T * B * K).fill(0)) }, init };
}

/** Randomises every parameter (biases included) so that no mapping hides behind zeros. */
function randomise(net: Network, seed: number): void {
  const rng = new Rng(seed);
  const d = net.params.data;
  for (let i = 0; i < d.length; i++) d[i] = rng.uniform(-0.8, 0.8);
}

for (const v of VECTORS) {
  test(`PyTorch vectors: ${v.name} matches the numpy reference within 1e-6`, () => {
    const { T, B, hiddenSize: H, layers: L } = v.config;
    const net = networkFor(v.config);
    importPyTorch(net, v.stateDict);
    const yhat = net.forward(batchFor(v));
    assertClose(yhat, v.y.values, 1e-6, `${v.name} ŷ`);
    // every step's top-layer h (PyTorch's `output`)
    for (let t = 1; t <= T; t++) {
      const h = net.stateAt(t, B)[L - 1]!.h;
      assertClose(h, v.output.values.slice((t - 1) * B * H, t * B * H), 1e-6, `${v.name} h(${t})`);
    }
    // every layer's final state (h_n, c_n)
    const last = net.stateAt(T, B);
    for (let l = 0; l < L; l++) {
      assertClose(last[l]!.h, v.h_n.values.slice(l * B * H, (l + 1) * B * H), 1e-6, `${v.name} h_n[${l}]`);
      if (v.c_n) assertClose(last[l]!.c!, v.c_n.values.slice(l * B * H, (l + 1) * B * H), 1e-6, `${v.name} c_n[${l}]`);
    }
  });
}

for (const v of VECTORS) {
  test(`PyTorch round trip: ${v.name} export → JSON → import gives identical outputs`, () => {
    const a = networkFor(v.config, 3);
    randomise(a, 11);
    const dict = JSON.parse(JSON.stringify(exportPyTorch(a))) as TorchStateDict;
    const b = networkFor(v.config, 5);
    importPyTorch(b, dict);
    assert.deepEqual(Array.from(b.params.data), Array.from(a.params.data), 'parameters after the round trip');
    const batch = batchFor(v);
    assert.deepEqual(Array.from(b.forward(batch)), Array.from(a.forward(batch)), 'outputs after the round trip');
    // Importing the reference weights and exporting them gives PyTorch's weights back, and its summed biases.
    const c = networkFor(v.config);
    importPyTorch(c, v.stateDict);
    const back = exportPyTorch(c);
    assert.deepEqual(Object.keys(back).sort(), Object.keys(v.stateDict).sort());
    for (const [name, t] of Object.entries(v.stateDict)) {
      assert.deepEqual(back[name]!.shape, t.shape, `${name} shape`);
      if (!name.startsWith('bias_')) assert.deepEqual(back[name]!.values, t.values, `${name} values`);
    }
    for (let l = 0; l < v.config.layers && v.config.bias; l++) {
      const sum = (d: Record<string, Tensor>): number[] => d[`bias_ih_l${l}`]!.values.map((x, i) => x + d[`bias_hh_l${l}`]!.values[i]!);
      assertClose(sum(back), sum(v.stateDict), 1e-15, `bias_ih_l${l} + bias_hh_l${l}`);
    }
  });
}

test('PyTorch round trip in float32 with names prefixed and a renamed Linear', () => {
  const config = { cell: 'rnn' as const, nonlinearity: 'tanh' as const, layers: 2, inputSize: 3, hiddenSize: 4, outputSize: 2, T: 4, B: 2, bias: true };
  const a = networkFor(config, 3, 'float32');
  randomise(a, 12);
  const dict = exportPyTorch(a, { prefix: 'rnn.', linear: 'fc' });
  assert.deepEqual(Object.keys(dict), ['rnn.weight_ih_l0', 'rnn.weight_hh_l0', 'rnn.bias_ih_l0', 'rnn.bias_hh_l0',
    'rnn.weight_ih_l1', 'rnn.weight_hh_l1', 'rnn.bias_ih_l1', 'rnn.bias_hh_l1', 'fc.weight', 'fc.bias']);
  assert.deepEqual(dict['rnn.weight_ih_l0']!.shape, [4, 3]);
  assert.deepEqual(dict['fc.weight']!.shape, [2, 4]);
  // weight_ih = Uᵀ: element (j, d) is U[d][j]
  assert.equal(dict['rnn.weight_ih_l0']!.values[1 * 3 + 2], a.params.view('layer0.U')[2 * 4 + 1]);
  const b = networkFor(config, 5, 'float32');
  importPyTorch(b, dict, { prefix: 'rnn.', linear: 'fc' });
  assert.deepEqual(Array.from(b.params.data), Array.from(a.params.data));
  // nested values (Python's tensor.tolist()) without a shape are read too
  const nested: Record<string, number[] | number[][]> = {};
  for (const [name, t] of Object.entries(dict)) {
    const [rows, cols] = t.shape;
    nested[name] = cols === undefined ? t.values : Array.from({ length: rows! }, (_, r) => t.values.slice(r * cols, (r + 1) * cols));
  }
  const c = networkFor(config, 9, 'float32');
  importPyTorch(c, nested, { prefix: 'rnn.', linear: 'fc' });
  assert.deepEqual(Array.from(c.params.data), Array.from(a.params.data));
  // only the recurrent module: V and b_o are left alone
  const d = networkFor(config, 9, 'float32');
  const before = Array.from(d.V);
  importPyTorch(d, exportPyTorch(a, { output: false }), { output: false });
  assert.deepEqual(Array.from(d.V), before);
  assert.deepEqual(Array.from(d.params.view('layer1.W')), Array.from(a.params.view('layer1.W')));
});

test('PyTorch import errors name the tensor and the expected shape, and change nothing', () => {
  const config = { cell: 'rnn' as const, nonlinearity: 'tanh' as const, layers: 2, inputSize: 3, hiddenSize: 4, outputSize: 2, T: 4, B: 2, bias: true };
  const src = networkFor(config, 3);
  randomise(src, 13);
  const good = exportPyTorch(src);
  const net = networkFor(config, 4);
  const before = Array.from(net.params.data);
  const expectError = (dict: Record<string, unknown>, type: typeof ShapeError | typeof FormatError, pattern: RegExp): void => {
    assert.throws(() => importPyTorch(net, dict as TorchStateDict), (e: unknown) => e instanceof type && pattern.test((e as Error).message));
    assert.deepEqual(Array.from(net.params.data), before, 'a refused import must leave the network unchanged');
  };
  // wrong shape: weight_hh_l1 transposed into the wrong dimensions
  expectError({ ...good, weight_hh_l1: { shape: [4, 3], values: new Array(12).fill(0) } }, ShapeError, /"weight_hh_l1" has shape \[4, 3\], expected \[4, 4\]/);
  // the right shape declared, too few values
  expectError({ ...good, 'linear.weight': { shape: [2, 4], values: [1, 2, 3] } }, ShapeError, /"linear\.weight" has 3 values.*\[2, 4\]/);
  // unknown names
  expectError({ ...good, weight_ih_l2: { shape: [4, 4], values: new Array(16).fill(0) } }, FormatError, /unknown tensor "weight_ih_l2"/);
  expectError({ ...good, weight_ih_l0_reverse: good['weight_ih_l0']! }, FormatError, /"weight_ih_l0_reverse".*bidirectional/);
  // missing tensor
  const { bias_hh_l1: _dropped, ...missing } = good;
  expectError(missing, FormatError, /missing tensor "bias_hh_l1" \(shape \[4\]\)/);
  // a non-finite value
  expectError({ ...good, bias_ih_l0: { shape: [4], values: [0, NaN, 0, 0] } }, FormatError, /"bias_ih_l0" value 1 is NaN/);
  // the whole dictionary is checked before anything is written: a late error undoes early writes
  expectError({ ...good, 'linear.bias': { shape: [3], values: [0, 0, 0] } }, ShapeError, /"linear\.bias" has shape \[3\], expected \[2\]/);
});

test('PyTorch biases and a network without biases: zeros are accepted, anything else is refused', () => {
  const config = { cell: 'rnn' as const, nonlinearity: 'tanh' as const, layers: 1, inputSize: 2, hiddenSize: 3, outputSize: 2, T: 3, B: 1, bias: true };
  const withBias = networkFor(config, 3);
  randomise(withBias, 14);
  const dict = exportPyTorch(withBias);
  const noBias = networkFor({ ...config, bias: false }, 4);
  assert.deepEqual(Object.keys(exportPyTorch(noBias)), ['weight_ih_l0', 'weight_hh_l0', 'linear.weight']);
  assert.throws(() => importPyTorch(noBias, dict), (e: unknown) => e instanceof FormatError && /"bias_ih_l0" has non-zero values.*bias: false/.test((e as Error).message));
  const zeroed: TorchStateDict = { ...dict };
  for (const name of ['bias_ih_l0', 'bias_hh_l0', 'linear.bias']) zeroed[name] = { shape: dict[name]!.shape, values: dict[name]!.values.map(() => 0) };
  importPyTorch(noBias, zeroed);
  assert.deepEqual(Array.from(noBias.V), Array.from(withBias.V));
  // a network with biases needs them
  const { bias_ih_l0: _a, bias_hh_l0: _b, 'linear.bias': _c, ...bare } = dict;
  assert.throws(() => importPyTorch(withBias, bare), (e: unknown) => e instanceof FormatError && /missing tensor "bias_ih_l0"/.test((e as Error).message));
});

test('PyTorch has no reset-before GRU: export and import refuse it', () => {
  const net = new Network({ cell: 'gru', variant: 'reset-before', inputSize: 2, hiddenSize: 3, outputSize: 1, dtype: 'float64' });
  assert.throws(() => exportPyTorch(net), (e: unknown) => e instanceof OptionError && /reset-before/.test((e as Error).message));
  assert.throws(() => importPyTorch(net, {}), (e: unknown) => e instanceof OptionError && /reset-after/.test((e as Error).message));
});
