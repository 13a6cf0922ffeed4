/**
 * A text as training data for `fit`, and the figure that measures a text
 * model.
 *
 * Data: the symbols s(0..n−1) as next-symbol prediction, x(t) = s(t),
 * y(t) = s(t+1), cut into B parallel streams read in windows of T steps
 * ({@link StreamBatches}). `fit` carries the state h (and C) from one
 * window to the next, so the model reads the text as one long sequence
 * while BPTT is truncated at T steps.
 *
 * Measure: the mean cross-entropy per symbol, J / n in nats, read the same
 * way; bits per symbol (per character: "bpc") = nats / ln 2.
 */

import { expectPositiveInt, OptionError } from '../core/errors.js';
import { StreamBatches, symbolStream } from '../data/windows.js';
import type { Network } from '../model/network.js';
import { evaluate, StateCarry } from '../train/evaluate.js';

/** Window shape of {@link textBatches} and {@link evaluateText}. */
export interface TextWindows {
  /** Window length T (the truncation of BPTT). Default 64. */
  readonly seqLen?: number;
  /** Parallel streams B; at most n − 1 for n symbols. Default 32. */
  readonly batchSize?: number;
}

/** The windows of B streams over `symbols` (B is lowered for a text too short for B streams). */
export function textBatches(symbols: Int32Array, vocabSize: number, windows: TextWindows = {}): StreamBatches {
  const T = expectPositiveInt('seqLen', windows.seqLen ?? 64);
  const B = expectPositiveInt('batchSize', windows.batchSize ?? 32);
  if (symbols.length < 2) throw new OptionError(`a text of ${symbols.length} symbols is too short: next-symbol prediction needs at least 2`);
  return new StreamBatches(symbolStream(symbols, vocabSize), { batchSize: Math.min(B, symbols.length - 1), seqLen: T });
}

/**
 * Mean cross-entropy per symbol (nats) of `net` predicting each symbol of
 * `symbols` from those before it, read in windows with the state carried
 * (forward passes only). Divide by ln 2 for bits per symbol.
 */
export function evaluateText(net: Network, symbols: Int32Array, windows: TextWindows = {}): number {
  const source = textBatches(symbols, net.config.inputSize, windows);
  return evaluate(net, source, new StateCarry(net, source.B)).loss;
}
