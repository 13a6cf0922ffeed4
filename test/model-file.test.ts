/**
 * The one model file (src/io/model-file.ts) for every kind, and the task
 * helpers that train through fit: build → encode → decode gives the same
 * predictions; an interrupted and resumed training equals an uninterrupted
 * one bit for bit; two threads equal one to 1e−6 (float64); forecasts past
 * the end of a series carry nested split-conformal intervals and continued
 * dates.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FormatError, OptionError, ShapeError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import { Network } from '../src/model/network.js';
import { decodeModel, encodeModel, readModelKind } from '../src/io/model-file.js';
import { encodeCheckpoint } from '../src/io/checkpoint.js';
import { buildTokenizer } from '../src/text/tokenizer.js';
import { nextSymbols } from '../src/text/next-symbol.js';
import { Forecaster, forecasterSetup, trainForecaster } from '../src/tasks/forecast.js';
import { classifierSetup, trainClassifier, type LabelledSequence } from '../src/tasks/classify.js';
import { splitByTime } from '../src/tasks/splits.js';
import { conformalQuantile } from '../src/tasks/conformal.js';
import { continueTimes, timeAxisOf } from '../src/tasks/time-axis.js';
import { fitScaler, scale } from '../src/tasks/scaling.js';
import { windowOrigins } from '../src/tasks/windows.js';
import { loadUsBirths } from '../src/node/stdlib-data.js';
import { createDataParallel } from '../src/node/parallel.js';
import type { FitResult } from '../src/train/fit-types.js';

const births = loadUsBirths();

/** The last 300 days of the births (float64 work happens on this slice). */
function birthsSlice(): { series: Float64Array; dates: string[] } {
  const tail = births.slice(births.length - 300);
  return { series: Float64Array.from(tail, (r) => r.births), dates: tail.map(dateOf) };
}

function dateOf(r: (typeof births)[number]): string {
  const row = r as unknown as Record<string, unknown>;
  if (typeof row['date'] === 'string') return row['date'];
  return `${String(row['year'])}-${String(row['month']).padStart(2, '0')}-${String(row['date_of_month']).padStart(2, '0')}`;
}

const FORECAST = { cell: 'gru' as const, hiddenSize: 6, window: 14, horizon: 7, dtype: 'float64' as const, seed: 3, batchSize: 16, period: 7, column: 'births' };

/** Noisy names → two classes by their last letter (a: 0, else 1), as symbol ids over a–e. */
function toyItems(n: number, seed: number): { items: LabelledSequence[]; texts: string[] } {
  const rng = new Rng(seed);
  const texts = Array.from({ length: n }, () => Array.from({ length: 2 + rng.int(5) }, () => 'abcde'[rng.int(5)]!).join(''));
  return { texts, items: texts.map((t) => ({ input: Array.from(t, (ch) => 'abcde'.indexOf(ch)), label: t.endsWith('a') ? 0 : 1 })) };
}

const INFO = { classNames: ['ends-a', 'other'], input: { kind: 'symbols' as const, symbols: ['a', 'b', 'c', 'd', 'e'] } };

test('time axis: the births end on 2014-12-31, so a forecast starts on 2015-01-01; numeric steps continue by their step', () => {
  const { dates } = birthsSlice();
  assert.equal(dates.at(-1), '2014-12-31');
  const axis = timeAxisOf(dates);
  assert.deepEqual(axis, { kind: 'date', last: '2014-12-31', stepDays: 1 });
  assert.deepEqual(continueTimes(axis, 3), ['2015-01-01', '2015-01-02', '2015-01-03']);
  assert.deepEqual(continueTimes(timeAxisOf([2000, 2005, 2010]), 2), [2015, 2020]);
  assert.deepEqual(continueTimes(timeAxisOf(['2024-02-27', '2024-02-28']), 2), ['2024-02-29', '2024-03-01']);
  assert.throws(() => timeAxisOf(['2024-01-01', 'x', '2024-01-03']), (e: unknown) => e instanceof ShapeError && /time value 1 \("x"\) is not a date/.test(e.message));
});

test('split conformal: q is the ⌈(n+1)(1−α)⌉-th smallest held-out error; the 95 % band contains the 80 % band', () => {
  const errors = Array.from({ length: 19 }, (_, i) => 19 - i); // 19 … 1, any order
  assert.equal(conformalQuantile(errors, 0.8), 16); // ⌈20·0.8⌉ = 16
  assert.equal(conformalQuantile(errors, 0.95), 19); // ⌈20·0.95⌉ = 19
  assert.equal(conformalQuantile([1, 2, 3], 0.95), Infinity, 'too few errors for 95 %');
  // a forecaster whose held-out errors at step 1 are 1..19 and at step 2 are 10·(1..19)
  const net = new Network({ inputSize: 1, hiddenSize: 2, outputSize: 2, dtype: 'float64', seed: 1 });
  const f = new Forecaster(net, { kind: 'zscore', shift: 10, scale: 2 }, 3, 2, 'direct', {
    calibration: [Array.from({ length: 19 }, (_, i) => i + 1), Array.from({ length: 19 }, (_, i) => 10 * (i + 1))],
  });
  const series = [9, 11, 10, 12, 8];
  const rows = f.forecast(series);
  const point = f.predict(series, [5])[0]!;
  assert.deepEqual(rows.map((r) => r.step), [1, 2]);
  assert.deepEqual(rows.map((r) => r.time), [5, 6]);
  rows.forEach((r, h) => {
    assert.equal(r.value, point[h]);
    const q80 = h === 0 ? 16 : 160;
    const q95 = h === 0 ? 19 : 190;
    assert.deepEqual([r.lower80, r.upper80, r.lower95, r.upper95], [r.value - q80, r.value + q80, r.value - q95, r.value + q95]);
    assert.ok(r.lower95 <= r.lower80 && r.lower80 <= r.value && r.value <= r.upper80 && r.upper80 <= r.upper95, 'nested');
  });
  assert.throws(() => f.forecast(series, { horizon: 3 }), (e: unknown) => e instanceof OptionError && /horizon 3 is beyond the 2 steps/.test(e.message));
  assert.throws(() => f.forecast([1, 2]), (e: unknown) => e instanceof ShapeError && /reads the last 3/.test(e.message));
});

test('forecaster: trained through fit, calibrated on the validation part from its own held-out errors; forecasts 2015-01-01 on', async () => {
  const { series, dates } = birthsSlice();
  const split = splitByTime(series.length, 0.2, 0.1, 7);
  const { forecaster, result } = await trainForecaster(series, split, { ...FORECAST, time: timeAxisOf(dates), fit: { epochs: 2 } });
  assert.equal(result.stopReason, 'epochs');
  assert.equal(result.restoredBest, true);
  // the calibration errors are |y − ŷ| of the validation origins, step by step
  const origins = windowOrigins(0, split.validation[1], 14, 7, 1, split.validation[0]);
  const preds = forecaster.predict(series, origins);
  const cal = forecaster.details.calibration!;
  assert.equal(cal.length, 7);
  origins.forEach((o, b) => { for (let h = 0; h < 7; h++) assert.equal(cal[h]![b], Math.abs(series[o + h]! - preds[b]![h]!)); });
  const rows = forecaster.forecast(series, { time: forecaster.details.time! });
  assert.equal(rows.length, 7);
  assert.equal(rows[0]!.time, '2015-01-01');
  assert.equal(rows[6]!.time, '2015-01-07');
  for (const r of rows) assert.ok(r.lower95 <= r.lower80 && r.lower80 < r.value && r.value < r.upper80 && r.upper80 <= r.upper95 && Number.isFinite(r.upper95));
});

test('forecaster guard rails: a horizon longer than the validation part, values ≥ 1e154', async () => {
  const { series } = birthsSlice();
  const split = splitByTime(series.length, 0.02, 0.1, 7); // 6 validation steps < horizon 7
  assert.throws(() => forecasterSetup(series, split, FORECAST), (e: unknown) => e instanceof OptionError && /validation part has 6 steps, fewer than the horizon 7/.test(e.message));
  const huge = Float64Array.from(series, (v, i) => (i === 10 ? 3e154 : v * 1e150));
  const sc = fitScaler('zscore', huge);
  assert.ok(Number.isFinite(sc.shift) && Number.isFinite(sc.scale) && sc.scale > 0);
  assert.ok(scale(sc, huge).every(Number.isFinite));
  const { forecaster } = await trainForecaster(huge, splitByTime(huge.length, 0.2, 0.1, 7), { ...FORECAST, fit: { epochs: 1 } });
  assert.ok(forecaster.forecast(huge).every((r) => Number.isFinite(r.value) && Number.isFinite(r.upper95)));
  assert.throws(() => fitScaler('minmax', [-1.5e308, 1.5e308]), (e: unknown) => e instanceof ShapeError && /range too large to scale/.test(e.message));
});

/** Trains to the end, or aborts after `stopAt` updates; returns the result. */
async function runSetup(setup: { run(o: object): Promise<{ result: FitResult }> }, options: object, stopAt?: number): Promise<FitResult> {
  const ac = new AbortController();
  const { result } = await setup.run({ ...options, ...(stopAt ? { signal: ac.signal, onStep: (s: { step: number }) => { if (s.step === stopAt) ac.abort(); } } : {}) });
  return result;
}

test('forecaster: encode → decode predicts the same; an interrupted, saved, loaded and resumed training equals an uninterrupted one bit for bit', async () => {
  const { series, dates } = birthsSlice();
  const split = splitByTime(series.length, 0.2, 0.1, 7);
  const options = { ...FORECAST, time: timeAxisOf(dates) };
  const straight = forecasterSetup(series, split, options);
  const a = await runSetup(straight, { epochs: 3 });
  // interrupted mid-epoch 1, saved with its state, loaded, resumed
  const first = forecasterSetup(series, split, options);
  const b1 = await runSetup(first, { epochs: 3 }, 19);
  assert.equal(b1.stopReason, 'aborted');
  assert.ok(19 % first.train.batchesPerEpoch !== 0, 'the cut should fall inside an epoch');
  const saved = decodeModel(encodeModel({ kind: 'forecaster', forecaster: first.forecaster }, { state: b1.state }), { what: 'births.rnn' });
  assert.equal(saved.model.kind, 'forecaster');
  if (saved.model.kind !== 'forecaster') return;
  assert.ok(saved.state?.best, 'the best validation so far travels in the file');
  const resumed = forecasterSetup(series, split, { ...options, model: saved.model.forecaster });
  const b2 = await runSetup(resumed, { epochs: 3, resume: saved.state });
  assert.equal(b2.step, a.step);
  assert.deepEqual(resumed.net.params.data, straight.net.params.data);
  assert.deepEqual(b2.history.validations.map((v) => v.loss), a.history.validations.filter((v) => v.step > 19).map((v) => v.loss));
  // the finished model through the file: same forecasts, same intervals, same details
  const file = decodeModel(encodeModel({ kind: 'forecaster', forecaster: straight.forecaster }));
  assert.equal(readModelKind(encodeModel({ kind: 'forecaster', forecaster: straight.forecaster })), 'forecaster');
  if (file.model.kind !== 'forecaster') return;
  assert.deepEqual(file.model.forecaster.details, straight.forecaster.details);
  assert.deepEqual(file.model.forecaster.forecast(series, { time: options.time }), straight.forecaster.forecast(series, { time: options.time }));
  assert.deepEqual(resumed.forecaster.forecast(series), straight.forecaster.forecast(series));
});

test('classifier: encode → decode gives the same probabilities, by class name, one at a time or in a batch; resume is bit for bit', async () => {
  const { items, texts } = toyItems(60, 5);
  const train = items.slice(0, 44);
  const validation = items.slice(44);
  for (const pooling of ['last', 'mean'] as const) {
    const options = { classes: 2, inputKind: 'symbols' as const, vocabSize: 5, cell: 'lstm' as const, hiddenSize: 5, dtype: 'float64' as const, seed: 2, batchSize: 8, pooling, info: INFO, classWeights: [2, 0.7] };
    const straight = classifierSetup(train, validation, options);
    const a = await runSetup(straight, { epochs: 4, learningRate: 0.02 });
    const first = classifierSetup(train, validation, options);
    const b1 = await runSetup(first, { epochs: 4, learningRate: 0.02 }, 9);
    const saved = decodeModel(encodeModel({ kind: 'classifier', classifier: first.classifier }, { state: b1.state }));
    if (saved.model.kind !== 'classifier') throw new Error('kind');
    const resumed = classifierSetup(train, validation, { ...options, model: saved.model.classifier });
    const b2 = await runSetup(resumed, { epochs: 4, learningRate: 0.02, resume: saved.state });
    assert.equal(b2.step, a.step, pooling);
    assert.deepEqual(resumed.classifier.net.params.data, straight.classifier.net.params.data, `${pooling}: resumed parameters differ`);
    const file = decodeModel(encodeModel({ kind: 'classifier', classifier: straight.classifier }));
    if (file.model.kind !== 'classifier') throw new Error('kind');
    const probe = ['ba', 'abc', 'eeeea', 'zz a'];
    const batch = file.model.classifier.predictProbabilities(probe);
    assert.deepEqual(batch, straight.classifier.predictProbabilities(probe));
    assert.deepEqual(probe.map((t) => file.model.kind === 'classifier' && file.model.classifier.predictProbabilities([t])[0]), batch, 'one at a time');
    assert.deepEqual(Object.keys(batch[0]!), ['ends-a', 'other']);
    for (const p of batch) assert.ok(Math.abs(p['ends-a']! + p['other']! - 1) < 1e-12);
    assert.ok(texts.length > 0);
  }
  assert.throws(() => classifierSetup(items.slice(0, 1), [], { classes: 2, inputKind: 'symbols', vocabSize: 5 }), (e: unknown) => e instanceof OptionError && /at least 2 training items, got 1/.test(e.message));
});

test('feature classifier and text model: encode → decode predicts the same', async () => {
  const rng = new Rng(9);
  const items = Array.from({ length: 30 }, (_, i) => ({ input: Array.from({ length: 3 + (i % 3) }, () => [rng.uniform(-1, 1) * 100, rng.uniform(0, 1)]), label: i % 3 }));
  const { classifier } = await trainClassifier(items, [], {
    classes: 3, inputKind: 'features', featureSize: 2, hiddenSize: 4, seed: 1, batchSize: 10,
    info: { classNames: ['x', 'y', 'z'], input: { kind: 'features', names: ['speed', 'load'] } }, fit: { epochs: 2 },
  });
  const file = decodeModel(encodeModel({ kind: 'classifier', classifier }));
  if (file.model.kind !== 'classifier') throw new Error('kind');
  const probe = items.slice(0, 5).map((it) => it.input);
  assert.deepEqual(file.model.classifier.predictProbabilities(probe), classifier.predictProbabilities(probe));
  assert.deepEqual(file.model.classifier.featureStats, classifier.featureStats);
  assert.throws(() => classifier.predictProbabilities([[[1, 2, 3]]]), /step 0 has 3 features, expected 2 \(speed, load\)/);
  // text
  const tokenizer = buildTokenizer('the cat sat on the mat', { kind: 'char' });
  const net = new Network({ inputSize: tokenizer.vocabSize, hiddenSize: 4, outputSize: tokenizer.vocabSize, loss: 'cross-entropy', seed: 2 });
  const text = decodeModel(encodeModel({ kind: 'text', net, tokenizer }));
  if (text.model.kind !== 'text') throw new Error('kind');
  assert.deepEqual(text.model.tokenizer.symbols, tokenizer.symbols);
  const ids = tokenizer.encode('the');
  const batch = { T: 3, B: 1, x: { kind: 'index' as const, data: ids }, y: { kind: 'index' as const, data: Int32Array.of(-1, -1, -1) } };
  assert.deepEqual(text.model.net.forward(batch), net.forward(batch));
  // predict for a text model: the next-symbol distribution after a prime
  const all = nextSymbols(text.model.net, text.model.tokenizer, 'the', 100);
  assert.equal(all.length, tokenizer.vocabSize);
  const yhat = net.forward(batch);
  const K = tokenizer.vocabSize;
  for (const s of all) assert.equal(s.probability, yhat[2 * K + tokenizer.indexOf(s.symbol)]);
  assert.ok(all.every((s, i) => i === 0 || all[i - 1]!.probability >= s.probability), 'most probable first');
  assert.ok(Math.abs(all.reduce((sum, s) => sum + s.probability, 0) - 1) < 1e-6);
  assert.deepEqual(nextSymbols(net, tokenizer, 'the', 3), all.slice(0, 3));
  assert.throws(() => nextSymbols(net, tokenizer, ''), /the prime is empty/);
  // a checkpoint without a kind, and a text file, are refused in one line naming the file
  const plain = encodeCheckpoint({ networks: { model: net } });
  assert.throws(() => decodeModel(plain, { what: 'x.rnn' }), (e: unknown) => e instanceof FormatError && /^x\.rnn: holds no model kind/.test(e.message));
  assert.throws(() => decodeModel(new TextEncoder().encode('hello\n'), { what: 'notes.txt' }), (e: unknown) => e instanceof FormatError && /^notes\.txt: /.test(e.message));
});

test('two threads equal one to 1e-6 (float64) for a forecaster and a classifier', async () => {
  const { series } = birthsSlice();
  const split = splitByTime(series.length, 0.2, 0.1, 7);
  const one = forecasterSetup(series, split, { ...FORECAST, batchSize: 32 });
  await one.run({ epochs: 2 });
  const two = forecasterSetup(series, split, { ...FORECAST, batchSize: 32 });
  const parallel = await createDataParallel(two.net, { threads: 2, minSequences: 8 });
  try {
    await two.run({ epochs: 2, parallel });
  } finally {
    parallel.dispose();
  }
  const diff = Math.max(...Array.from(one.net.params.data, (v, k) => Math.abs(v - two.net.params.data[k]!)));
  assert.ok(diff <= 1e-6, `forecaster: max |Δθ| = ${diff}`);
  assert.ok(one.net.params.data.some((v, k) => v !== regressionStart(k)), 'trained');

  const { items } = toyItems(80, 6);
  const options = { classes: 2, inputKind: 'symbols' as const, vocabSize: 5, cell: 'gru' as const, hiddenSize: 5, dtype: 'float64' as const, seed: 4, batchSize: 32, info: INFO, classWeights: [1.5, 0.8] };
  const c1 = classifierSetup(items.slice(0, 64), items.slice(64), options);
  await c1.run({ epochs: 3 });
  const c2 = classifierSetup(items.slice(0, 64), items.slice(64), options);
  const p2 = await createDataParallel(c2.net!, { threads: 2, minSequences: 8 });
  try {
    await c2.run({ epochs: 3, parallel: p2 });
  } finally {
    p2.dispose();
  }
  const d2 = Math.max(...Array.from(c1.classifier.net.params.data, (v, k) => Math.abs(v - c2.classifier.net.params.data[k]!)));
  assert.ok(d2 <= 1e-6, `classifier: max |Δθ| = ${d2}`);
});

function regressionStart(k: number): number {
  return new Network({ cell: 'gru', inputSize: 1, hiddenSize: 6, outputSize: 7, dtype: 'float64', seed: 3 }).params.data[k]!;
}

test('encoder–decoder: trained by fit with the best validation kept, interrupted, saved, loaded and resumed equals an uninterrupted run', async () => {
  const { Seq2Seq } = await import('../src/seq2seq/model.js');
  const { PairBatches } = await import('../src/data/pairs.js');
  const { SymbolTable } = await import('../src/tasks/symbols.js');
  const { fit } = await import('../src/train/fit.js');
  const rng = new Rng(12);
  const pairs = Array.from({ length: 40 }, () => {
    const source = Array.from({ length: 1 + rng.int(4) }, () => rng.int(4));
    return { source, target: [...source].reverse() };
  });
  const make = () => new Seq2Seq({ cell: 'lstm', sourceVocabSize: 4, targetVocabSize: 4, hiddenSize: 5, dtype: 'float64', seed: 5 });
  const source = new SymbolTable(['a', 'b', 'c', 'd']);
  const target = new SymbolTable(['A', 'B', 'C', 'D']);
  const run = async (model: InstanceType<typeof Seq2Seq>, extra: object) => fit(model, new PairBatches(model, pairs.slice(0, 32), { batchSize: 8, bucketBatches: 2 }), {
    epochs: 4, learningRate: 0.05, restoreBest: true, validation: new PairBatches(model, pairs.slice(32), { batchSize: 8, shuffle: false }), ...extra,
  });
  const a = make();
  const ra = await run(a, {});
  assert.equal(ra.restoredBest, true);
  const b = make();
  const ac = new AbortController();
  const rb = await run(b, { signal: ac.signal, onStep: (s: { step: number }) => { if (s.step === 6) ac.abort(); } });
  assert.equal(rb.stopReason, 'aborted');
  const bytes = encodeModel({ kind: 'seq2seq', model: b, source, target, maxSourceLength: 4, maxTargetLength: 4 }, { state: rb.state });
  const file = decodeModel(bytes);
  if (file.model.kind !== 'seq2seq') throw new Error('kind');
  assert.equal(file.state?.best?.params.length, 2);
  await run(file.model.model, { resume: file.state });
  for (const [i, p] of a.paramSets.entries()) assert.deepEqual(file.model.model.paramSets[i]!.data, p.data, `parameter set ${i}`);
});

test('a finished run (best validation restored) continued to a later limit equals one trained there straight', async () => {
  // random labels: the validation loss is best after the first epoch, then rises
  const rng = new Rng(5);
  const items = Array.from({ length: 60 }, () => ({ input: Array.from({ length: 2 + rng.int(5) }, () => rng.int(5)), label: rng.int(2) }));
  const options = { classes: 2, inputKind: 'symbols' as const, vocabSize: 5, cell: 'lstm' as const, hiddenSize: 5, dtype: 'float64' as const, seed: 2, batchSize: 8, info: INFO };
  const fitOptions = { learningRate: 0.1, divergence: undefined };
  const straight = classifierSetup(items.slice(0, 44), items.slice(44), options);
  const a = await runSetup(straight, { epochs: 6, ...fitOptions });
  const first = classifierSetup(items.slice(0, 44), items.slice(44), options);
  const b1 = await runSetup(first, { epochs: 3, ...fitOptions });
  assert.equal(b1.stopReason, 'epochs');
  assert.equal(b1.restoredBest, true);
  assert.ok(b1.state.params, 'the state keeps where training stopped');
  assert.notDeepEqual(b1.state.params[0], first.classifier.net.params.data, 'the best validation should not be the last one here');
  const saved = decodeModel(encodeModel({ kind: 'classifier', classifier: first.classifier }, { state: b1.state }));
  if (saved.model.kind !== 'classifier') throw new Error('kind');
  assert.deepEqual(saved.model.classifier.net.params.data, first.classifier.net.params.data, 'the file holds the best parameters as the model');
  assert.deepEqual(saved.state!.params![0], b1.state.params[0]);
  const resumed = classifierSetup(items.slice(0, 44), items.slice(44), { ...options, model: saved.model.classifier });
  const b2 = await runSetup(resumed, { epochs: 6, ...fitOptions, resume: saved.state });
  assert.equal(b2.step, a.step);
  // where training stopped (the model itself holds the best validation's parameters in both)
  assert.deepEqual(b2.state.params, a.state.params);
  assert.deepEqual(b2.history.validations.map((v) => v.loss), a.history.validations.slice(3).map((v) => v.loss));
  assert.deepEqual(resumed.classifier.net.params.data, straight.classifier.net.params.data);
});
