/**
 * Sliding windows over a (scaled) series, as many-to-one batches:
 * the window x(o−W..o−1) is the input sequence (T = W steps, D = 1) and
 * the target at the last step is y(o) (one-step / recursive) or
 * y(o..o+horizon−1) (direct multi-step, K = horizon).
 */

import { ShapeError } from '../core/errors.js';
import { allocate, type DType } from '../core/tensor.js';
import type { SequenceBatch } from '../model/network.js';

/**
 * Forecast origins o in [from, to] (inclusive) with stride `stride` such
 * that the window [o − window, o) starts at or after `minStart` and the
 * targets [o, o + horizon) end at or before `end`.
 */
export function windowOrigins(minStart: number, end: number, window: number, horizon: number, stride = 1, from = minStart + window): number[] {
  const out: number[] = [];
  for (let o = Math.max(from, minStart + window); o + horizon <= end; o += stride) out.push(o);
  return out;
}

/**
 * A many-to-one batch of windows ending before each origin: x is W×B×1
 * (step-major), y is W×B×K with the targets at the last step (the other
 * steps carry no loss with `lossAt: "last"`).
 */
export function windowBatch(series: ArrayLike<number>, origins: readonly number[], window: number, K: number, dtype: DType): SequenceBatch {
  const B = origins.length;
  const T = window;
  const x = allocate(dtype, T * B);
  const y = allocate(dtype, T * B * K);
  origins.forEach((o, b) => {
    if (o - window < 0 || o + K > series.length) throw new ShapeError(`window for origin ${o} (window ${window}, ${K} targets) does not fit a series of ${series.length}`);
    for (let t = 0; t < T; t++) x[t * B + b] = series[o - window + t]!;
    for (let k = 0; k < K; k++) y[((T - 1) * B + b) * K + k] = series[o + k]!;
  });
  return { T, B, x: { kind: 'dense', data: x }, y: { kind: 'dense', data: y }, lossAt: 'last' };
}
