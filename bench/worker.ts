/**
 * One benchmark measurement in a fresh process (so that peak memory and JIT
 * state belong to it alone). Usage: node dist/bench/worker.js '<spec JSON>';
 * prints one JSON line: {charsPerSec, reps, peakRss, backend}.
 */

import { measure } from './measure.js';
import { loadCorpus, type BenchCell, type BenchMode } from './task.js';

/** What to measure. */
export interface WorkerSpec {
  readonly peer: 'rnnkit' | 'tfjs' | 'brain';
  /** rnnkit: js | wasm-simd | wasm-relaxed-simd; tfjs: cpu | wasm. */
  readonly backend: string;
  readonly cell: BenchCell;
  readonly mode: BenchMode;
  readonly B: number;
  readonly seconds: number;
  /** rnnkit training: threads per gradient (data-parallel); default 1. */
  readonly threads?: number;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as WorkerSpec;
  const corpus = loadCorpus();
  let step: () => number | Promise<number>;
  let backend = spec.backend;
  if (spec.peer === 'rnnkit') {
    const { useKernels } = await import('../src/kernels/index.js');
    const k = spec.backend === 'js' ? useKernels('js') : useKernels('wasm', { relaxed: spec.backend === 'wasm-relaxed-simd' });
    const threads = spec.threads ?? 1;
    backend = threads > 1 ? `${k.name} ×${threads} threads` : k.name;
    const { rnnkitStep } = await import('./peer-rnnkit.js');
    step = await rnnkitStep(corpus, spec.cell, spec.mode, spec.B, threads);
  } else if (spec.peer === 'tfjs') {
    const { tfBackend, tfjsStep } = await import('./peer-tfjs.js');
    backend = await tfBackend(spec.backend as 'cpu' | 'wasm');
    step = tfjsStep(corpus, spec.cell, spec.mode, spec.B);
  } else {
    const { brainStep } = await import('./peer-brain.js');
    step = brainStep(corpus, spec.cell, spec.mode);
  }
  const rate = await measure(step, spec.seconds);
  const peakRss = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ ...rate, peakRss, backend }) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
