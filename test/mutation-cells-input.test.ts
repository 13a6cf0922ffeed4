/**
 * The input side shared by every cell (src/cells/input.ts) against sums
 * written out by hand in float64: x·U (+ b) for dense input and the row
 * gather for symbols (index −1 the zero vector), dU += Xᵀ·δ or the
 * scatter-add, db += Σ δ, dX = δ·Uᵀ; with a row offset, an output offset, a
 * row stride of U wider than N, and values around the block that must stay
 * as they were. On the JavaScript kernels in float64 and on the WebAssembly
 * kernels in float32 (which have the fused gatherRowsBias and
 * scatterAddRowsSum). Small and fast for `npm run mutate -- cells`.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addInputGradient, inputGradient, projectInput } from '../src/cells/input.js';
import type { SequenceInput } from '../src/cells/cell.js';
import { jsKernels, type Kernels } from '../src/core/kernels.js';
import { Rng } from '../src/core/rng.js';
import { allocate, type DType, type Float } from '../src/core/tensor.js';
import { useKernels } from '../src/kernels/index.js';

const wasm = useKernels('wasm');
const KERNELS: [string, Kernels, DType, number][] = [['js float64', jsKernels, 'float64', 1e-12], ['wasm float32', wasm, 'float32', 1e-5]];

const D = 3;
const N = 4;
const LDU = 6; // U's row stride: N columns used of 6
const ROWS = 3;
const ROW0 = 2; // first input row read
const OUT_OFF = 5; // first output value written
const SENTINEL = 7.25;

function filled(dtype: DType, values: ArrayLike<number>): Float {
  const a = allocate(dtype, values.length);
  a.set(values as ArrayLike<number>);
  return a;
}

function close(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= tol * Math.max(1, Math.abs(want[i]!)), `${what}[${i}]: ${got[i]} vs ${want[i]}`);
}

for (const [name, k, dtype, tol] of KERNELS) {
  for (const withBias of [true, false]) {
    test(`projectInput, ${name}, ${withBias ? 'with' : 'without'} bias: dense x·U and the symbol gather, only the rows asked for`, () => {
      const rng = new Rng(1);
      const U = filled(dtype, Array.from({ length: D * LDU }, () => rng.uniform(-1, 1)));
      const bias = withBias ? filled(dtype, Array.from({ length: N }, () => rng.uniform(-1, 1))) : null;
      const xd = Array.from({ length: (ROW0 + ROWS + 1) * D }, () => rng.uniform(-1, 1));
      const xi = [2, 0, 1, -1, 2, 0];
      const cases: [string, SequenceInput, (r: number, j: number) => number][] = [
        ['dense', { kind: 'dense', data: filled(dtype, xd) }, (r, j) => {
          let s = 0;
          for (let d = 0; d < D; d++) s += xd[(ROW0 + r) * D + d]! * U[d * LDU + j]!;
          return s;
        }],
        ['index', { kind: 'index', data: Int32Array.from(xi) }, (r, j) => (xi[ROW0 + r]! < 0 ? 0 : U[xi[ROW0 + r]! * LDU + j]!)],
      ];
      for (const [kind, x, product] of cases) {
        const out = filled(dtype, new Array(OUT_OFF + ROWS * N + 3).fill(SENTINEL));
        projectInput(k, x, ROW0, ROWS, D, U, LDU, out, OUT_OFF, N, bias);
        const want = new Array(out.length).fill(SENTINEL);
        for (let r = 0; r < ROWS; r++) for (let j = 0; j < N; j++) want[OUT_OFF + r * N + j] = product(r, j) + (bias ? bias[j]! : 0);
        close(out, want, tol, `${name} ${kind}`);
        // the row of index −1 is the bias alone (or zeros)
        if (kind === 'index') close(out.subarray(OUT_OFF + N, OUT_OFF + 2 * N), bias ? Array.from(bias) : [0, 0, 0, 0], tol, 'index −1');
      }
    });

    test(`addInputGradient, ${name}, ${withBias ? 'with' : 'without'} db: dU += Xᵀ·δ (a scatter-add for symbols), db += Σ_r δ`, () => {
      const rng = new Rng(2);
      const delta = Array.from({ length: ROWS * N }, () => rng.uniform(-1, 1));
      const xd = Array.from({ length: ROWS * D }, () => rng.uniform(-1, 1));
      const xi = [1, -1, 1];
      const dU0 = Array.from({ length: D * N }, () => rng.uniform(-1, 1));
      const db0 = Array.from({ length: N }, () => rng.uniform(-1, 1));
      const cases: [string, SequenceInput, (d: number, j: number) => number][] = [
        ['dense', { kind: 'dense', data: filled(dtype, xd) }, (d, j) => {
          let s = 0;
          for (let r = 0; r < ROWS; r++) s += xd[r * D + d]! * delta[r * N + j]!;
          return s;
        }],
        ['index', { kind: 'index', data: Int32Array.from(xi) }, (d, j) => {
          let s = 0;
          for (let r = 0; r < ROWS; r++) if (xi[r] === d) s += delta[r * N + j]!;
          return s;
        }],
      ];
      for (const [kind, x, product] of cases) {
        const dU = filled(dtype, dU0);
        const db = withBias ? filled(dtype, db0) : null;
        if (db) addInputGradient(k, x, ROWS, D, filled(dtype, delta), N, dU, db);
        else addInputGradient(k, x, ROWS, D, filled(dtype, delta), N, dU);
        const wantU = dU0.map((v, i) => v + product(Math.floor(i / N), i % N));
        close(dU, wantU, tol, `${name} ${kind} dU`);
        // symbol 0 and 2 never occur: their rows keep their values exactly
        if (kind === 'index') for (const d of [0, 2]) for (let j = 0; j < N; j++) assert.equal(dU[d * N + j], filled(dtype, dU0)[d * N + j]);
        if (db) {
          const wantB = db0.map((v, j) => v + delta[j]! + delta[N + j]! + delta[2 * N + j]!);
          close(db, wantB, tol, `${name} ${kind} db`);
        }
      }
    });
  }

  test(`inputGradient, ${name}: dX = δ·Uᵀ, written over what was there`, () => {
    const rng = new Rng(3);
    const U = Array.from({ length: D * N }, () => rng.uniform(-1, 1));
    const delta = Array.from({ length: ROWS * N }, () => rng.uniform(-1, 1));
    const dX = filled(dtype, new Array(ROWS * D + 2).fill(SENTINEL));
    inputGradient(k, ROWS, D, filled(dtype, delta), N, filled(dtype, U), dX);
    const want = new Array(ROWS * D + 2).fill(SENTINEL);
    for (let r = 0; r < ROWS; r++) {
      for (let d = 0; d < D; d++) {
        let s = 0;
        for (let j = 0; j < N; j++) s += delta[r * N + j]! * U[d * N + j]!;
        want[r * D + d] = s;
      }
    }
    close(dX, want, tol, name);
  });
}
