/**
 * Naive forecasts that every model must beat. From an origin o (the last
 * observed step is o − 1) for h = 1..horizon:
 *
 *   last value:       ŷ(o − 1 + h) = y(o − 1)
 *   seasonal naive:   ŷ(o − 1 + h) = y(o − 1 + h − m·⌈h/m⌉)     (period m)
 */

import { expectPositiveInt, ShapeError } from '../core/errors.js';

/** Last-value forecast of `horizon` steps after `series[origin − 1]`. */
export function lastValueForecast(series: ArrayLike<number>, origin: number, horizon: number): number[] {
  if (origin < 1 || origin > series.length) throw new ShapeError(`origin ${origin} is outside [1, ${series.length}]`);
  return Array.from({ length: horizon }, () => series[origin - 1]!);
}

/** Seasonal naive forecast with period m: each step repeats the value one (or more) periods earlier. */
export function seasonalNaiveForecast(series: ArrayLike<number>, origin: number, horizon: number, period: number): number[] {
  expectPositiveInt('period', period);
  if (origin < period || origin > series.length) throw new ShapeError(`seasonal naive needs origin ${origin} in [period = ${period}, ${series.length}]`);
  return Array.from({ length: horizon }, (_, i) => {
    const h = i + 1;
    return series[origin - 1 + h - period * Math.ceil(h / period)]!;
  });
}
