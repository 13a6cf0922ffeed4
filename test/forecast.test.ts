import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose } from './helpers/approx.js';
import { forecastMetrics } from '../src/tasks/metrics.js';
import { lastValueForecast, seasonalNaiveForecast } from '../src/tasks/baselines.js';
import { fitScaler, scale, unscale } from '../src/tasks/scaling.js';
import { splitByTime } from '../src/tasks/splits.js';
import { windowBatch, windowOrigins } from '../src/tasks/windows.js';
import { trainForecaster } from '../src/tasks/forecast.js';
import { evaluateForecast } from '../src/tasks/forecast-eval.js';
import { loadUsBirths } from '../src/node/stdlib-data.js';
import { DataFileError, numericColumn, parseTable } from '../src/node/csv.js';
import { main } from '../src/cli/main.js';

test('forecast metrics: RMSE, MAE, MAPE by hand', () => {
  // errors 1, −2, 0, 3 on actual 2, 4, 5, 10
  const m = forecastMetrics([2, 4, 5, 10], [1, 6, 5, 7]);
  assertClose(m.rmse, Math.sqrt((1 + 4 + 0 + 9) / 4), 1e-12, 'rmse');
  assertClose(m.mae, (1 + 2 + 0 + 3) / 4, 1e-12, 'mae');
  assertClose(m.mape, (100 * (1 / 2 + 2 / 4 + 0 + 3 / 10)) / 4, 1e-12, 'mape');
  // an actual value of 0 is left out of MAPE only
  assertClose(forecastMetrics([0, 2], [1, 1]).mape, 50, 1e-12, 'mape with a zero');
});

test('naive baselines: last value and seasonal naive', () => {
  const s = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.deepEqual(lastValueForecast(s, 6, 3), [6, 6, 6]);
  // period 3 from origin 6 (last seen index 5): h = 1..5 → s[3], s[4], s[5], s[3], s[4]
  assert.deepEqual(seasonalNaiveForecast(s, 6, 5, 3), [4, 5, 6, 4, 5]);
});

test('scaling: z-score and min-max invert exactly', () => {
  const x = [3, 7, 11, 2];
  for (const kind of ['zscore', 'minmax'] as const) {
    const sc = fitScaler(kind, x);
    const z = scale(sc, x);
    assertClose(Array.from(z, (v) => unscale(sc, v)), x, 1e-12, kind);
  }
  const mm = scale(fitScaler('minmax', x), x);
  assertClose(Array.from(mm), [1 / 9, 5 / 9, 1, 0], 1e-12, 'min-max values');
});

test('windows and time split', () => {
  const sp = splitByTime(100, 0.1, 0.2);
  assert.deepEqual(sp, { train: [0, 70], validation: [70, 80], test: [80, 100] });
  assert.deepEqual(windowOrigins(0, 10, 3, 2), [3, 4, 5, 6, 7, 8]);
  const b = windowBatch([0, 1, 2, 3, 4, 5], [2, 3], 2, 2, 'float64');
  // x is step-major T×B: step 1 = [s0, s1], step 2 = [s1, s2]
  assert.deepEqual(Array.from(b.x.data as Float64Array), [0, 1, 1, 2]);
  // targets at the last step only: origin 2 → [2, 3], origin 3 → [3, 4]
  assert.deepEqual(Array.from(b.y.data as Float64Array), [0, 0, 0, 0, 2, 3, 3, 4]);
});

test('CSV loading: named columns, clear errors for missing, non-numeric and unknown', () => {
  const t = parseTable('day,births\n1,10\n2,12\n', 'x.csv', 'csv');
  assert.deepEqual(Array.from(numericColumn(t, 'births')), [10, 12]);
  assert.throws(() => numericColumn(t, 'deaths'), (e: unknown) => e instanceof DataFileError && /no column "deaths"; columns are "day", "births"/.test(e.message));
  assert.throws(() => numericColumn(parseTable('a,b\n1,\n', 'y.csv', 'csv'), 'b'), /line 2 has no value in column "b"/);
  assert.throws(() => numericColumn(parseTable('a\n1\nabc\n', 'y.csv', 'csv'), 'a'), /line 3, column "a": "abc" is not a number/);
  const j = parseTable('{"v": 1}\n{"v": "2.5"}\n', 'z.jsonl', 'jsonl');
  assert.deepEqual(Array.from(numericColumn(j, 'v')), [1, 2.5]);
  assert.throws(() => parseTable('{"v": 1}\n{oops\n', 'z.jsonl', 'jsonl'), /line 2 is not valid JSON/);
});

test('forecast: an RNN beats the last-value baseline on held-out US births (small slice)', async () => {
  const births = loadUsBirths().map((r) => r.births);
  assert.equal(births.length, 5479);
  const series = births.slice(births.length - 700);
  const split = splitByTime(series.length, 0.1, 0.1, 14);
  const { forecaster } = await trainForecaster(series, split, { cell: 'rnn', hiddenSize: 16, window: 28, horizon: 14, seed: 1, fit: { epochs: 4, learningRate: 0.005 } });
  const ev = evaluateForecast(series, forecaster, split, 7);
  assert.equal(ev.rows.length, split.test[1] - split.test[0]);
  assert.ok(ev.model.rmse < ev.lastValue.rmse, `model RMSE ${ev.model.rmse} vs last value ${ev.lastValue.rmse}`);
  // the recursive strategy runs and gives finite forecasts of the right length
  const rec = await trainForecaster(series, split, { cell: 'rnn', hiddenSize: 8, window: 14, horizon: 7, strategy: 'recursive', fit: { epochs: 1 } });
  const p = rec.forecaster.predict(series, [split.test[0]]);
  assert.equal(p[0]!.length, 7);
  assert.ok(p[0]!.every(Number.isFinite));
});

test('forecast CLI: usage errors exit 2, data errors exit 1 with one line', async () => {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s), isTTY: false, signal: new AbortController().signal };
  assert.equal(await main(['forecast', '--horizon', 'x', '--dataset', 'us-births'], io), 2);
  assert.equal(await main(['forecast', 'no-such-file.csv', '--column', 'y'], io), 1);
  assert.match(err.join(''), /no-such-file\.csv: no such file/);
  assert.equal(await main(['forecast', '--help'], io), 0);
  assert.match(out.join(''), /--horizon/);
});

test('series plot: one polyline per series and a legend entry each', async () => {
  const { seriesPlotSvg } = await import('../src/cli/plot-series.js');
  const svg = seriesPlotSvg([
    { label: 'actual', color: '#000', points: [[0, 1], [1, 3], [2, NaN], [3, 2]] },
    { label: 'forecast <a&b>', color: '#f00', dash: '4 3', points: [[0, 1.5], [1, 2.5]] },
  ], { title: 't' });
  assert.equal(svg.match(/<polyline/g)!.length, 2);
  assert.match(svg, /forecast &lt;a&amp;b&gt;/);
  assert.ok(svg.startsWith('<svg') && svg.trimEnd().endsWith('</svg>'));
  assert.ok(!/NaN/.test(svg), 'a non-finite point leaked into the SVG');
});
