/**
 * Forecasting a numeric series with a recurrent network (many-to-one on
 * sliding windows). The series is scaled with statistics of the training
 * part; the network reads the last W scaled values and predicts
 *
 * - `recursive`: the next value ŷ(o) (K = 1); for h > 1 each prediction is
 *   appended to the window and fed back;
 * - `direct`: all of ŷ(o..o+horizon−1) at once (K = horizon).
 *
 * Predictions are unscaled before they are scored.
 */

import { expectChoice, expectPositiveInt, OptionError, ShapeError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { DType } from '../core/tensor.js';
import { CELL_KINDS, type CellKind } from '../cells/cell.js';
import { Network } from '../model/network.js';
import { fitScaler, scale, unscale, type Scaler, type ScalingKind } from './scaling.js';
import { trainLoop, type TaskEpochRecord, type TrainLoopOptions } from './train-loop.js';
import { windowBatch, windowOrigins } from './windows.js';
import type { TimeSplit } from './splits.js';

export const FORECAST_STRATEGIES = ['recursive', 'direct'] as const;
export type ForecastStrategy = (typeof FORECAST_STRATEGIES)[number];

/** Options of {@link trainForecaster}. */
export interface ForecasterOptions extends Omit<TrainLoopOptions, 'rng'> {
  /** Steps the network reads, W. Default 56. */
  readonly window?: number;
  /** Steps ahead to forecast. Default 14. */
  readonly horizon?: number;
  /** Default `"direct"`. */
  readonly strategy?: ForecastStrategy;
  /** Default `"lstm"` when registered, else `"rnn"`. */
  readonly cell?: CellKind;
  /** Default 32. */
  readonly hiddenSize?: number;
  /** Default 1. */
  readonly layers?: number;
  /** Default `"zscore"`. */
  readonly scaling?: ScalingKind;
  /** Default `"float32"`. */
  readonly dtype?: DType;
  /** Seeds initialisation and shuffling. Default 1. */
  readonly seed?: number;
  /** Stride between training windows. Default 1. */
  readonly stride?: number;
}

/** A trained forecaster: the network, its scaler and its window geometry. */
export class Forecaster {
  constructor(
    readonly net: Network,
    readonly scaler: Scaler,
    readonly window: number,
    readonly horizon: number,
    readonly strategy: ForecastStrategy,
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
    const z = scale(this.scaler, Array.prototype.slice.call(series, 0) as number[]);
    const out = origins.map(() => new Array<number>(Hz).fill(0));
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
    for (let h = 0; h < Hz; h++) {
      const seq = new Float64Array(B * (W + 1));
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
}

/** The series with room after the last origin's window (targets are unused when predicting). */
function padded(z: Float64Array, origins: readonly number[], K: number): Float64Array {
  const need = Math.max(...origins) + K;
  if (need <= z.length) return z;
  const p = new Float64Array(need);
  p.set(z);
  return p;
}

/** A trained forecaster and its training history. */
export interface TrainedForecaster {
  readonly forecaster: Forecaster;
  readonly history: TaskEpochRecord[];
}

/**
 * Trains a forecaster on the training part of `series`, keeping the
 * parameters of the epoch with the lowest validation loss (windows whose
 * targets lie in the validation part).
 */
export function trainForecaster(series: ArrayLike<number>, split: TimeSplit, options: ForecasterOptions = {}): TrainedForecaster {
  const W = options.window === undefined ? 56 : expectPositiveInt('window', options.window);
  const Hz = options.horizon === undefined ? 14 : expectPositiveInt('horizon', options.horizon);
  const strategy = options.strategy === undefined ? 'direct' : expectChoice('strategy', options.strategy, FORECAST_STRATEGIES);
  const cell = options.cell === undefined ? 'rnn' : expectChoice('cell', options.cell, CELL_KINDS);
  const seed = options.seed ?? 1;
  const dtype = options.dtype ?? 'float32';
  const [trainStart, trainEnd] = split.train;
  const [, valEnd] = split.validation;
  if (trainEnd - trainStart < W + Hz) throw new ShapeError(`the training part has ${trainEnd - trainStart} steps; it needs at least window + horizon = ${W + Hz}`);
  for (let i = 0; i < series.length; i++) {
    if (!Number.isFinite(series[i])) throw new ShapeError(`series value ${i} is ${series[i]}; every value must be a finite number`);
  }
  const scaler = fitScaler(options.scaling ?? 'zscore', Array.prototype.slice.call(series, trainStart, trainEnd) as number[]);
  const z = scale(scaler, Array.prototype.slice.call(series, 0) as number[]);
  const K = strategy === 'direct' ? Hz : 1;
  const net = new Network({ cell, inputSize: 1, hiddenSize: options.hiddenSize ?? 32, outputSize: K, layers: options.layers ?? 1, dtype, seed });
  const trainOrigins = windowOrigins(trainStart, trainEnd, W, K, options.stride ?? 1);
  // validation windows: targets in the validation part (the window may reach back into training)
  const valOrigins = windowOrigins(0, valEnd, W, K, 1, split.validation[0]);
  const model = {
    params: net.params,
    gradient: (items: readonly number[]) => net.gradient(windowBatch(z, items.map((i) => trainOrigins[i]!), W, K, dtype)),
    validate: (): number | null => {
      if (valOrigins.length === 0) return null;
      let J = 0;
      let n = 0;
      for (let s = 0; s < valOrigins.length; s += 256) {
        const r = net.loss(windowBatch(z, valOrigins.slice(s, s + 256), W, K, dtype));
        J += r.loss;
        n += r.count;
      }
      return J / n;
    },
  };
  if (trainOrigins.length === 0) throw new OptionError('no training windows: lower --window or --horizon');
  const history = trainLoop(model, trainOrigins.map((_, i) => i), { ...options, rng: new Rng(seed + 1) });
  return { forecaster: new Forecaster(net, scaler, W, Hz, strategy), history };
}
