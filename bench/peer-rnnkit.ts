/**
 * `rnnkit` on the benchmark task: Network + Adam for training (forward,
 * backward, update per batch), SymbolStream + sampleIndex for sampling.
 */

import { Network } from '../src/model/network.js';
import { Rng } from '../src/core/rng.js';
import { createOptimizer } from '../src/train/optimizers.js';
import { SymbolStream, sampleIndex } from '../src/text/sample.js';
import { createDataParallel } from '../src/node/parallel.js';
import { HIDDEN, SEQ, fillWindows, type BenchCell, type BenchMode, type Corpus } from './task.js';

/** One step of work: returns the characters it processed. */
export type Step = () => number;

/**
 * Builds the step function for `rnnkit` (kernels: whatever `useKernels`
 * made the default); training with `threads` > 1 computes each gradient
 * data-parallel on that many threads.
 */
export async function rnnkitStep(corpus: Corpus, cell: BenchCell, mode: BenchMode, B: number, threads = 1): Promise<Step> {
  const vocab = corpus.chars.length;
  const net = new Network({ cell, inputSize: vocab, hiddenSize: HIDDEN, outputSize: vocab, loss: 'cross-entropy', seed: 1 });
  const rng = new Rng(1);
  if (mode === 'sample') {
    const stream = new SymbolStream(net);
    let s = 0;
    return () => {
      for (let i = 0; i < 64; i++) s = sampleIndex(stream.step(s), { temperature: 1 }, rng);
      return 64;
    };
  }
  const T = SEQ;
  const x = new Int32Array(T * B);
  const y = new Int32Array(T * B);
  const batch = { T, B, x: { kind: 'index' as const, data: x }, y: { kind: 'index' as const, data: y } };
  const engine = threads > 1 ? await createDataParallel(net, { threads }) : net;
  const adam = createOptimizer({ kind: 'adam' }, net.params.size, net.config.dtype);
  const next = () => rng.uniform(0, 1);
  return () => {
    fillWindows(corpus.symbols, T, B, next, x, y);
    net.params.zeroGrad();
    engine.gradient(batch);
    adam.update(net.params.data, net.params.grad, 2e-3);
    return T * B;
  };
}
