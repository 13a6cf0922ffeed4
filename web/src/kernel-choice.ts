/**
 * The matrix kernels of every network a playground worker builds:
 * WebAssembly SIMD where the browser has it (about ten times the JavaScript
 * kernels' speed), else JavaScript. Chosen once per worker, before its
 * first network; returns the chosen kernels' name.
 */

import { useKernels } from '../../src/kernels/select.js';

export function chooseKernels(): string {
  try {
    return useKernels('auto').name;
  } catch {
    return useKernels('js').name;
  }
}
