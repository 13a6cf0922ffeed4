/**
 * `rnnkit forecast`: trains a forecaster on a numeric column of a
 * CSV/JSON/JSONL file (or the bundled daily US births), saves it (a `.rnn`
 * model of kind "forecaster" that `rnnkit predict` uses on new data),
 * scores it on the held-out tail beside the last-value and seasonal-naive
 * baselines, and reports how often the truth fell inside its 80 % and 95 %
 * intervals there.
 */

import type { CellKind } from '../../cells/cell.js';
import { OptionError } from '../../core/errors.js';
import type { DType } from '../../core/tensor.js';
import { encodeModel } from '../../io/model-file.js';
import { loadModelFile } from '../model-input.js';
import { GENERATOR_MARK, markedText, writeFileAtomic } from '../../node/outputs.js';
import { conformalQuantile } from '../../tasks/conformal.js';
import { evaluateForecast, type ForecastEvaluation } from '../../tasks/forecast-eval.js';
import { calibrateForecaster, forecasterSetup, type Forecaster, type ForecastStrategy } from '../../tasks/forecast.js';
import type { ForecastMetrics } from '../../tasks/metrics.js';
import type { ScalingKind } from '../../tasks/scaling.js';
import { splitByTime, type TimeSplit } from '../../tasks/splits.js';
import type { FitState } from '../../train/fit-types.js';
import type { Command } from '../args.js';
import { fmt } from '../format.js';
import { rnnkitCommand } from '../hints.js';
import { seriesPlotSvg } from '../plot-series.js';
import { loadSeries, SERIES_OPTIONS, seriesSourceOf, type SeriesSource } from '../series-input.js';
import { modelOptions, stemOf, table } from '../task-format.js';
import { checkBatch, finishRun, guardRunOutputs, runLimits, runOptions, runTraining, threadCount, withOutputLock } from '../training-run.js';

/** The settings that define a forecaster and its data split; saved with the model and fixed by --resume. */
export interface ForecastSettings {
  readonly window: number;
  readonly horizon: number;
  readonly strategy: ForecastStrategy;
  readonly period: number;
  readonly scaling: ScalingKind;
  readonly last?: number;
  readonly valFraction: number;
  readonly testFraction: number;
  readonly cell: CellKind;
  readonly hidden: number;
  readonly layers: number;
  readonly batch: number;
  readonly seed: number;
  readonly dtype: DType;
}

/** What a forecaster's model file keeps about the run (its `extra`). */
interface ForecastExtra {
  readonly command: 'forecast';
  readonly settings: ForecastSettings;
  readonly source: SeriesSource;
  readonly split: TimeSplit;
}

export const forecastCommand: Command = {
  name: 'forecast',
  summary: 'train a forecaster on a numeric series, save it, and compare it with naive baselines',
  usage: '[options] <file.csv|file.json|file.jsonl>   (or --dataset us-births)',
  description: [
    'Splits the series by time into train / validation / test (the held-out tail), scales it',
    'with training statistics, trains a many-to-one network on sliding windows (keeping the',
    'parameters of the best validation), and saves it to -o (default births.rnn for the bundled',
    'data, <file>.rnn for a file). The validation errors at each step ahead give its 80 % and',
    '95 % intervals. Then forecasts the test part in blocks of --horizon steps, each from the',
    'data before it, and prints RMSE, MAE and MAPE beside the last-value and seasonal-naive',
    '(--period) baselines, and how often the truth fell inside the intervals. --predictions',
    'and --plot write the test forecasts (CSV) and a plot (SVG). With --resume the model and',
    'split settings come from the model file. Use the model with: rnnkit predict MODEL DATA.',
  ].join('\n'),
  options: [
    ...SERIES_OPTIONS,
    { name: 'horizon', type: 'int', min: 1, default: 14, arg: 'N', help: 'steps ahead to forecast' },
    { name: 'window', type: 'int', min: 1, default: 56, arg: 'W', help: 'past steps the network reads' },
    { name: 'strategy', type: 'choice', choices: ['direct', 'recursive'], default: 'direct', help: 'multi-step forecasts at once, or one step fed back' },
    { name: 'period', type: 'int', min: 1, default: 7, arg: 'M', help: 'season of the seasonal-naive baseline (7 for daily data)' },
    { name: 'scaling', type: 'choice', choices: ['zscore', 'minmax', 'none'], default: 'zscore', help: 'input scaling (fitted on the training part)' },
    { name: 'last', type: 'int', min: 2, arg: 'N', help: 'use only the last N values of the series' },
    { name: 'val-fraction', type: 'number', min: 0, max: 0.5, default: 0.1, arg: 'F', help: 'validation part (before the test part); its errors make the intervals' },
    { name: 'test-fraction', type: 'number', min: 0, max: 0.5, exclusiveMin: true, default: 0.1, arg: 'F', help: 'held-out tail' },
    { name: 'patience', type: 'int', min: 1, arg: 'N', help: 'stop after N validations (epochs) without a better validation loss' },
    ...modelOptions({ cell: 'lstm', hidden: 32, lr: 0.005, batch: 32 }),
    ...runOptions({ out: 'births.rnn or <file>.rnn', checkpointEvery: 500, limit: 'epochs', limitDefault: 10 }),
    { name: 'predictions', type: 'string', arg: 'FILE', help: 'write the test-part forecasts and baselines here (CSV)' },
    { name: 'plot', type: 'string', arg: 'FILE', help: 'write a plot of actual vs forecast on the test part here (SVG)' },
  ],
  positionals: [0, 1],
  async run(args, io) {
    const o = args.options;
    const file = args.positionals[0];
    let resumed: { forecaster: Forecaster; state: FitState | undefined; extra: ForecastExtra } | null = null;
    if (typeof o.resume === 'string') {
      const decoded = await loadModelFile(o.resume);
      const extra = decoded.extra as Partial<ForecastExtra>;
      if (decoded.model.kind !== 'forecaster' || extra.command !== 'forecast' || !extra.settings || !extra.source) {
        throw new OptionError(`${o.resume} is not a forecaster saved by rnnkit forecast; resume it with the command that made it, or start a new run`);
      }
      if (!decoded.state) throw new OptionError(`${o.resume} holds a forecaster but not the training state to resume it; start a new run instead`);
      resumed = { forecaster: decoded.model.forecaster, state: decoded.state, extra: extra as ForecastExtra };
    }
    const source = seriesSourceOf(o, file, resumed?.extra.source);
    const s: ForecastSettings = resumed ? resumed.extra.settings : {
      window: o.window as number, horizon: o.horizon as number, strategy: o.strategy as ForecastStrategy, period: o.period as number,
      scaling: o.scaling as ScalingKind, ...(typeof o.last === 'number' ? { last: o.last } : {}),
      valFraction: o['val-fraction'] as number, testFraction: o['test-fraction'] as number,
      cell: o.cell as CellKind, hidden: o.hidden as number, layers: o.layers as number, batch: o.batch as number,
      seed: o.seed as number, dtype: o.dtype as DType,
    };
    const out = String(o.out ?? o.resume ?? ('dataset' in source ? 'births.rnn' : `${stemOf(source.file)}.rnn`));
    const limits = runLimits(o, { epochs: 10 });
    const others = [
      ...(typeof o.predictions === 'string' ? [{ path: o.predictions, label: '--predictions' }] : []),
      ...(typeof o.plot === 'string' ? [{ path: o.plot, label: '--plot' }] : []),
    ];
    return withOutputLock(out, 'forecast', 'lower --lr', async () => {
      const replacing = guardRunOutputs(o, out, others, 'file' in source ? [source.file] : []);
      if (replacing) io.err(`${replacing}\n`);
      const data = loadSeries(source);
      let series = data.values;
      if (s.last !== undefined) series = series.slice(Math.max(0, series.length - s.last));
      const split = splitByTime(series.length, s.valFraction, s.testFraction, s.horizon);
      const setup = forecasterSetup(series, split, {
        window: s.window, horizon: s.horizon, strategy: s.strategy, cell: s.cell, hiddenSize: s.hidden, layers: s.layers,
        scaling: s.scaling, dtype: s.dtype, seed: s.seed, batchSize: s.batch, period: s.period, column: data.name, time: data.axis,
        ...(resumed ? { model: resumed.forecaster } : {}),
      });
      const { forecaster } = setup;
      checkBatch(s.batch, setup.train.B, 'training windows');
      const { epochs: _taskEpochs, ...defaults } = setup.defaults;
      const extra: ForecastExtra = { command: 'forecast', settings: s, source, split };
      const save = async (state: FitState | undefined): Promise<void> => {
        calibrateForecaster(forecaster, series, split);
        await writeFileAtomic(out, encodeModel({ kind: 'forecaster', forecaster }, { ...(state ? { state } : {}), extra: { ...extra } }));
      };
      const threads = threadCount(o, setup.train.B);
      if (!args.json) {
        io.err(`${resumed ? `resuming at step ${resumed.state?.step ?? 0}` : 'training'} on ${data.name}: ${series.length} steps; train ${split.train[1] - split.train[0]}, validation ${split.validation[1] - split.validation[0]}, test ${split.test[1] - split.test[0]}\n`);
        io.err(`${s.cell}, H = ${s.hidden}, window ${s.window}, horizon ${s.horizon} (${s.strategy}), ${s.dtype}, ${threads} thread${threads > 1 ? 's' : ''}, saving to ${out}\n`);
      }
      const run = await runTraining({
        model: setup.net, data: setup.train, limits, checkpointEvery: o['checkpoint-every'] as number, threads, signal: io.signal,
        fit: { ...defaults, validation: setup.validation, learningRate: o.lr as number, ...(typeof o.patience === 'number' ? { patience: o.patience } : {}) },
        ...(resumed?.state ? { resume: resumed.state } : {}),
        ...(args.json ? {} : { onEpoch: (e) => io.err(`epoch ${e.epoch + 1}: train loss ${fmt(e.loss, 4)}, validation loss ${fmt(e.validationLoss ?? NaN, 4)}\n`) }),
        save,
        saved: (at) => { if (!args.json) io.err(`saved ${out} at step ${at}\n`); },
      });
      const stopped = await finishRun(run, save, { io, out, command: 'forecast' });
      if (stopped !== null) return stopped;
      const ev = evaluateForecast(series, forecaster, split, s.period);
      const coverage = intervalCoverage(ev, forecaster);
      if (typeof o.predictions === 'string') {
        const csv = ['index,step,actual,predicted,last_value,seasonal_naive', ...ev.rows.map((r) => [r.index, r.step, r.actual, r.predicted, r.lastValue, r.seasonalNaive].join(','))].join('\n') + '\n';
        await writeFileAtomic(o.predictions, markedText('csv', csv));
      }
      if (typeof o.plot === 'string') {
        await writeFileAtomic(o.plot, markedText('svg', seriesPlotSvg([
          { label: 'actual', color: '#222', points: ev.rows.map((r) => [r.index, r.actual]) },
          { label: `${s.cell} forecast (${s.horizon}-step blocks)`, color: '#d62728', points: ev.rows.map((r) => [r.index, r.predicted]) },
          { label: `seasonal naive (period ${s.period})`, color: '#1f77b4', dash: '4 3', points: ev.rows.map((r) => [r.index, r.seasonalNaive]) },
        ], { title: `${data.name}: held-out tail (${ev.rows.length} steps)`, xLabel: 'step', yLabel: data.name })));
      }
      const result = {
        generator: GENERATOR_MARK, model: out, series: data.name, length: series.length, split, settings: s,
        step: run.step, epochs: run.epoch, stopReason: run.stop, trainSeconds: run.seconds, threads,
        metrics: { model: ev.model, lastValue: ev.lastValue, seasonalNaive: ev.seasonalNaive },
        intervalCoverage: coverage,
        files: { model: out, ...(typeof o.predictions === 'string' ? { predictions: o.predictions } : {}), ...(typeof o.plot === 'string' ? { plot: o.plot } : {}) },
      };
      if (args.json) {
        io.out(JSON.stringify(result, null, 2) + '\n');
        return 0;
      }
      const row = (label: string, m: ForecastMetrics): string[] => [label, fmt(m.rmse, 2), fmt(m.mae, 2), fmt(m.mape, 2)];
      const pct = (v: number): string => `${(100 * v).toFixed(1)} %`;
      io.out([
        `${data.name}: ${series.length} steps; train ${split.train[1] - split.train[0]}, validation ${split.validation[1] - split.validation[0]}, test ${split.test[1] - split.test[0]} (held-out tail)`,
        `${s.cell}, H = ${s.hidden}, window ${s.window}, horizon ${s.horizon} (${s.strategy}): ${run.step} steps, ${run.epoch} epochs in ${run.seconds.toFixed(1)} s (${run.stop})`,
        '',
        ...table([
          ['test part', 'RMSE', 'MAE', 'MAPE %'],
          row(`model (${s.cell})`, ev.model),
          row('last value', ev.lastValue),
          row(`seasonal naive (${s.period})`, ev.seasonalNaive),
        ]),
        '',
        `intervals on the test part: the truth fell inside the 80 % band ${pct(coverage.inside80)} and the 95 % band ${pct(coverage.inside95)} of the time (${coverage.points} points)`,
        `model: ${out}${typeof o.predictions === 'string' ? `   predictions: ${o.predictions}` : ''}${typeof o.plot === 'string' ? `   plot: ${o.plot}` : ''}`,
        `forecast past the end with: ${rnnkitCommand()} predict ${out} ${'dataset' in source ? '--dataset us-births' : source.file}`,
      ].join('\n') + '\n');
      return 0;
    });
  },
};

/** How often the test part's truth fell inside the forecaster's 80 % and 95 % intervals (per step ahead, from its calibration). */
function intervalCoverage(ev: ForecastEvaluation, f: Forecaster): { inside80: number; inside95: number; points: number } {
  const cal = f.details.calibration!;
  const q80 = cal.map((e) => conformalQuantile(e, 0.8));
  const q95 = cal.map((e, h) => Math.max(conformalQuantile(e, 0.95), q80[h]!));
  let in80 = 0;
  let in95 = 0;
  for (const r of ev.rows) {
    const err = Math.abs(r.actual - r.predicted);
    if (err <= q80[r.step - 1]!) in80++;
    if (err <= q95[r.step - 1]!) in95++;
  }
  const n = ev.rows.length;
  return { inside80: n ? in80 / n : NaN, inside95: n ? in95 / n : NaN, points: n };
}
