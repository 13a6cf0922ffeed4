/**
 * Text ↔ symbol indices, at the level of characters or of words.
 *
 * A vocabulary is a list of symbols; symbol i is the one-hot input and the
 * softmax output class i, so `vocabSize` is both D and K of a text model.
 * Index 0 is always the unknown symbol: a character or word outside the
 * vocabulary (rarer than the `vocabSize − 1` kept ones, or never seen in
 * training) encodes to it.
 *
 * - `"char"`: every Unicode code point is a symbol; the unknown symbol is
 *   U+FFFD (�).
 * - `"word"`: words (letters, digits, inner apostrophes), single
 *   punctuation marks and line breaks are symbols; spaces are not stored
 *   but restored on decoding; the unknown symbol is `<unk>`.
 */

import { expectChoice, expectPositiveInt, FormatError, OptionError, rejectUnknownKeys } from '../core/errors.js';

/** The two ways of cutting text into symbols. */
export const TOKEN_KINDS = ['char', 'word'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/** The unknown symbol of each kind (always index 0). */
export const UNKNOWN_SYMBOL: Readonly<Record<TokenKind, string>> = { char: '\uFFFD', word: '<unk>' };

/** Default `vocabSize` of a word vocabulary (a character vocabulary keeps every character by default). */
export const DEFAULT_WORD_VOCAB_SIZE = 5000;

/** Options of {@link buildTokenizer}. */
export interface TokenizerOptions {
  /** `"char"` (default) or `"word"`. */
  readonly kind?: TokenKind;
  /**
   * Number of symbols including the unknown one: the `vocabSize − 1` most
   * frequent are kept. Default: every character for `"char"`,
   * {@link DEFAULT_WORD_VOCAB_SIZE} for `"word"`.
   */
  readonly vocabSize?: number;
}

/** A tokenizer as stored in a model file. */
export interface TokenizerJSON {
  readonly kind: TokenKind;
  /** The symbols in index order; `symbols[0]` is the unknown symbol. */
  readonly symbols: readonly string[];
}

/** Words (with inner apostrophes), numbers, line breaks, or any other single non-space character. */
const WORD_PATTERN = /[\p{L}\p{M}][\p{L}\p{M}\p{N}]*(?:['’][\p{L}\p{M}]+)*|\p{N}+(?:[.,]\p{N}+)*|\n|[^\s]/gu;

/** Marks written without a space before them (closing punctuation, dashes). */
const NO_SPACE_BEFORE = new Set(['.', ',', ';', ':', '!', '?', ')', ']', '}', '’', '”', '—', '-', '\n']);
/** Marks written without a space after them (opening brackets and quotes, dashes, line breaks). */
const NO_SPACE_AFTER = new Set(['(', '[', '{', '‘', '“', '—', '-', '\n']);

/** A vocabulary with its encoder and decoder. */
export class Tokenizer {
  readonly kind: TokenKind;
  /** Symbol of each index; index 0 is the unknown symbol. */
  readonly symbols: readonly string[];
  private readonly index: Map<string, number>;

  constructor(kind: TokenKind, symbols: readonly string[]) {
    this.kind = expectChoice('tokenizer kind', kind, TOKEN_KINDS);
    if (symbols.length < 2 || symbols[0] !== UNKNOWN_SYMBOL[kind]) {
      throw new FormatError(`a ${kind} vocabulary needs the unknown symbol ${JSON.stringify(UNKNOWN_SYMBOL[kind])} at index 0 and at least one other symbol`);
    }
    this.symbols = [...symbols];
    this.index = new Map(this.symbols.map((s, i) => [s, i]));
    if (this.index.size !== symbols.length) throw new FormatError('a vocabulary must not list a symbol twice');
  }

  /** Number of symbols, the D and K of a model over this vocabulary. */
  get vocabSize(): number {
    return this.symbols.length;
  }

  /** The text cut into symbol strings (before the vocabulary lookup). */
  split(text: string): string[] {
    return splitText(this.kind, text);
  }

  /**
   * Symbol indices of `text`; anything outside the vocabulary becomes 0
   * (unknown). Streams over the text: no array of pieces is built, so the
   * memory is the result's (4 bytes a symbol) and not a string per symbol.
   */
  encode(text: string): Int32Array {
    if (this.kind === 'char') {
      const out = new Int32Array(text.length); // code points ≤ code units
      let n = 0;
      forEachCodePoint(text, (cp) => {
        out[n++] = this.codeIndex(cp);
      });
      return n === out.length ? out : out.slice(0, n);
    }
    let out = new Int32Array(Math.min(text.length, 1024));
    let n = 0;
    forEachWord(text, (w) => {
      if (n === out.length) {
        const grown = new Int32Array(out.length * 2);
        grown.set(out);
        out = grown;
      }
      out[n++] = this.index.get(w) ?? 0;
    });
    return out.slice(0, n);
  }

  /** Index of a character by code point (a table for the Basic Multilingual Plane, built once). */
  private codeIndex(cp: number): number {
    if (cp < 0x10000) {
      if (!this.bmp) {
        this.bmp = new Int32Array(0x10000);
        for (let i = 1; i < this.symbols.length; i++) {
          const c = this.symbols[i]!.codePointAt(0)!;
          if (c < 0x10000 && this.symbols[i]!.length === 1) this.bmp[c] = i;
        }
      }
      return this.bmp[cp]!;
    }
    return this.index.get(String.fromCodePoint(cp)) ?? 0;
  }

  private bmp: Int32Array | undefined;

  /** Index of one symbol string, or 0 (unknown) when it is not in the vocabulary. */
  indexOf(symbol: string): number {
    return this.index.get(symbol) ?? 0;
  }

  /** Text of a sequence of symbol indices. */
  decode(indices: ArrayLike<number>): string {
    const d = this.decoder();
    let s = '';
    for (let i = 0; i < indices.length; i++) s += d(indices[i]!);
    return s;
  }

  /**
   * A streaming decoder: each call takes the next symbol index and returns
   * the text to append (for words, with the space before it when one
   * belongs there). `previous` primes it with symbols already written.
   */
  decoder(previous: ArrayLike<number> = []): (index: number) => string {
    if (this.kind === 'char') return (i) => this.symbol(i);
    let prev: string | null = null;
    let quoteOpen = false;
    const next = (i: number): string => {
      const cur = this.symbol(i);
      let space = prev !== null && !NO_SPACE_AFTER.has(prev) && !NO_SPACE_BEFORE.has(cur);
      if (cur === '"') {
        // a straight double quote opens or closes: no space inside the quotes
        if (quoteOpen) space = false;
        quoteOpen = !quoteOpen;
      } else if (prev === '"' && quoteOpen) {
        space = false;
      }
      prev = cur;
      return space ? ` ${cur}` : cur;
    };
    for (let k = 0; k < previous.length; k++) next(previous[k]!);
    return next;
  }

  /** The symbol string of index `i`. */
  symbol(i: number): string {
    const s = this.symbols[i];
    if (s === undefined) throw new OptionError(`symbol index ${i} is outside the vocabulary [0, ${this.symbols.length})`);
    return s;
  }

  /** The form stored in a model file. */
  toJSON(): TokenizerJSON {
    return { kind: this.kind, symbols: [...this.symbols] };
  }

  /** Rebuilds a tokenizer stored by {@link toJSON}. */
  static fromJSON(json: unknown): Tokenizer {
    const j = json as Partial<TokenizerJSON> | null;
    if (!j || typeof j !== 'object' || !Array.isArray(j.symbols) || !j.symbols.every((s) => typeof s === 'string')) {
      throw new FormatError('the model file\'s vocabulary is missing or malformed (expected {kind, symbols: string[]})');
    }
    if (j.kind !== 'char' && j.kind !== 'word') throw new FormatError(`the model file's vocabulary kind must be "char" or "word", got ${JSON.stringify(j.kind)}`);
    return new Tokenizer(j.kind, j.symbols);
  }
}

/**
 * Cuts text into symbol strings: code points, or words, marks and line
 * breaks. It builds an array of one string per symbol, so it is for short
 * texts (a prime, a line); {@link Tokenizer.encode} and
 * {@link buildTokenizer} stream over long ones.
 */
export function splitText(kind: TokenKind, text: string): string[] {
  const out: string[] = [];
  if (kind === 'char') forEachCodePoint(text, (cp) => out.push(String.fromCodePoint(cp)));
  else forEachWord(text, (w) => out.push(w));
  return out;
}

/** Calls `f` with each code point of `text` in order (a lone surrogate counts as one). No allocation. */
function forEachCodePoint(text: string, f: (cp: number) => void): void {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        f(((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000);
        i++;
        continue;
      }
    }
    f(c);
  }
}

/** Calls `f` with each word, mark or line break of `text` (`\r\n` and `\r` count as `\n`), without an array of them. */
function forEachWord(text: string, f: (word: string) => void): void {
  const t = text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  const re = new RegExp(WORD_PATTERN.source, WORD_PATTERN.flags);
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) !== null) f(m[0]);
}

/**
 * Builds a vocabulary from a corpus: the `vocabSize − 1` most frequent
 * symbols (ties broken by code-unit order, so the result is deterministic),
 * after the unknown symbol. Characters are listed in code-unit order, words
 * from most to least frequent.
 */
export function buildTokenizer(text: string, options: TokenizerOptions = {}): Tokenizer {
  rejectUnknownKeys('tokenizer', options, ['kind', 'vocabSize']);
  const kind = options.kind === undefined ? 'char' : expectChoice('kind', options.kind, TOKEN_KINDS);
  const limit = options.vocabSize === undefined
    ? (kind === 'char' ? Infinity : DEFAULT_WORD_VOCAB_SIZE)
    : expectPositiveInt('vocabSize', options.vocabSize);
  if (limit < 2) throw new OptionError(`vocabSize must be at least 2 (the unknown symbol and one more), got ${limit}`);
  const counts = kind === 'char' ? countChars(text) : new Map<string, number>();
  if (kind === 'word') forEachWord(text, (w) => counts.set(w, (counts.get(w) ?? 0) + 1));
  counts.delete(UNKNOWN_SYMBOL[kind]);
  if (counts.size === 0) throw new OptionError('cannot build a vocabulary from an empty text');
  const byCount = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const kept = byCount.slice(0, limit - 1).map(([s]) => s);
  if (kind === 'char') kept.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return new Tokenizer(kind, [UNKNOWN_SYMBOL[kind], ...kept]);
}

/** How often each character occurs, counted in a table by code point (no string per character). */
function countChars(text: string): Map<string, number> {
  const bmp = new Float64Array(0x10000);
  const astral = new Map<number, number>();
  forEachCodePoint(text, (cp) => {
    if (cp < 0x10000) bmp[cp]!++;
    else astral.set(cp, (astral.get(cp) ?? 0) + 1);
  });
  const counts = new Map<string, number>();
  for (let c = 0; c < 0x10000; c++) if (bmp[c]! > 0) counts.set(String.fromCharCode(c), bmp[c]!);
  for (const [cp, k] of astral) counts.set(String.fromCodePoint(cp), k);
  return counts;
}
