/**
 * The small files of src/tasks, for `npm run mutate -- tasks`, each against
 * values worked out by hand (the numbers in the comments):
 *
 * - conformal.ts: k = ⌈(n + 1)(1 − α)⌉, the k-th smallest error, ∞ past n;
 * - baselines.ts, metrics.ts, forecast-eval.ts: naive forecasts, RMSE /
 *   MAE / MAPE, and the test-part walk with a short last block;
 * - splits.ts, windows.ts, scaling.ts, time-axis.ts: the cuts, windows,
 *   scalers and time columns, each refusal by its message;
 * - class-metrics.ts, symbols.ts, edit-distance.ts, pronounce.ts,
 *   sensor-windows.ts: counts, tables and distances.
 *
 * Pure functions only: the file runs in well under a second.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionError, ShapeError } from '../src/core/errors.js';
import { lastValueForecast, seasonalNaiveForecast } from '../src/tasks/baselines.js';
import { balancedClassWeights, classificationMetrics, majorityBaseline } from '../src/tasks/class-metrics.js';
import { conformalQuantile } from '../src/tasks/conformal.js';
import { editDistance, tokenErrorRate } from '../src/tasks/edit-distance.js';
import type { Forecaster } from '../src/tasks/forecast.js';
import { evaluateForecast } from '../src/tasks/forecast-eval.js';
import { forecastMetrics } from '../src/tasks/metrics.js';
import { COPY_THROUGH, copyThrough, pronunciations } from '../src/tasks/pronounce.js';
import { fitScaler, scale, SCALINGS, unscale } from '../src/tasks/scaling.js';
import { sensorWindows, type SensorRow } from '../src/tasks/sensor-windows.js';
import { splitByTime, splitIndices } from '../src/tasks/splits.js';
import { SymbolTable } from '../src/tasks/symbols.js';
import { continueTimes, indexAxis, timeAxisOf } from '../src/tasks/time-axis.js';
import { windowBatch, windowOrigins } from '../src/tasks/windows.js';
import { refuses } from './helpers/refuses.js';

test('conformalQuantile: the k-th smallest error, k = ⌈(n + 1)·level⌉; ∞ when k > n', () => {
  const errors = [5, 1, 4, 2, 3];
  assert.equal(conformalQuantile(errors, 0.5), 3); // k = ⌈3⌉ = 3
  assert.equal(conformalQuantile(errors, 0.8), 5); // k = ⌈4.8⌉ = 5 = n (with n − 1: ⌈3.2⌉ = 4)
  assert.equal(conformalQuantile(errors, 0.9), Infinity); // k = ⌈5.4⌉ = 6 > n
  assert.equal(conformalQuantile(errors, 0.1), 1); // k = ⌈0.6⌉ = 1
  assert.equal(conformalQuantile(errors, 0), 1); // k = 0: the smallest
  // sorted as numbers, not as text (10 < 100, "100" < "9")
  assert.equal(conformalQuantile([100, 9, 10], 0.5), 10); // k = 2
  assert.equal(conformalQuantile(new Float32Array([2, 1]), 0.6), 2); // k = ⌈1.8⌉ = 2
  refuses(() => conformalQuantile([], 0.5), ShapeError, 'conformalQuantile needs at least one held-out error');
  refuses(() => conformalQuantile(errors, 1.5), OptionError, 'level must be a number in [0, 1], got 1.5');
});

test('naive forecasts: the last value, and the value one or more periods earlier', () => {
  const s = [10, 20, 30, 40, 50, 60, 70];
  assert.deepEqual(lastValueForecast(s, 3, 2), [30, 30]);
  assert.deepEqual(lastValueForecast(s, 1, 1), [10]);
  assert.deepEqual(lastValueForecast(s, 7, 3), [70, 70, 70]);
  refuses(() => lastValueForecast(s, 0, 1), ShapeError, 'origin 0 is outside [1, 7]');
  refuses(() => lastValueForecast(s, 8, 1), ShapeError, 'origin 8 is outside [1, 7]');
  // period 3, origin 6 (last observed index 5): h = 1, 2, 3 → indices 3, 4, 5; h = 4, 5 → 3, 4 again
  assert.deepEqual(seasonalNaiveForecast(s, 6, 5, 3), [40, 50, 60, 40, 50]);
  assert.deepEqual(seasonalNaiveForecast(s, 3, 1, 3), [10]); // origin = period: index 0
  assert.deepEqual(seasonalNaiveForecast(s, 7, 2, 1), [70, 70]);
  refuses(() => seasonalNaiveForecast(s, 2, 1, 3), ShapeError, 'seasonal naive needs origin 2 in [period = 3, 7]');
  refuses(() => seasonalNaiveForecast(s, 8, 1, 3), ShapeError, 'seasonal naive needs origin 8 in [period = 3, 7]');
  refuses(() => seasonalNaiveForecast(s, 4, 1, 0), OptionError, 'period must be a positive integer, got 0');
});

test('forecastMetrics: RMSE, MAE and MAPE by hand; MAPE skips zeros', () => {
  // errors −1, −1, 0, 2: Σe² = 6, Σ|e| = 4; MAPE over y ≠ 0: (1/1 + 0/2 + 2/4) / 3 = 50 %
  const m = forecastMetrics([1, 0, -2, 4], [2, 1, -2, 2]);
  assert.equal(m.rmse, Math.sqrt(6 / 4));
  assert.equal(m.mae, 1);
  assert.equal(m.mape, 50);
  assert.equal(m.n, 4);
  assert.ok(Number.isNaN(forecastMetrics([0, 0], [1, -1]).mape));
  assert.equal(forecastMetrics([0, 0], [1, -1]).rmse, 1);
  refuses(() => forecastMetrics([1, 2], [1]), ShapeError, 'predicted has 1 values, actual has 2; they must match');
  refuses(() => forecastMetrics([], []), ShapeError, 'forecastMetrics needs at least one value');
});

test('evaluateForecast: origins every horizon steps, a short last block, the baselines on the same steps', () => {
  const series = Array.from({ length: 10 }, (_, i) => i * i); // 0 1 4 9 16 25 36 49 64 81
  const origins: number[][] = [];
  const forecaster = {
    horizon: 2,
    predict(_s: ArrayLike<number>, o: readonly number[]): number[][] {
      origins.push([...o]);
      return o.map((x) => [100 + x, 200 + x]);
    },
  } as unknown as Forecaster;
  const split = { train: [0, 4], validation: [4, 6], test: [6, 9] } as const;
  const r = evaluateForecast(series, forecaster, split, 3);
  assert.deepEqual(origins, [[6, 8]]);
  // origin 6: steps 6, 7; origin 8: step 8 only (9 is past the test part's end)
  assert.deepEqual(r.rows, [
    { index: 6, step: 1, actual: 36, predicted: 106, lastValue: 25, seasonalNaive: 9 },
    { index: 7, step: 2, actual: 49, predicted: 206, lastValue: 25, seasonalNaive: 16 },
    { index: 8, step: 1, actual: 64, predicted: 108, lastValue: 49, seasonalNaive: 25 },
  ]);
  assert.equal(r.model.mae, (70 + 157 + 44) / 3);
  assert.equal(r.lastValue.mae, (11 + 24 + 15) / 3);
  assert.equal(r.seasonalNaive.mae, (27 + 33 + 39) / 3);
  assert.equal(r.period, 3);
  refuses(() => evaluateForecast(series, forecaster, split, 0), OptionError, 'period must be a positive integer, got 0');
  // a test part of whole blocks: origins 6 and 8, none at its end (10)
  origins.length = 0;
  const whole = evaluateForecast(series, forecaster, { train: [0, 4], validation: [4, 6], test: [6, 10] }, 3);
  assert.deepEqual(origins, [[6, 8]]);
  assert.deepEqual(whole.rows.map((r) => r.index), [6, 7, 8, 9]);
});

test('splitByTime and splitIndices: the cuts, the smallest test part, and the refusals', () => {
  assert.deepEqual(splitByTime(100, 0.1, 0.2), { train: [0, 70], validation: [70, 80], test: [80, 100] });
  assert.deepEqual(splitByTime(10, 0, 0.01, 3), { train: [0, 7], validation: [7, 7], test: [7, 10] });
  assert.deepEqual(splitByTime(10, 0, 0), { train: [0, 9], validation: [9, 9], test: [9, 10] }); // minTest 1
  assert.deepEqual(splitByTime(3, 0.3, 0.3), { train: [0, 1], validation: [1, 2], test: [2, 3] }); // one training step is enough
  refuses(() => splitByTime(3, 0.5, 0.5), ShapeError, 'a series of 3 steps is too short for a 2-step validation and 2-step test part');
  refuses(() => splitByTime(10, 0.95, 0.1), OptionError, 'validationFraction must be a number in [0, 0.9], got 0.95');
  refuses(() => splitByTime(10, 0.1, 0.95), OptionError, 'testFraction must be a number in [0, 0.9], got 0.95');
  assert.deepEqual(splitIndices(5, 0.2, 0.4, [4, 3, 2, 1, 0]), { test: [4, 3], validation: [2], train: [1, 0] });
  refuses(() => splitIndices(5, 0.2, 0.4, [0, 1, 2, 3]), ShapeError, 'shuffled has 4 indices, expected 5');
  refuses(() => splitIndices(5, -0.1, 0.4, [0, 1, 2, 3, 4]), OptionError, 'validationFraction must be a number in [0, 0.9], got -0.1');
  refuses(() => splitIndices(5, 0.1, 1, [0, 1, 2, 3, 4]), OptionError, 'testFraction must be a number in [0, 0.9], got 1');
});

test('windowOrigins and windowBatch: which origins fit, and x, y at the right places', () => {
  assert.deepEqual(windowOrigins(0, 10, 3, 2), [3, 4, 5, 6, 7, 8]); // o + 2 ≤ 10
  assert.deepEqual(windowOrigins(0, 10, 3, 2, 2), [3, 5, 7]);
  assert.deepEqual(windowOrigins(0, 10, 3, 2, 1, 6), [6, 7, 8]);
  assert.deepEqual(windowOrigins(0, 10, 3, 2, 1, 1), [3, 4, 5, 6, 7, 8]); // never before minStart + window
  assert.deepEqual(windowOrigins(2, 10, 3, 1), [5, 6, 7, 8, 9]);
  assert.deepEqual(windowOrigins(0, 4, 3, 2), []);
  const series = Array.from({ length: 10 }, (_, i) => 10 * i);
  const b = windowBatch(series, [3, 8], 3, 2, 'float64');
  assert.equal(b.T, 3);
  assert.equal(b.B, 2);
  assert.equal(b.lossAt, 'last');
  assert.ok(b.x.kind === 'dense' && b.y.kind === 'dense');
  // x[t·B + b] = series[o − 3 + t]
  assert.deepEqual([...b.x.data], [0, 50, 10, 60, 20, 70]);
  // y at the last step only: ((T − 1)·B + b)·K + k = series[o + k]
  assert.deepEqual([...b.y.data], [0, 0, 0, 0, 0, 0, 0, 0, 30, 40, 80, 90]);
  assert.ok(windowBatch(series, [3], 3, 1, 'float32').x.data instanceof Float32Array);
  refuses(() => windowBatch(series, [2], 3, 2, 'float64'), ShapeError, 'window for origin 2 (window 3, 2 targets) does not fit a series of 10');
  refuses(() => windowBatch(series, [9], 3, 2, 'float64'), ShapeError, 'window for origin 9 (window 3, 2 targets) does not fit a series of 10');
});

test('fitScaler, scale, unscale: z-score and min-max by hand, huge values, refusals', () => {
  assert.deepEqual([...SCALINGS], ['zscore', 'minmax', 'none']);
  const z = fitScaler('zscore', [1, 2, 3, 4]); // μ 2.5, σ² = (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25
  assert.equal(z.kind, 'zscore');
  assert.ok(Math.abs(z.shift - 2.5) < 1e-15);
  assert.ok(Math.abs(z.scale - Math.sqrt(1.25)) < 1e-15);
  const neg = fitScaler('zscore', [-4, -2]); // every value negative: M = max |x| = 4
  assert.ok(Math.abs(neg.shift + 3) < 1e-15 && Math.abs(neg.scale - 1) < 1e-15);
  assert.deepEqual(fitScaler('zscore', [3, 3]), { kind: 'zscore', shift: 3, scale: 1 }); // σ = 0
  assert.deepEqual(fitScaler('zscore', [0, 0]), { kind: 'zscore', shift: 0, scale: 1 });
  const huge = fitScaler('zscore', [1e300, -1e300]); // x² would overflow: computed on x / M
  assert.equal(huge.shift, 0);
  assert.equal(huge.scale, 1e300);
  // M is the largest |x|, not the last one: a last value of 0, and a small last value after huge ones
  const last0 = fitScaler('zscore', [1, 3, 0]); // μ = 4/3, σ² = (1/9 + 25/9 + 16/9) / 3 = 14/9
  assert.ok(Math.abs(last0.shift - 4 / 3) < 1e-15 && Math.abs(last0.scale - Math.sqrt(14) / 3) < 1e-15, JSON.stringify(last0));
  const hugeFirst = fitScaler('zscore', [1e300, -1e300, 1]); // μ ≈ 1/3, σ ≈ 1e300·√(2/3)
  assert.ok(Math.abs(hugeFirst.scale / 1e300 - Math.sqrt(2 / 3)) < 1e-15, JSON.stringify(hugeFirst));
  assert.deepEqual(fitScaler('minmax', [3, -1, 5]), { kind: 'minmax', shift: -1, scale: 6 });
  assert.deepEqual(fitScaler('minmax', [2, 2]), { kind: 'minmax', shift: 2, scale: 1 });
  assert.deepEqual(fitScaler('none', [7, NaN]), { kind: 'none', shift: 0, scale: 1 });
  refuses(() => fitScaler('minmax', [1.7e308, -1.7e308]), ShapeError, 'the values span -1.7e+308 to 1.7e+308, a range too large to scale; rescale the column');
  refuses(() => fitScaler('zscore', []), ShapeError, 'fitScaler needs at least one value');
  refuses(() => fitScaler('minmax', [1, NaN]), ShapeError, 'value 1 is NaN; scaling needs finite numbers');
  refuses(() => fitScaler('zscore', [Infinity]), ShapeError, 'value 0 is Infinity; scaling needs finite numbers');
  refuses(() => fitScaler('log' as 'zscore', [1]), OptionError, 'scaling must be one of zscore, minmax, none, got "log"');
  const s = { kind: 'minmax' as const, shift: -1, scale: 4 };
  assert.deepEqual([...scale(s, [-1, 1, 3])], [0, 0.5, 1]);
  assert.equal(unscale(s, 0.5), 1);
  assert.equal(unscale(s, 2), 7);
});

test('timeAxisOf, indexAxis, continueTimes: dates, numbers, and the first bad value', () => {
  assert.deepEqual(timeAxisOf(['2020-01-01', '2020-01-03']), { kind: 'date', last: '2020-01-03', stepDays: 2 });
  assert.deepEqual(timeAxisOf([1, 3, 7]), { kind: 'number', last: 7, step: 4 });
  assert.deepEqual(timeAxisOf(['1', ' 2.5 ']), { kind: 'number', last: 2.5, step: 1.5 });
  refuses(() => timeAxisOf(['2020-01-01']), ShapeError, 'a time column needs at least 2 values to give a step, got 1');
  refuses(() => timeAxisOf(['2020-01-01', 'x', '2020-01-03']), ShapeError, 'time value 1 ("x") is not a date YYYY-MM-DD like the last one');
  refuses(() => timeAxisOf([5, '2020-01-01']), ShapeError, 'time value 0 (5) is not a date YYYY-MM-DD like the last one');
  refuses(() => timeAxisOf(['2015-02-28', '2015-02-30']), ShapeError, 'time value 1 ("2015-02-30") is not a date YYYY-MM-DD like the last one');
  refuses(() => timeAxisOf(['2020-01-03', '2020-01-03']), ShapeError, 'the last two dates (2020-01-03, 2020-01-03) do not increase');
  refuses(() => timeAxisOf(['2020-01-04', '2020-01-03']), ShapeError, 'the last two dates (2020-01-04, 2020-01-03) do not increase');
  refuses(() => timeAxisOf([' ', 2]), ShapeError, 'time value 0 (" ") is neither a date YYYY-MM-DD nor a finite number');
  refuses(() => timeAxisOf([1, 'Infinity']), ShapeError, 'time value 1 ("Infinity") is neither a date YYYY-MM-DD nor a finite number');
  refuses(() => timeAxisOf([5, 3]), ShapeError, 'the last two time values (5, 3) do not increase');
  refuses(() => timeAxisOf([3, 3]), ShapeError, 'the last two time values (3, 3) do not increase');
  // a date is the whole value: text before or after it makes it neither a date nor a number
  refuses(() => timeAxisOf([1, 'x2020-01-01']), ShapeError, 'time value 1 ("x2020-01-01") is neither a date YYYY-MM-DD nor a finite number');
  refuses(() => timeAxisOf([1, '2020-01-01x']), ShapeError, 'time value 1 ("2020-01-01x") is neither a date YYYY-MM-DD nor a finite number');
  assert.deepEqual(indexAxis(5), { kind: 'number', last: 4, step: 1 });
  assert.deepEqual(continueTimes({ kind: 'number', last: 7, step: 4 }, 3), [11, 15, 19]);
  assert.deepEqual(continueTimes({ kind: 'date', last: '2020-02-27', stepDays: 1 }, 3), ['2020-02-28', '2020-02-29', '2020-03-01']);
  assert.deepEqual(continueTimes({ kind: 'date', last: '2019-12-31', stepDays: 7 }, 2), ['2020-01-07', '2020-01-14']);
  refuses(() => continueTimes({ kind: 'date', last: '2020-13-01', stepDays: 1 }, 1), OptionError, 'time axis: last date "2020-13-01" is not YYYY-MM-DD');
  refuses(() => continueTimes({ kind: 'date', last: 'x2020-01-01', stepDays: 1 }, 1), OptionError, 'time axis: last date "x2020-01-01" is not YYYY-MM-DD');
});

test('classificationMetrics: confusion, precision, recall, F1 by hand; zero denominators; refusals', () => {
  // confusion rows (true): 0 → [1, 1, 0, 0], 1 → [0, 1, 0, 0], 2 → [1, 0, 2, 0], 3 → none
  const m = classificationMetrics([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 4);
  assert.deepEqual(m.confusion, [[1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 2, 0], [0, 0, 0, 0]]);
  assert.equal(m.accuracy, 4 / 6);
  assert.equal(m.n, 6);
  assert.deepEqual(m.perClass[0], { precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
  assert.deepEqual(m.perClass[1], { precision: 0.5, recall: 1, f1: (2 * 0.5 * 1) / 1.5, support: 1 });
  assert.deepEqual(m.perClass[2], { precision: 1, recall: 2 / 3, f1: (2 * 1 * (2 / 3)) / (1 + 2 / 3), support: 3 });
  assert.deepEqual(m.perClass[3], { precision: 0, recall: 0, f1: 0, support: 0 });
  assert.ok(Math.abs(m.macroF1 - (0.5 + 2 / 3 + 0.8 + 0) / 4) < 1e-15, String(m.macroF1)); // the unweighted mean over all 4 classes
  refuses(() => classificationMetrics([0, 1, 2], [0, 1], 3), ShapeError, 'predicted has 2 labels, actual has 3');
  refuses(() => classificationMetrics([], [], 3), ShapeError, 'no items to score: the held-out part is empty; give more labelled items or a larger test fraction');
  refuses(() => classificationMetrics([0, 0], [0, 3], 3), ShapeError, 'item 1: class 0 or 3 is outside [0, 3)');
  refuses(() => classificationMetrics([-1], [0], 3), ShapeError, 'item 0: class -1 or 0 is outside [0, 3)');
  refuses(() => classificationMetrics([3], [0], 3), ShapeError, 'item 0: class 3 or 0 is outside [0, 3)');
  refuses(() => classificationMetrics([0], [-1], 3), ShapeError, 'item 0: class 0 or -1 is outside [0, 3)');
  refuses(() => classificationMetrics([0], [0], 0), OptionError, 'classes must be a positive integer, got 0');
});

test('balancedClassWeights and majorityBaseline', () => {
  // n = 4, C = 3: w_c = 4 / (3·n_c); class 2 absent → 0
  assert.deepEqual(balancedClassWeights([0, 0, 0, 1], 3), [4 / 9, 4 / 3, 0]);
  assert.deepEqual(majorityBaseline([0, 1, 1, 2], [1, 1, 0], 3), { cls: 1, accuracy: 2 / 3 });
  assert.deepEqual(majorityBaseline([2, 0, 0, 2], [2, 2], 3), { cls: 0, accuracy: 0 }); // a tie goes to the first class
  assert.deepEqual(majorityBaseline([0, 2, 2], [2], 3), { cls: 2, accuracy: 1 }); // the last class can win
  const empty = majorityBaseline([1], [], 2);
  assert.equal(empty.cls, 1);
  assert.ok(Number.isNaN(empty.accuracy));
});

test('SymbolTable: indices both ways, unknown symbols, sorted construction, distinctness', () => {
  const input = ['b', 'a'];
  const t = new SymbolTable(input);
  input.push('c'); // the table keeps its own copy
  assert.deepEqual(t.symbols, ['b', 'a']);
  assert.equal(t.size, 2);
  assert.equal(t.indexOf('a'), 1);
  assert.equal(t.indexOf('b'), 0);
  assert.equal(t.indexOf('z'), -1);
  assert.deepEqual(t.encode('abz'), [1, 0, -1]);
  assert.deepEqual(t.decode([0, 1, 5, -1]), ['b', 'a', '?', '?']);
  assert.deepEqual(SymbolTable.fromSequences([['c', 'a'], ['b', 'a']]).symbols, ['a', 'b', 'c']);
  refuses(() => new SymbolTable(['a', 'a']), ShapeError, 'SymbolTable: symbols must be distinct');
});

test('editDistance and tokenErrorRate', () => {
  const d = (a: string, b: string): number => editDistance([...a], [...b]);
  assert.equal(d('kitten', 'sitting'), 3);
  assert.equal(d('flaw', 'lawn'), 2);
  assert.equal(d('', 'ab'), 2);
  assert.equal(d('ab', ''), 2);
  assert.equal(d('abc', 'abc'), 0);
  assert.equal(d('ab', 'ba'), 2);
  assert.equal(d('ac', 'abc'), 1);
  assert.equal(d('abcd', 'abd'), 1);
  assert.equal(d('abc', 'axc'), 1);
  const r = tokenErrorRate([['a', 'b'], ['c']], [['a', 'b'], ['c', 'd']]);
  assert.deepEqual(r, { errorRate: 1 / 4, wordAccuracy: 1 / 2 });
  assert.deepEqual(tokenErrorRate([], [['a']]), { errorRate: 1, wordAccuracy: 0 }); // a missing prediction is empty
  const emptyWord = tokenErrorRate([], [[]]); // a missing prediction of an empty reference is exact
  assert.ok(Number.isNaN(emptyWord.errorRate));
  assert.equal(emptyWord.wordAccuracy, 1);
  const none = tokenErrorRate([], []);
  assert.ok(Number.isNaN(none.errorRate) && Number.isNaN(none.wordAccuracy));
  const emptyRefs = tokenErrorRate([['a']], [[]]);
  assert.ok(Number.isNaN(emptyRefs.errorRate));
  assert.equal(emptyRefs.wordAccuracy, 0);
});

test('pronunciations and the copy-through baseline', () => {
  const dict = { HELLO: 'HH AH0 L OW1', 'HELLO(1)': 'HH EH0 L OW1', "DON'T": 'D OW1 N T', '2ND': 'S EH1 K AH0 N D', ab: ' EY1  B IY1 ', NINETY: 'N AY1 N T IY0' };
  assert.deepEqual(pronunciations(dict), [
    { word: 'hello', phonemes: ['HH', 'AH', 'L', 'OW'] },
    { word: 'ab', phonemes: ['EY', 'B', 'IY'] },
    { word: 'ninety', phonemes: ['N', 'AY', 'N', 'T', 'IY'] },
  ]);
  assert.deepEqual(pronunciations(dict, { stress: true })[0], { word: 'hello', phonemes: ['HH', 'AH0', 'L', 'OW1'] });
  assert.deepEqual(pronunciations(dict, { maxLength: 5 }).map((p) => p.word), ['hello', 'ab']);
  assert.deepEqual(pronunciations(dict, { maxLength: 4 }).map((p) => p.word), ['ab']);
  assert.deepEqual(pronunciations({ A: 'AH10' }), [{ word: 'a', phonemes: ['AH1'] }]); // the last digit only
  assert.deepEqual(copyThrough('abcdefghijklmnopqrstuvwxyz').join(' '),
    'AE B K D EH F G HH IH JH K L M N AA P K R S T AH V W K S Y Z');
  assert.deepEqual(copyThrough('Box-1'), ['B', 'AA', 'K', 'S']);
  assert.equal(Object.keys(COPY_THROUGH).length, 26);
});

test('sensorWindows: per mote in reading order, stride, and the baseline median', () => {
  const row = (mote: number, reading: number, humidity: number, temperature: number, label: number): SensorRow => ({ mote_id: mote, reading, humidity, temperature, label });
  const rows = [
    row(2, 2, 30, 41, 1), row(1, 3, 12, 22, 0), row(2, 1, 32, 40, 0), row(1, 1, 10, 20, 0),
    row(1, 4, 13, 23, 1), row(2, 3, 31, 42, 0), row(1, 2, 11, 21, 0),
  ];
  const w = sensorWindows(rows, 2);
  assert.deepEqual(w.map((x) => [x.mote, x.end, x.label]), [[1, 2, 0], [1, 3, 0], [1, 4, 1], [2, 2, 1], [2, 3, 0]]);
  assert.deepEqual(w[0]!.steps, [[10, 20], [11, 21]]);
  assert.deepEqual(w[4]!.steps, [[30, 41], [31, 42]]);
  assert.deepEqual(sensorWindows(rows, 2, 2).map((x) => [x.mote, x.end]), [[1, 2], [1, 4], [2, 2]]);
  // baseline 1: the reading before the window; the first window ends one reading later
  const b1 = sensorWindows(rows, 2, 1, { baseline: 1 });
  assert.deepEqual(b1.map((x) => [x.mote, x.end]), [[1, 3], [1, 4], [2, 3]]);
  assert.deepEqual(b1[0]!.steps, [[1, 1], [2, 2]]);
  assert.deepEqual(b1[2]!.steps, [[30 - 32, 41 - 40], [31 - 32, 42 - 40]]);
  // baseline 2 before mote 2's last reading: humidity 32, 30 → the upper middle of the sorted pair, 32
  const b2 = sensorWindows(rows, 1, 1, { baseline: 2 });
  assert.deepEqual(b2.map((x) => [x.mote, x.end]), [[1, 3], [1, 4], [2, 3]]);
  assert.deepEqual(b2[2]!.steps, [[31 - 32, 42 - 41]]);
  assert.deepEqual(b2[0]!.steps, [[12 - 11, 22 - 21]]);
  refuses(() => sensorWindows(rows, 0), OptionError, 'window must be a positive integer, got 0');
  refuses(() => sensorWindows(rows, 2, 0), OptionError, 'stride must be a positive integer, got 0');
  refuses(() => sensorWindows(rows, 2, 1, { baseline: -1 }), OptionError, 'baseline must be a whole number ≥ 0, got -1');
  refuses(() => sensorWindows(rows, 2, 1, { baseline: 1.5 }), OptionError, 'baseline must be a whole number ≥ 0, got 1.5');
});
