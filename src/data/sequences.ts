/**
 * A set of independent (input, target) sequence pairs of any lengths:
 * the data of many-to-many (a target at every step) and many-to-one (one
 * target per sequence, at its last step) training.
 *
 * An input is dense — T·D values, row-major T×D — or T symbol ids (one-hot
 * of width D = the vocabulary size). A target is dense (T·K values, or K
 * for one per sequence) or symbol ids (T ids, or one id per sequence;
 * −1 = no loss at that step).
 */

import { expectChoice, expectPositiveInt, OptionError, rejectUnknownKeys, ShapeError } from '../core/errors.js';
import type { Float } from '../core/tensor.js';

/** One training example. */
export interface SequencePair {
  /** Dense T×D values (Float32Array or Float64Array), or T symbol ids (Int32Array). */
  readonly input: Float | Int32Array;
  /**
   * Dense T×K values or T class ids for a target at every step; K values or
   * one class id for `targets: "last"`.
   */
  readonly target: Float | Int32Array;
}

/** Options of {@link sequenceSet}. */
export interface SequenceSetOptions {
  /** Input width D: the values per step of dense input, or the vocabulary size of symbol ids. */
  readonly inputSize: number;
  /** Output width K: the values per step of dense targets, or the number of classes of target ids. */
  readonly outputSize: number;
  /**
   * `"each-step"` (default; many-to-many, loss at every valid step) or
   * `"last"` (many-to-one: one target per sequence, compared with the
   * output at the sequence's last valid step).
   */
  readonly targets?: 'each-step' | 'last';
}

/** A validated, immutable list of sequence pairs with their lengths. */
export interface SequenceSet {
  readonly pairs: readonly SequencePair[];
  readonly inputSize: number;
  readonly outputSize: number;
  readonly targets: 'each-step' | 'last';
  readonly symbolInput: boolean;
  readonly symbolTarget: boolean;
  /** Length T of each sequence. */
  readonly lengths: Int32Array;
  /** The longest T. */
  readonly maxLength: number;
}

const KEYS = ['inputSize', 'outputSize', 'targets'] as const;

/**
 * Validates `pairs` and returns them as a {@link SequenceSet}. Every input
 * must be of the same kind (all dense or all symbol ids), and every target
 * too; lengths may differ. Throws a ShapeError naming the first bad pair.
 *
 * @example
 * // many-to-one: classify sequences of 2-D points into 3 classes
 * const set = sequenceSet(
 *   [{ input: Float64Array.of(0, 1, 1, 0, 0.5, 0.5), target: Int32Array.of(2) }],
 *   { inputSize: 2, outputSize: 3, targets: 'last' });
 */
export function sequenceSet(pairs: readonly SequencePair[], options: SequenceSetOptions): SequenceSet {
  rejectUnknownKeys('sequenceSet', options, KEYS);
  const D = expectPositiveInt('inputSize', options.inputSize);
  const K = expectPositiveInt('outputSize', options.outputSize);
  const targets = options.targets === undefined ? 'each-step' : expectChoice('targets', options.targets, ['each-step', 'last'] as const);
  if (pairs.length === 0) throw new OptionError('sequenceSet needs at least one (input, target) pair');
  const symbolInput = pairs[0]!.input instanceof Int32Array;
  const symbolTarget = pairs[0]!.target instanceof Int32Array;
  const lengths = new Int32Array(pairs.length);
  let maxLength = 0;
  pairs.forEach((p, i) => {
    const name = `pairs[${i}]`;
    if ((p.input instanceof Int32Array) !== symbolInput) {
      throw new ShapeError(`${name}.input is ${p.input.constructor.name}, but pairs[0].input is ${symbolInput ? 'symbol ids (Int32Array)' : 'dense'}; use one kind for every pair`);
    }
    if ((p.target instanceof Int32Array) !== symbolTarget) {
      throw new ShapeError(`${name}.target is ${p.target.constructor.name}, but pairs[0].target is ${symbolTarget ? 'class ids (Int32Array)' : 'dense'}; use one kind for every pair`);
    }
    const T = symbolInput ? p.input.length : p.input.length / D;
    if (!Number.isInteger(T) || T < 1) {
      throw new ShapeError(`${name}.input has ${p.input.length} values, expected T×D with T ≥ 1 and D = ${D}`);
    }
    if (p.input instanceof Int32Array) checkIds(`${name}.input`, p.input, D, false);
    const perStep = symbolTarget ? 1 : K;
    const want = targets === 'last' ? perStep : T * perStep;
    if (p.target.length !== want) {
      const shape = targets === 'last' ? (symbolTarget ? '1 class id' : `K = ${K} values`) : (symbolTarget ? `T = ${T} class ids` : `T×K = ${T}×${K} values`);
      throw new ShapeError(`${name}.target has ${p.target.length} values, expected ${shape} (targets: "${targets}")`);
    }
    if (p.target instanceof Int32Array) checkIds(`${name}.target`, p.target, K, true);
    lengths[i] = T;
    if (T > maxLength) maxLength = T;
  });
  return { pairs, inputSize: D, outputSize: K, targets, symbolInput, symbolTarget, lengths, maxLength };
}

/** The pairs at `indices`, as a new set (no copies of the sequences). */
export function subsetOf(set: SequenceSet, indices: ArrayLike<number>): SequenceSet {
  const pairs: SequencePair[] = [];
  const lengths = new Int32Array(indices.length);
  let maxLength = 0;
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    pairs.push(set.pairs[j]!);
    lengths[i] = set.lengths[j]!;
    if (lengths[i]! > maxLength) maxLength = lengths[i]!;
  }
  return { ...set, pairs, lengths, maxLength };
}

function checkIds(name: string, ids: Int32Array, n: number, target: boolean): void {
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i]!;
    if (v >= n || v < -1) {
      const none = target ? '−1 means no loss at that step' : '−1 means the zero vector';
      throw new ShapeError(`${name}[${i}] = ${v} is outside [−1, ${n}) (size ${n}; ${none})`);
    }
  }
}
