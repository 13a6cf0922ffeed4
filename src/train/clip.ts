/**
 * Gradient clipping and finiteness checks over a flat gradient buffer
 * (`ParamSet.grad`). Clipping guards against the exploding gradients that
 * repeated multiplication by W causes in BPTT (docs/maths.md §4).
 */

import { expectNumber, OptionError, TrainingError } from '../core/errors.js';
import type { ParamSet } from '../core/params.js';
import type { Float } from '../core/tensor.js';

/**
 * ‖g‖₂ = √(Σᵢ gᵢ²), summed in float64. Robust to overflow: when Σ gᵢ²
 * overflows although every gᵢ is finite, the sum is redone scaled by
 * max |gᵢ|. NaN if any gᵢ is NaN, Infinity if any is ±Infinity (and none NaN).
 */
export function gradientNorm(grad: Float): number {
  let sum = 0;
  for (let i = 0; i < grad.length; i++) sum += grad[i]! * grad[i]!; // Σ g²
  if (Number.isFinite(sum)) return Math.sqrt(sum);
  let max = 0;
  for (let i = 0; i < grad.length; i++) {
    const a = Math.abs(grad[i]!);
    if (Number.isNaN(a)) return NaN;
    if (a > max) max = a;
  }
  if (max === Infinity) return Infinity;
  sum = 0;
  for (let i = 0; i < grad.length; i++) {
    const r = grad[i]! / max;
    sum += r * r;
  }
  return max * Math.sqrt(sum); // ‖g‖ = max·‖g / max‖
}

/**
 * Clipping by global norm: when ‖g‖₂ > maxNorm, g ← g·(maxNorm / ‖g‖₂),
 * so afterwards ‖g‖₂ = maxNorm (to rounding: a few ulps in float64, about
 * 1e−7 relative in float32); otherwise g is left as it is. Returns ‖g‖₂
 * before clipping (what training curves plot). When the norm is not finite
 * (NaN or Inf in g) g is left unchanged and the non-finite norm returned:
 * check it and use {@link findNonFinite} to name the parameter.
 */
export function clipByGlobalNorm(grad: Float, maxNorm: number): number {
  if (!(expectNumber('maxNorm', maxNorm, 0) > 0)) throw new OptionError('maxNorm must be greater than 0, got 0');
  const norm = gradientNorm(grad);
  if (!Number.isFinite(norm) || norm <= maxNorm) return norm;
  const scale = maxNorm / norm;
  for (let i = 0; i < grad.length; i++) grad[i]! *= scale; // g ← g·maxNorm/‖g‖
  return norm;
}

/**
 * Clipping by value: gᵢ ← min(max(gᵢ, −limit), limit) for every i. NaN
 * stays NaN. Returns how many values were clipped.
 */
export function clipByValue(grad: Float, limit: number): number {
  if (!(expectNumber('limit', limit, 0) > 0)) throw new OptionError('limit must be greater than 0, got 0');
  let clipped = 0;
  for (let i = 0; i < grad.length; i++) {
    const g = grad[i]!;
    if (g > limit) {
      grad[i] = limit;
      clipped++;
    } else if (g < -limit) {
      grad[i] = -limit;
      clipped++;
    }
  }
  return clipped;
}

/** Where a non-finite value sits in a {@link ParamSet}. */
export interface NonFiniteValue {
  /** Parameter name, e.g. `layer0.W`. */
  readonly name: string;
  /** Row and column in that parameter's matrix (0-based). */
  readonly row: number;
  readonly col: number;
  /** Index in the flat buffer. */
  readonly index: number;
  /** NaN, Infinity or −Infinity. */
  readonly value: number;
  /** How many values of the buffer are not finite in all. */
  readonly count: number;
  /** Every parameter holding at least one non-finite value, in buffer order. */
  readonly parameters: readonly string[];
}

/**
 * Finds the first NaN or ±Infinity in a parameter set's gradients
 * (`which = "grad"`, default) or values (`"data"`), and names the
 * parameter it belongs to; null when all are finite.
 */
export function findNonFinite(params: ParamSet, which: 'grad' | 'data' = 'grad'): NonFiniteValue | null {
  if (which !== 'grad' && which !== 'data') throw new OptionError(`which must be "grad" or "data", got ${String(which)}`);
  const a = which === 'grad' ? params.grad : params.data;
  let first = -1;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! - a[i]! !== 0) { // x − x is NaN exactly when x is NaN or ±Infinity
      if (first < 0) first = i;
      count++;
    }
  }
  if (first < 0) return null;
  const parameters = params.entries.filter((p) => {
    for (let i = p.offset; i < p.offset + p.size; i++) if (a[i]! - a[i]! !== 0) return true;
    return false;
  }).map((p) => p.name);
  const e = params.entries.find((p) => first >= p.offset && first < p.offset + p.size)!;
  const k = first - e.offset;
  return { name: e.name, row: Math.floor(k / e.cols), col: k % e.cols, index: first, value: a[first]!, count, parameters };
}

/**
 * Throws a {@link TrainingError} naming the parameter when a gradient (or,
 * with `which = "data"`, a parameter value) is NaN or ±Infinity. `context`
 * (e.g. `"after update 12"`) is added to the message.
 */
export function checkFinite(params: ParamSet, which: 'grad' | 'data' = 'grad', context = ''): void {
  const bad = findNonFinite(params, which);
  if (!bad) return;
  const what = which === 'grad' ? `∂J/∂${bad.name}` : bad.name;
  const where = context ? ` ${context}` : '';
  const others = bad.parameters.length > 1 ? `; also non-finite: ${bad.parameters.filter((n) => n !== bad.name).join(', ')}` : '';
  throw new TrainingError(`${what}[${bad.row}][${bad.col}] is ${bad.value}${where} (${bad.count} non-finite value${bad.count === 1 ? '' : 's'} in all${others}); ` +
    'lower the learning rate, clip the gradient (clipByGlobalNorm) or check the data for NaN');
}
