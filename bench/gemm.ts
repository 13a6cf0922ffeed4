/**
 * GFLOP/s of the gemm kernels on the shapes a char-LSTM (H = 128, B = 32,
 * T = 32) multiplies: the rnnkit product, its backward, the weight
 * gradient, and the batch-1 sampling product. Best and median of repeated
 * timed blocks (the best is the least disturbed by other load).
 *
 *   node [--experimental-wasm-relaxed-simd] dist/bench/gemm.js
 */

import { jsKernels, type Kernels } from '../src/core/kernels.js';
import { loadWasmKernels, wasmSupport } from '../src/kernels/index.js';

interface Shape {
  readonly what: string;
  readonly tA: boolean;
  readonly tB: boolean;
  readonly M: number;
  readonly N: number;
  readonly K: number;
  /** op(B) packed once beforehand (packB + gemmPacked), as the rnnkit weights are in training. */
  readonly packed?: boolean;
}

const SHAPES: Shape[] = [
  { what: 'h·W_h (forward, B×H by H×4H)', tA: false, tB: false, M: 32, N: 512, K: 128 },
  { what: 'h·W_h, W_h packed once', tA: false, tB: false, M: 32, N: 512, K: 128, packed: true },
  { what: 'δ·W_hᵀ (backward)', tA: false, tB: true, M: 32, N: 128, K: 512 },
  { what: 'δ·W_hᵀ, W_hᵀ packed once', tA: false, tB: true, M: 32, N: 128, K: 512, packed: true },
  { what: 'h·W (RNN forward, W packed once)', tA: false, tB: false, M: 32, N: 128, K: 128, packed: true },
  { what: 'hᵀ·δ (weight gradient, T·B rows)', tA: true, tB: false, M: 128, N: 512, K: 1024 },
  { what: 'h·V (output, vocab 85)', tA: false, tB: false, M: 1024, N: 85, K: 128 },
  { what: 'hᵀ·δo (∂J/∂V)', tA: true, tB: false, M: 128, N: 85, K: 1024 },
  { what: 'δo·Vᵀ (∂J/∂h from the output)', tA: false, tB: true, M: 1024, N: 128, K: 85 },
  { what: 'h·W_h at batch 1 (sampling)', tA: false, tB: false, M: 1, N: 512, K: 128 },
];

function time(k: Kernels, s: Shape, A: Float32Array, B: Float32Array, C: Float32Array, budget: number): { best: number; median: number } {
  const flops = 2 * s.M * s.N * s.K;
  const lda = s.tA ? s.M : s.K;
  const ldb = s.tB ? s.K : s.N;
  const packed = s.packed ? k.packB?.(s.tB, s.K, s.N, B, 0, ldb, null) ?? null : null;
  const run = packed
    ? () => { k.gemmPacked!(s.tA, s.M, s.N, s.K, A, 0, lda, packed, C, 0, s.N, false); }
    : () => k.gemm(s.tA, s.tB, s.M, s.N, s.K, A, 0, lda, B, 0, ldb, C, 0, s.N, false);
  for (let i = 0; i < 5; i++) run();
  const rates: number[] = [];
  const end = performance.now() + budget * 1000;
  while (performance.now() < end) {
    // CPU time of this process, not wall time: other load on the machine does not count
    let n = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    do {
      run();
      n++;
    } while (performance.now() - t0 < 20);
    const c = process.cpuUsage(c0);
    rates.push(flops * n / ((c.user + c.system) / 1e6) / 1e9);
  }
  rates.sort((a, b) => a - b);
  return { best: rates[rates.length - 1]!, median: rates[Math.floor(rates.length / 2)]! };
}

const kernels: Kernels[] = [jsKernels, loadWasmKernels({ relaxed: false })];
if (wasmSupport().relaxedSimd) kernels.push(loadWasmKernels({ relaxed: true }));
const heap = loadWasmKernels({ relaxed: false }).heap;
console.log(`gemm GFLOP/s per CPU-second (best / median of 20 ms blocks), operands in the wasm heap`);
for (const s of SHAPES) {
  const make = (n: number) => {
    const a = heap.floats(n)!;
    for (let i = 0; i < n; i++) a[i] = Math.sin(i);
    return a;
  };
  const A = make(s.M * s.K);
  const B = make(s.K * s.N);
  const C = make(s.M * s.N);
  const cols = kernels.map((k) => {
    const r = time(k, s, A, B, C, k.name === 'js' ? 0.5 : 1);
    return `${k.name} ${r.best.toFixed(1)} / ${r.median.toFixed(1)}`;
  });
  console.log(`${`${s.M}×${s.N}×${s.K}${s.tA ? ' Aᵀ' : ''}${s.tB ? ' Bᵀ' : ''}`.padEnd(18)} ${s.what.padEnd(36)} ${cols.join('   ')}`);
}
