/**
 * Held-out validation splits (data source (c) of issue 4): a tail split of
 * a stream (the last steps, so validation text follows training text), and
 * a seeded random or tail split of a set of sequence pairs.
 */

import { expectChoice, expectNumber, OptionError, rejectUnknownKeys } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { subsetOf, type SequenceSet } from './sequences.js';
import { alignedStream, type Stream } from './windows.js';

/** A training part and a held-out validation part. */
export interface Split<T> {
  readonly train: T;
  readonly validation: T;
}

/**
 * Splits a stream of N steps at n = N − round(fraction·N): training gets
 * steps 0..n−1, validation steps n..N−1 (views, no copy).
 */
export function splitStream(stream: Stream, fraction: number): Split<Stream> {
  expectNumber('fraction', fraction, 0, 1);
  const N = stream.length;
  const nVal = Math.round(fraction * N);
  if (nVal < 1 || nVal >= N) {
    throw new OptionError(`fraction ${fraction} of a ${N}-step stream leaves ${nVal} validation and ${N - nVal} training steps; each needs at least 1`);
  }
  const n = N - nVal;
  const sizes = { inputSize: stream.inputSize, outputSize: stream.outputSize };
  const cut = (a: Stream['input'], width: number, from: number, to: number): Stream['input'] =>
    a instanceof Int32Array ? a.subarray(from, to) : a.subarray(from * width, to * width);
  return {
    train: alignedStream(cut(stream.input, stream.inputSize, 0, n), cut(stream.target, stream.outputSize, 0, n), sizes),
    validation: alignedStream(cut(stream.input, stream.inputSize, n, N), cut(stream.target, stream.outputSize, n, N), sizes),
  };
}

/** Options of {@link splitSequences}. */
export interface SplitOptions {
  /** Share of the pairs held out, in (0, 1): round(fraction·n) of them. */
  readonly fraction: number;
  /** `"random"` (default; a seeded random subset) or `"tail"` (the last pairs). */
  readonly mode?: 'random' | 'tail';
  /** Seed of the random split. Default 1. */
  readonly seed?: number;
}

const KEYS = ['fraction', 'mode', 'seed'] as const;

/**
 * Splits a set of n pairs into n − m training and m = round(fraction·n)
 * validation pairs. A random split draws the validation pairs with a
 * generator seeded by `seed` (the same seed, the same split); both parts
 * keep the pairs' original relative order.
 */
export function splitSequences(set: SequenceSet, options: SplitOptions): Split<SequenceSet> {
  rejectUnknownKeys('splitSequences', options, KEYS);
  const fraction = expectNumber('fraction', options.fraction, 0, 1);
  const mode = options.mode === undefined ? 'random' : expectChoice('mode', options.mode, ['random', 'tail'] as const);
  const n = set.pairs.length;
  const m = Math.round(fraction * n);
  if (m < 1 || m >= n) {
    throw new OptionError(`fraction ${fraction} of ${n} pairs leaves ${m} validation and ${n - m} training pairs; each needs at least 1`);
  }
  const held = new Uint8Array(n);
  if (mode === 'tail') held.fill(1, n - m);
  else {
    const order = Array.from({ length: n }, (_, i) => i);
    new Rng(options.seed ?? 1).shuffle(order);
    for (let i = 0; i < m; i++) held[order[i]!] = 1;
  }
  const train: number[] = [];
  const validation: number[] = [];
  for (let i = 0; i < n; i++) (held[i] ? validation : train).push(i);
  return { train: subsetOf(set, train), validation: subsetOf(set, validation) };
}
