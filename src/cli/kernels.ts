/** The CLI's choice of matrix kernels, from the environment. */

import { KERNEL_CHOICES, useKernels, type KernelChoice } from '../kernels/select.js';
import { UsageError } from './args.js';

/**
 * Makes the kernels named by the environment variable RNNKIT_KERNELS
 * (`auto`, the default: WebAssembly SIMD where the runtime has it, else
 * JavaScript; `js`; `wasm`) the default for the networks built after it.
 */
export function chooseKernels(): void {
  const choice = process.env.RNNKIT_KERNELS ?? 'auto';
  if (!(KERNEL_CHOICES as readonly string[]).includes(choice)) {
    throw new UsageError(`RNNKIT_KERNELS must be one of ${KERNEL_CHOICES.join(', ')}, got "${choice}"`);
  }
  try {
    useKernels(choice as KernelChoice);
  } catch (e) {
    // the wasm heap reserves up to 4 GiB of address space; where that is refused (ulimit -v, small
    // containers) "auto" runs on the JavaScript kernels instead of failing
    if (choice !== 'auto' || !(e instanceof RangeError)) throw e;
    useKernels('js');
  }
}
