/**
 * Forecasting a numeric series with a recurrent network (many-to-one on
 * sliding windows). The series is scaled with statistics of the training
 * part; the network reads the last W scaled values and predicts
 *
 * - `recursive`: the next value ŷ(o) (K = 1); for h > 1 each prediction is
 *   appended to the window and fed back;
 * - `direct`: all of ŷ(o..o+horizon−1) at once (K = horizon).
 *
 * Training is {@link fit} on {@link WindowBatches}; afterwards the absolute
 * errors on the validation part, per step ahead, calibrate split-conformal
 * intervals (./conformal.ts) for forecasts past the end of a series.
 */

import { expectChoice, expectPositiveInt, OptionError, ShapeError } from '../core/errors.js';
import type { DType } from '../core/tensor.js';
import { CELL_KINDS, type CellKind } from '../cells/cell.js';
import { WindowBatches } from '../data/series-windows.js';
import { Network } from '../model/network.js';
import { fit } from '../train/fit.js';
import type { FitOptions, FitResult } from '../train/fit-types.js';
import { conformalQuantile } from './conformal.js';
import { fitScaler, scale, unscale, type Scaler, type ScalingKind } from './scaling.js';
import type { TimeSplit } from './splits.js';
import { continueTimes, indexAxis, type TimeAxis } from './time-axis.js';
import { windowBatch, windowOrigins } from './windows.js';

export const FORECAST_STRATEGIES = ['recursive', 'direct'] as const;
export type ForecastStrategy = (typeof FORECAST_STRATEGIES)[number];

/** What a forecaster knows besides its network and window geometry (all saved in its model file). */
export interface ForecasterDetails {
  /** Season of the series (7 for daily data), for the seasonal-naive baseline. */
  readonly period?: number;
  /** Name of the column the series came from. */
  readonly column?: string;
  /** Time axis of the series it was trained on (last time and step). */
  readonly time?: TimeAxis;
  /**
   * Held-out absolute errors, in the series' units, per step ahead:
   * `calibration[h − 1]` holds |y − ŷ| of every validation origin at h steps
   * ahead (split conformal, ./conformal.ts).
   */
  readonly calibration?: readonly (readonly number[])[];
}

/** One step of a forecast past the end of a series, with split-conformal intervals. */
export interface ForecastStep {
  /** Steps after the last observation (1..horizon). */
  readonly step: number;
  /** The time continued from the series' time axis (a YYYY-MM-DD date or a number). */
  readonly time: string | number;
  readonly value: number;
  readonly lower80: number;
  readonly upper80: number;
  readonly lower95: number;
  readonly upper95: number;
}

/** Options of {@link Forecaster.forecast}. */
export interface ForecastOptions {
  /** Steps to forecast, at most the trained horizon. Default: the trained horizon. */
  readonly horizon?: number;
  /** The time axis of `series` (its last time and step). Default: indices 0..n−1. */
  readonly time?: TimeAxis;
}

/** A trained forecaster: the network, its scaler, its window geometry and what it knows about the series. */
export class Forecaster {
  constructor(
    readonly net: Network,
    readonly scaler: Scaler,
    readonly window: number,
    readonly horizon: number,
    readonly strategy: ForecastStrategy,
    public details: ForecasterDetails = {},
  ) {}

  /**
   * Forecasts `horizon` values after each origin (the window is the
   * `window` raw values before it). Returns one array per origin, in the
   * series' own units.
   */
  predict(series: ArrayLike<number>, origins: readonly number[]): number[][] {
    const W = this.window;
    const Hz = this.horizon;
    const dtype = this.net.config.dtype;
    for (const o of origins) if (o < W || o > series.length) throw new ShapeError(`origin ${o} needs ${W} earlier values (window) within a series of ${series.length}`);
    const z = scale(this.scaler, series);
    const out = origins.map(() => new Array<number>(Hz).fill(0));
    if (origins.length === 0) return out;
    if (this.strategy === 'direct') {
      const batch = windowBatch(padded(z, origins, Hz), origins, W, Hz, dtype);
      const yhat = this.net.forward(batch);
      const B = origins.length;
      origins.forEach((_, b) => {
        for (let k = 0; k < Hz; k++) out[b]![k] = unscale(this.scaler, yhat[((W - 1) * B + b) * Hz + k]!);
      });
      return out;
    }
    // recursive: x(o+h) ← ŷ(o+h) for the next window
    const B = origins.length;
    const win = origins.map((o) => Array.from(z.subarray(o - W, o)));
    const seq = new Float64Array(B * (W + 1));
    for (let h = 0; h < Hz; h++) {
      const starts = win.map((w, b) => {
        seq.set(w.slice(w.length - W), b * (W + 1));
        return b * (W + 1) + W;
      });
      const batch = windowBatch(seq, starts, W, 1, dtype);
      const yhat = this.net.forward(batch);
      for (let b = 0; b < B; b++) {
        const p = yhat[(W - 1) * B + b]!;
        win[b]!.push(p);
        out[b]![h] = unscale(this.scaler, p);
      }
    }
    return out;
  }

  /**
   * Forecasts the `horizon` steps after the END of `series` (its last
   * `window` values are the input), each with split-conformal 80 % and
   * 95 % intervals from the held-out errors at that step ahead (nested:
   * the 95 % band contains the 80 % band), and times continued from
   * `options.time`. Throws an OptionError for a horizon beyond the trained
   * one or a forecaster without held-out errors, a ShapeError for a series
   * shorter than the window or holding non-finite values.
   */
  forecast(series: ArrayLike<number>, options: ForecastOptions = {}): ForecastStep[] {
    const n = options.horizon === undefined ? this.horizon : expectPositiveInt('horizon', options.horizon);
    if (n > this.horizon) throw new OptionError(`horizon ${n} is beyond the ${this.horizon} steps this forecaster was trained and calibrated for; forecast at most ${this.horizon} steps or retrain with a longer horizon`);
    const cal = this.details.calibration;
    if (!cal || cal.length < n || cal.slice(0, n).some((e) => e.length === 0)) {
      throw new OptionError('this forecaster has no held-out errors to make intervals from; train it with a validation part (calibrateForecaster)');
    }
    if (series.length < this.window) throw new ShapeError(`the series has ${series.length} values; the forecaster reads the last ${this.window} (its window)`);
    checkFinite(series);
    const values = this.predict(series, [series.length])[0]!;
    const times = continueTimes(options.time ?? indexAxis(series.length), n);
    return Array.from({ length: n }, (_, h) => {
      const v = values[h]!;
      const q80 = conformalQuantile(cal[h]!, 0.8);
      const q95 = Math.max(conformalQuantile(cal[h]!, 0.95), q80);
      return { step: h + 1, time: times[h]!, value: v, lower80: v - q80, upper80: v + q80, lower95: v - q95, upper95: v + q95 };
    });
  }
}

/** The series with room after the last origin's window (targets are unused when predicting). */
function padded(z: Float64Array, origins: readonly number[], K: number): Float64Array {
  let last = 0;
  for (const o of origins) if (o > last) last = o;
  const need = last + K;
  if (need <= z.length) return z;
  const p = new Float64Array(need);
  p.set(z);
  return p;
}

function checkFinite(series: ArrayLike<number>): void {
  for (let i = 0; i < series.length; i++) {
    if (!Number.isFinite(series[i])) throw new ShapeError(`series value ${i} is ${series[i]}; every value must be a finite number`);
  }
}

/** Options of {@link forecasterSetup} and {@link trainForecaster}. */
export interface ForecasterOptions {
  /** Steps the network reads, W. Default 56. */
  readonly window?: number;
  /** Steps ahead to forecast. Default 14. */
  readonly horizon?: number;
  /** Default `"direct"`. */
  readonly strategy?: ForecastStrategy;
  /** Default `"rnn"`. */
  readonly cell?: CellKind;
  /** Default 32. */
  readonly hiddenSize?: number;
  /** Default 1. */
  readonly layers?: number;
  /** Default `"zscore"`. */
  readonly scaling?: ScalingKind;
  /** Default `"float32"`. */
  readonly dtype?: DType;
  /** Seeds initialisation (seed) and shuffling (seed + 1). Default 1. */
  readonly seed?: number;
  /** Stride between training windows. Default 1. */
  readonly stride?: number;
  /** Windows per update. Default 32. */
  readonly batchSize?: number;
  /** Saved with the model: the season, the column name and the series' time axis. */
  readonly period?: number;
  readonly column?: string;
  readonly time?: TimeAxis;
  /**
   * Continue training this forecaster (decoded from a model file, with
   * `resume` in the fit options) instead of building a new one; its scaler
   * and geometry are kept.
   */
  readonly model?: Forecaster;
}

/** A forecaster ready to train: its data as batch sources and fit's defaults for it. */
export interface ForecasterSetup {
  /** The forecaster (trained in place by {@link run}). */
  readonly forecaster: Forecaster;
  /** Its network: what a DataParallel for `parallel` is made for. */
  readonly net: Network;
  readonly train: WindowBatches;
  /** Windows whose targets lie in the validation part (they may reach back into training). */
  readonly validation: WindowBatches;
  /**
   * fit's options for this task: adam, η 0.005, clipNorm 5, 20 epochs,
   * restoreBest, shuffling seeded with seed + 1, and the divergence
   * baseline (the validation loss of predicting the training mean).
   */
  readonly defaults: FitOptions;
  /** `fit(net, train, { ...defaults, validation, ...options })`, then {@link calibrateForecaster}. */
  run(options?: FitOptions): Promise<TrainedForecaster>;
}

/** A trained forecaster and how its training went. */
export interface TrainedForecaster {
  readonly forecaster: Forecaster;
  readonly result: FitResult;
}

/**
 * Prepares a forecaster for `series` split by time: the scaler (fitted on
 * the training part), the network and the window sources. Throws a
 * ShapeError for non-finite values or values too large to scale, an
 * OptionError when the parts are too short for the window and horizon (the
 * validation part must hold at least `horizon` steps: its errors make the
 * intervals).
 */
export function forecasterSetup(series: ArrayLike<number>, split: TimeSplit, options: ForecasterOptions = {}): ForecasterSetup {
  const m = options.model;
  const W = m ? m.window : options.window === undefined ? 56 : expectPositiveInt('window', options.window);
  const Hz = m ? m.horizon : options.horizon === undefined ? 14 : expectPositiveInt('horizon', options.horizon);
  const strategy = m ? m.strategy : options.strategy === undefined ? 'direct' : expectChoice('strategy', options.strategy, FORECAST_STRATEGIES);
  const seed = options.seed ?? 1;
  const [trainStart, trainEnd] = split.train;
  const [valStart, valEnd] = split.validation;
  if (trainEnd - trainStart < W + Hz) throw new OptionError(`the training part has ${trainEnd - trainStart} steps; it needs at least window + horizon = ${W + Hz}: lower the window or the horizon, or use a longer series`);
  if (valEnd - valStart < Hz) throw new OptionError(`the validation part has ${valEnd - valStart} steps, fewer than the horizon ${Hz}: its errors at every step ahead make the intervals; raise the validation fraction or lower the horizon`);
  checkFinite(series);
  const scaler = m ? m.scaler : fitScaler(options.scaling ?? 'zscore', Array.prototype.slice.call(series, trainStart, trainEnd) as number[]);
  const z = scale(scaler, series);
  for (let i = 0; i < z.length; i++) {
    if (!Number.isFinite(z[i])) throw new ShapeError(`series value ${i} (${series[i]}) cannot be scaled to a finite number with the training part's statistics; rescale the column (e.g. to thousands)`);
  }
  const K = strategy === 'direct' ? Hz : 1;
  const dtype = options.dtype ?? 'float32';
  const net = m ? m.net : new Network({
    cell: options.cell === undefined ? 'rnn' : expectChoice('cell', options.cell, CELL_KINDS),
    inputSize: 1, hiddenSize: options.hiddenSize ?? 32, outputSize: K, layers: options.layers ?? 1, dtype, seed,
  });
  const details: ForecasterDetails = {
    ...m?.details,
    ...(options.period !== undefined ? { period: expectPositiveInt('period', options.period) } : {}),
    ...(options.column !== undefined ? { column: options.column } : {}),
    ...(options.time !== undefined ? { time: options.time } : {}),
  };
  const forecaster = m ?? new Forecaster(net, scaler, W, Hz, strategy, details);
  if (m) forecaster.details = details;
  const batchSize = options.batchSize === undefined ? 32 : expectPositiveInt('batchSize', options.batchSize);
  const trainOrigins = windowOrigins(trainStart, trainEnd, W, K, options.stride ?? 1);
  const valOrigins = windowOrigins(0, valEnd, W, K, 1, valStart);
  if (valOrigins.length === 0) throw new OptionError(`no validation windows: the validation part [${valStart}, ${valEnd}) needs ${W} earlier steps and ${K} targets`);
  const train = new WindowBatches(z, trainOrigins, { window: W, targets: K, batchSize });
  const validation = new WindowBatches(z, valOrigins, { window: W, targets: K, batchSize: train.B, shuffle: false });
  // learned nothing: worse than predicting the training mean on the validation targets
  let mean = 0;
  for (let i = trainStart; i < trainEnd; i++) mean += z[i]! / (trainEnd - trainStart);
  let baseline = 0;
  for (const o of valOrigins) for (let k = 0; k < K; k++) baseline += (z[o + k]! - mean) ** 2 / valOrigins.length;
  const defaults: FitOptions = {
    optimizer: { kind: 'adam' }, learningRate: 0.005, clipNorm: 5, epochs: 20, restoreBest: true, seed: seed + 1,
    divergence: { baseline },
  };
  return {
    forecaster, net, train, validation, defaults,
    async run(fitOptions: FitOptions = {}): Promise<TrainedForecaster> {
      const result = await fit(net, train, { ...defaults, validation, ...fitOptions });
      calibrateForecaster(forecaster, series, split);
      return { forecaster, result };
    },
  };
}

/**
 * Trains a forecaster on the training part of `series` (fit with
 * `options.fit` over the task's defaults; see {@link ForecasterSetup}),
 * keeping the parameters of the best validation, then calibrates its
 * intervals on the validation part.
 *
 * @example
 * const split = splitByTime(series.length, 0.1, 0.1, 14);
 * const { forecaster } = await trainForecaster(series, split, { horizon: 14, cell: 'lstm', fit: { epochs: 10 } });
 * forecaster.forecast(series, { time: timeAxisOf(dates) }); // 14 rows after the last date
 */
export async function trainForecaster(series: ArrayLike<number>, split: TimeSplit, options: ForecasterOptions & { readonly fit?: FitOptions } = {}): Promise<TrainedForecaster> {
  const { fit: fitOptions, ...rest } = options;
  return forecasterSetup(series, split, rest).run(fitOptions);
}

/**
 * Sets the forecaster's held-out errors: for every origin o in the
 * validation part with all `horizon` targets inside it, |y(o+h−1) − ŷ_h|
 * for h = 1..horizon, in the series' units.
 */
export function calibrateForecaster(forecaster: Forecaster, series: ArrayLike<number>, split: TimeSplit): void {
  const [valStart, valEnd] = split.validation;
  const Hz = forecaster.horizon;
  const origins = windowOrigins(0, valEnd, forecaster.window, Hz, 1, valStart);
  if (origins.length === 0) throw new OptionError(`the validation part [${valStart}, ${valEnd}) holds no window with ${Hz} targets to calibrate the intervals on`);
  const errors: number[][] = Array.from({ length: Hz }, () => []);
  for (let s = 0; s < origins.length; s += 256) {
    const part = origins.slice(s, s + 256);
    const preds = forecaster.predict(series, part);
    part.forEach((o, b) => {
      for (let h = 0; h < Hz; h++) errors[h]!.push(Math.abs(series[o + h]! - preds[b]![h]!));
    });
  }
  forecaster.details = { ...forecaster.details, calibration: errors };
}
