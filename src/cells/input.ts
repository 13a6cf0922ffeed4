/**
 * The input side of a layer, shared by every cell: x(t)·U as a matrix
 * product for dense input or a row gather for one-hot symbols, and its
 * gradients.
 */

import type { Kernels } from '../core/kernels.js';
import type { Float } from '../core/tensor.js';
import type { SequenceInput } from './cell.js';

/**
 * out[r, :] = x[row0 + r]·U (+ bias) for `rows` rows; U is D×N with row stride `ldu`.
 * For symbol input this is a gather of U's rows.
 */
export function projectInput(
  k: Kernels, x: SequenceInput, row0: number, rows: number, D: number,
  U: Float, ldu: number, out: Float, outOff: number, N: number, bias: Float | null,
): void {
  if (x.kind === 'dense') k.gemm(false, false, rows, N, D, x.data, row0 * D, D, U, 0, ldu, out, outOff, N, false);
  else if (bias && k.gatherRowsBias?.(rows, N, x.data, row0, U, 0, ldu, bias, 0, out, outOff, N)) return;
  else k.gatherRows(rows, N, x.data, row0, U, 0, ldu, out, outOff, N, false);
  if (bias) k.addRowVector(rows, N, out, outOff, N, bias, 0);
}

/**
 * dU += Xᵀ·δ over `rows` rows (a scatter-add of δ's rows for symbol input),
 * and db += Σ_r δ[r, :] when `db` is given (the bias gradient; for symbols
 * in the same pass over δ when the kernels can); δ is rows×N.
 */
export function addInputGradient(k: Kernels, x: SequenceInput, rows: number, D: number, delta: Float, N: number, dU: Float, db: Float | null = null): void {
  if (x.kind === 'dense') k.gemm(true, false, D, N, rows, x.data, 0, D, delta, 0, N, dU, 0, N, true);
  else if (db && k.scatterAddRowsSum?.(rows, N, x.data, 0, delta, 0, N, dU, 0, N, db, 0)) return;
  else k.scatterAddRows(rows, N, x.data, 0, delta, 0, N, dU, 0, N);
  if (db) k.sumRowsInto(rows, N, delta, 0, N, db, 0);
}

/** dX = δ·Uᵀ over `rows` rows: the gradient passed to the layer below. */
export function inputGradient(k: Kernels, rows: number, D: number, delta: Float, N: number, U: Float, dX: Float): void {
  k.gemm(false, true, rows, D, N, delta, 0, N, U, 0, N, dX, 0, D, false);
}
