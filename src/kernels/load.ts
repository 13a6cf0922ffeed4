/**
 * Loading the WebAssembly kernels: feature detection, compilation of the
 * embedded module bytes (src/kernels/generated/binaries.ts, made from
 * kernels.wat by `npm run build`), and the one memory every instance shares.
 *
 * Loading is synchronous: the module is about 5 KB, which every runtime
 * compiles synchronously (browsers refuse synchronous compilation only of
 * large modules on the main thread), so `useKernels('wasm')` can switch
 * backends before a network is built without an `await`.
 * {@link loadWasmKernelsAsync} does the same with `WebAssembly.compile` for
 * callers that prefer it.
 *
 * Relaxed SIMD (`f32x4.relaxed_madd`, a fused multiply-add) is used when the
 * runtime validates it. Node 20 does so only with
 * `--experimental-wasm-relaxed-simd` on the command line, or after
 * `v8.setFlagsFromString('--experimental-wasm-relaxed-simd')` at start-up
 * (before the first compilation); otherwise the plain-SIMD module is used.
 */

import { RecurrentError } from '../core/errors.js';
import { KERNEL_BINARIES, MAX_PAGES } from './generated/binaries.js';
import { WasmHeap } from './heap.js';
import { PACK_BYTES, WasmKernels, type KernelExports } from './wasm.js';

/** What the runtime supports. */
export interface WasmSupport {
  /** WebAssembly with 128-bit SIMD: the wasm kernels can run. */
  readonly simd: boolean;
  /** Relaxed SIMD validates (fused multiply-add path available). */
  readonly relaxedSimd: boolean;
  /** Shared WebAssembly memory can be created (memory grows without detaching views). */
  readonly sharedMemory: boolean;
}

/** Options of {@link loadWasmKernels}. */
export interface WasmLoadOptions {
  /**
   * Use the relaxed-SIMD module. Default: when the runtime supports it.
   * `true` where it is not supported throws.
   */
  readonly relaxed?: boolean;
}

/** Initial size of a shared memory (it grows on demand): 16 MiB. */
const SHARED_INITIAL_PAGES = 256;
/** Fixed size of an unshared memory (growth would detach views): 128 MiB. */
const UNSHARED_PAGES = 2048;

let support: WasmSupport | null = null;
let heap: WasmHeap | null = null;
let packPtr = -1;
const instances = new Map<boolean, WasmKernels>();

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function canShareMemory(): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false;
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

/** Detects WebAssembly SIMD, relaxed SIMD and shared memory (checked once, then cached). */
export function wasmSupport(): WasmSupport {
  if (support) return support;
  if (typeof WebAssembly !== 'object') return (support = { simd: false, relaxedSimd: false, sharedMemory: false });
  const sharedMemory = canShareMemory();
  const pick = sharedMemory ? 'shared' : 'unshared';
  const valid = (bytes: string): boolean => {
    try {
      return WebAssembly.validate(decodeBase64(bytes));
    } catch {
      return false;
    }
  };
  support = {
    simd: valid(KERNEL_BINARIES[`${pick}Plain`]),
    relaxedSimd: valid(KERNEL_BINARIES[`${pick}Relaxed`]),
    sharedMemory,
  };
  return support;
}

/** The one heap all kernel instances share (so either variant multiplies the same model in place). */
export function wasmHeap(): WasmHeap {
  if (heap) return heap;
  const s = wasmSupport();
  const memory = s.sharedMemory
    ? new WebAssembly.Memory({ initial: SHARED_INITIAL_PAGES, maximum: MAX_PAGES, shared: true })
    : new WebAssembly.Memory({ initial: UNSHARED_PAGES, maximum: MAX_PAGES });
  const h = new WasmHeap(memory, s.sharedMemory);
  packPtr = h.alloc(PACK_BYTES);
  heap = h;
  return h;
}

function resolveRelaxed(options: WasmLoadOptions): boolean {
  const s = wasmSupport();
  if (!s.simd) {
    throw new RecurrentError('UNSUPPORTED', 'this runtime has no WebAssembly 128-bit SIMD; use the JavaScript kernels (useKernels("js"))');
  }
  if (options.relaxed === true && !s.relaxedSimd) {
    throw new RecurrentError('UNSUPPORTED', 'relaxed SIMD is not available here; in Node 20 start with --experimental-wasm-relaxed-simd, or pass relaxed: false');
  }
  return options.relaxed ?? s.relaxedSimd;
}

function binaryFor(relaxed: boolean): Uint8Array<ArrayBuffer> {
  const shared = wasmSupport().sharedMemory ? 'shared' : 'unshared';
  return decodeBase64(KERNEL_BINARIES[`${shared}${relaxed ? 'Relaxed' : 'Plain'}`]);
}

function bind(mod: WebAssembly.Module, relaxed: boolean): WasmKernels {
  const h = wasmHeap();
  const instance = new WebAssembly.Instance(mod, { env: { memory: h.memory } });
  const k = new WasmKernels(instance.exports as unknown as KernelExports, h, relaxed, packPtr);
  instances.set(relaxed, k);
  return k;
}

/**
 * The WebAssembly SIMD kernels, compiled and instantiated synchronously
 * (cached: later calls return the same instance). Throws a RecurrentError
 * with code `"UNSUPPORTED"` where WebAssembly SIMD is unavailable.
 * This does not make them the default; see `useKernels`.
 */
export function loadWasmKernels(options: WasmLoadOptions = {}): WasmKernels {
  const relaxed = resolveRelaxed(options);
  return instances.get(relaxed) ?? bind(new WebAssembly.Module(binaryFor(relaxed)), relaxed);
}

/** As {@link loadWasmKernels}, compiling with `WebAssembly.compile` (off the main thread where the runtime can). */
export async function loadWasmKernelsAsync(options: WasmLoadOptions = {}): Promise<WasmKernels> {
  const relaxed = resolveRelaxed(options);
  const cached = instances.get(relaxed);
  if (cached) return cached;
  return bind(await WebAssembly.compile(binaryFor(relaxed)), relaxed);
}
