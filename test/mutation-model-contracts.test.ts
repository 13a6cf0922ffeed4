/**
 * The network's contracts outside the gradient's values, for
 * `npm run mutate -- model`: the configuration it resolves from its options
 * (every default), the options a model file rebuilds it from, and every
 * refusal of a bad option or batch with its whole message and error type,
 * at the boundary (the last value accepted, the first refused). Small and
 * fast: no pass here is longer than a few steps.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionError, ShapeError, ValueError } from '../src/core/errors.js';
import { MAX_LAYERS, MAX_NETWORK_BYTES, Network, networkOptionsOf, networkParamSpecs, reverseConfig, stateWidth, type NetworkConfig, type SequenceBatch } from '../src/model/network.js';
import { refuses } from './helpers/refuses.js';

const index = (values: number[]): { kind: 'index'; data: Int32Array } => ({ kind: 'index', data: Int32Array.from(values) });
const dense = (n: number, v = 0.5): { kind: 'dense'; data: Float64Array } => ({ kind: 'dense', data: new Float64Array(n).fill(v) });

test('the resolved configuration: every default, and what each option changes', () => {
  const plain = new Network({ inputSize: 3, hiddenSize: 2, outputSize: 4 });
  assert.deepEqual(plain.config, {
    cell: 'rnn', inputSize: 3, hiddenSize: 2, outputSize: 4, layers: 1, hiddenActivation: 'tanh',
    outputActivation: 'linear', loss: 'mse', bias: true, dtype: 'float32',
  });
  assert.ok(plain.params.data instanceof Float32Array);
  assert.notEqual(plain.b_o, null);
  assert.notEqual(plain.db_o, null);
  assert.equal(plain.V.length, 2 * 4);
  assert.equal(plain.dV.length, 2 * 4);
  assert.deepEqual(new Network({ inputSize: 3, hiddenSize: 2, outputSize: 4, loss: 'cross-entropy' }).config.outputActivation, 'softmax');
  assert.deepEqual(new Network({ inputSize: 3, hiddenSize: 2, outputSize: 4, loss: 'cross-entropy', outputActivation: 'sigmoid' }).config.outputActivation, 'sigmoid');
  assert.deepEqual(new Network({ inputSize: 3, hiddenSize: 2, outputSize: 4, outputActivation: 'sigmoid' }).config.loss, 'mse');
  const lstm = new Network({ cell: 'lstm', inputSize: 3, hiddenSize: 2, outputSize: 4, layers: 2, bias: false, dtype: 'float64', hiddenActivation: 'relu' });
  assert.deepEqual(lstm.config, {
    cell: 'lstm', inputSize: 3, hiddenSize: 2, outputSize: 4, layers: 2, hiddenActivation: 'relu',
    outputActivation: 'linear', loss: 'mse', bias: false, dtype: 'float64', forgetBias: 0,
  });
  assert.equal(lstm.b_o, null);
  assert.equal(lstm.db_o, null);
  assert.ok(lstm.params.data instanceof Float64Array);
  assert.equal(lstm.layers.length, 2);
  assert.equal(new Network({ cell: 'lstm', inputSize: 3, hiddenSize: 2, outputSize: 4, forgetBias: 1 }).config.forgetBias, 1);
  assert.equal(new Network({ cell: 'lstm', inputSize: 3, hiddenSize: 2, outputSize: 4, forgetBias: -20 }).config.forgetBias, -20);
  const gru = new Network({ cell: 'gru', variant: 'reset-before', inputSize: 3, hiddenSize: 2, outputSize: 4, bidirectional: true, bias: true });
  assert.deepEqual(gru.config, {
    cell: 'gru', inputSize: 3, hiddenSize: 2, outputSize: 4, layers: 1, hiddenActivation: 'tanh',
    outputActivation: 'linear', loss: 'mse', bias: true, dtype: 'float32', variant: 'reset-before', bidirectional: true,
  });
  assert.equal(gru.V.length, 2 * 2 * 4, 'V is 2H×K when bidirectional');
  assert.deepEqual(new Network({ inputSize: 3, hiddenSize: 2, outputSize: 4, bidirectional: false }).config.bidirectional, undefined);
  assert.equal(new Network({ inputSize: 1, hiddenSize: 1, outputSize: 1, layers: MAX_LAYERS }).layers.length, MAX_LAYERS);
});

test('the seed: the default is 1, another seed draws other weights', () => {
  const a = new Network({ inputSize: 3, hiddenSize: 2, outputSize: 2 });
  const b = new Network({ inputSize: 3, hiddenSize: 2, outputSize: 2, seed: 1 });
  const c = new Network({ inputSize: 3, hiddenSize: 2, outputSize: 2, seed: 2 });
  assert.deepEqual(Array.from(a.params.data), Array.from(b.params.data));
  assert.notDeepEqual(Array.from(a.params.data), Array.from(c.params.data));
});

test('networkOptionsOf rebuilds the same network; stateWidth; the parameter specs and their order', () => {
  for (const options of [
    { inputSize: 3, hiddenSize: 2, outputSize: 4 },
    { cell: 'lstm' as const, inputSize: 3, hiddenSize: 2, outputSize: 4, forgetBias: 1, layers: 2, dtype: 'float64' as const },
    { cell: 'gru' as const, variant: 'reset-before', inputSize: 3, hiddenSize: 2, outputSize: 4, bidirectional: true, bias: false, loss: 'cross-entropy' as const },
  ]) {
    const c = new Network(options).config;
    const o = networkOptionsOf(c);
    assert.deepEqual(new Network(o).config, c);
    assert.deepEqual(Object.keys(o).sort(), Object.keys(c).sort(), 'exactly the config\'s keys');
  }
  const base: NetworkConfig = new Network({ inputSize: 3, hiddenSize: 2, outputSize: 4 }).config;
  assert.equal(stateWidth(base), 2);
  assert.equal(stateWidth({ ...base, bidirectional: true }), 4);
  assert.deepEqual(networkParamSpecs({ ...base, layers: 2 }).map((s) => `${s.name} ${s.rows}×${s.cols} ${s.init}`), [
    'layer0.U 3×2 uniform', 'layer0.W 2×2 orthogonal', 'layer0.b_h 1×2 zeros',
    'layer1.U 2×2 uniform', 'layer1.W 2×2 orthogonal', 'layer1.b_h 1×2 zeros',
    'V 2×4 glorot', 'b_o 1×4 zeros',
  ]);
  assert.deepEqual(networkParamSpecs({ ...base, layers: 2, bidirectional: true, bias: false }).map((s) => `${s.name} ${s.rows}×${s.cols}`), [
    'layer0.U 3×2', 'layer0.W 2×2', 'layer0.reverse.U 3×2', 'layer0.reverse.W 2×2',
    'layer1.U 4×2', 'layer1.W 2×2', 'layer1.reverse.U 4×2', 'layer1.reverse.W 2×2',
    'V 4×4',
  ]);
  assert.deepEqual(reverseConfig({ inputSize: 3, hiddenSize: 2, bias: true, prefix: 'layer1.', activation: 'tanh' }),
    { inputSize: 3, hiddenSize: 2, bias: true, prefix: 'layer1.reverse.', activation: 'tanh' });
  refuses(() => networkParamSpecs({ ...base, cell: 'cnn' as never }), OptionError, 'cell "cnn" is not available');
  // the LSTM's forget bias reaches its cell: b_f starts at forgetBias, the other gates at 0
  const lstm = new Network({ cell: 'lstm', inputSize: 1, hiddenSize: 2, outputSize: 1, forgetBias: 1, dtype: 'float64' });
  assert.deepEqual(Array.from(lstm.params.view('layer0.b')), [1, 1, 0, 0, 0, 0, 0, 0]);
  // the hidden activation reaches the cell: relu of a negative pre-activation is 0
  const relu = new Network({ inputSize: 1, hiddenSize: 1, outputSize: 1, hiddenActivation: 'relu', dtype: 'float64', bias: false });
  relu.params.view('layer0.U')[0] = -1;
  relu.params.view('V')[0] = 1;
  assert.deepEqual(Array.from(relu.forward({ T: 1, B: 1, x: dense(1, 2), y: dense(1) })), [0]);
});

test('bad options: each refusal with its whole message', () => {
  const o = { inputSize: 3, hiddenSize: 2, outputSize: 4 };
  refuses(() => new Network(undefined as never), OptionError, 'new Network(options) needs its options, e.g. { cell: "lstm", inputSize: 10, hiddenSize: 32, outputSize: 10 }');
  refuses(() => new Network(null as never), OptionError, 'new Network(options) needs its options, e.g. { cell: "lstm", inputSize: 10, hiddenSize: 32, outputSize: 10 }');
  refuses(() => new Network({ ...o, size: 3 } as never), OptionError,
    'unknown network option "size"; known options: cell, inputSize, hiddenSize, outputSize, layers, hiddenActivation, outputActivation, loss, bias, dtype, seed, variant, forgetBias, kernels, bidirectional');
  refuses(() => new Network({ ...o, layers: MAX_LAYERS + 1 }), OptionError, 'layers must be at most 256, got 257');
  refuses(() => new Network({ ...o, layers: 0 }), OptionError, 'layers must be a positive integer, got 0');
  refuses(() => new Network({ ...o, bias: 1 as never }), OptionError, 'bias must be true or false, got number');
  refuses(() => new Network({ ...o, bidirectional: 'yes' as never }), OptionError, 'bidirectional must be true or false, got string');
  refuses(() => new Network({ ...o, forgetBias: 1 }), OptionError, 'forgetBias is the LSTM\'s forget-gate bias; cell "rnn" has none, so omit it');
  refuses(() => new Network({ ...o, cell: 'gru', forgetBias: 1 }), OptionError, 'forgetBias is the LSTM\'s forget-gate bias; cell "gru" has none, so omit it');
  refuses(() => new Network({ ...o, cell: 'lstm', forgetBias: 21 }), OptionError, 'forgetBias must be a number in [-20, 20], got 21');
  refuses(() => new Network({ ...o, loss: 'hinge' as never }), OptionError, 'loss must be one of mse, cross-entropy, got "hinge"');
  refuses(() => new Network({ ...o, outputActivation: 'tanh' as never }), OptionError, 'outputActivation must be one of linear, sigmoid, softmax, got "tanh"');
  refuses(() => new Network({ ...o, hiddenActivation: 'gelu' as never }), OptionError, 'hiddenActivation must be one of linear, tanh, sigmoid, relu, got "gelu"');
  refuses(() => new Network({ ...o, dtype: 'float16' as never }), OptionError, 'dtype must be one of float32, float64, got "float16"');
  refuses(() => new Network({ ...o, cell: 'cnn' as never }), OptionError, 'cell must be one of rnn, lstm, gru, got "cnn"');
  refuses(() => new Network({ ...o, hiddenSize: 1.5 }), OptionError, 'hiddenSize must be a positive integer, got 1.5');
  refuses(() => new Network({ ...o, outputSize: -1 }), OptionError, 'outputSize must be a positive integer, got -1');
  refuses(() => new Network({ ...o, loss: 'cross-entropy', outputActivation: 'linear' }), OptionError, 'loss "cross-entropy" needs outputActivation "softmax" or "sigmoid"');
  refuses(() => new Network({ ...o, outputActivation: 'softmax' }), OptionError, 'outputActivation "softmax" needs loss "cross-entropy"');
});

test('memory: the limit is 8 GiB, the message names the need; float64 counts 8 bytes, float32 4', () => {
  assert.equal(MAX_NETWORK_BYTES, 8 * 1024 ** 3);
  // parameters and gradients: 2 × (D·H + H·H + H + H·K + K) elements
  refuses(() => new Network({ inputSize: 1, hiddenSize: 65536, outputSize: 1 }), OptionError,
    'the parameters and their gradients would need 32.0 GiB of memory (limit 8 GiB); choose smaller sizes');
  refuses(() => new Network({ inputSize: 1, hiddenSize: 32768, outputSize: 1, dtype: 'float64' }), OptionError,
    'the parameters and their gradients would need 16.0 GiB of memory (limit 8 GiB); choose smaller sizes');
  // the work buffers of one shape, T·B·(L·12·S + 3K + 2S + D) elements, are refused before any is
  // allocated (symbol inputs and targets that are never read: only their length is checked)
  const net = new Network({ inputSize: 3, hiddenSize: 1, outputSize: 4096, bias: false });
  const unread = { kind: 'index' as const, data: { length: 200000 } as Int32Array };
  refuses(() => net.forward({ T: 100000, B: 2, x: unread, y: unread }), OptionError,
    `the work buffers for T = 100000, B = 2 would need ${(200000 * (12 + 3 * 4096 + 2 + 3) * 4 / 1024 ** 3).toPrecision(3)} GiB of memory (limit 8 GiB); choose smaller sizes`);
  refuses(() => new Network({ inputSize: 3, hiddenSize: 1, outputSize: 4096, bias: false, layers: 2, dtype: 'float64' }).forward({ T: 50000, B: 2, x: unread, y: unread }), OptionError,
    `the work buffers for T = 50000, B = 2 would need ${(100000 * (2 * 12 + 3 * 4096 + 2 + 3) * 8 / 1024 ** 3).toPrecision(3)} GiB of memory (limit 8 GiB); choose smaller sizes`);
});

test('bad batches: each refusal with its whole message, at the boundary', () => {
  const net = new Network({ inputSize: 3, hiddenSize: 2, outputSize: 2, dtype: 'float64' });
  const ok = (b: Partial<SequenceBatch>): SequenceBatch => ({ T: 2, B: 1, x: dense(6), y: dense(4), ...b });
  // exact lengths are accepted
  net.forward(ok({}));
  net.forward(ok({ x: index([-1, 2]), y: index([-1, 1]), mask: Uint8Array.from([1, 0]), weights: [0] }));
  refuses(() => net.forward(ok({ T: 0 })), OptionError, 'batch.T must be a positive integer, got 0');
  refuses(() => net.forward(ok({ B: 0 })), OptionError, 'batch.B must be a positive integer, got 0');
  refuses(() => net.forward(ok({ x: dense(5) })), ShapeError, 'batch.x has 5 values, expected T×B×D = 2×1×3 = 6');
  refuses(() => net.forward(ok({ x: { kind: 'dense', data: new Float32Array(6) as never } })), ShapeError, 'batch.x is a Float32Array, but the network\'s dtype is float64');
  refuses(() => net.forward(ok({ x: index([0]) })), ShapeError, 'batch.x has 1 indices, expected T×B = 2×1 = 2');
  refuses(() => net.forward(ok({ x: index([0, 3]) })), ShapeError, 'batch.x index 3 at position 1 is outside [−1, 3) (inputSize D = 3)');
  refuses(() => net.forward(ok({ x: index([-2, 0]) })), ShapeError, 'batch.x index -2 at position 0 is outside [−1, 3) (inputSize D = 3)');
  refuses(() => net.forward(ok({ y: dense(3) })), ShapeError, 'batch.y has 3 values, expected T×B×K = 2×1×2 = 4');
  refuses(() => net.forward(ok({ y: index([0]) })), ShapeError, 'batch.y has 1 indices, expected T×B = 2×1 = 2');
  refuses(() => net.forward(ok({ y: index([0, 2]) })), ShapeError, 'batch.y index 2 at position 1 is outside [−1, 2) (outputSize K = 2)');
  refuses(() => net.forward(ok({ y: index([-2, 0]) })), ShapeError, 'batch.y index -2 at position 0 is outside [−1, 2) (outputSize K = 2)');
  refuses(() => net.forward(ok({ B: 2, x: dense(12), y: dense(8), weights: [1] })), ShapeError, 'batch.weights has 1 entries, expected one per sequence (B = 2)');
  refuses(() => net.forward(ok({ B: 2, x: dense(12), y: dense(8), weights: [1, -0.5] })), OptionError, 'batch.weights[1] must be a finite number ≥ 0, got -0.5');
  refuses(() => net.forward(ok({ weights: [NaN] })), OptionError, 'batch.weights[0] must be a finite number ≥ 0, got NaN');
  refuses(() => net.forward(ok({ weights: [Infinity] })), OptionError, 'batch.weights[0] must be a finite number ≥ 0, got Infinity');
  refuses(() => net.forward(ok({ mask: Uint8Array.from([1]) })), ShapeError, 'batch.mask has 1 entries, expected T×B = 2');
  refuses(() => net.forward(ok({ feedback: 'argmax' })), OptionError, 'feedback "argmax" needs inputSize = outputSize, got D = 3, K = 2');
  refuses(() => net.forward(ok({ init: [] })), ShapeError, 'batch.init has 0 states, expected one per layer (1)');
  refuses(() => net.forward(ok({ init: [{ h: new Float64Array(1) }] })), ShapeError, 'batch.init[0].h has 1 values, expected B×H = 2');
  net.forward(ok({ init: [{ h: new Float64Array(2) }] }));
  const lstm = new Network({ cell: 'lstm', inputSize: 3, hiddenSize: 2, outputSize: 2, layers: 2, dtype: 'float64' });
  const two = { h: new Float64Array(2), c: new Float64Array(2) };
  lstm.forward(ok({ init: [two, two] }));
  refuses(() => lstm.forward(ok({ init: [two] })), ShapeError, 'batch.init has 1 states, expected one per layer (2)');
  refuses(() => lstm.forward(ok({ init: [two, { h: new Float64Array(2) }] })), ShapeError, 'batch.init[1].c must have B×H = 2 values (LSTM cell state)');
  refuses(() => lstm.forward(ok({ init: [{ h: new Float64Array(2), c: new Float64Array(1) }, two] })), ShapeError, 'batch.init[0].c must have B×H = 2 values (LSTM cell state)');
  const bi = new Network({ inputSize: 2, hiddenSize: 2, outputSize: 2, dtype: 'float64', bidirectional: true });
  const okBi = (b: Partial<SequenceBatch>): SequenceBatch => ({ T: 2, B: 1, x: dense(4), y: dense(4), ...b });
  refuses(() => bi.forward(okBi({ feedback: 'argmax' })), OptionError, 'feedback "argmax" needs each output before the next input, but a bidirectional network reads the whole sequence first');
  refuses(() => bi.forward(okBi({ init: [{ h: new Float64Array(2) }] })), OptionError, 'batch.init: a bidirectional network starts both directions from zero states; an initial state cannot be given');
  // the value checks (src/model/batch-values.ts) run on every pass
  refuses(() => net.forward(ok({ mask: Uint8Array.from([1, 2]) })), ValueError, 'batch.mask[t=2, b=0] is 2; a mask holds 1 for a step that counts and 0 for one that does not, nothing else');
});

test('bad backward options, and stateAt / inspect before a pass', () => {
  const net = new Network({ inputSize: 2, hiddenSize: 2, outputSize: 2, dtype: 'float64' });
  const batch: SequenceBatch = { T: 2, B: 1, x: dense(4), y: dense(4) };
  for (const truncate of [0, 0.5, NaN, -1]) refuses(() => net.gradient(batch, { truncate }), OptionError, `truncate must be at least 1 step, got ${truncate}`);
  net.gradient(batch, { truncate: 1 });
  refuses(() => net.gradientFromOutputDelta(batch, new Float64Array(3), { truncate: 0 }), OptionError, 'truncate must be at least 1 step, got 0');
  refuses(() => net.gradientFromOutputDelta(batch, new Float64Array(3)), ShapeError, 'dO has 3 values, expected T×B×K = 2×1×2 = 4');
  const bi = new Network({ inputSize: 2, hiddenSize: 2, outputSize: 2, dtype: 'float64', bidirectional: true });
  refuses(() => bi.gradient(batch, { initGradient: true }), OptionError, 'initGradient: a bidirectional network starts from zero states and has no initial state to differentiate');
  refuses(() => bi.gradientFromOutputDelta(batch, new Float64Array(4), { initGradient: true }), OptionError, 'initGradient: a bidirectional network starts from zero states and has no initial state to differentiate');
  const lecture = 'gradientMode "lecture" is defined only for a single-layer RNN';
  refuses(() => bi.gradient(batch, { gradientMode: 'lecture' }), OptionError, lecture);
  refuses(() => new Network({ cell: 'gru', inputSize: 2, hiddenSize: 2, outputSize: 2, dtype: 'float64' }).gradient(batch, { gradientMode: 'lecture' }), OptionError, lecture);
  refuses(() => new Network({ inputSize: 2, hiddenSize: 2, outputSize: 2, dtype: 'float64', layers: 2 }).gradient(batch, { gradientMode: 'lecture' }), OptionError, lecture);
  net.gradient(batch, { gradientMode: 'lecture' });
  net.gradient(batch, { gradientMode: 'exact' });
  const fresh = new Network({ inputSize: 2, hiddenSize: 2, outputSize: 2, dtype: 'float64' });
  refuses(() => fresh.stateAt(1, 1), OptionError, 'stateAt: no forward pass of that shape has run');
  refuses(() => fresh.inspect(1, 1), OptionError, 'inspect: no forward pass of that shape has run; call forward() first');
  fresh.forward(batch);
  assert.equal(fresh.stateAt(2, 1).length, 1);
  assert.equal(fresh.inspect(2, 1).length, 1);
  refuses(() => fresh.stateAt(3, 1), OptionError, 'stateAt: no forward pass of that shape has run');
  refuses(() => fresh.inspect(3, 1), OptionError, 'inspect: no forward pass of that shape has run; call forward() first');
  refuses(() => fresh.stateAt(1, 2), OptionError, 'stateAt: no forward pass of that shape has run');
  refuses(() => fresh.inspect(1, 2), OptionError, 'inspect: no forward pass of that shape has run; call forward() first');
  bi.forward(batch);
  refuses(() => bi.inspect(2, 1), OptionError, 'inspect: the step values of a bidirectional network\'s two directions are not traced; use stateAt for [h→ | h←]');
});
