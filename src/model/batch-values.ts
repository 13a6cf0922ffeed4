/**
 * The values of a batch, checked before a pass (the shapes are checked by
 * {@link Network.checkBatch}): dense inputs and targets and initial states
 * must be finite, and a mask holds only 0 (step absent) and 1 (step
 * present) — the cells treat any non-zero as present, while the loss counts
 * only 1, so a 2 would run the step and learn nothing from it. One pass over
 * each array, no allocation.
 */

import { ValueError } from '../core/errors.js';
import type { SequenceBatch } from './network.js';

/** Throws a {@link ValueError} naming the first bad value of `batch` by array, time step, sequence and column. */
export function checkBatchValues(batch: SequenceBatch, D: number, K: number, H: number): void {
  const { T, B } = batch;
  if (batch.x.kind === 'dense') checkFinite('batch.x', batch.x.data, T, B, D, 'the inputs');
  if (batch.y.kind === 'dense') checkFinite('batch.y', batch.y.data, T, B, K, 'the targets');
  const mask = batch.mask;
  if (mask) {
    for (let i = 0; i < T * B; i++) {
      const m = mask[i]!;
      if (m !== 0 && m !== 1) {
        throw new ValueError(`batch.mask[t=${Math.floor(i / B) + 1}, b=${i % B}] is ${m}; a mask holds 1 for a step that counts and 0 for one that does not, nothing else`);
      }
    }
  }
  batch.init?.forEach((s, l) => {
    checkFinite(`batch.init[${l}].h`, s.h, 1, B, H, 'the initial states');
    if (s.c) checkFinite(`batch.init[${l}].c`, s.c, 1, B, H, 'the initial states');
  });
}

/** T×B×W values, row t·B + b: the first non-finite one is named as [t, b, column] (t from 1, as in docs/maths.md §2). */
function checkFinite(name: string, a: ArrayLike<number>, T: number, B: number, W: number, what: string): void {
  const n = T * B * W;
  for (let i = 0; i < n; i++) {
    const v = a[i]!;
    if (v - v !== 0) { // NaN or ±Infinity
      const row = Math.floor(i / W);
      const at = T === 1 ? `[b=${row % B}, ${i % W}]` : `[t=${Math.floor(row / B) + 1}, b=${row % B}, ${i % W}]`;
      throw new ValueError(`${name}${at} is ${v}; ${what} must be finite numbers (look for missing or non-numeric values in the data)`);
    }
  }
}
