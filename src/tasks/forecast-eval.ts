/**
 * Scores a forecaster on the held-out tail beside the naive baselines:
 * origins every `horizon` steps through the test part, each forecasting
 * `horizon` steps (the last block may be shorter), so every test step is
 * predicted exactly once from data before its block.
 */

import { expectPositiveInt } from '../core/errors.js';
import { lastValueForecast, seasonalNaiveForecast } from './baselines.js';
import type { Forecaster } from './forecast.js';
import { forecastMetrics, type ForecastMetrics } from './metrics.js';
import type { TimeSplit } from './splits.js';

/** One predicted step of the test part. */
export interface ForecastRow {
  /** Index in the series. */
  readonly index: number;
  /** Steps ahead of its origin (1..horizon). */
  readonly step: number;
  readonly actual: number;
  readonly predicted: number;
  readonly lastValue: number;
  readonly seasonalNaive: number;
}

/** Metrics of the model and of each baseline on the same test steps. */
export interface ForecastEvaluation {
  readonly rows: ForecastRow[];
  readonly model: ForecastMetrics;
  readonly lastValue: ForecastMetrics;
  readonly seasonalNaive: ForecastMetrics;
  readonly period: number;
}

/** Evaluates on the test part of `split` with seasonal period `period` (7 for daily data). */
export function evaluateForecast(series: ArrayLike<number>, forecaster: Forecaster, split: TimeSplit, period: number): ForecastEvaluation {
  expectPositiveInt('period', period);
  const Hz = forecaster.horizon;
  const [start, end] = split.test;
  const origins: number[] = [];
  for (let o = start; o < end; o += Hz) origins.push(o);
  const preds = forecaster.predict(series, origins);
  const rows: ForecastRow[] = [];
  origins.forEach((o, b) => {
    const last = lastValueForecast(series, o, Hz);
    const seas = seasonalNaiveForecast(series, o, Hz, period);
    for (let h = 0; h < Hz && o + h < end; h++) {
      rows.push({ index: o + h, step: h + 1, actual: series[o + h]!, predicted: preds[b]![h]!, lastValue: last[h]!, seasonalNaive: seas[h]! });
    }
  });
  const actual = rows.map((r) => r.actual);
  return {
    rows,
    model: forecastMetrics(actual, rows.map((r) => r.predicted)),
    lastValue: forecastMetrics(actual, rows.map((r) => r.lastValue)),
    seasonalNaive: forecastMetrics(actual, rows.map((r) => r.seasonalNaive)),
    period,
  };
}
