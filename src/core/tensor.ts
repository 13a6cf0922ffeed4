/**
 * Numeric element types. Every matrix is row-major in one typed array;
 * float64 serves gradient checks and exact reproduction of the worked
 * example, float32 serves speed. The same code handles both.
 */

import { ShapeError } from './errors.js';

/** The array types a model may use for parameters and activations. */
export type Float = Float32Array | Float64Array;

/** Element type of a model: `"float32"` (fast) or `"float64"` (exact). */
export type DType = 'float32' | 'float64';

/**
 * Where float32 arrays come from while a kernel backend wants them in its own
 * memory (the WebAssembly kernels' heap); null means ordinary arrays. It may
 * return null for an array it cannot hold.
 */
let float32Source: ((n: number) => Float32Array | null) | null = null;

/** Sets (or, with null, clears) the source of float32 arrays used by {@link allocate}. */
export function setFloat32Source(source: ((n: number) => Float32Array | null) | null): void {
  float32Source = source;
}

/** Allocates a zeroed array of `n` elements of `dtype` (float32 from the active backend's memory, if it has one). */
export function allocate(dtype: DType, n: number): Float {
  if (dtype === 'float64') return new Float64Array(n);
  return (n > 0 && float32Source ? float32Source(n) : null) ?? new Float32Array(n);
}

/** The dtype of an existing array. */
export function dtypeOf(a: Float): DType {
  return a instanceof Float64Array ? 'float64' : 'float32';
}

/** Copies a row-major matrix out of `a` as nested arrays (for printing and JSON). */
export function toRows(a: ArrayLike<number>, rows: number, cols: number, offset = 0): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const row: number[] = [];
    for (let c = 0; c < cols; c++) row.push(a[offset + r * cols + c]!);
    out.push(row);
  }
  return out;
}

/** Flattens nested rows into `target` (row-major), checking the shape. */
export function fromRows(rows: readonly (readonly number[])[], target: Float, name: string, nRows: number, nCols: number): void {
  if (rows.length !== nRows || rows.some((r) => r.length !== nCols)) {
    const got = `${rows.length}×${rows[0]?.length ?? 0}`;
    throw new ShapeError(`${name} must be ${nRows}×${nCols}, got ${got}`);
  }
  for (let r = 0; r < nRows; r++) for (let c = 0; c < nCols; c++) target[r * nCols + c] = rows[r]![c]!;
}
