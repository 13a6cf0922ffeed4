/**
 * Activation functions g and their derivatives. Each derivative is written
 * in terms of the activation's output a = g(net), which is what the forward
 * pass keeps: tanh' = 1 − a², σ' = a(1 − a), ReLU' = [a > 0], linear' = 1.
 */

import type { Float } from './tensor.js';

/** Activations allowed on a hidden layer (g_h). */
export const HIDDEN_ACTIVATIONS = ['linear', 'tanh', 'sigmoid', 'relu'] as const;
export type HiddenActivation = (typeof HIDDEN_ACTIVATIONS)[number];

/** Activations allowed on the output layer (g_o); softmax is for symbols. */
export const OUTPUT_ACTIVATIONS = ['linear', 'sigmoid', 'softmax'] as const;
export type OutputActivation = (typeof OUTPUT_ACTIVATIONS)[number];

/** σ(x) = 1 / (1 + e^−x), computed without overflow for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** a = g(a) in place over `a[off .. off+n)` for an element-wise activation. */
export function activate(g: HiddenActivation | 'sigmoid' | 'linear', a: Float, off: number, n: number): void {
  const end = off + n;
  switch (g) {
    case 'linear':
      return;
    case 'tanh':
      for (let i = off; i < end; i++) a[i] = Math.tanh(a[i]!);
      return;
    case 'sigmoid':
      for (let i = off; i < end; i++) a[i] = sigmoid(a[i]!);
      return;
    case 'relu':
      for (let i = off; i < end; i++) if (a[i]! < 0) a[i] = 0;
      return;
  }
}

/** d[i] *= g'(net[i]), with g' taken from the stored output a = g(net): δnet = δa ∘ g'(net). */
export function multiplyByDerivative(g: HiddenActivation, a: Float, aOff: number, d: Float, dOff: number, n: number): void {
  switch (g) {
    case 'linear':
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) {
        const y = a[aOff + i]!;
        d[dOff + i]! *= 1 - y * y;
      }
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) {
        const y = a[aOff + i]!;
        d[dOff + i]! *= y * (1 - y);
      }
      return;
    case 'relu':
      for (let i = 0; i < n; i++) if (a[aOff + i]! <= 0) d[dOff + i] = 0;
      return;
  }
}

/** Softmax of each of `rows` rows of width `n`, in place, stabilised by the row maximum. */
export function softmaxRows(a: Float, off: number, rows: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    const o = off + r * n;
    let max = -Infinity;
    for (let j = 0; j < n; j++) if (a[o + j]! > max) max = a[o + j]!;
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const e = Math.exp(a[o + j]! - max);
      a[o + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < n; j++) a[o + j]! *= inv;
  }
}
