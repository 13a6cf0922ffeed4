/**
 * Matrix kernel backends. Importing the library entry point makes the
 * WebAssembly SIMD kernels the default where the runtime supports them
 * (`useKernels('auto')` below); `useKernels('js')` switches back.
 */

import { useKernels } from './select.js';

export { useKernels, kernelsName, KERNEL_CHOICES, type KernelChoice } from './select.js';
export { loadWasmKernels, loadWasmKernelsAsync, wasmSupport, type WasmSupport, type WasmLoadOptions } from './load.js';
export { WasmKernels } from './wasm.js';
export { WasmHeap } from './heap.js';

useKernels('auto');
