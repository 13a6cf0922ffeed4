/**
 * `rnnkit forecast`: trains a rnnkit forecaster on a numeric column
 * of a CSV/JSON/JSONL file (or the bundled daily US births), scores it on
 * the held-out tail beside the last-value and seasonal-naive baselines,
 * and writes the test predictions (CSV) and a plot (SVG).
 */

import type { CellKind } from '../../cells/cell.js';
import { readTable, numericColumn } from '../../node/csv.js';
import { loadUsBirths } from '../../node/stdlib-data.js';
import { evaluateForecast } from '../../tasks/forecast-eval.js';
import { trainForecaster, type ForecastStrategy } from '../../tasks/forecast.js';
import type { ForecastMetrics } from '../../tasks/metrics.js';
import type { ScalingKind } from '../../tasks/scaling.js';
import { splitByTime } from '../../tasks/splits.js';
import { UsageError, type Command } from '../args.js';
import { fmt } from '../format.js';
import { seriesPlotSvg } from '../plot-series.js';
import { table, trainingOptions, writeAtomic } from '../task-format.js';

export const forecastCommand: Command = {
  name: 'forecast',
  summary: 'forecast a numeric series (CSV/JSON column) and compare with naive baselines',
  usage: '[options] <file.csv|file.json|file.jsonl>   (or --dataset us-births)',
  description: [
    'Splits the series by time into train / validation / test (the held-out tail), scales it',
    'with training statistics, trains a many-to-one network on sliding windows, then forecasts',
    'the test part in blocks of --horizon steps, each from the data before it. Prints RMSE,',
    'MAE and MAPE beside the last-value and seasonal-naive (--period) baselines, and writes',
    'the predictions (--out) and a plot of actual vs predicted (--plot).',
  ].join('\n'),
  options: [
    { name: 'dataset', type: 'choice', choices: ['us-births'], help: 'use a bundled series instead of a file (daily US births 2000–2014)' },
    { name: 'column', type: 'string', arg: 'NAME', help: 'column holding the series (required for a file)' },
    { name: 'horizon', type: 'int', min: 1, default: 14, arg: 'N', help: 'steps ahead to forecast' },
    { name: 'window', type: 'int', min: 1, default: 56, arg: 'W', help: 'past steps the network reads' },
    { name: 'strategy', type: 'choice', choices: ['direct', 'recursive'], default: 'direct', help: 'multi-step forecasts at once, or one step fed back' },
    { name: 'period', type: 'int', min: 1, default: 7, arg: 'M', help: 'season of the seasonal-naive baseline (7 for daily data)' },
    { name: 'scaling', type: 'choice', choices: ['zscore', 'minmax', 'none'], default: 'zscore', help: 'input scaling (fitted on the training part)' },
    { name: 'last', type: 'int', min: 2, arg: 'N', help: 'use only the last N values of the series' },
    { name: 'val-fraction', type: 'number', min: 0, max: 0.5, default: 0.1, arg: 'F', help: 'validation part (before the test part)' },
    { name: 'test-fraction', type: 'number', min: 0, max: 0.5, exclusiveMin: true, default: 0.1, arg: 'F', help: 'held-out tail' },
    { name: 'patience', type: 'int', min: 1, arg: 'N', help: 'stop after N epochs without a better validation loss' },
    ...trainingOptions({ cell: 'lstm', hidden: 32, epochs: 10, lr: 0.005, batch: 32 }),
    { name: 'out', type: 'string', default: 'forecast.csv', arg: 'FILE', help: 'predictions on the test part (CSV)' },
    { name: 'plot', type: 'string', default: 'forecast.svg', arg: 'FILE', help: 'plot of actual vs predicted (SVG)' },
  ],
  positionals: [0, 1],
  async run(args, io) {
    const o = args.options;
    const file = args.positionals[0];
    if (file && o.dataset) throw new UsageError('give a file or --dataset, not both');
    if (!file && !o.dataset) throw new UsageError('give a file (with --column) or --dataset us-births');
    let series: Float64Array;
    let name: string;
    if (file) {
      if (typeof o.column !== 'string') throw new UsageError('--column NAME is required with a file');
      series = numericColumn(readTable(file), o.column);
      name = o.column;
    } else {
      series = Float64Array.from(loadUsBirths().map((r) => r.births));
      name = 'births';
    }
    if (typeof o.last === 'number') series = series.slice(Math.max(0, series.length - o.last));
    const split = splitByTime(series.length, o['val-fraction'] as number, o['test-fraction'] as number, o.horizon as number);
    const started = Date.now();
    const { forecaster, result: fitted } = await trainForecaster(series, split, {
      window: o.window as number, horizon: o.horizon as number, strategy: o.strategy as ForecastStrategy,
      cell: o.cell as CellKind, hiddenSize: o.hidden as number, layers: o.layers as number, scaling: o.scaling as ScalingKind,
      batchSize: o.batch as number, seed: o.seed as number,
      fit: {
        epochs: o.epochs as number, learningRate: o.lr as number,
        ...(typeof o.patience === 'number' ? { patience: o.patience } : {}),
        ...(args.json ? {} : { onEpoch: (e) => io.err(`epoch ${e.epoch + 1}: train loss ${fmt(e.loss, 4)}, validation loss ${fmt(e.validationLoss ?? NaN, 4)}\n`) }),
      },
    });
    const history = fitted.history.epochs;
    const seconds = (Date.now() - started) / 1000;
    const ev = evaluateForecast(series, forecaster, split, o.period as number);
    const csv = ['index,step,actual,predicted,last_value,seasonal_naive', ...ev.rows.map((r) => [r.index, r.step, r.actual, r.predicted, r.lastValue, r.seasonalNaive].join(','))].join('\n') + '\n';
    writeAtomic(o.out as string, csv);
    writeAtomic(o.plot as string, seriesPlotSvg([
      { label: 'actual', color: '#222', points: ev.rows.map((r) => [r.index, r.actual]) },
      { label: `${o.cell} forecast (${o.horizon}-step blocks)`, color: '#d62728', points: ev.rows.map((r) => [r.index, r.predicted]) },
      { label: `seasonal naive (period ${o.period})`, color: '#1f77b4', dash: '4 3', points: ev.rows.map((r) => [r.index, r.seasonalNaive]) },
    ], { title: `${name}: held-out tail (${ev.rows.length} steps)`, xLabel: 'step', yLabel: name }));
    const result = {
      series: name, length: series.length, split, horizon: o.horizon, window: o.window, strategy: o.strategy, cell: o.cell,
      epochs: history.length, trainSeconds: seconds,
      metrics: { model: ev.model, lastValue: ev.lastValue, seasonalNaive: ev.seasonalNaive },
      files: { predictions: o.out, plot: o.plot },
    };
    if (args.json) {
      io.out(JSON.stringify(result, null, 2) + '\n');
      return 0;
    }
    const row = (label: string, m: ForecastMetrics): string[] => [label, fmt(m.rmse, 2), fmt(m.mae, 2), fmt(m.mape, 2)];
    io.out([
      `${name}: ${series.length} steps; train ${split.train[1] - split.train[0]}, validation ${split.validation[1] - split.validation[0]}, test ${split.test[1] - split.test[0]} (held-out tail)`,
      `${o.cell}, H = ${o.hidden}, window ${o.window}, horizon ${o.horizon} (${o.strategy}), ${history.length} epochs in ${seconds.toFixed(1)} s`,
      '',
      ...table([
        ['test part', 'RMSE', 'MAE', 'MAPE %'],
        row(`model (${o.cell})`, ev.model),
        row('last value', ev.lastValue),
        row(`seasonal naive (${o.period})`, ev.seasonalNaive),
      ]),
      '',
      `predictions: ${o.out}   plot: ${o.plot}`,
    ].join('\n') + '\n');
    return 0;
  },
};
