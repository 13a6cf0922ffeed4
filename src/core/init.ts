/**
 * Weight initialisers. Each takes the generator explicitly, so a seed
 * reproduces a model exactly.
 */

import type { ParamSet, ParamSpec } from './params.js';
import type { Rng } from './rng.js';
import type { Float } from './tensor.js';

/** U(−a, a) in every element. */
export function initUniform(out: Float, a: number, rng: Rng): void {
  for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-a, a);
}

/** Glorot (Xavier) uniform: U(−√(6/(fanIn+fanOut)), +√(6/(fanIn+fanOut))). */
export function initGlorot(out: Float, fanIn: number, fanOut: number, rng: Rng): void {
  initUniform(out, Math.sqrt(6 / (fanIn + fanOut)), rng);
}

/**
 * A (semi-)orthogonal rows×cols matrix: Gram–Schmidt on a Gaussian matrix.
 * The usual choice for a recurrent W, whose repeated product in BPTT then
 * neither explodes nor vanishes at the start of training. When cols is a
 * multiple of rows (the gate blocks of an LSTM/GRU), each rows×rows block is
 * made orthogonal on its own.
 */
export function initOrthogonal(out: Float, rows: number, cols: number, rng: Rng): void {
  if (cols > rows && cols % rows === 0) {
    const block = new Float64Array(rows * rows);
    for (let b = 0; b < cols / rows; b++) {
      orthogonalSquare(block, rows, rng);
      for (let r = 0; r < rows; r++) for (let c = 0; c < rows; c++) out[r * cols + b * rows + c] = block[r * rows + c]!;
    }
    return;
  }
  // Orthonormalise the shorter dimension's vectors.
  const n = Math.max(rows, cols);
  const m = Math.min(rows, cols);
  const q = new Float64Array(m * n); // m orthonormal vectors of length n
  for (let i = 0; i < m * n; i++) q[i] = rng.normal();
  gramSchmidt(q, m, n);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = rows <= cols ? q[r * n + c]! : q[c * n + r]!;
  }
}

function orthogonalSquare(out: Float64Array, n: number, rng: Rng): void {
  for (let i = 0; i < n * n; i++) out[i] = rng.normal();
  gramSchmidt(out, n, n);
}

/** Orthonormalises the m rows (length n) of q in place (modified Gram–Schmidt). */
function gramSchmidt(q: Float64Array, m: number, n: number): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < i; j++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += q[i * n + k]! * q[j * n + k]!;
      for (let k = 0; k < n; k++) q[i * n + k]! -= dot * q[j * n + k]!;
    }
    let norm = 0;
    for (let k = 0; k < n; k++) norm += q[i * n + k]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let k = 0; k < n; k++) q[i * n + k]! /= norm;
  }
}

/** Initialises every parameter of a set according to its spec. */
export function initParams(params: ParamSet, rng: Rng): void {
  for (const e of params.entries) initOne(params.view(e.name), e, rng);
}

/** Initialises one parameter matrix according to its spec. */
export function initOne(out: Float, spec: ParamSpec, rng: Rng): void {
  initBase(out, spec, rng);
  const f = spec.fill;
  if (f) for (let r = 0; r < spec.rows; r++) out.fill(f.value, r * spec.cols + f.from, r * spec.cols + f.to);
}

function initBase(out: Float, spec: ParamSpec, rng: Rng): void {
  switch (spec.init) {
    case 'zeros':
      out.fill(0);
      return;
    case 'ones':
      out.fill(1);
      return;
    case 'uniform':
      initUniform(out, spec.scale ?? 1 / Math.sqrt(spec.cols), rng);
      return;
    case 'glorot':
      initGlorot(out, spec.rows, spec.cols, rng);
      return;
    case 'orthogonal':
      initOrthogonal(out, spec.rows, spec.cols, rng);
      return;
  }
}
