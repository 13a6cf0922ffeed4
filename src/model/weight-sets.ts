/**
 * The maths' weight sets (docs/maths.md §1) inside the stored parameter
 * matrices. The gated cells keep their gates side by side in one matrix, so
 * that one product serves all of them:
 *
 * - LSTM `layer{l}.W`, (D+H)×4H = [W_f | W_i | W_o | W_C], and `layer{l}.b`,
 *   1×4H = [b_f | b_i | b_og | b_C] (docs/maths.md §6);
 * - GRU `layer{l}.W`, (D+H)×3H = [W_z | W_r | W_n], and `layer{l}.b`,
 *   1×3H = [b_z | b_r | b_n] (docs/gru.md);
 *
 * and every W_g has an x part (rows 0..D−1, multiplying x(t)) and an h part
 * (rows D..D+H−1, multiplying h(t−1)). This file names those blocks —
 * `layer0.W_f.x`, `layer0.W_f.h`, …, `layer0.b_f`, … — so that a gradient
 * check can report each one. The RNN's U, W, b_h and the output layer's V,
 * b_o are already one set each.
 */

import type { CellKind } from '../cells/cell.js';
import type { ParamEntry } from '../core/params.js';

/** One weight set: a block of rows × columns of a stored parameter matrix. */
export interface WeightSet {
  /** The maths' name with the layer prefix, e.g. `layer1.W_C.h` or `V`. */
  readonly name: string;
  /** The stored matrix it lies in, e.g. `layer1.W`. */
  readonly entry: string;
  /** Rows [from, to) and columns [from, to) of that matrix. */
  readonly rows: readonly [number, number];
  readonly cols: readonly [number, number];
}

/** Gate order of the fused column blocks, and the bias name of each gate. */
const GATES: Partial<Record<CellKind, { readonly weights: readonly string[]; readonly biases: readonly string[] }>> = {
  lstm: { weights: ['W_f', 'W_i', 'W_o', 'W_C'], biases: ['b_f', 'b_i', 'b_og', 'b_C'] },
  gru: { weights: ['W_z', 'W_r', 'W_n'], biases: ['b_z', 'b_r', 'b_n'] },
};

/**
 * The weight sets of a network's parameter matrices, in storage order. A
 * fused gate matrix `<prefix>W` of a gated cell becomes, gate by gate, its
 * x part and its h part; a fused bias `<prefix>b` becomes one bias per gate;
 * every other matrix is one set under its own name.
 */
export function weightSets(entries: readonly ParamEntry[], cell: CellKind, hiddenSize: number): WeightSet[] {
  const H = hiddenSize;
  const gates = GATES[cell];
  const sets: WeightSet[] = [];
  for (const e of entries) {
    const whole: WeightSet = { name: e.name, entry: e.name, rows: [0, e.rows], cols: [0, e.cols] };
    const m = /^(.*?)(W|b)$/.exec(e.name);
    if (!gates || !m || e.cols !== gates.weights.length * H) {
      sets.push(whole);
      continue;
    }
    const prefix = m[1]!;
    gates.weights.forEach((w, g) => {
      const cols = [g * H, (g + 1) * H] as const;
      if (m[2] === 'b') {
        sets.push({ name: `${prefix}${gates.biases[g]!}`, entry: e.name, rows: [0, 1], cols });
      } else {
        const D = e.rows - H;
        sets.push({ name: `${prefix}${w}.x`, entry: e.name, rows: [0, D], cols });
        sets.push({ name: `${prefix}${w}.h`, entry: e.name, rows: [D, e.rows], cols });
      }
    });
  }
  return sets;
}

/** The elements of one weight set, copied out of a flat buffer laid out like the entries. */
export function gatherWeightSet(set: WeightSet, entry: ParamEntry, flat: ArrayLike<number>): Float64Array {
  const [r0, r1] = set.rows;
  const [c0, c1] = set.cols;
  const out = new Float64Array((r1 - r0) * (c1 - c0));
  let k = 0;
  for (let r = r0; r < r1; r++) {
    for (let c = c0; c < c1; c++) out[k++] = flat[entry.offset + r * entry.cols + c]!;
  }
  return out;
}
