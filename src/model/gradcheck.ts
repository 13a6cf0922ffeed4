/**
 * Finite-difference gradient check: compares the BPTT gradient of every
 * parameter with central differences,
 *
 *   ∂J/∂θ_i ≈ (J(θ + ε·e_i) − J(θ − ε·e_i)) / 2ε,
 *
 * reporting for each parameter matrix the relative error of the whole
 * matrix, ‖a − n‖ / max(‖a‖ + ‖n‖, floor) (Euclidean norms over its
 * elements; a = BPTT, n = numeric). A norm-wise error is not fooled by
 * elements whose true gradient is ~0, where an element-wise ratio is noise. Run it on a float64 network: in float32 rounding swamps ε.
 * It checks exact BPTT; truncated and lecture gradients are, by design,
 * not the gradient of J.
 */

import { OptionError } from '../core/errors.js';
import type { Network, SequenceBatch } from './network.js';

export interface GradientCheckOptions {
  /** Step ε of the central difference. Default 1e-6. */
  readonly epsilon?: number;
  /** Denominator floor, so gradients that are both ~0 do not divide by ~0. Default 1e-7. */
  readonly floor?: number;
}

export interface GradientCheckResult {
  /** The largest relative error over all parameter matrices. */
  readonly maxRelError: number;
  /** The relative error of each named parameter matrix. */
  readonly perParameter: Record<string, number>;
}

/**
 * Checks the gradient of the network's loss on `batches` (summed) for every
 * parameter element. The parameters are restored afterwards.
 */
export function gradientCheck(
  net: Network, batches: SequenceBatch | readonly SequenceBatch[], options: GradientCheckOptions = {},
): GradientCheckResult {
  if (net.config.dtype !== 'float64') throw new OptionError('gradientCheck needs a float64 network (dtype: "float64")');
  const list = Array.isArray(batches) ? (batches as readonly SequenceBatch[]) : [batches as SequenceBatch];
  const eps = options.epsilon ?? 1e-6;
  const floor = options.floor ?? 1e-7;
  const p = net.params;
  p.zeroGrad();
  for (const b of list) net.gradient(b);
  const analytic = Float64Array.from(p.grad);
  const loss = (): number => list.reduce((s, b) => s + net.loss(b).loss, 0);
  const perParameter: Record<string, number> = {};
  let maxRelError = 0;
  for (const e of p.entries) {
    let diff2 = 0;
    let a2 = 0;
    let n2 = 0;
    for (let i = e.offset; i < e.offset + e.size; i++) {
      const keep = p.data[i]!;
      p.data[i] = keep + eps;
      const plus = loss();
      p.data[i] = keep - eps;
      const minus = loss();
      p.data[i] = keep;
      const numeric = (plus - minus) / (2 * eps);
      const a = analytic[i]!;
      diff2 += (a - numeric) ** 2;
      a2 += a * a;
      n2 += numeric * numeric;
    }
    const worst = Math.sqrt(diff2) / Math.max(Math.sqrt(a2) + Math.sqrt(n2), floor);
    perParameter[e.name] = worst;
    if (worst > maxRelError) maxRelError = worst;
  }
  p.grad.set(analytic);
  return { maxRelError, perParameter };
}
