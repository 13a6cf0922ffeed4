/**
 * Scaling of numeric series before training, and its inverse for
 * predictions:
 *
 *   z-score:  z = (x − μ) / σ          x = z·σ + μ
 *   min-max:  z = (x − min) / (max − min)   x = z·(max − min) + min
 *
 * Fitted on the training part only, so no statistic leaks from the
 * held-out tail. The statistics are computed on x / M (M = max |x|) and
 * scaled back, so values up to the largest finite double do not overflow
 * (x² of 1e154 would); a scaler that still cannot be represented (a
 * min-max range beyond 1.8e308) is refused with a ShapeError.
 */

import { OptionError, ShapeError } from '../core/errors.js';

export const SCALINGS = ['zscore', 'minmax', 'none'] as const;
export type ScalingKind = (typeof SCALINGS)[number];

/** A fitted affine scaling z = (x − shift) / scale. */
export interface Scaler {
  readonly kind: ScalingKind;
  readonly shift: number;
  readonly scale: number;
}

/** Fits a scaler to `values` (the training part of a series). */
export function fitScaler(kind: ScalingKind, values: ArrayLike<number>): Scaler {
  const n = values.length;
  if (n === 0) throw new ShapeError('fitScaler needs at least one value');
  if (kind === 'none') return { kind, shift: 0, scale: 1 };
  let M = 0;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    if (!Number.isFinite(x)) throw new ShapeError(`value ${i} is ${x}; scaling needs finite numbers`);
    if (Math.abs(x) > M) M = Math.abs(x);
  }
  if (kind === 'minmax') {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      lo = Math.min(lo, values[i]!);
      hi = Math.max(hi, values[i]!);
    }
    const range = hi - lo;
    if (!Number.isFinite(range)) throw new ShapeError(`the values span ${lo} to ${hi}, a range too large to scale; rescale the column`);
    return { kind, shift: lo, scale: hi > lo ? range : 1 };
  }
  if (kind !== 'zscore') throw new OptionError(`scaling must be one of ${SCALINGS.join(', ')}, got "${String(kind)}"`);
  if (M === 0) return { kind, shift: 0, scale: 1 };
  // mean and sd of x / M, then × M: no square overflows
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i]! / M;
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (values[i]! / M - mean) ** 2;
  const sd = Math.sqrt(v / n) * M;
  return { kind, shift: mean * M, scale: sd > 0 && Number.isFinite(sd) ? sd : 1 };
}

/** z = (x − shift) / scale, element by element, into a new array. */
export function scale(s: Scaler, values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = (values[i]! - s.shift) / s.scale;
  return out;
}

/** x = z·scale + shift: the inverse of {@link scale}. */
export function unscale(s: Scaler, z: number): number {
  return z * s.scale + s.shift;
}
