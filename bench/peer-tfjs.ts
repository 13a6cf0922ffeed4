/**
 * TensorFlow.js on the benchmark task, as its users write it: a tf.layers
 * model (SimpleRNN or LSTM, returnSequences, a softmax Dense on every step),
 * categorical cross-entropy, Adam, `trainOnBatch` on one-hot batches; for
 * sampling a stateful batch-1 copy stepped with `predict`.
 * Backends: `cpu` (pure JavaScript) and `wasm` (its WebAssembly build, .wasm
 * files loaded from node_modules).
 */

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { Rng } from '../src/core/rng.js';
import { HIDDEN, SEQ, fillWindows, type BenchCell, type BenchMode, type Corpus } from './task.js';

/** Selects a TensorFlow.js backend; returns its name as TF reports it. */
export async function tfBackend(name: 'cpu' | 'wasm'): Promise<string> {
  if (name === 'wasm') {
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    setWasmPaths(join(dist, 'dist') + '/');
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`TensorFlow.js backend "${name}" did not initialise`);
  await tf.ready();
  return tf.getBackend();
}

function recurrentLayer(cell: BenchCell, config: { stateful?: boolean; batchInputShape?: number[]; inputShape?: number[] }) {
  const common = { units: HIDDEN, returnSequences: true, ...config };
  return cell === 'lstm' ? tf.layers.lstm(common) : tf.layers.simpleRNN(common);
}

/** Builds the step function for TensorFlow.js on the current backend. */
export function tfjsStep(corpus: Corpus, cell: BenchCell, mode: BenchMode, B: number): () => Promise<number> {
  const vocab = corpus.chars.length;
  const rng = new Rng(1);
  if (mode === 'sample') {
    const model = tf.sequential();
    model.add(recurrentLayer(cell, { stateful: true, batchInputShape: [1, 1, vocab] }));
    model.add(tf.layers.dense({ units: vocab, activation: 'softmax' }));
    let s = 0;
    const p = new Float64Array(vocab);
    return async () => {
      for (let i = 0; i < 16; i++) {
        const probs = tf.tidy(() => model.predict(tf.oneHot(tf.tensor2d([[s]], [1, 1], 'int32'), vocab).toFloat()) as tf.Tensor);
        const data = probs.dataSync();
        probs.dispose();
        // draw from ŷ (temperature 1)
        let sum = 0;
        for (let k = 0; k < vocab; k++) sum += (p[k] = data[k]!);
        let u = rng.uniform(0, sum);
        s = vocab - 1;
        for (let k = 0; k < vocab; k++) if ((u -= p[k]!) < 0) { s = k; break; }
      }
      return 16;
    };
  }
  const model = tf.sequential();
  model.add(recurrentLayer(cell, { inputShape: [SEQ, vocab] }));
  model.add(tf.layers.dense({ units: vocab, activation: 'softmax' }));
  model.compile({ optimizer: tf.train.adam(2e-3), loss: 'categoricalCrossentropy' });
  const xT = new Int32Array(SEQ * B);
  const yT = new Int32Array(SEQ * B);
  const xb = new Int32Array(SEQ * B);
  const yb = new Int32Array(SEQ * B);
  const next = () => rng.uniform(0, 1);
  return async () => {
    fillWindows(corpus.symbols, SEQ, B, next, xT, yT);
    // batch-first for Keras: [B, T]
    for (let t = 0; t < SEQ; t++) for (let b = 0; b < B; b++) {
      xb[b * SEQ + t] = xT[t * B + b]!;
      yb[b * SEQ + t] = yT[t * B + b]!;
    }
    const xs = tf.tidy(() => tf.oneHot(tf.tensor2d(xb, [B, SEQ], 'int32'), vocab).toFloat());
    const ys = tf.tidy(() => tf.oneHot(tf.tensor2d(yb, [B, SEQ], 'int32'), vocab).toFloat());
    await model.trainOnBatch(xs, ys);
    xs.dispose();
    ys.dispose();
    return SEQ * B;
  };
}
