/**
 * Issue 17: the LSTM's start. The forget-gate bias option and its default,
 * the cell-state statistics `inspect` reports, validation read as one
 * stream, and the guard of the fix: trained as a stream, the default LSTM's
 * cell state stays small where the old forget bias of 1 lets it run away.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionError } from '../src/core/errors.js';
import { DEFAULT_FORGET_BIAS } from '../src/cells/lstm.js';
import { SATURATION, stateStats } from '../src/cells/inspect.js';
import { decodeCheckpoint, encodeCheckpoint } from '../src/io/checkpoint.js';
import { useKernels } from '../src/kernels/select.js';
import { Network } from '../src/model/network.js';
import { mobyDickText } from '../src/node/datasets.js';
import { evaluateText, textBatches, validationBatches } from '../src/text/batches.js';
import { prepareCorpus } from '../src/text/corpus.js';
import { evaluate, StateCarry } from '../src/train/evaluate.js';
import { fit } from '../src/train/fit.js';

test('forgetBias: default 0, any value on request, kept in the model file, refused for cells without a forget gate', () => {
  assert.equal(DEFAULT_FORGET_BIAS, 0);
  const base = { cell: 'lstm' as const, inputSize: 2, hiddenSize: 3, outputSize: 2, dtype: 'float64' as const };
  const net = new Network(base);
  assert.equal(net.config.forgetBias, 0);
  assert.deepEqual(Array.from(net.params.view('layer0.b')), new Array(12).fill(0));
  const one = new Network({ ...base, forgetBias: 1, layers: 2 });
  for (const l of [0, 1]) assert.deepEqual(Array.from(one.params.view(`layer${l}.b`)), [1, 1, 1, ...new Array(9).fill(0)]);
  // the weights do not depend on the bias chosen (the same draws from the same seed)
  assert.deepEqual(Array.from(one.params.view('layer0.W')), Array.from(new Network({ ...base, layers: 2 }).params.view('layer0.W')));
  const back = decodeCheckpoint(encodeCheckpoint({ networks: { model: one } })).networks.model!;
  assert.equal(back.config.forgetBias, 1);
  assert.deepEqual(Array.from(back.params.data), Array.from(one.params.data));
  assert.throws(() => new Network({ ...base, cell: 'gru', forgetBias: 1 }), (e: unknown) => e instanceof OptionError && /forgetBias/.test(e.message));
  assert.throws(() => new Network({ ...base, forgetBias: Number.NaN }), OptionError);
  assert.equal(new Network({ ...base, cell: 'rnn' }).config.forgetBias, undefined);
});

test('stateStats: mean and max |value|, and the share beyond the saturation of tanh', () => {
  const limit = Math.atanh(SATURATION); // ≈ 2.647
  const c = Float64Array.from([0, -3, 1, limit + 1e-9, -0.5, 2.6]);
  const s = stateStats(c, 'c');
  assert.equal(s.of, 'c');
  assert.ok(Math.abs(s.meanAbs - (0 + 3 + 1 + (limit + 1e-9) + 0.5 + 2.6) / 6) < 1e-12);
  assert.equal(s.maxAbs, 3);
  assert.equal(s.saturated, 2 / 6); // −3 and just past atanh 0.99; 2.6 is not
  const h = stateStats(Float32Array.from([0.995, -0.2, -0.991, 0.98]), 'h');
  assert.equal(h.saturated, 0.5);
  assert.equal(stateStats(new Float64Array(0), 'h').meanAbs, 0);
});

test('inspect reports each layer\'s state statistics: C for the LSTM (hand-computed), h for the other cells', () => {
  // D = H = 1, W = [x-row; h-row] per gate [f | i | o | C], all weights 0 but W_C's input row (2) and b: C̃ = tanh(2x), f = i = o = σ(0) = ½
  const net = new Network({ cell: 'lstm', inputSize: 1, hiddenSize: 1, outputSize: 1, dtype: 'float64' });
  net.params.data.fill(0);
  net.params.view('layer0.W').set([0, 0, 0, 2, 0, 0, 0, 0]);
  net.forward({ T: 3, B: 1, x: { kind: 'dense', data: Float64Array.from([1, 1, -1]) }, y: { kind: 'dense', data: new Float64Array(3) } });
  const c1 = 0.5 * Math.tanh(2);
  const c2 = 0.5 * c1 + 0.5 * Math.tanh(2);
  const c3 = 0.5 * c2 - 0.5 * Math.tanh(2);
  const [trace] = net.inspect(3, 1);
  assert.equal(trace!.stats.of, 'c');
  assert.ok(Math.abs(trace!.stats.meanAbs - (Math.abs(c1) + Math.abs(c2) + Math.abs(c3)) / 3) < 1e-12);
  assert.ok(Math.abs(trace!.stats.maxAbs - c2) < 1e-12);
  assert.equal(trace!.stats.saturated, 0);
  for (const cell of ['rnn', 'gru'] as const) {
    const other = new Network({ cell, inputSize: 2, hiddenSize: 3, outputSize: 2, layers: 2, dtype: 'float64' });
    other.forward({ T: 2, B: 1, x: { kind: 'dense', data: Float64Array.from([1, 0, 0, 1]) }, y: { kind: 'dense', data: new Float64Array(4) } });
    const traces = other.inspect(2, 1);
    assert.equal(traces.length, 2);
    for (const t of traces) assert.deepEqual(t.stats, stateStats(t.values.h!, 'h'));
  }
});

test('validation reads the held-out text as one stream: equal to one forward pass over all of it, whatever the window', () => {
  const text = 'it was the best of times, it was the worst of times; ';
  const corpus = prepareCorpus(text.repeat(6), { valFraction: 0.5 });
  const V = corpus.tokenizer.vocabSize;
  const net = new Network({ cell: 'lstm', inputSize: V, hiddenSize: 5, outputSize: V, loss: 'cross-entropy', dtype: 'float64', seed: 4 });
  const val = corpus.val;
  const n = val.length - 1;
  const whole = net.loss({ T: n, B: 1, x: { kind: 'index', data: val.subarray(0, n) }, y: { kind: 'index', data: val.subarray(1) } });
  const expected = whole.loss / n;
  for (const seqLen of [1, 7, 32, 1000]) {
    assert.ok(Math.abs(evaluateText(net, val, { seqLen }) - expected) < 1e-12, `seqLen ${seqLen}`);
  }
  // a training window shape passes as is; its batchSize does not split the stream
  assert.ok(Math.abs(evaluateText(net, val, { seqLen: 8, batchSize: 16 }) - expected) < 1e-12);
  const source = validationBatches(val, V);
  assert.equal(source.B, 1);
  assert.ok(Math.abs(evaluate(net, source).loss - expected) < 1e-12);
  // 16 cold streams read the same symbols differently (the reason for one stream)
  const cold = evaluate(net, textBatches(val, V, { seqLen: 8, batchSize: 16 }), new StateCarry(net, 16)).loss;
  assert.ok(Math.abs(cold - expected) > 1e-6, `16 streams ${cold} vs one ${expected}`);
});

test('trained as a stream, the default LSTM keeps its cell state small; forget bias 1 lets it run away', async () => {
  // 300 updates (windows 16 × 8 streams, the state carried, Adam 0.004) on 27,000 characters of the
  // novel, then C over 2,000 held-out characters read as one stream. Measured (float32, seeds 1–3):
  // mean |C| 2.54, 3.91, 3.93 with the default start; 6.22, 6.50, 6.55 with forgetBias 1
  // (saturated share 0.42–0.77 against 0.88–0.90). The bound sits between the two.
  const BOUND = 5;
  useKernels('auto');
  const corpus = prepareCorpus(mobyDickText().slice(0, 30000), { valFraction: 0.1 });
  const V = corpus.tokenizer.vocabSize;
  const n = 2000;
  const run = async (forgetBias?: number) => {
    const net = new Network({ cell: 'lstm', inputSize: V, hiddenSize: 32, outputSize: V, loss: 'cross-entropy', seed: 1, ...(forgetBias !== undefined ? { forgetBias } : {}) });
    const r = await fit(net, textBatches(corpus.train, V, { seqLen: 16, batchSize: 8 }), {
      optimizer: { kind: 'adam' }, learningRate: 0.004, clipNorm: 5 * 16, maxSteps: 300,
    });
    assert.equal(r.step, 300);
    net.forward({ T: n, B: 1, x: { kind: 'index', data: corpus.val.subarray(0, n) }, y: { kind: 'index', data: corpus.val.subarray(1, n + 1) } });
    return net.inspect(n, 1)[0]!.stats;
  };
  const fixed = await run();
  const habit = await run(1);
  assert.ok(fixed.meanAbs < BOUND, `default start: mean |C| ${fixed.meanAbs.toFixed(2)}, expected < ${BOUND}`);
  assert.ok(habit.meanAbs > BOUND, `forgetBias 1: mean |C| ${habit.meanAbs.toFixed(2)}, expected > ${BOUND}`);
  assert.ok(fixed.saturated < habit.saturated, `saturated share ${fixed.saturated} (default) vs ${habit.saturated} (forgetBias 1)`);
});
