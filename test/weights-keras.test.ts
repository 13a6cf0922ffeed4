/**
 * Keras / TensorFlow.js weight layout: forward equivalence with TF.js layers
 * (CPU backend, float32), in both directions (our weights into a TF.js
 * model, and a TF.js model's random weights into ours), and the errors a bad
 * weight list gets.
 *
 * Source of the expected numbers: TensorFlow.js 4.x (`@tensorflow/tfjs`,
 * a devDependency) run on the same weights and inputs; for Keras's
 * reset_after=True GRU, which TF.js lacks, test/vectors/pytorch.json (see
 * test/vectors/make_vectors.py).
 */

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { FormatError, ShapeError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import type { CellKind } from '../src/cells/cell.js';
import { Network } from '../src/model/network.js';
import { exportKeras, importKeras, kerasLayerWeights, type KerasWeightInput } from '../src/io/keras.js';
import { assertClose } from './helpers/approx.js';

await tf.setBackend('cpu');

interface Case {
  readonly cell: CellKind;
  readonly layers: number;
  readonly D: number;
  readonly H: number;
  readonly K: number;
  readonly T: number;
  readonly B: number;
  readonly bias: boolean;
}

function ourNetwork(c: Case, seed: number): Network {
  return new Network({
    cell: c.cell, inputSize: c.D, hiddenSize: c.H, outputSize: c.K, layers: c.layers, bias: c.bias, seed,
    ...(c.cell === 'gru' ? { variant: 'reset-before' } : {}),
  });
}

/**
 * The TF.js counterpart: `layers` recurrent layers returning every step, and a
 * Dense layer on each step. Biases start random (not TF.js's zeros) so that
 * importing them tests the bias mapping.
 */
function tfModel(c: Case, seed: number): tf.Sequential {
  const model = tf.sequential();
  for (let l = 0; l < c.layers; l++) {
    const common = {
      units: c.H, returnSequences: true, useBias: c.bias,
      biasInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed + l }),
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 10 + l }),
      recurrentInitializer: tf.initializers.orthogonal({ seed: seed + 20 + l }),
      ...(l === 0 ? { inputShape: [c.T, c.D] } : {}),
    };
    if (c.cell === 'rnn') model.add(tf.layers.simpleRNN({ ...common, activation: 'tanh' }));
    else if (c.cell === 'lstm') model.add(tf.layers.lstm({ ...common, recurrentActivation: 'sigmoid', unitForgetBias: false }));
    else model.add(tf.layers.gru({ ...common, recurrentActivation: 'sigmoid' })); // TF.js: reset-before only
  }
  model.add(tf.layers.dense({
    units: c.K, useBias: c.bias,
    biasInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed + 30 }),
  }));
  return model;
}

/** Random inputs x, T×B×D (ours). */
function inputs(c: Case, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: c.T * c.B * c.D }, () => rng.uniform(-1, 1));
}

/** Every parameter random, biases included, so that no mapping hides behind zeros. */
function randomise(net: Network, seed: number): void {
  const rng = new Rng(seed);
  const d = net.params.data;
  for (let i = 0; i < d.length; i++) d[i] = rng.uniform(-0.8, 0.8);
}

/** ŷ of every step from both implementations, compared within 1e-5. */
function assertSameOutputs(c: Case, net: Network, model: tf.Sequential, x: Float32Array, what: string): void {
  const { T, B, D, K } = c;
  const ours = net.forward({ T, B, x: { kind: 'dense', data: x }, y: { kind: 'dense', data: new Float32Array(T * B * K) } });
  // TF.js wants batch-major [B, T, D]; we are time-major T×B×D.
  const xb = new Float32Array(B * T * D);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let d = 0; d < D; d++) xb[(b * T + t) * D + d] = x[(t * B + b) * D + d]!;
  const y = tf.tidy(() => (model.predict(tf.tensor3d(xb, [B, T, D])) as tf.Tensor).dataSync());
  const theirs = new Float32Array(T * B * K);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) theirs[(t * B + b) * K + k] = y[(b * T + t) * K + k]!;
  assertClose(ours, theirs, 1e-5, what);
  // guard against a vacuous comparison (all outputs zero or saturated alike)
  assert.ok(Math.max(...Array.from(theirs, Math.abs)) > 1e-2, `${what}: outputs are too small to compare`);
}

/** Our weights into the TF.js model, then the same outputs at every step. */
function exportDirection(c: Case, seed: number): void {
  const net = ourNetwork(c, seed);
  randomise(net, seed + 1);
  const model = tfModel(c, seed + 2);
  model.setWeights(exportKeras(net).map((w) => tf.tensor(w.values, w.shape)));
  assertSameOutputs(c, net, model, inputs(c, seed + 3), `${c.cell} ×${c.layers}, our weights in TF.js`);
  model.dispose();
}

/** The TF.js model's random weights into ours, then the same outputs; exporting them back gives TF.js's weights exactly. */
function importDirection(c: Case, seed: number): void {
  const model = tfModel(c, seed);
  const weights = model.weights.map((w) => ({ name: w.name, shape: w.shape, values: w.read().dataSync() }));
  const net = ourNetwork(c, seed + 1);
  importKeras(net, weights);
  assertSameOutputs(c, net, model, inputs(c, seed + 3), `${c.cell} ×${c.layers}, TF.js weights in ours`);
  const back = exportKeras(net);
  assert.equal(back.length, weights.length);
  back.forEach((w, i) => {
    assert.deepEqual(w.shape, weights[i]!.shape, `${w.name} shape`);
    assert.deepEqual(w.values, Array.from(weights[i]!.values), `${w.name} values`);
  });
  model.dispose();
}

test('TF.js simpleRNN: our weights give the same outputs at every step', () => {
  exportDirection({ cell: 'rnn', layers: 1, D: 3, H: 4, K: 2, T: 5, B: 2, bias: true }, 100);
});

test('TF.js simpleRNN, 2 layers, no biases: TF.js weights give the same outputs', () => {
  importDirection({ cell: 'rnn', layers: 2, D: 3, H: 4, K: 2, T: 5, B: 2, bias: false }, 110);
});

test('TF.js lstm (recurrentActivation sigmoid): TF.js weights give the same outputs', () => {
  importDirection({ cell: 'lstm', layers: 1, D: 3, H: 4, K: 2, T: 6, B: 2, bias: true }, 120);
});

test('TF.js lstm, 2 layers: our weights give the same outputs', () => {
  exportDirection({ cell: 'lstm', layers: 2, D: 3, H: 4, K: 2, T: 5, B: 3, bias: true }, 130);
});

test('TF.js gru (resetAfter false, its only variant): our reset-before weights give the same outputs', () => {
  exportDirection({ cell: 'gru', layers: 1, D: 3, H: 4, K: 2, T: 6, B: 2, bias: true }, 140);
});

test('TF.js has only the reset-before GRU: it refuses resetAfter: true', () => {
  assert.throws(() => tf.layers.gruCell({ units: 2, resetAfter: true }), /reset_after/);
});

test('TF.js gru, 2 layers: TF.js weights give the same outputs', () => {
  importDirection({ cell: 'gru', layers: 2, D: 3, H: 4, K: 2, T: 5, B: 3, bias: true }, 150);
});

test('kerasLayerWeights groups the list per layer, as layer.setWeights takes it', () => {
  const net = ourNetwork({ cell: 'rnn', layers: 2, D: 3, H: 4, K: 2, T: 1, B: 1, bias: true }, 1);
  const groups = kerasLayerWeights(exportKeras(net));
  assert.deepEqual(groups.map((g) => g.map((w) => w.name)), [
    ['layer0/kernel', 'layer0/recurrent_kernel', 'layer0/bias'],
    ['layer1/kernel', 'layer1/recurrent_kernel', 'layer1/bias'],
    ['dense/kernel', 'dense/bias'],
  ]);
  assert.deepEqual(groups[0]!.map((w) => w.shape), [[3, 4], [4, 4], [4]]);
});

/** test/vectors/pytorch.json (numpy reference of PyTorch's equations). */
function loadVectors(): { name: string; stateDict: Record<string, { shape: number[]; values: number[] }>; x: { values: number[] }; h0: { values: number[] }; y: { values: number[] } }[] {
  for (const rel of ['../vectors/pytorch.json', '../../test/vectors/pytorch.json']) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return (JSON.parse(readFileSync(path, 'utf8')) as { cases: ReturnType<typeof loadVectors> }).cases;
  }
  throw new Error('test/vectors/pytorch.json not found');
}

test('Keras GRU reset_after=True layout (not in TF.js): bias (2, 3H) read against the numpy reference', () => {
  // PyTorch's GRU is Keras's reset_after=True GRU: Keras bias row 0 = bias_ih, row 1 = bias_hh,
  // kernels = transposed weights, gate blocks reordered r, z, n → z, r, h. Converted here by hand.
  const v = loadVectors().find((c) => c.name === 'gru')!;
  const D = 3;
  const H = 4;
  const T = 6;
  const B = 2;
  const toKeras = (t: { shape: number[]; values: number[] }): number[] => {
    const [rows, cols] = t.shape.length === 2 ? [t.shape[0]!, t.shape[1]!] : [t.shape[0]!, 1];
    const out = new Array<number>(rows * cols);
    const order = [1, 0, 2]; // Keras block k is PyTorch block order[k]
    for (let k = 0; k < 3; k++) for (let j = 0; j < H; j++) for (let d = 0; d < cols; d++) out[d * 3 * H + k * H + j] = t.values[(order[k]! * H + j) * cols + d]!;
    return out;
  };
  const sd = v.stateDict;
  const lw = sd['linear.weight']!;
  const weights: KerasWeightInput[] = [
    { name: 'gru/gru_cell/kernel:0', shape: [D, 3 * H], values: toKeras(sd['weight_ih_l0']!) },
    { name: 'gru/gru_cell/recurrent_kernel:0', shape: [H, 3 * H], values: toKeras(sd['weight_hh_l0']!) },
    { name: 'gru/gru_cell/bias:0', shape: [2, 3 * H], values: [...toKeras(sd['bias_ih_l0']!), ...toKeras(sd['bias_hh_l0']!)] },
    { name: 'dense/kernel:0', shape: [H, 2], values: Array.from({ length: H * 2 }, (_, i) => lw.values[(i % 2) * H + Math.floor(i / 2)]!) },
    { name: 'dense/bias:0', shape: [2], values: sd['linear.bias']!.values },
  ];
  const net = new Network({ cell: 'gru', variant: 'reset-after', inputSize: D, hiddenSize: H, outputSize: 2, dtype: 'float64' });
  importKeras(net, weights);
  const yhat = net.forward({
    T, B, x: { kind: 'dense', data: Float64Array.from(v.x.values) }, y: { kind: 'dense', data: new Float64Array(T * B * 2) },
    init: [{ h: Float64Array.from(v.h0.values) }],
  });
  assertClose(yhat, v.y.values, 1e-6, 'Keras reset_after GRU ŷ');
  // and back out: the recurrent row holds only b_hn, the z and r parts moved into row 0
  const bias = exportKeras(net)[2]!;
  assert.deepEqual(bias.shape, [2, 3 * H]);
  assert.deepEqual(bias.values.slice(3 * H, 5 * H), new Array(2 * H).fill(0));
  assertClose(bias.values.slice(5 * H), toKeras(sd['bias_hh_l0']!).slice(2 * H), 1e-15, 'b_hn');
});

test('Keras import errors name the tensor and the expected shape, and change nothing', () => {
  const c: Case = { cell: 'rnn', layers: 2, D: 3, H: 4, K: 2, T: 1, B: 1, bias: true };
  const src = ourNetwork(c, 1);
  randomise(src, 2);
  const good = exportKeras(src);
  const net = ourNetwork(c, 3);
  const before = Array.from(net.params.data);
  const expectError = (list: readonly KerasWeightInput[], type: typeof ShapeError | typeof FormatError, pattern: RegExp): void => {
    assert.throws(() => importKeras(net, list), (e: unknown) => e instanceof type && pattern.test((e as Error).message));
    assert.deepEqual(Array.from(net.params.data), before, 'a refused import must leave the network unchanged');
  };
  const replace = (i: number, w: KerasWeightInput): KerasWeightInput[] => good.map((g, j) => (j === i ? w : g));
  // wrong shape
  expectError(replace(4, { name: 'layer1/recurrent_kernel', shape: [4, 3], values: new Array(12).fill(0) }), ShapeError, /"layer1\/recurrent_kernel" has shape \[4, 3\], expected \[4, 4\]/);
  // an unnamed tensor of the wrong shape is named by its place
  expectError(replace(6, { shape: [2, 4], values: new Array(8).fill(0) }), ShapeError, /"dense\/kernel" has shape \[2, 4\], expected \[4, 2\]/);
  // unknown name
  expectError(replace(2, { name: 'layer0/gamma', shape: [4], values: [0, 0, 0, 0] }), FormatError, /"layer0\/gamma" is not a known Keras weight name: expected layer0\/bias/);
  // missing tensor: the last one, and one in the middle (found by its neighbour's name)
  expectError(good.slice(0, -1), FormatError, /missing tensor "dense\/bias" \(#7, shape \[2\]\)/);
  expectError(good.filter((_, i) => i !== 2), FormatError, /"layer1\/kernel" is out of place.*expected layer0\/bias/);
  // one too many
  expectError([...good, good[0]!], FormatError, /unexpected tensor #8 "layer0\/kernel"/);
});

test('Keras biases and a network without biases: zeros are accepted, anything else is refused', () => {
  const c: Case = { cell: 'rnn', layers: 1, D: 2, H: 3, K: 2, T: 1, B: 1, bias: true };
  const withBias = ourNetwork(c, 1);
  randomise(withBias, 2);
  const list = exportKeras(withBias);
  const noBias = ourNetwork({ ...c, bias: false }, 3);
  assert.deepEqual(exportKeras(noBias).map((w) => w.name), ['layer0/kernel', 'layer0/recurrent_kernel', 'dense/kernel']);
  assert.throws(() => importKeras(noBias, list), (e: unknown) => e instanceof FormatError && /"layer0\/bias" has non-zero values.*bias: false/.test((e as Error).message));
  importKeras(noBias, list.map((w) => (w.name.endsWith('bias') ? { ...w, values: w.values.map(() => 0) } : w)));
  assert.deepEqual(Array.from(noBias.params.view('layer0.U')), Array.from(withBias.params.view('layer0.U')));
  // a network with biases needs them
  const bare = list.filter((w) => !w.name.endsWith('bias'));
  assert.throws(() => importKeras(withBias, bare), (e: unknown) => e instanceof FormatError && /useBias: false/.test((e as Error).message));
});
