/**
 * The tokenizer streams over long texts (issue 14: `Array.from(text)` of a
 * 130 MB text ran out of memory): encoding and vocabulary building give
 * exactly what cutting the text into an array of pieces gives, for any
 * text (astral characters, lone surrogates, CR/LF); a corpus counts its
 * unknown symbols so a resumed run can warn.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildTokenizer, Tokenizer, UNKNOWN_SYMBOL } from '../src/text/tokenizer.js';
import { prepareCorpus, unknownShare } from '../src/text/corpus.js';

/** The reference: pieces by Array.from (characters) or one regular-expression match (words). */
function referencePieces(kind: 'char' | 'word', text: string): string[] {
  if (kind === 'char') return Array.from(text);
  return text.replace(/\r\n?/g, '\n').match(/[\p{L}\p{M}][\p{L}\p{M}\p{N}]*(?:['’][\p{L}\p{M}]+)*|\p{N}+(?:[.,]\p{N}+)*|\n|[^\s]/gu) ?? [];
}

const texts = fc.string({ unit: fc.oneof(fc.constantFrom('a', 'b', ' ', '\n', '\r', 'é', '😀', '\ud800', '\udc00', "'", '.', '1', 'Ж'), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' })), maxLength: 80 });

test('encode and buildTokenizer equal the array-of-pieces reference on any text', () => {
  fc.assert(fc.property(texts, texts, fc.constantFrom('char' as const, 'word' as const), (trainText, other, kind) => {
    fc.pre(referencePieces(kind, trainText).some((p) => p !== UNKNOWN_SYMBOL[kind]));
    const tok = buildTokenizer(trainText, { kind });
    // the vocabulary: every distinct piece, counted the reference way
    const distinct = new Set(referencePieces(kind, trainText));
    distinct.delete(UNKNOWN_SYMBOL[kind]);
    assert.deepEqual(new Set(tok.symbols.slice(1)), distinct);
    for (const t of [trainText, other]) {
      const want = referencePieces(kind, t).map((p) => tok.symbols.indexOf(p)).map((i) => (i < 0 ? 0 : i));
      assert.deepEqual(Array.from(tok.encode(t)), want);
      assert.deepEqual(tok.split(t), referencePieces(kind, t));
    }
  }), { seed: 14, numRuns: 400 });
});

test('a long text encodes without an array of pieces (4 bytes a symbol) and counts its unknown symbols', () => {
  const tok = new Tokenizer('char', [UNKNOWN_SYMBOL.char, ' ', 'a', 'b']);
  const text = 'ab a'.repeat(2_500_000) + 'xyz'; // 10 million characters
  const ids = tok.encode(text);
  assert.equal(ids.length, 10_000_003);
  assert.deepEqual(Array.from(ids.subarray(0, 4)), [2, 3, 1, 2]);
  assert.deepEqual(Array.from(ids.subarray(-3)), [0, 0, 0]);
  const corpus = prepareCorpus('abc '.repeat(100) + 'xyzw'.repeat(25), { tokenizer: tok, valFraction: 0 });
  assert.equal(corpus.unknown, 100 + 100); // every c, and all of xyzw
  assert.equal(unknownShare(corpus), 200 / 500);
});
