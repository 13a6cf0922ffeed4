/**
 * Forecast error metrics over n (actual, predicted) pairs:
 *
 *   RMSE = sqrt(Σ (y − ŷ)² / n)     MAE = Σ |y − ŷ| / n     MAPE = 100 · Σ |y − ŷ| / |y| / n
 *
 * MAPE skips actual values of 0 (it is undefined there) and is NaN when
 * every actual value is 0.
 */

import { ShapeError } from '../core/errors.js';

/** RMSE, MAE and MAPE (in percent) of a forecast. */
export interface ForecastMetrics {
  readonly rmse: number;
  readonly mae: number;
  readonly mape: number;
  readonly n: number;
}

/** Computes {@link ForecastMetrics} of `predicted` against `actual` (same length). */
export function forecastMetrics(actual: ArrayLike<number>, predicted: ArrayLike<number>): ForecastMetrics {
  const n = actual.length;
  if (predicted.length !== n) throw new ShapeError(`predicted has ${predicted.length} values, actual has ${n}; they must match`);
  if (n === 0) throw new ShapeError('forecastMetrics needs at least one value');
  let se = 0;
  let ae = 0;
  let ape = 0;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const e = actual[i]! - predicted[i]!;
    se += e * e;
    ae += Math.abs(e);
    if (actual[i] !== 0) {
      ape += Math.abs(e / actual[i]!);
      m++;
    }
  }
  return { rmse: Math.sqrt(se / n), mae: ae / n, mape: m > 0 ? (100 * ape) / m : NaN, n };
}
