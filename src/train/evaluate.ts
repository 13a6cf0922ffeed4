/**
 * The state carried between the windows of a stateful source, and the loss
 * of a whole source without updates (validation).
 */

import { ShapeError } from '../core/errors.js';
import { allocate, type Float } from '../core/tensor.js';
import type { CellState } from '../cells/cell.js';
import type { BatchSource, ReusableBatch } from '../data/source.js';
import type { Network } from '../model/network.js';
import type { Trainable } from './trainable.js';

/**
 * Buffers holding the state of every layer for B sequences (h, and C for
 * cells that have it), allocated once. After window w, {@link capture}
 * copies h(T_w) (and C(T_w)) out of the network's work buffers; the next
 * window starts from them (`batch.init`), so the state runs on while the
 * gradient stops at the window's edge (truncated BPTT).
 */
export class StateCarry {
  readonly states: { h: Float; c?: Float }[];
  readonly B: number;

  constructor(net: Network, B: number) {
    const n = B * net.config.hiddenSize;
    this.B = B;
    this.states = net.layers.map((cell) => {
      const h = allocate(net.config.dtype, n);
      return cell.stateNames.includes('c') ? { h, c: allocate(net.config.dtype, n) } : { h };
    });
  }

  /** h(0) = 0 (and C(0) = 0): the start of an epoch or of a validation pass. */
  reset(): void {
    for (const s of this.states) {
      s.h.fill(0);
      s.c?.fill(0);
    }
  }

  /** Copies a state (e.g. `net.stateAt(T, B)` after a pass) into the carry. */
  capture(now: readonly CellState[]): void {
    for (let l = 0; l < now.length; l++) {
      const s = this.states[l]!;
      s.h.set(now[l]!.h);
      if (s.c && now[l]!.c) s.c.set(now[l]!.c!);
    }
  }

  /** Copies of the carried states (for a checkpoint). */
  snapshot(): { h: Float; c?: Float }[] {
    return this.states.map((s) => (s.c ? { h: s.h.slice(), c: s.c.slice() } : { h: s.h.slice() }));
  }

  /** Restores a {@link snapshot}. */
  restore(saved: readonly { readonly h: Float; readonly c?: Float }[]): void {
    if (saved.length !== this.states.length) throw new ShapeError(`resume.carry has ${saved.length} layer states, expected ${this.states.length}`);
    saved.forEach((s, l) => {
      const d = this.states[l]!;
      if (s.h.length !== d.h.length || (d.c && s.c?.length !== d.c.length)) {
        throw new ShapeError(`resume.carry[${l}] must hold B×H = ${d.h.length} values for h${d.c ? ' and for c' : ''}`);
      }
      d.h.set(s.h);
      if (d.c) d.c.set(s.c!);
    });
  }

  /** The carry as a batch's `init`. */
  get init(): readonly CellState[] {
    return this.states;
  }
}

/**
 * J / count over every batch of `source` at the current parameters, in
 * order (no shuffling), carrying the state between windows when the source
 * is stateful (from zeros). `carry` may be passed to reuse its buffers.
 */
export function evaluate(net: Network, source: BatchSource, carry?: StateCarry): { loss: number; count: number; rmse: number } {
  source.beginEpoch(null);
  const c = source.stateful ? (carry ?? new StateCarry(net, source.B)) : null;
  c?.reset();
  let J = 0;
  let count = 0;
  for (let i = 0; i < source.batchesPerEpoch; i++) {
    const batch: ReusableBatch = source.batch(i, net.config.dtype).batch;
    if (c) batch.init = c.init;
    const r = net.loss(batch);
    if (c) c.capture(net.stateAt(batch.T, c.B));
    J += r.loss;
    count += r.count;
  }
  const loss = J / Math.max(count, 1);
  return { loss, count, rmse: Math.sqrt(loss) };
}

/** J / count over every batch of `source` for a {@link Trainable}, in order (no shuffling). */
export function evaluateTrainable<TBatch>(model: Trainable<TBatch>, source: BatchSource<TBatch>): { loss: number; count: number; rmse: number } {
  source.beginEpoch(null);
  let J = 0;
  let count = 0;
  for (let i = 0; i < source.batchesPerEpoch; i++) {
    const r = model.loss(source.batch(i, model.dtype).batch);
    J += r.loss;
    count += r.count;
  }
  const loss = J / Math.max(count, 1);
  return { loss, count, rmse: Math.sqrt(loss) };
}
