/**
 * src/tasks/forecast.ts on tiny float64 networks, against references built
 * from the network's own forward pass one origin at a time:
 *
 * - `predict`: direct (ŷ(o..o+H−1) at the window's last step, unscaled) and
 *   recursive (each ŷ appended to the window and fed back), origins at both
 *   ends of the series, padding past its end;
 * - `forecast`: the split-conformal intervals from held-out errors set by
 *   hand (the k-th smallest, k = ⌈(n + 1)·level⌉), the continued times, and
 *   every refusal by its exact message;
 * - `forecasterSetup`: each default and option, the origins, the scaler,
 *   the divergence baseline, continuing a forecaster, `run` against `fit`
 *   called directly, and the calibration against `predict`.
 *
 * A few updates of a 2-unit network at most: the file runs in well under a
 * second, for `npm run mutate -- tasks` (docs/testing.md).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionError, ShapeError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import { Network } from '../src/model/network.js';
import { calibrateForecaster, FORECAST_STRATEGIES, Forecaster, forecasterSetup, trainForecaster } from '../src/tasks/forecast.js';
import { fitScaler, scale, type Scaler } from '../src/tasks/scaling.js';
import type { TimeSplit } from '../src/tasks/splits.js';
import { windowBatch, windowOrigins } from '../src/tasks/windows.js';
import { fit } from '../src/train/fit.js';
import { assertClose } from './helpers/approx.js';
import { refuses } from './helpers/refuses.js';

/** A wavy, rising series: s(i) = 10 + 3·sin(0.7·i) + 0.2·i. */
const wave = (n: number): number[] => Array.from({ length: n }, (_, i) => 10 + 3 * Math.sin(0.7 * i) + 0.2 * i);
const S = wave(30);
const SCALER: Scaler = { kind: 'zscore', shift: 12, scale: 2 };
const net = (outputSize: number, seed = 3): Network => new Network({ inputSize: 1, hiddenSize: 3, outputSize, dtype: 'float64', seed });

/** ŷ of one window alone (B = 1): the K outputs at its last step. */
function forwardOne(n: Network, window: readonly number[], K: number): number[] {
  const W = window.length;
  const y = n.forward(windowBatch([...window, ...new Array<number>(K).fill(0)], [W], W, K, 'float64'));
  return Array.from(y.subarray((W - 1) * K, W * K));
}

/** Direct forecasts of origin o, one origin at a time, in the series' units. */
function directReference(n: Network, s: Scaler, series: readonly number[], o: number, W: number, H: number): number[] {
  const z = series.map((v) => (v - s.shift) / s.scale);
  return forwardOne(n, z.slice(o - W, o), H).map((v) => v * s.scale + s.shift);
}

/** Recursive forecasts of origin o: each one-step ŷ appended to the window. */
function recursiveReference(n: Network, s: Scaler, series: readonly number[], o: number, W: number, H: number): number[] {
  const w = series.slice(o - W, o).map((v) => (v - s.shift) / s.scale);
  const out: number[] = [];
  for (let h = 0; h < H; h++) {
    const p = forwardOne(n, w.slice(w.length - W), 1)[0]!;
    w.push(p);
    out.push(p * s.scale + s.shift);
  }
  return out;
}

test('predict, direct: every origin as if alone, at both ends of the series (padded past its end)', () => {
  const n = net(3);
  const f = new Forecaster(n, SCALER, 4, 3, 'direct');
  const origins = [30, 4, 17, 28];
  const p = f.predict(S, origins);
  assert.equal(p.length, 4);
  origins.forEach((o, b) => {
    assert.equal(p[b]!.length, 3);
    assertClose(p[b]!, directReference(n, SCALER, S, o, 4, 3), 1e-12, `origin ${o}`);
  });
  // the origin at the end alone, and one before it alone
  assertClose(f.predict(S, [30])[0]!, directReference(n, SCALER, S, 30, 4, 3), 1e-12, 'the end alone');
  assertClose(f.predict(S, [27])[0]!, directReference(n, SCALER, S, 27, 4, 3), 1e-12, 'the last origin needing no padding');
  assertClose(f.predict(S, [29, 10])[0]!, directReference(n, SCALER, S, 29, 4, 3), 1e-12, 'one step before the end');
  assert.deepEqual(f.predict(S, []), []);
  refuses(() => f.predict(S, [3]), ShapeError, 'origin 3 needs 4 earlier values (window) within a series of 30');
  refuses(() => f.predict(S, [10, 31]), ShapeError, 'origin 31 needs 4 earlier values (window) within a series of 30');
  // a typed-array series gives the same
  assert.deepEqual(f.predict(Float64Array.from(S), origins), p);
});

test('predict, recursive: each prediction fed back into the window', () => {
  const n = net(1, 8);
  const f = new Forecaster(n, SCALER, 4, 3, 'recursive');
  const origins = [30, 4, 17];
  const p = f.predict(S, origins);
  origins.forEach((o, b) => assertClose(p[b]!, recursiveReference(n, SCALER, S, o, 4, 3), 1e-12, `origin ${o}`));
  // with horizon 1 both strategies agree on a one-output network
  const one = new Forecaster(n, SCALER, 4, 1, 'recursive').predict(S, [9, 30]);
  assertClose(one.flat(), [directReference(n, SCALER, S, 9, 4, 1), directReference(n, SCALER, S, 30, 4, 1)].flat(), 1e-12, 'horizon 1');
  assert.deepEqual(f.predict(S, []), []);
  refuses(() => f.predict(S, [2]), ShapeError, 'origin 2 needs 4 earlier values (window) within a series of 30');
});

// held-out errors: n = 20 each; k80 = ⌈21·0.8⌉ = 17, k95 = ⌈21·0.95⌉ = 20
const CAL = [Array.from({ length: 20 }, (_, i) => ((i * 7) % 20 + 1) * 0.25), Array.from({ length: 20 }, (_, i) => (20 - i) * 0.5)];

test('forecast: the values after the end, 80 % and 95 % intervals from the held-out errors, the times', () => {
  const n = net(2);
  const f = new Forecaster(n, SCALER, 4, 2, 'direct', { calibration: CAL });
  const v = directReference(n, SCALER, S, 30, 4, 2);
  const rows = f.forecast(S);
  assert.equal(rows.length, 2);
  // step 1: q80 = 17·0.25 = 4.25, q95 = 20·0.25 = 5; step 2: q80 = 8.5, q95 = 10
  const q = [[4.25, 5], [8.5, 10]];
  rows.forEach((r, h) => {
    assert.equal(r.step, h + 1);
    assert.equal(r.time, 30 + h); // indices continued
    assertClose(r.value, v[h]!, 1e-12, 'value');
    assert.deepEqual([r.lower80, r.upper80, r.lower95, r.upper95], [r.value - q[h]![0]!, r.value + q[h]![0]!, r.value - q[h]![1]!, r.value + q[h]![1]!]);
  });
  // a shorter horizon, a date axis
  const dated = f.forecast(S, { horizon: 1, time: { kind: 'date', last: '2020-02-28', stepDays: 1 } });
  assert.equal(dated.length, 1);
  assert.equal(dated[0]!.time, '2020-02-29');
  assert.equal(dated[0]!.value, rows[0]!.value);
  assert.equal(dated[0]!.upper95, rows[0]!.upper95);
  // a series exactly one window long
  const short = f.forecast(S.slice(0, 4));
  assertClose(short[1]!.value, directReference(n, SCALER, S.slice(0, 4), 4, 4, 2)[1]!, 1e-12, 'a series of one window');
  assert.equal(short[1]!.time, 5);
  // the errors of the steps asked for are all that is needed
  assert.equal(new Forecaster(n, SCALER, 4, 2, 'direct', { calibration: [CAL[0]!] }).forecast(S, { horizon: 1 }).length, 1);
  assert.equal(new Forecaster(n, SCALER, 4, 2, 'direct', { calibration: [CAL[0]!, []] }).forecast(S, { horizon: 1 }).length, 1);
});

test('forecast: the refusals', () => {
  const n = net(2);
  const f = new Forecaster(n, SCALER, 4, 2, 'direct', { calibration: CAL });
  refuses(() => f.forecast(S, { horizon: 0 }), OptionError, 'horizon must be a positive integer, got 0');
  refuses(() => f.forecast(S, { horizon: 3 }), OptionError, 'horizon 3 is beyond the 2 steps this forecaster was trained and calibrated for; forecast at most 2 steps or retrain with a longer horizon');
  const none = 'this forecaster has no held-out errors to make intervals from; train it with a validation part (calibrateForecaster)';
  refuses(() => new Forecaster(n, SCALER, 4, 2, 'direct').forecast(S), OptionError, none);
  refuses(() => new Forecaster(n, SCALER, 4, 2, 'direct', { calibration: [CAL[0]!] }).forecast(S), OptionError, none);
  refuses(() => new Forecaster(n, SCALER, 4, 2, 'direct', { calibration: [CAL[0]!, []] }).forecast(S), OptionError, none);
  refuses(() => new Forecaster(n, SCALER, 4, 2, 'direct', { calibration: [[], CAL[1]!] }).forecast(S, { horizon: 1 }), OptionError, none);
  refuses(() => f.forecast(S.slice(0, 3)), ShapeError, 'the series has 3 values; the forecaster reads the last 4 (its window)');
  refuses(() => f.forecast([...S.slice(0, 2), NaN, ...S.slice(3)]), ShapeError, 'series value 2 is NaN; every value must be a finite number');
  refuses(() => f.forecast([...S.slice(0, 29), Infinity]), ShapeError, 'series value 29 is Infinity; every value must be a finite number');
  refuses(() => f.forecast([NaN, ...S.slice(1)]), ShapeError, 'series value 0 is NaN; every value must be a finite number');
});

const L = wave(40);
const SPLIT: TimeSplit = { train: [2, 22], validation: [22, 30], test: [30, 40] };

test('forecasterSetup: the defaults, each option, and each refusal', () => {
  assert.deepEqual([...FORECAST_STRATEGIES], ['recursive', 'direct']);
  refuses(() => forecasterSetup(L, SPLIT), OptionError, 'the training part has 20 steps; it needs at least window + horizon = 70: lower the window or the horizon, or use a longer series');
  refuses(() => forecasterSetup(L, SPLIT, { horizon: 2 }), OptionError, 'the training part has 20 steps; it needs at least window + horizon = 58: lower the window or the horizon, or use a longer series');
  refuses(() => forecasterSetup(L, SPLIT, { window: 3 }), OptionError, 'the validation part has 8 steps, fewer than the horizon 14: its errors at every step ahead make the intervals; raise the validation fraction or lower the horizon');
  refuses(() => forecasterSetup(L, SPLIT, { window: 0, horizon: 2 }), OptionError, 'window must be a positive integer, got 0');
  refuses(() => forecasterSetup(L, SPLIT, { window: 3, horizon: 0 }), OptionError, 'horizon must be a positive integer, got 0');
  refuses(() => forecasterSetup(L, SPLIT, { window: 3, horizon: 2, strategy: 'both' as 'direct' }), OptionError, 'strategy must be one of recursive, direct, got "both"');
  refuses(() => forecasterSetup(L, SPLIT, { window: 3, horizon: 2, cell: 'tcn' as 'rnn' }), OptionError, 'cell must be one of rnn, lstm, gru, got "tcn"');
  refuses(() => forecasterSetup(L, SPLIT, { window: 3, horizon: 2, batchSize: 0 }), OptionError, 'batchSize must be a positive integer, got 0');
  refuses(() => forecasterSetup(L, SPLIT, { window: 3, horizon: 2, period: 0 }), OptionError, 'period must be a positive integer, got 0');
  // the training part: exactly window + horizon steps is enough
  assert.equal(forecasterSetup(L, SPLIT, { window: 15, horizon: 5, hiddenSize: 1 }).train.origins.length, 1);
  refuses(() => forecasterSetup(L, SPLIT, { window: 16, horizon: 5 }), OptionError, 'the training part has 20 steps; it needs at least window + horizon = 21: lower the window or the horizon, or use a longer series');
  // the validation part: at least the horizon
  const v3: TimeSplit = { train: [0, 20], validation: [20, 23], test: [23, 40] };
  assert.deepEqual(forecasterSetup(L, v3, { window: 3, horizon: 3, hiddenSize: 1 }).validation.origins, [20]);
  refuses(() => forecasterSetup(L, v3, { window: 3, horizon: 4 }), OptionError, 'the validation part has 3 steps, fewer than the horizon 4: its errors at every step ahead make the intervals; raise the validation fraction or lower the horizon');
  // a validation part before the training part, too early for a window
  const early: TimeSplit = { train: [10, 30], validation: [0, 3], test: [30, 40] };
  refuses(() => forecasterSetup(L, early, { window: 3, horizon: 2 }), OptionError, 'no validation windows: the validation part [0, 3) needs 3 earlier steps and 2 targets');
  refuses(() => forecasterSetup(L, early, { window: 3, horizon: 2, strategy: 'recursive' }), OptionError, 'no validation windows: the validation part [0, 3) needs 3 earlier steps and 1 targets');
  const late: TimeSplit = { train: [10, 30], validation: [3, 6], test: [30, 40] };
  assert.deepEqual(forecasterSetup(L, late, { window: 3, horizon: 2, hiddenSize: 1 }).validation.origins, [3, 4]);
  // values
  refuses(() => forecasterSetup([...L.slice(0, 35), NaN, ...L.slice(36)], SPLIT, { window: 3, horizon: 2 }), ShapeError, 'series value 35 is NaN; every value must be a finite number');
  // tiny training values, a huge one later: z overflows
  const tiny = Array.from({ length: 40 }, (_, i) => (i === 25 ? 1e10 : i % 2 === 0 ? 0 : 1e-300));
  refuses(() => forecasterSetup(tiny, { train: [0, 20], validation: [20, 30], test: [30, 40] }, { window: 3, horizon: 2 }), ShapeError,
    "series value 25 (10000000000) cannot be scaled to a finite number with the training part's statistics; rescale the column (e.g. to thousands)");
});

test('forecasterSetup: the network, the scaler, the origins, the batch sources and fit\'s defaults', () => {
  const s = forecasterSetup(L, SPLIT, { window: 3, horizon: 2 });
  const f = s.forecaster;
  assert.equal(f.net, s.net);
  assert.equal(f.window, 3);
  assert.equal(f.horizon, 2);
  assert.equal(f.strategy, 'direct');
  assert.deepEqual(f.details, {});
  // the scaler: z-score fitted on the training part [2, 22) only
  assert.deepEqual(f.scaler, fitScaler('zscore', L.slice(2, 22)));
  // the network: rnn, 32 units, 1 layer, float32, seed 1, K = horizon (direct)
  const c = s.net.config;
  assert.deepEqual([c.cell, c.inputSize, c.hiddenSize, c.outputSize, c.layers, c.dtype], ['rnn', 1, 32, 2, 1, 'float32']);
  assert.deepEqual([...s.net.params.data], [...new Network({ inputSize: 1, hiddenSize: 32, outputSize: 2, seed: 1 }).params.data]);
  // origins: o ≥ 2 + 3, o + 2 ≤ 22 (training); o in [22, 28] (validation, which may read back into training)
  assert.deepEqual(s.train.origins, [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
  assert.deepEqual(s.validation.origins, [22, 23, 24, 25, 26, 27, 28]);
  assert.deepEqual([s.train.window, s.train.outputSize, s.train.B], [3, 2, 16]);
  assert.deepEqual([s.validation.window, s.validation.outputSize, s.validation.B], [3, 2, 7]); // batch size train.B, at most the 7 origins
  // the sources read the scaled series
  assert.deepEqual(Array.from(s.train.series), [...scale(f.scaler, L)]);
  assert.deepEqual(Array.from(s.validation.series), [...scale(f.scaler, L)]);
  // training windows are shuffled, validation windows are not
  s.train.beginEpoch(new Rng(1));
  assert.notDeepEqual([...s.train.order], s.train.origins.map((_, i) => i));
  s.validation.beginEpoch(new Rng(1));
  assert.deepEqual([...s.validation.order], [0, 1, 2, 3, 4, 5, 6]);
  // fit's defaults; the baseline is the validation loss of predicting the training mean
  const z = scale(f.scaler, L);
  let mean = 0;
  for (let i = 2; i < 22; i++) mean += z[i]!;
  mean /= 20;
  let baseline = 0;
  for (let o = 22; o <= 28; o++) baseline += (z[o]! - mean) ** 2 + (z[o + 1]! - mean) ** 2;
  baseline /= 7;
  const d = s.defaults;
  assertClose(d.divergence!.baseline!, baseline, 1e-12, 'divergence baseline');
  assert.deepEqual({ ...d, divergence: null }, { optimizer: { kind: 'adam' }, learningRate: 0.005, clipNorm: 5, epochs: 20, restoreBest: true, seed: 2, divergence: null });
  assert.deepEqual(Object.keys(d.divergence!), ['baseline']);

  // every option
  const time = { kind: 'number' as const, last: 39, step: 1 };
  const o = forecasterSetup(Float64Array.from(L), SPLIT, {
    window: 3, horizon: 2, strategy: 'recursive', cell: 'gru', hiddenSize: 2, layers: 2, scaling: 'minmax', dtype: 'float64',
    seed: 5, stride: 3, batchSize: 4, period: 7, column: 'births', time,
  });
  const oc = o.net.config;
  assert.deepEqual([oc.cell, oc.hiddenSize, oc.outputSize, oc.layers, oc.dtype], ['gru', 2, 1, 2, 'float64']);
  assert.deepEqual([...o.net.params.data], [...new Network({ cell: 'gru', inputSize: 1, hiddenSize: 2, outputSize: 1, layers: 2, dtype: 'float64', seed: 5 }).params.data]);
  assert.equal(o.forecaster.strategy, 'recursive');
  assert.deepEqual(o.forecaster.scaler, fitScaler('minmax', L.slice(2, 22)));
  assert.deepEqual(o.forecaster.details, { period: 7, column: 'births', time });
  // recursive: one target per window; stride 3 from 5; validation o + 1 ≤ 30
  assert.deepEqual(o.train.origins, [5, 8, 11, 14, 17, 20]);
  assert.deepEqual(o.validation.origins, [22, 23, 24, 25, 26, 27, 28, 29]);
  assert.deepEqual([o.train.outputSize, o.train.B, o.validation.B], [1, 4, 4]);
  assert.equal(o.defaults.seed, 6);
  // min-max scaled, the training part's mean is not 0 (with z-scores it is): the baseline's mean matters
  const zm = scale(o.forecaster.scaler, L);
  const mm = zm.slice(2, 22).reduce((a, b) => a + b, 0) / 20;
  assert.ok(mm > 0.2, String(mm));
  let bm = 0;
  for (let v = 22; v <= 29; v++) bm += (zm[v]! - mm) ** 2;
  assertClose(o.defaults.divergence!.baseline!, bm / 8, 1e-12, 'baseline, min-max');
  // stride alone, direct
  assert.deepEqual(forecasterSetup(L, SPLIT, { window: 3, horizon: 2, stride: 4, hiddenSize: 1 }).train.origins, [5, 9, 13, 17]);
});

test('forecasterSetup with a forecaster to continue: its geometry, network and scaler kept, its details merged', () => {
  const first = forecasterSetup(L, SPLIT, { window: 3, horizon: 2, hiddenSize: 2, dtype: 'float64', period: 7 }).forecaster;
  first.details = { ...first.details, calibration: [[1], [2]] };
  const again = forecasterSetup(L, { train: [0, 24], validation: [24, 32], test: [32, 40] }, {
    model: first, window: 9, horizon: 9, strategy: 'recursive', scaling: 'minmax', hiddenSize: 5, column: 'y',
  });
  assert.equal(again.forecaster, first);
  assert.equal(again.net, first.net);
  assert.equal(first.window, 3);
  assert.deepEqual(first.details, { period: 7, calibration: [[1], [2]], column: 'y' });
  assert.deepEqual(first.scaler, fitScaler('zscore', L.slice(2, 22)));
  // the continued scaler scales the data; the windows follow the model's geometry
  assert.deepEqual(Array.from(again.train.series), [...scale(first.scaler, L)]);
  assert.deepEqual([again.train.window, again.train.outputSize], [3, 2]);
  assert.deepEqual(again.train.origins, windowOrigins(0, 24, 3, 2));
  assert.deepEqual(again.validation.origins, [24, 25, 26, 27, 28, 29, 30]);
  // nothing new: the details stay
  forecasterSetup(L, SPLIT, { model: first });
  assert.deepEqual(first.details, { period: 7, calibration: [[1], [2]], column: 'y' });
});

const SMALL = { window: 3, horizon: 2, hiddenSize: 2, dtype: 'float64', seed: 4, batchSize: 8 } as const;
const SPLIT2: TimeSplit = { train: [0, 24], validation: [24, 32], test: [32, 40] };

test('run and trainForecaster: fit with the defaults, the validation part and the options given, then the calibration', async () => {
  const s = forecasterSetup(L, SPLIT2, SMALL);
  const { forecaster, result } = await s.run({ epochs: 2 });
  assert.equal(forecaster, s.forecaster);
  assert.equal(result.epoch, 2);
  assert.equal(typeof result.bestValidationLoss, 'number');
  assert.equal(result.restoredBest, true);
  // the same as fit called directly on a second, identical setup
  const twin = forecasterSetup(L, SPLIT2, SMALL);
  const direct = await fit(twin.net, twin.train, { ...twin.defaults, validation: twin.validation, epochs: 2 });
  assert.equal(direct.step, result.step);
  assert.deepEqual([...s.net.params.data], [...twin.net.params.data]);
  assert.notDeepEqual([...s.net.params.data], [...forecasterSetup(L, SPLIT2, SMALL).net.params.data]); // it did train
  // the calibration: |y(o + h − 1) − ŷ_h| of every validation origin, step by step
  const origins = [24, 25, 26, 27, 28, 29, 30];
  const cal = forecaster.details.calibration!;
  assert.equal(cal.length, 2);
  for (let h = 0; h < 2; h++) {
    assertClose(cal[h]!, origins.map((o) => Math.abs(L[o + h]! - directReference(s.net, forecaster.scaler, L, o, 3, 2)[h]!)), 1e-12, `errors at step ${h + 1}`);
  }
  // trainForecaster: the same run
  const t = await trainForecaster(L, SPLIT2, { ...SMALL, fit: { epochs: 2 } });
  assert.deepEqual([...t.forecaster.net.params.data], [...s.net.params.data]);
  assert.deepEqual(t.forecaster.details.calibration, cal);
  assert.equal(t.result.epoch, 2);
});

test('calibrateForecaster: more than 256 validation origins (two passes), the details kept, and the refusal', () => {
  const series = wave(300);
  const n = net(2, 11);
  const f = new Forecaster(n, SCALER, 3, 2, 'direct', { period: 7 });
  calibrateForecaster(f, series, { train: [0, 3], validation: [3, 300], test: [300, 300] });
  const origins = windowOrigins(0, 300, 3, 2, 1, 3);
  assert.equal(origins.length, 296);
  const all = f.predict(series, origins);
  const cal = f.details.calibration!;
  assert.equal(f.details.period, 7);
  for (let h = 0; h < 2; h++) assertClose(cal[h]!, origins.map((o, b) => Math.abs(series[o + h]! - all[b]![h]!)), 1e-12, `errors at step ${h + 1}`);
  // the validation part's window and targets only: [10, 20) with W = 3, H = 2 gives origins 10..18
  calibrateForecaster(f, series, { train: [0, 10], validation: [10, 20], test: [20, 300] });
  assert.equal(f.details.calibration![0]!.length, 9);
  assertClose(f.details.calibration![1]!, [10, 11, 12, 13, 14, 15, 16, 17, 18].map((o) => Math.abs(series[o + 1]! - directReference(n, SCALER, series, o, 3, 2)[1]!)), 1e-12, 'origins 10..18');
  refuses(() => calibrateForecaster(f, series, { train: [0, 0], validation: [0, 4], test: [4, 300] }), OptionError, 'the validation part [0, 4) holds no window with 2 targets to calibrate the intervals on');
});
