/**
 * The Pronounce tab's model: what is trained in the page, and how any
 * pronouncer (trained here or loaded from a `.rnn` file that `rnnkit
 * pronounce -o cmu.rnn` wrote) says a word with its alignment.
 *
 * Trained here: a GRU encoder–decoder with a bidirectional encoder and Luong
 * attention (the `rnnkit pronounce` defaults, smaller: H = 48), on the
 * bundled slice of the CMU dictionary (letters a–z in, ARPAbet phonemes out,
 * stress removed), 400 words held out by a fixed seed. Model files are read
 * and written by the library's one model-file reader (src/io/model-file.ts).
 */

import { Rng } from '../../src/core/rng.js';
import { decodeModel, encodeModel } from '../../src/io/model-file.js';
import { decode } from '../../src/seq2seq/decode.js';
import { Seq2Seq } from '../../src/seq2seq/model.js';
import { pronunciations, type Pronunciation } from '../../src/tasks/pronounce.js';
import { SymbolTable } from '../../src/tasks/symbols.js';

export const LETTERS = new SymbolTable('abcdefghijklmnopqrstuvwxyz'.split(''));
/** Words held out of training (the first of the seeded shuffle), for the phoneme error rate. */
export const HELD_OUT = 400;
export const SEED = 1;
export const HIDDEN = 48;
export const BATCH = 32;
export const LEARNING_RATE = 0.01;
/** Training stops by itself after this many updates (Resume continues). */
export const STEP_LIMIT = 3000;

/** A pronouncer and its symbol tables, as a model file of kind `seq2seq` holds them. */
export interface Pronouncer {
  readonly model: Seq2Seq;
  readonly source: SymbolTable;
  readonly target: SymbolTable;
  readonly maxSourceLength: number;
  readonly maxTargetLength: number;
}

/** The bundled words split into held-out and training words (fixed by SEED). */
export function splitWords(dict: Readonly<Record<string, string>>): { heldOut: Pronunciation[]; train: Pronunciation[]; phones: SymbolTable } {
  const all = pronunciations(dict);
  // a seeded Fisher–Yates shuffle (the library's Rng), so the split is the same in every browser
  const shuffled = new Rng(SEED).shuffle([...all]);
  return { heldOut: shuffled.slice(0, HELD_OUT), train: shuffled.slice(HELD_OUT), phones: SymbolTable.fromSequences(all.map((p) => p.phonemes)) };
}


/** A fresh pronouncer for the bundled words. */
export function newPronouncer(phones: SymbolTable, words: readonly Pronunciation[]): Pronouncer {
  let maxSource = 1;
  let maxTarget = 1;
  for (const w of words) {
    maxSource = Math.max(maxSource, w.word.length);
    maxTarget = Math.max(maxTarget, w.phonemes.length);
  }
  const model = new Seq2Seq({
    cell: 'gru', sourceVocabSize: LETTERS.size, targetVocabSize: phones.size, hiddenSize: HIDDEN, seed: SEED,
    bidirectional: true, attention: 'luong',
  });
  return { model, source: LETTERS, target: phones, maxSourceLength: maxSource, maxTargetLength: maxTarget };
}

/** A pronouncer's model-file bytes (kind `seq2seq`, as `rnnkit pronounce` writes). */
export function encodePronouncer(p: Pronouncer): Uint8Array {
  return encodeModel({ kind: 'seq2seq', ...p });
}

/**
 * Reads a pronouncer with attention from model-file bytes. Throws an Error
 * of one line naming the file and what to do when it is another kind of
 * model or has no attention.
 */
export function decodePronouncer(bytes: ArrayBuffer | Uint8Array, fileName: string): Pronouncer {
  const { model } = decodeModel(bytes, { what: fileName });
  if (model.kind !== 'seq2seq') {
    throw new Error(`${fileName}: a ${model.kind} model, not a pronouncer; load a file written by rnnkit pronounce -o cmu.rnn`);
  }
  if (!model.model.attention) {
    throw new Error(`${fileName}: this pronouncer has no attention (trained with --attention none), so it has no alignment to show; retrain it with rnnkit pronounce (attention is the default)`);
  }
  return model;
}

/** A word said by a pronouncer: its phonemes and each output step's attention over the letters. */
export interface Alignment {
  readonly letters: readonly string[];
  /** The phonemes, then `</s>` when the decoder ended the word. */
  readonly rows: readonly string[];
  /** weights[i][j]: how much output step i looked at letter j (each row sums to 1). */
  readonly weights: readonly (readonly number[])[];
  /** The phonemes alone. */
  readonly phonemes: readonly string[];
}

/** Greedy decoding of one word (lower-case letters the model reads), with attention weights. */
export function align(p: Pronouncer, word: string): Alignment {
  const [d] = decode(p.model, [p.source.encode(word)], { attention: true, maxLength: 3 * word.length + 5 });
  const phonemes = p.target.decode(d!.symbols);
  return { letters: [...word], phonemes, rows: d!.ended ? [...phonemes, '</s>'] : phonemes, weights: d!.attention! };
}

/** Each word's phonemes by greedy decoding (for the held-out error rate). */
export function pronounceAll(p: Pronouncer, words: readonly string[]): string[][] {
  let longest = 1;
  for (const w of words) longest = Math.max(longest, w.length);
  return decode(p.model, words.map((w) => p.source.encode(w)), { maxLength: 3 * longest + 5 }).map((d) => p.target.decode(d.symbols));
}
