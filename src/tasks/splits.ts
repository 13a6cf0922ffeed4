/**
 * Splits by time (no shuffling across the cut): the first part trains, the
 * next validates, the tail is held out for the test.
 */

import { expectNumber, ShapeError } from '../core/errors.js';

/** Index ranges [start, end) of a chronological train / validation / test split. */
export interface TimeSplit {
  readonly train: readonly [number, number];
  readonly validation: readonly [number, number];
  readonly test: readonly [number, number];
}

/**
 * Cuts n steps into train, validation and test by the fractions given (the
 * test part gets the rest, at least `minTest` steps).
 */
export function splitByTime(n: number, validationFraction: number, testFraction: number, minTest = 1): TimeSplit {
  expectNumber('validationFraction', validationFraction, 0, 0.9);
  expectNumber('testFraction', testFraction, 0, 0.9);
  const test = Math.max(minTest, Math.round(n * testFraction));
  const validation = Math.round(n * validationFraction);
  const train = n - test - validation;
  if (train < 1) throw new ShapeError(`a series of ${n} steps is too short for a ${validation}-step validation and ${test}-step test part`);
  return { train: [0, train], validation: [train, train + validation], test: [train + validation, n] };
}

/** A seeded split of item indices into train / validation / test (for independent sequences). */
export function splitIndices(n: number, validationFraction: number, testFraction: number, shuffled: readonly number[]): { train: number[]; validation: number[]; test: number[] } {
  expectNumber('validationFraction', validationFraction, 0, 0.9);
  expectNumber('testFraction', testFraction, 0, 0.9);
  if (shuffled.length !== n) throw new ShapeError(`shuffled has ${shuffled.length} indices, expected ${n}`);
  const nt = Math.round(n * testFraction);
  const nv = Math.round(n * validationFraction);
  return { test: shuffled.slice(0, nt), validation: shuffled.slice(nt, nt + nv), train: shuffled.slice(nt + nv) };
}
