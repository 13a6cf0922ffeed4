/**
 * Spelling → pronunciation on the CMU Pronouncing Dictionary: words of
 * letters a–z in, ARPAbet phonemes out (stress digits removed unless
 * asked for), and the copy-through baseline every model must beat.
 */

/** A word and its phonemes. */
export interface Pronunciation {
  readonly word: string;
  readonly phonemes: readonly string[];
}

/**
 * Entries of a cmudict-style record (`"WORD": "PH1 PH2 ..."`): first
 * pronunciations only (keys with `(n)` are alternatives), words of letters
 * only, lower-cased; stress digits stripped unless `stress`.
 */
export function pronunciations(dict: Readonly<Record<string, string>>, options: { stress?: boolean; maxLength?: number } = {}): Pronunciation[] {
  const out: Pronunciation[] = [];
  const max = options.maxLength ?? Infinity;
  for (const [key, value] of Object.entries(dict)) {
    if (!/^[A-Za-z]+$/.test(key) || key.length > max) continue;
    const phonemes = value.trim().split(/\s+/).map((p) => (options.stress ? p : p.replace(/[0-9]$/, '')));
    out.push({ word: key.toLowerCase(), phonemes });
  }
  return out;
}

/**
 * The copy-through baseline: each letter is copied to one phoneme by a
 * fixed table — the phoneme of the same name where ARPAbet has one
 * (b→B, d→D, f→F, g→G, k→K, l→L, m→M, n→N, p→P, r→R, s→S, t→T, v→V,
 * w→W, y→Y, z→Z), otherwise the letter's commonest sound (a→AE, c→K,
 * e→EH, h→HH, i→IH, j→JH, o→AA, q→K, u→AH, x→K S). No context is used,
 * so silent letters and digraphs (th, sh, ee) are wrong.
 */
export const COPY_THROUGH: Readonly<Record<string, readonly string[]>> = {
  a: ['AE'], b: ['B'], c: ['K'], d: ['D'], e: ['EH'], f: ['F'], g: ['G'], h: ['HH'], i: ['IH'], j: ['JH'],
  k: ['K'], l: ['L'], m: ['M'], n: ['N'], o: ['AA'], p: ['P'], q: ['K'], r: ['R'], s: ['S'], t: ['T'],
  u: ['AH'], v: ['V'], w: ['W'], x: ['K', 'S'], y: ['Y'], z: ['Z'],
};

/** The copy-through baseline's phonemes for a word (stress-free). */
export function copyThrough(word: string): string[] {
  return [...word.toLowerCase()].flatMap((ch) => COPY_THROUGH[ch] ?? []);
}
