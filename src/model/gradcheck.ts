/**
 * Finite-difference gradient check: compares the BPTT gradient of every
 * parameter with central differences,
 *
 *   ∂J/∂θ_i ≈ (J(θ + ε·e_i) − J(θ − ε·e_i)) / 2ε,
 *
 * reporting the relative error ‖a − n‖ / max(‖a‖ + ‖n‖, floor) (Euclidean
 * norms over the elements; a = BPTT, n = numeric) of each stored parameter
 * matrix and of each of the maths' weight sets (docs/maths.md §1: the
 * LSTM's W_f, W_i, W_o, W_C and the GRU's gates, each split into the part
 * that multiplies x(t) and the part that multiplies h(t−1)). A norm-wise error is not fooled by
 * elements whose true gradient is ~0, where an element-wise ratio is noise.
 * Run it on a float64 network: in float32 rounding swamps ε.
 * It checks exact BPTT; truncated and lecture gradients are, by design,
 * not the gradient of J.
 */

import { OptionError } from '../core/errors.js';
import type { ParamSet } from '../core/params.js';
import type { Float } from '../core/tensor.js';
import type { Network, SequenceBatch } from './network.js';
import { gatherWeightSet, weightSets } from './weight-sets.js';

export interface GradientCheckOptions {
  /** Step ε of the central difference. Default 1e-6. */
  readonly epsilon?: number;
  /** Denominator floor, so gradients that are both ~0 do not divide by ~0. Default 1e-7. */
  readonly floor?: number;
}

export interface GradientCheckResult {
  /** The largest relative error over all parameter matrices. */
  readonly maxRelError: number;
  /** The relative error of each named parameter matrix as stored (`layer0.W`, `V`, …). */
  readonly perParameter: Record<string, number>;
}

/** What {@link gradientCheck} finds: per stored matrix, and per weight set of the maths. */
export interface NetworkGradientCheckResult extends GradientCheckResult {
  /**
   * The relative error of each weight set of docs/maths.md §1, in storage
   * order: `layer0.U`, `layer0.W`, `layer0.b_h` for the RNN; `layer0.W_f.x`,
   * `layer0.W_f.h`, …, `layer0.W_C.h`, `layer0.b_f`, …, `layer0.b_C` for the
   * LSTM; `layer0.W_z.x`, …, `layer0.W_n.h`, `layer0.b_z`, `layer0.b_r`,
   * `layer0.b_n`, `layer0.b_hn` for the GRU; then `V` and `b_o`.
   */
  readonly perWeightSet: Record<string, number>;
  /** The largest of {@link perWeightSet} (a block can be worse than its whole matrix). */
  readonly maxWeightSetError: number;
}

/**
 * Central differences of a scalar function with respect to every element of
 * `v`: n_i = (f(v + ε·e_i) − f(v − ε·e_i)) / 2ε. Each element is restored
 * after its two evaluations. `v` may be parameters, an initial state, or any
 * other array the function reads.
 */
export function numericGradient(v: Float, f: () => number, epsilon = 1e-6): Float64Array {
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const keep = v[i]!;
    v[i] = keep + epsilon;
    const plus = f();
    v[i] = keep - epsilon;
    const minus = f();
    v[i] = keep;
    out[i] = (plus - minus) / (2 * epsilon);
  }
  return out;
}

/** Norm-wise relative error ‖a − n‖ / max(‖a‖ + ‖n‖, floor) of two equal-length arrays. */
export function relativeError(a: ArrayLike<number>, n: ArrayLike<number>, floor = 1e-7): number {
  let diff2 = 0;
  let a2 = 0;
  let n2 = 0;
  for (let i = 0; i < a.length; i++) {
    diff2 += (a[i]! - n[i]!) ** 2;
    a2 += a[i]! ** 2;
    n2 += n[i]! ** 2;
  }
  return Math.sqrt(diff2) / Math.max(Math.sqrt(a2) + Math.sqrt(n2), floor);
}

/**
 * Compares the gradients already in `sets` (from one backward pass of
 * `loss`) with central differences of `loss`, matrix by matrix, for models
 * whose parameters live in several sets (an encoder and a decoder). With more
 * than one set, names are prefixed by the set's index (`1:layer0.W`).
 */
export function checkParameters(sets: readonly ParamSet[], loss: () => number, options: GradientCheckOptions = {}): GradientCheckResult {
  return compare(sets, loss, options).result;
}

/** Both gradients of every parameter set, and the per-matrix comparison. */
function compare(
  sets: readonly ParamSet[], loss: () => number, options: GradientCheckOptions,
): { analytic: Float64Array[]; numeric: Float64Array[]; result: GradientCheckResult } {
  const eps = options.epsilon ?? 1e-6;
  const perParameter: Record<string, number> = {};
  let maxRelError = 0;
  const analytic: Float64Array[] = [];
  const numeric: Float64Array[] = [];
  sets.forEach((p, k) => {
    const a = Float64Array.from(p.grad);
    const n = new Float64Array(a.length);
    for (const e of p.entries) {
      n.set(numericGradient(p.data.subarray(e.offset, e.offset + e.size), loss, eps), e.offset);
      const err = relativeError(a.subarray(e.offset, e.offset + e.size), n.subarray(e.offset, e.offset + e.size), options.floor);
      perParameter[sets.length > 1 ? `${k}:${e.name}` : e.name] = err;
      maxRelError = Math.max(maxRelError, err); // a NaN error stays NaN: it must not pass a check
    }
    p.grad.set(a);
    analytic.push(a);
    numeric.push(n);
  });
  return { analytic, numeric, result: { maxRelError, perParameter } };
}

/**
 * Checks the gradient of the network's loss on `batches` (summed) for every
 * parameter element, and reports it per stored matrix and per weight set of
 * the maths. The parameters are restored afterwards.
 */
export function gradientCheck(
  net: Network, batches: SequenceBatch | readonly SequenceBatch[], options: GradientCheckOptions = {},
): NetworkGradientCheckResult {
  if (net.config.dtype !== 'float64') throw new OptionError('gradientCheck needs a float64 network (dtype: "float64")');
  const list = Array.isArray(batches) ? (batches as readonly SequenceBatch[]) : [batches as SequenceBatch];
  net.params.zeroGrad();
  for (const b of list) net.gradient(b);
  const { analytic, numeric, result } = compare([net.params], () => list.reduce((s, b) => s + net.loss(b).loss, 0), options);
  const perWeightSet: Record<string, number> = {};
  let maxWeightSetError = 0;
  for (const set of weightSets(net.params.entries, net.config.cell, net.config.hiddenSize)) {
    const entry = net.params.entry(set.entry);
    const err = relativeError(gatherWeightSet(set, entry, analytic[0]!), gatherWeightSet(set, entry, numeric[0]!), options.floor);
    perWeightSet[set.name] = err;
    maxWeightSetError = Math.max(maxWeightSetError, err);
  }
  return { ...result, perWeightSet, maxWeightSetError };
}
