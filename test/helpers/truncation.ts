/**
 * Helpers for the cell tests: central differences of the loss, and a
 * brute-force truncated-BPTT gradient built without any backward code.
 */

import type { CellState } from '../../src/cells/cell.js';
import { numericGradient as centralDifferences, relativeError as normRelativeError } from '../../src/model/gradcheck.js';
import type { Network, SequenceBatch } from '../../src/model/network.js';

/** ∂(Σ loss)/∂θ for every parameter element by central differences (float64 network). */
export function numericGradient(net: Network, batches: readonly SequenceBatch[], eps = 1e-6): Float64Array {
  return centralDifferences(net.params.data, () => batches.reduce((s, b) => s + net.loss(b).loss, 0), eps);
}

/** ‖a − b‖ / (‖a‖ + ‖b‖), the norm-wise relative error used by gradientCheck. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return normRelativeError(a, b, 1e-300);
}

/**
 * The truncated gradient by brute force, for a ONE-layer network and a batch
 * with symbol targets (so that a target of −1 switches a step's loss off).
 *
 * Definition (the semantics of `truncate: k`): the gradient entering the
 * layer at step t is carried back through steps t, t−1, …, t−k+1 only.
 * Equivalently, with J(t) the loss at step t,
 *
 *   g_k = Σ_t ∂J(t)/∂θ  with the state after step t−k held constant,
 *
 * i.e. the state is "detached" k steps before each source. Built here as:
 * for each t, re-run steps t−k'+1..t (k' = min(k, t)) starting from the full
 * run's state after step t−k' as a fixed initial state, with a loss at the
 * last step only, and differentiate that short run by central differences.
 * No backward pass of any cell is used. When t ≤ k the re-run starts from
 * the real initial state, so nothing is cut.
 */
export function bruteForceTruncated(net: Network, batch: SequenceBatch, k: number, eps = 1e-6): Float64Array {
  const { T, B } = batch;
  const D = net.config.inputSize;
  if (batch.x.kind !== 'dense' || batch.y.kind !== 'index') throw new Error('bruteForceTruncated needs dense x and index targets');
  if (net.layers.length !== 1) throw new Error('bruteForceTruncated handles one layer');
  net.forward(batch);
  // The full run's states after steps 0..T, copied (stateAt gives views).
  const states: CellState[] = [];
  for (let s = 0; s <= T; s++) {
    const st = net.stateAt(s, B)[0]!;
    states.push(st.c ? { h: st.h.slice(), c: st.c.slice() } : { h: st.h.slice() });
  }
  const subs: SequenceBatch[] = [];
  for (let t = 1; t <= T; t++) {
    const steps = Math.min(k, t);
    const s0 = t - steps;
    const y = new Int32Array(steps * B).fill(-1);
    y.set(batch.y.data.subarray((t - 1) * B, t * B), (steps - 1) * B);
    subs.push({
      T: steps,
      B,
      x: { kind: 'dense', data: batch.x.data.slice(s0 * B * D, t * B * D) },
      y: { kind: 'index', data: y },
      ...(batch.mask ? { mask: batch.mask.slice(s0 * B, t * B) } : {}),
      init: [states[s0]!],
    });
  }
  return numericGradient(net, subs, eps);
}

/** ∂(loss)/∂(initial state) of every layer by central differences; perturbs `batch.init` in place and restores it. */
export function numericInitGradient(net: Network, batch: SequenceBatch, eps = 1e-6): { h: number[]; c?: number[] }[] {
  if (!batch.init) throw new Error('numericInitGradient needs batch.init');
  const diff = (v: Float64Array | Float32Array): number[] => Array.from(centralDifferences(v, () => net.loss(batch).loss, eps));
  return batch.init.map((s) => (s.c ? { h: diff(s.h), c: diff(s.c) } : { h: diff(s.h) }));
}
