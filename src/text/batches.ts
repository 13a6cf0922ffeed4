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
 * Measure: the mean cross-entropy per symbol, J / n in nats, of the held-out
 * text read as one stream ({@link validationBatches}); bits per symbol (per
 * character: "bpc") = nats / ln 2.
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

/** Window length of {@link validationBatches}: long, since one stream's window is a B = 1 pass and the result does not depend on it. */
export const VALIDATION_SEQ_LEN = 256;

/**
 * The held-out symbols as validation data: ONE stream (B = 1) read from a
 * single cold start, in windows of `seqLen` steps with the state carried
 * (`fit` and {@link evaluate} carry it), so every symbol but the first is
 * predicted from all the text before it, as the model would read it. The
 * figure does not depend on `seqLen` (forward passes only); reading the tail
 * as B training-shaped streams instead would restart the state B times and
 * report a worse figure (about 0.02 bits/char on Moby Dick's tail,
 * docs/performance.md). Pass it as `fit`'s `validation`.
 */
export function validationBatches(symbols: Int32Array, vocabSize: number, options: { readonly seqLen?: number } = {}): StreamBatches {
  return textBatches(symbols, vocabSize, { seqLen: options.seqLen ?? VALIDATION_SEQ_LEN, batchSize: 1 });
}

/**
 * Options of {@link evaluateText}. A training run's {@link TextWindows} may
 * be passed as they are: only `seqLen` is read.
 */
export interface EvaluationWindows {
  /** Steps per forward pass (default {@link VALIDATION_SEQ_LEN}); does not change the figure. */
  readonly seqLen?: number;
  /** Not read: validation is always one stream (B = 1). Allowed so that training windows can be passed as they are. */
  readonly batchSize?: number;
}

/**
 * Mean cross-entropy per symbol (nats) of `net` predicting each symbol of
 * `symbols` from those before it, read as one stream from a cold start
 * ({@link validationBatches}; forward passes only). Divide by ln 2 for bits
 * per symbol.
 */
export function evaluateText(net: Network, symbols: Int32Array, options: EvaluationWindows = {}): number {
  const source = validationBatches(symbols, net.config.inputSize, options.seqLen !== undefined ? { seqLen: options.seqLen } : {});
  return evaluate(net, source, new StateCarry(net, 1)).loss;
}
