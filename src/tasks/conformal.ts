/**
 * Split-conformal prediction intervals. With n held-out absolute errors
 * e_1..e_n of a forecaster at one step ahead (errors on data it was not
 * trained on), the interval ŷ ± q at level 1 − α uses
 *
 *   q = the k-th smallest e_i,  k = ⌈(n + 1)(1 − α)⌉,
 *
 * (q = ∞ when k > n: too few errors for that level). For exchangeable
 * errors the truth falls inside with probability at least 1 − α. A higher
 * level takes a larger k, so the 95 % interval contains the 80 % one.
 */

import { expectNumber, ShapeError } from '../core/errors.js';

/** q for level `level` (1 − α, in (0, 1)) from the absolute errors (any order). */
export function conformalQuantile(absErrors: ArrayLike<number>, level: number): number {
  expectNumber('level', level, 0, 1);
  const n = absErrors.length;
  if (n === 0) throw new ShapeError('conformalQuantile needs at least one held-out error');
  const k = Math.ceil((n + 1) * level);
  if (k > n) return Infinity;
  const sorted = Float64Array.from(absErrors).sort();
  return sorted[Math.max(k, 1) - 1]!;
}
