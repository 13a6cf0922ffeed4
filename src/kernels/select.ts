/**
 * Choosing the kernel backend: the WebAssembly SIMD kernels where the runtime
 * supports them, the JavaScript kernels otherwise, or either on request.
 *
 * The choice sets two things together: the kernels new networks use
 * (`setKernels`) and where float32 arrays come from (`allocate()` takes them
 * from the wasm heap while the wasm backend is active, so products run in
 * place). Networks built before a switch keep working with the kernels they
 * were built with; arrays outside the heap are copied per call.
 */

import { OptionError } from '../core/errors.js';
import { getKernels, jsKernels, setKernels, type Kernels } from '../core/kernels.js';
import { setFloat32Source } from '../core/tensor.js';
import { loadWasmKernels, wasmSupport, type WasmLoadOptions } from './load.js';
import type { WasmKernels } from './wasm.js';

/** A backend request: `"auto"` (wasm when supported, else js), `"js"`, or `"wasm"` (fails where unsupported). */
export type KernelChoice = 'auto' | 'js' | 'wasm';

export const KERNEL_CHOICES = ['auto', 'js', 'wasm'] as const;

/**
 * Makes a backend the default for networks built from now on and returns it.
 * `"wasm"` throws a RecurrentError (code `"UNSUPPORTED"`) where WebAssembly
 * SIMD is missing; `"auto"` falls back to the JavaScript kernels there.
 * The CLI maps the environment variable `RNNKIT_KERNELS=js|wasm|auto` here.
 */
export function useKernels(choice: KernelChoice, options: WasmLoadOptions = {}): Kernels {
  if (!(KERNEL_CHOICES as readonly string[]).includes(choice)) {
    throw new OptionError(`kernels must be one of ${KERNEL_CHOICES.join(', ')}, got "${String(choice)}"`);
  }
  if (choice === 'js' || (choice === 'auto' && !wasmSupport().simd)) {
    setFloat32Source(null);
    setKernels(jsKernels);
    return jsKernels;
  }
  let k: WasmKernels;
  try {
    k = loadWasmKernels(options);
  } catch (e) {
    // "auto" must never fail: where the WebAssembly memory cannot be reserved
    // (a process with a small address-space limit) the JavaScript kernels serve.
    if (choice !== 'auto' || !(e instanceof RangeError)) throw e;
    setFloat32Source(null);
    setKernels(jsKernels);
    return jsKernels;
  }
  activate(k);
  return k;
}

/** Makes these wasm kernels the default and allocates float32 arrays from their heap. */
function activate(k: WasmKernels): void {
  const heap = k.heap;
  setFloat32Source((n) => heap.floats(n));
  setKernels(k);
}

/** The name of the default backend (`"js"`, `"wasm-simd"` or `"wasm-relaxed-simd"`). */
export function kernelsName(): string {
  return getKernels().name;
}
