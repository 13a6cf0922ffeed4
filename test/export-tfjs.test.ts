/**
 * TF.js export (issue 15): the layers model loads with tf.loadLayersModel,
 * maps [B, T, D] to [B, T, K] as forward does (≤ 1e-5); .rnn → TF.js → .rnn
 * is bit-identical; the reset-after GRU, which TF.js cannot express, is
 * refused saying so; and a model built and saved by TF.js itself
 * (`model.save`, written as tfjs-node writes a folder) imports and
 * predicts what TF.js predicts.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { exportTfjs, importTfjs } from '../src/io/tfjs.js';
import { readModelFormat, writeModelFormat } from '../src/node/model-formats.js';
import { batchMajor, BIDIRECTIONAL, denseInput, distinctNet, forwardDense, maxDiff, sameBits, VARIANTS } from './helpers/portable.js';

const TOL = 1e-5;
const EXPRESSIBLE = [...VARIANTS, ...BIDIRECTIONAL].filter((v) => !(v.options.cell === 'gru' && v.options.variant !== 'reset-before'));

function bufferOf(a: Uint8Array): ArrayBuffer {
  return a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength) as ArrayBuffer;
}

for (const v of EXPRESSIBLE) {
  test(`TF.js: ${v.name} loads with tf.loadLayersModel and predicts as forward does (≤ 1e-5); the round trip is bit-identical`, async (t) => {
    const net = distinctNet(v.options);
    const meta = { kind: 'forecaster', scaler: { mean: [1.5], std: [0.25] } };
    const { modelJson, weightData } = exportTfjs({ networks: { model: net }, meta });
    const m = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology as tf.io.ModelJSON['modelTopology'], weightSpecs: modelJson.weightsManifest[0]!.weights as tf.io.WeightsManifestEntry[], weightData: bufferOf(weightData) }));
    const { inputSize: D, outputSize: K } = net.config;
    const T = 5;
    const B = 3;
    const x = denseInput(T, B, D);
    const y = (m.predict(tf.tensor(batchMajor(x, T, B, D), [B, T, D])) as tf.Tensor);
    assert.deepEqual(y.shape, [B, T, K]);
    const ref = batchMajor(forwardDense(net, x, T, B).y, T, B, K);
    assert.ok(maxDiff(y.dataSync(), ref) <= TOL, `differs by ${maxDiff(y.dataSync(), ref)}`);
    t.diagnostic(`largest difference ${maxDiff(y.dataSync(), ref).toExponential(2)}`);
    m.dispose();
    const back = importTfjs(JSON.parse(JSON.stringify(modelJson)), weightData);
    assert.ok(sameBits(back.networks.model!.params.data, net.params.data), 'parameters differ');
    assert.deepEqual(back.networks.model!.config, net.config);
    assert.deepEqual(back.meta, meta);
  });
}

test('TF.js: the reset-after GRU is refused, naming what TF.js lacks and what to use instead', () => {
  const net = distinctNet({ cell: 'gru', inputSize: 2, hiddenSize: 3, outputSize: 2 });
  assert.throws(() => exportTfjs({ networks: { model: net } }), /^FormatError: TF\.js: tf\.layers\.gru is the reset-before GRU only[^\n]*ONNX or safetensors/);
});

test('TF.js: a model built and saved by TF.js (model.save) imports from its folder and predicts what TF.js predicts', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rnnkit-tfjs-'));
  try {
    const m = tf.sequential();
    m.add(tf.layers.lstm({ units: 4, returnSequences: true, recurrentActivation: 'sigmoid', inputShape: [null, 3] }));
    m.add(tf.layers.lstm({ units: 4, returnSequences: true, recurrentActivation: 'sigmoid' }));
    m.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 3, activation: 'softmax' }) }));
    // Non-zero biases, so that a lost bias shows.
    m.setWeights(m.getWeights().map((w, i) => w.add(tf.scalar(0.05 * (i + 1)))));
    await m.save(tf.io.withSaveHandler(async (a) => {
      // What tfjs-node's file:// handler writes: model.json and weights.bin.
      writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] }));
      writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array(a.weightData as ArrayBuffer));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const c = readModelFormat(dir);
    const net = c.networks.model!;
    assert.equal(net.config.cell, 'lstm');
    assert.equal(net.config.layers, 2);
    assert.equal(net.config.outputActivation, 'softmax');
    const T = 4;
    const B = 2;
    const x = denseInput(T, B, 3);
    const want = (m.predict(tf.tensor(batchMajor(x, T, B, 3), [B, T, 3])) as tf.Tensor).dataSync();
    assert.ok(maxDiff(batchMajor(forwardDense(net, x, T, B).y, T, B, 3), want) <= TOL);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TF.js: the folder adapter writes model.json and weights.bin, refuses to replace them without force, and reads them back', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rnnkit-tfjs-'));
  try {
    const net = distinctNet({ cell: 'rnn', inputSize: 2, hiddenSize: 3, outputSize: 2 });
    const out = path.join(dir, 'web-model');
    const files = await writeModelFormat({ networks: { model: net } }, 'tfjs', out);
    assert.deepEqual(files.map((f) => path.basename(f)), ['model.json', 'weights.bin']);
    await assert.rejects(writeModelFormat({ networks: { model: net } }, 'tfjs', out), /already holds a TF\.js model; add --force/);
    await writeModelFormat({ networks: { model: net } }, 'tfjs', out, { force: true });
    assert.ok(sameBits(readModelFormat(path.join(out, 'model.json')).networks.model!.params.data, net.params.data));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TF.js: a bidirectional reset-after GRU is refused like the one-way one', () => {
  const net = distinctNet({ cell: 'gru', inputSize: 2, hiddenSize: 3, outputSize: 2, bidirectional: true });
  assert.throws(() => exportTfjs({ networks: { model: net } }), /^FormatError: TF\.js: tf\.layers\.gru is the reset-before GRU only[^\n]*$/);
});

test('TF.js: a Bidirectional model built and saved by TF.js imports as bidirectional: true and predicts what TF.js predicts', async () => {
  const m = tf.sequential();
  m.add(tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, returnSequences: true, recurrentActivation: 'sigmoid' }) as tf.RNN, mergeMode: 'concat', inputShape: [null, 2] }));
  m.add(tf.layers.bidirectional({ layer: tf.layers.gru({ units: 3, returnSequences: true, recurrentActivation: 'sigmoid' }) as tf.RNN, mergeMode: 'concat' }));
  m.add(tf.layers.dense({ units: 2, activation: 'sigmoid' }));
  m.setWeights(m.getWeights().map((w, i) => w.add(tf.scalar(0.05 * (i + 1)))));
  let saved: tf.io.ModelArtifacts | undefined;
  await m.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const modelJson = { modelTopology: saved!.modelTopology, format: saved!.format, generatedBy: saved!.generatedBy, weightsManifest: [{ paths: ['weights.bin'], weights: saved!.weightSpecs }] };
  const net = importTfjs(JSON.parse(JSON.stringify(modelJson)), new Uint8Array(saved!.weightData as ArrayBuffer)).networks.model!;
  assert.equal(net.config.bidirectional, true);
  assert.equal(net.config.layers, 2);
  assert.equal(net.config.variant, 'reset-before');
  const T = 4;
  const B = 2;
  const x = denseInput(T, B, 2);
  const want = (m.predict(tf.tensor(batchMajor(x, T, B, 2), [B, T, 2])) as tf.Tensor).dataSync();
  assert.ok(maxDiff(batchMajor(forwardDense(net, x, T, B).y, T, B, 2), want) <= TOL);
  m.dispose();
});

test('TF.js: a Bidirectional layer that does not concatenate is refused naming merge_mode', () => {
  const net = distinctNet({ cell: 'lstm', inputSize: 2, hiddenSize: 3, outputSize: 2, bidirectional: true });
  const { modelJson, weightData } = exportTfjs({ networks: { model: net } });
  const json = JSON.parse(JSON.stringify(modelJson));
  json.modelTopology.config.layers[0].config.merge_mode = 'sum';
  assert.throws(() => importTfjs(json, weightData), /^FormatError: TF\.js: layer "layer0" is Bidirectional with merge_mode "sum"[^\n]*$/);
});
