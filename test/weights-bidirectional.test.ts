/**
 * Weight exchange of bidirectional networks.
 *
 * PyTorch: test/vectors/pytorch-bidirectional.json, made by PyTorch 1.13
 * itself (test/vectors/make_bidirectional_vectors.py): nn.RNN/LSTM/GRU with
 * bidirectional=True on packed sequences of different lengths, and an
 * nn.Linear(2H, K). Keras: TensorFlow.js 4.x `tf.layers.bidirectional`
 * (merge mode concat) run on the same weights and inputs, both ways.
 */

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { FormatError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import type { CellKind } from '../src/cells/cell.js';
import type { HiddenActivation } from '../src/core/activations.js';
import { Network } from '../src/model/network.js';
import { exportPyTorch, importPyTorch, type TorchStateDict } from '../src/io/pytorch.js';
import { exportKeras, importKeras, kerasLayerWeights } from '../src/io/keras.js';
import { assertClose } from './helpers/approx.js';

await tf.setBackend('cpu');

interface Tensor { shape: number[]; values: number[] }
interface VectorCase {
  name: string;
  config: { cell: CellKind; nonlinearity: HiddenActivation; layers: number; inputSize: number; hiddenSize: number; outputSize: number; T: number; B: number; bias: boolean };
  lengths: number[];
  stateDict: Record<string, Tensor>;
  x: Tensor; output: Tensor; y: Tensor;
}

function loadVectors(): VectorCase[] {
  for (const rel of ['../vectors/pytorch-bidirectional.json', '../../test/vectors/pytorch-bidirectional.json']) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return (JSON.parse(readFileSync(path, 'utf8')) as { cases: VectorCase[] }).cases;
  }
  throw new Error('test/vectors/pytorch-bidirectional.json not found');
}

function torchNetwork(c: VectorCase['config'], seed = 7): Network {
  return new Network({
    cell: c.cell, inputSize: c.inputSize, hiddenSize: c.hiddenSize, outputSize: c.outputSize, layers: c.layers,
    bias: c.bias, dtype: 'float64', seed, hiddenActivation: c.nonlinearity, bidirectional: true,
  });
}

for (const v of loadVectors()) {
  test(`PyTorch bidirectional=True: ${v.name} (packed, lengths ${v.lengths.join('/')}) matches PyTorch within 1e-9`, () => {
    const { T, B, hiddenSize: H, outputSize: K, layers: L } = v.config;
    const net = torchNetwork(v.config);
    importPyTorch(net, v.stateDict);
    const mask = new Uint8Array(T * B);
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) mask[t * B + b] = t < v.lengths[b]! ? 1 : 0;
    const yhat = net.forward({ T, B, x: { kind: 'dense', data: Float64Array.from(v.x.values) }, y: { kind: 'dense', data: new Float64Array(T * B * K) }, mask });
    let compared = 0;
    for (let t = 1; t <= T; t++) {
      const h = net.stateAt(t, B)[L - 1]!.h;
      for (let b = 0; b < B; b++) {
        if (!mask[(t - 1) * B + b]) continue;
        const row = (t - 1) * B + b;
        assertClose(h.subarray(b * 2 * H, (b + 1) * 2 * H), v.output.values.slice(row * 2 * H, (row + 1) * 2 * H), 1e-9, `${v.name} [h→ | h←](${t}) of sequence ${b}`);
        assertClose(yhat.subarray(row * K, (row + 1) * K), v.y.values.slice(row * K, (row + 1) * K), 1e-9, `${v.name} ŷ(${t}) of sequence ${b}`);
        compared++;
      }
    }
    assert.equal(compared, v.lengths.reduce((a, n) => a + n, 0));
  });

  test(`PyTorch bidirectional=True: ${v.name} exports PyTorch's names, order and shapes, and round-trips exactly`, () => {
    const net = torchNetwork(v.config);
    importPyTorch(net, v.stateDict);
    const back = exportPyTorch(net);
    assert.deepEqual(Object.keys(back), Object.keys(v.stateDict), 'the state_dict order');
    for (const [name, t] of Object.entries(v.stateDict)) {
      assert.deepEqual(back[name]!.shape, t.shape, `${name} shape`);
      if (!name.includes('bias')) assert.deepEqual(back[name]!.values, t.values, `${name} values`);
    }
    const a = torchNetwork(v.config, 3);
    const rng = new Rng(5);
    for (let i = 0; i < a.params.size; i++) a.params.data[i] = rng.uniform(-0.8, 0.8);
    const b = torchNetwork(v.config, 4);
    importPyTorch(b, JSON.parse(JSON.stringify(exportPyTorch(a))) as TorchStateDict);
    assert.deepEqual(Array.from(b.params.data), Array.from(a.params.data));
  });
}

test('PyTorch: a bidirectional dictionary into a one-way network says what to do', () => {
  const v = loadVectors()[0]!;
  const oneWay = new Network({ cell: 'rnn', inputSize: 3, hiddenSize: 4, outputSize: 2, dtype: 'float64' });
  assert.throws(() => importPyTorch(oneWay, v.stateDict), (e: unknown) => e instanceof FormatError && /weight_ih_l0_reverse.*build the network with bidirectional: true/.test((e as Error).message));
});

interface Case { cell: CellKind; layers: number; D: number; H: number; K: number; T: number; B: number }

function ourNetwork(c: Case, seed: number): Network {
  return new Network({
    cell: c.cell, inputSize: c.D, hiddenSize: c.H, outputSize: c.K, layers: c.layers, seed, bidirectional: true,
    ...(c.cell === 'gru' ? { variant: 'reset-before' } : {}),
  });
}

/** `layers` Bidirectional(recurrent layer) wrappers returning every step, then Dense on each step; biases random. */
function tfModel(c: Case, seed: number): tf.Sequential {
  const model = tf.sequential();
  for (let l = 0; l < c.layers; l++) {
    const common = {
      units: c.H, returnSequences: true,
      biasInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed + l }),
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 10 + l }),
      recurrentInitializer: tf.initializers.orthogonal({ seed: seed + 20 + l }),
    };
    const layer = c.cell === 'rnn' ? tf.layers.simpleRNN({ ...common, activation: 'tanh' })
      : c.cell === 'lstm' ? tf.layers.lstm({ ...common, recurrentActivation: 'sigmoid', unitForgetBias: false })
        : tf.layers.gru({ ...common, recurrentActivation: 'sigmoid' });
    model.add(tf.layers.bidirectional({ layer: layer as tf.RNN, mergeMode: 'concat', ...(l === 0 ? { inputShape: [c.T, c.D] } : {}) }));
  }
  model.add(tf.layers.dense({ units: c.K, biasInitializer: tf.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: seed + 30 }) }));
  return model;
}

function assertSameOutputs(c: Case, net: Network, model: tf.Sequential, seed: number, what: string): void {
  const { T, B, D, K } = c;
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: T * B * D }, () => rng.uniform(-1, 1));
  const ours = net.forward({ T, B, x: { kind: 'dense', data: x }, y: { kind: 'dense', data: new Float32Array(T * B * K) } });
  const xb = new Float32Array(B * T * D);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let d = 0; d < D; d++) xb[(b * T + t) * D + d] = x[(t * B + b) * D + d]!;
  const y = tf.tidy(() => (model.predict(tf.tensor3d(xb, [B, T, D])) as tf.Tensor).dataSync());
  const theirs = new Float32Array(T * B * K);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) theirs[(t * B + b) * K + k] = y[(b * T + t) * K + k]!;
  assertClose(ours, theirs, 1e-5, what);
  assert.ok(Math.max(...Array.from(theirs, Math.abs)) > 1e-2, `${what}: outputs are too small to compare`);
}

for (const c of [
  { cell: 'rnn', layers: 1, D: 3, H: 4, K: 2, T: 5, B: 2 },
  { cell: 'lstm', layers: 2, D: 3, H: 3, K: 2, T: 5, B: 3 },
  { cell: 'gru', layers: 2, D: 3, H: 3, K: 2, T: 6, B: 2 },
] as const) {
  test(`TF.js Bidirectional(${c.cell}) ×${c.layers}: our weights in TF.js, and TF.js weights in ours, give the same outputs`, () => {
    const net = ourNetwork(c, 1);
    const rng = new Rng(2);
    for (let i = 0; i < net.params.size; i++) net.params.data[i] = rng.uniform(-0.8, 0.8);
    const model = tfModel(c, 3);
    model.setWeights(exportKeras(net).map((w) => tf.tensor(w.values, w.shape)));
    assertSameOutputs(c, net, model, 4, `${c.cell}: our weights in TF.js`);
    model.dispose();

    const theirs = tfModel(c, 5);
    const weights = theirs.weights.map((w) => ({ name: w.name, shape: w.shape, values: w.read().dataSync() }));
    const back = ourNetwork(c, 6);
    importKeras(back, weights);
    assertSameOutputs(c, back, theirs, 7, `${c.cell}: TF.js weights in ours`);
    exportKeras(back).forEach((w, i) => assert.deepEqual(w.values, Array.from(weights[i]!.values), `${w.name} values`));
    theirs.dispose();
  });
}

test('kerasLayerWeights groups each Bidirectional layer\'s forward and backward weights together', () => {
  const net = ourNetwork({ cell: 'lstm', layers: 2, D: 3, H: 4, K: 2, T: 1, B: 1 }, 1);
  const groups = kerasLayerWeights(exportKeras(net));
  assert.deepEqual(groups.map((g) => g.map((w) => w.name)), [
    ['layer0/forward/kernel', 'layer0/forward/recurrent_kernel', 'layer0/forward/bias', 'layer0/backward/kernel', 'layer0/backward/recurrent_kernel', 'layer0/backward/bias'],
    ['layer1/forward/kernel', 'layer1/forward/recurrent_kernel', 'layer1/forward/bias', 'layer1/backward/kernel', 'layer1/backward/recurrent_kernel', 'layer1/backward/bias'],
    ['dense/kernel', 'dense/bias'],
  ]);
  assert.deepEqual(groups[1]!.map((w) => w.shape), [[8, 16], [4, 16], [16], [8, 16], [4, 16], [16]]);
  assert.deepEqual(groups[2]!.map((w) => w.shape), [[8, 2], [2]]);
});
