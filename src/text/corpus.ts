/**
 * A text corpus ready for training: the text normalised, its vocabulary,
 * and its symbols split into a training head and a held-out validation
 * tail. Browser-safe: the caller reads the text (a file, a fetch, the
 * bundled novel) and passes a string.
 */

import { expectNumber, OptionError, rejectUnknownKeys } from '../core/errors.js';
import { buildTokenizer, Tokenizer, type TokenKind } from './tokenizer.js';

/** Options of {@link prepareCorpus}. */
export interface CorpusOptions {
  /** `"char"` (default) or `"word"`. */
  readonly tokens?: TokenKind;
  /** Vocabulary size including the unknown symbol (see {@link buildTokenizer}). */
  readonly vocabSize?: number;
  /** Fraction of the symbols held out at the end for validation, in [0, 0.5]. Default 0.05. */
  readonly valFraction?: number;
  /** Use this vocabulary instead of building one (e.g. the one of a model being resumed). */
  readonly tokenizer?: Tokenizer;
}

/** A tokenised corpus. */
export interface Corpus {
  readonly tokenizer: Tokenizer;
  /** The training symbols (the head of the text). */
  readonly train: Int32Array;
  /** The validation symbols (the tail), possibly empty. */
  readonly val: Int32Array;
  /** Symbols in the whole text. */
  readonly length: number;
  /**
   * Symbols of the text outside the vocabulary (encoded as the unknown
   * symbol, index 0). With a vocabulary taken from a model being resumed, a
   * large share means the text is not the one the model learned from:
   * {@link unknownShare} and {@link UNKNOWN_WARN_SHARE}.
   */
  readonly unknown: number;
}

/** Share of unknown symbols above which a resumed run should warn (the text is mostly not the model's). */
export const UNKNOWN_WARN_SHARE = 0.05;

/** The share of a corpus's symbols that are unknown, in [0, 1]. */
export function unknownShare(corpus: Corpus): number {
  return corpus.length > 0 ? corpus.unknown / corpus.length : 0;
}

/** Fewest training symbols a corpus may have: at least a couple of windows. */
export const MIN_TRAIN_SYMBOLS = 3;

/** Line breaks as `\n`, without a byte-order mark. */
export function normalizeText(text: string): string {
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

/**
 * Splits symbols into a training head and a validation tail of
 * ⌊valFraction·n⌋ symbols (the tail is later text, so validation measures
 * how the model does on text it has not seen).
 */
export function splitTail(symbols: Int32Array, valFraction: number): { train: Int32Array; val: Int32Array } {
  expectNumber('valFraction', valFraction, 0, 0.5);
  const nVal = Math.floor(symbols.length * valFraction);
  const cut = symbols.length - nVal;
  return { train: symbols.subarray(0, cut), val: symbols.subarray(cut) };
}

/**
 * Normalises `text`, builds (or takes) its vocabulary, encodes it and
 * splits it into training and validation symbols.
 */
export function prepareCorpus(text: string, options: CorpusOptions = {}): Corpus {
  rejectUnknownKeys('corpus', options, ['tokens', 'vocabSize', 'valFraction', 'tokenizer']);
  const clean = normalizeText(text);
  if (clean.trim().length === 0) throw new OptionError('the training text is empty; give a file with some text in it');
  const tokenizer = options.tokenizer ?? buildTokenizer(clean, {
    ...(options.tokens !== undefined ? { kind: options.tokens } : {}),
    ...(options.vocabSize !== undefined ? { vocabSize: options.vocabSize } : {}),
  });
  const symbols = tokenizer.encode(clean);
  const { train, val } = splitTail(symbols, options.valFraction ?? 0.05);
  if (train.length < MIN_TRAIN_SYMBOLS) {
    throw new OptionError(`the training text has only ${train.length} ${tokenizer.kind === 'char' ? 'characters' : 'words'} after the validation split; give a longer text`);
  }
  let unknown = 0;
  for (let i = 0; i < symbols.length; i++) if (symbols[i] === 0) unknown++;
  return { tokenizer, train, val, length: symbols.length, unknown };
}
