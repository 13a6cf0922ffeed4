/**
 * brain.js (1.6) on the benchmark task: `brain.recurrent.RNN` / `LSTM` with
 * one hidden layer of 128, trained one 33-character window at a time (it
 * has no batching; its update is its own clipped SGD-style rule, not Adam),
 * and `run(…, true)` for sampling (temperature 1).
 */

import { createRequire } from 'node:module';
import { Rng } from '../src/core/rng.js';
import { HIDDEN, SEQ, type BenchCell, type BenchMode, type Corpus } from './task.js';

interface BrainRecurrent {
  dataFormatter: unknown;
  train(data: string[], options: { iterations: number; errorThresh: number; log: boolean }): { error: number };
  run(input: string, isSample: boolean, temperature: number): string;
}
interface BrainModule {
  recurrent: { RNN: new (o: object) => BrainRecurrent; LSTM: new (o: object) => BrainRecurrent };
  utilities: { DataFormatter: new (values: string[]) => unknown };
}

/** Builds the step function for brain.js (batch 1 only). */
export function brainStep(corpus: Corpus, cell: BenchCell, mode: BenchMode): () => number {
  const require = createRequire(import.meta.url);
  const brain = require('brain.js') as BrainModule;
  const Ctor = cell === 'lstm' ? brain.recurrent.LSTM : brain.recurrent.RNN;
  const net = new Ctor({ hiddenLayers: [HIDDEN], maxPredictionLength: 64 });
  // the vocabulary of the whole corpus, so that every window encodes
  net.dataFormatter = new brain.utilities.DataFormatter([corpus.text]);
  const rng = new Rng(1);
  const window = () => {
    const start = rng.int(corpus.text.length - SEQ - 1);
    return corpus.text.slice(start, start + SEQ + 1);
  };
  net.train([window()], { iterations: 1, errorThresh: 0, log: false });
  if (mode === 'sample') {
    return () => {
      const out = net.run('', true, 1);
      return Math.max(1, out.length);
    };
  }
  return () => {
    net.train([window()], { iterations: 1, errorThresh: 0, log: false });
    return SEQ; // SEQ + 1 characters: SEQ predictions
  };
}
