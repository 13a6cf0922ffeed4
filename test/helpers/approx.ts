/** Approximate-equality assertions for numeric tests. */

import assert from 'node:assert/strict';

/** Asserts |actual − expected| ≤ tol element by element, naming the first mismatch. */
export function assertClose(actual: ArrayLike<number> | number, expected: ArrayLike<number> | number, tol: number, what = 'value'): void {
  const a = typeof actual === 'number' ? [actual] : Array.from(actual);
  const e = typeof expected === 'number' ? [expected] : Array.from(expected);
  assert.equal(a.length, e.length, `${what}: length ${a.length}, expected ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i]! - e[i]!) <= tol)) {
      assert.fail(`${what}[${i}] = ${a[i]}, expected ${e[i]} ± ${tol}\n  actual:   ${a.join(', ')}\n  expected: ${e.join(', ')}`);
    }
  }
}

/** Asserts two nested row arrays are close. */
export function assertRowsClose(actual: readonly (readonly number[])[], expected: readonly (readonly number[])[], tol: number, what = 'matrix'): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} rows, expected ${expected.length}`);
  assertClose(actual.flat(), expected.flat(), tol, what);
}

/** The largest |a[i] − b[i]| (the arrays must have the same length). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
