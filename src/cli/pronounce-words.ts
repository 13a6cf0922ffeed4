/** Pronouncing words with a trained encoder–decoder, as `pronounce` and `predict` both do. */

import { decode } from '../seq2seq/decode.js';
import type { Seq2Seq } from '../seq2seq/model.js';
import type { SymbolTable } from '../tasks/symbols.js';
import { UsageError } from './args.js';

/** Decodes at most this many words at a time (one batch). */
const CHUNK = 256;

/** A word as the model reads it: lower case, letters of the source alphabet only (else a usage error naming it). */
export function normaliseWord(word: string, source: SymbolTable): string {
  const w = word.trim().toLowerCase();
  if (w === '' || [...w].some((ch) => source.encode(ch)[0] === -1)) {
    throw new UsageError(`"${word}" is not a word of the letters this model reads (${source.symbols.join('')})`);
  }
  return w;
}

/** The phonemes of each word by beam search of width `beam`, with their log-probabilities. */
export function pronounceWords(model: Seq2Seq, source: SymbolTable, target: SymbolTable, words: readonly string[], beam: number): { phonemes: string[]; logProb: number }[] {
  const out: { phonemes: string[]; logProb: number }[] = [];
  for (let s = 0; s < words.length; s += CHUNK) {
    const part = words.slice(s, s + CHUNK);
    let longest = 1;
    for (const w of part) longest = Math.max(longest, w.length);
    const decoded = decode(model, part.map((w) => source.encode(w)), { beamWidth: beam, maxLength: 3 * longest + 5 });
    for (const d of decoded) out.push({ phonemes: target.decode(d.symbols), logProb: d.logProb });
  }
  return out;
}
