/**
 * Introspection for teaching and plots: after a forward pass, every step's
 * gate activations and states of every layer, as plain copies.
 *
 * A cell that has gates implements {@link GatedCell.gates}; for any other
 * cell (the vanilla RNN) the trace holds h alone. Each trace also carries
 * {@link StateStats}: how large the state that goes through tanh has grown
 * and how much of it is saturated, so a cell state running away shows.
 */

import { allocate, dtypeOf, type Float } from '../core/tensor.js';
import type { Cell, CellCache, CellKind } from './cell.js';

/** One step's named B×H values (each a fresh copy, row b = sequence b). */
export type StepValues = Readonly<Record<string, Float>>;

/** A cell that can report its gates at a step of the last forward pass. */
export interface GatedCell {
  /** Names of the values {@link gates} returns, in display order (e.g. f, i, o, cTilde, c, h). */
  readonly gateNames: readonly string[];
  /** The values at step t (1-based) of the last forward pass, B×H each, copied out of the cache. */
  gates(cache: CellCache, t: number, B: number): StepValues;
}

/** Every step of one layer: for each name, a T×B×H array (step t at offset (t−1)·B·H). */
export interface LayerTrace {
  readonly kind: CellKind;
  readonly T: number;
  readonly B: number;
  readonly H: number;
  /** Value names in display order. */
  readonly names: readonly string[];
  readonly values: Readonly<Record<string, Float>>;
  /** Size and saturation of the state over all T·B·H values (see {@link stateStats}). */
  readonly stats: StateStats;
}

/**
 * How far a layer's state has grown, over every (t, b, unit) of a trace.
 * LSTM: the cell state C, whose tanh makes h = o ∘ tanh C; RNN and GRU: h
 * itself (a tanh, or for the GRU a mix of tanh values).
 */
export interface StateStats {
  /** The state measured: `"c"` for the LSTM, `"h"` otherwise. */
  readonly of: 'c' | 'h';
  /** Mean of |C| (or |h|). */
  readonly meanAbs: number;
  /** Largest |C| (or |h|). */
  readonly maxAbs: number;
  /**
   * Share in [0, 1] of saturated values: |tanh C| > {@link SATURATION}
   * (|C| > atanh 0.99 ≈ 2.65), or |h| > {@link SATURATION}. There
   * 1 − tanh² < 0.02: less than 2 % of the gradient passes through the tanh.
   */
  readonly saturated: number;
}

/** A tanh output beyond ±0.99 counts as saturated (its derivative 1 − tanh² is below 0.0199). */
export const SATURATION = 0.99;

/** {@link StateStats} of `values` (C when `of` is `"c"`, else h), the first `count` of them. */
export function stateStats(values: Float, of: 'c' | 'h', count = values.length): StateStats {
  const limit = of === 'c' ? Math.atanh(SATURATION) : SATURATION;
  let sum = 0;
  let max = 0;
  let saturated = 0;
  for (let i = 0; i < count; i++) {
    const a = Math.abs(values[i]!);
    sum += a;
    if (a > max) max = a;
    if (a > limit) saturated++;
  }
  return { of, meanAbs: count > 0 ? sum / count : 0, maxAbs: max, saturated: count > 0 ? saturated / count : 0 };
}

/**
 * Copies gate blocks of step t out of a T×B×G pre-activation/gate buffer
 * whose rows hold the gates side by side ([f | i | o | c̃] or [z | r | n]):
 * block q of row b becomes row b of `out[names[q]]` (B×H each).
 */
export function copyGateBlocks(gates: Float, names: readonly string[], t: number, B: number, H: number, out: Record<string, Float>): void {
  const G = names.length * H;
  names.forEach((name, q) => {
    const v = allocate(dtypeOf(gates), B * H);
    for (let b = 0; b < B; b++) {
      const g = (t - 1) * B * G + b * G + q * H;
      v.set(gates.subarray(g, g + H), b * H);
    }
    out[name] = v;
  });
}

/** Whether a cell reports gates. */
export function isGatedCell(cell: Cell): cell is Cell & GatedCell {
  return typeof (cell as Partial<GatedCell>).gates === 'function' && Array.isArray((cell as Partial<GatedCell>).gateNames);
}

/** Collects steps 1..T of one layer's last forward pass into T×B×H arrays. */
export function traceLayer(cell: Cell, cache: CellCache, T: number, B: number): LayerTrace {
  const H = cell.hiddenSize;
  const n = B * H;
  const dtype = dtypeOf(cache.hs);
  const names = isGatedCell(cell) ? cell.gateNames : ['h'];
  const values: Record<string, Float> = {};
  for (const name of names) values[name] = allocate(dtype, T * n);
  for (let t = 1; t <= T; t++) {
    if (isGatedCell(cell)) {
      const step = cell.gates(cache, t, B);
      for (const name of names) values[name]!.set(step[name]!, (t - 1) * n);
    } else {
      values.h!.set(cache.hs.subarray(t * n, (t + 1) * n), (t - 1) * n);
    }
  }
  const of = values.c ? 'c' : 'h';
  return { kind: cell.kind, T, B, H, names, values, stats: stateStats(values[of]!, of) };
}
