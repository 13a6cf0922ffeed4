/**
 * The tokenizers on small texts written here, with the exact symbols,
 * indices and text expected (the focused file of the src/text mutation run,
 * docs/testing.md): surrogate pairs at the edges of their ranges, the
 * first astral code point, the word pattern piece by piece, the spacing of
 * every mark on decoding, ties in the vocabulary, the growth of the word
 * encoder's buffer, and each refusal's message.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTokenizer, DEFAULT_WORD_VOCAB_SIZE, splitText, Tokenizer, TOKEN_KINDS, UNKNOWN_SYMBOL } from '../src/text/tokenizer.js';

const U = UNKNOWN_SYMBOL.char;

test('the constants: the two kinds, their unknown symbols, the default word vocabulary', () => {
  assert.deepEqual([...TOKEN_KINDS], ['char', 'word']);
  assert.equal(UNKNOWN_SYMBOL.char, '\uFFFD');
  assert.equal(UNKNOWN_SYMBOL.word, '<unk>');
  assert.equal(DEFAULT_WORD_VOCAB_SIZE, 5000);
});

test('code points: surrogate pairs at both ends of their ranges, lone surrogates one symbol each', () => {
  // U+10000 = D800 DC00, U+10FFFF = DBFF DFFF, U+103FF = D800 DFFF, U+10FC00 = DBFF DC00
  const text = 'a\uD800\uDC00\uDBFF\uDFFF\uD800\uDFFF\uDBFF\uDC00b';
  assert.deepEqual(splitText('char', text).map((s) => s.codePointAt(0)), [0x61, 0x10000, 0x10ffff, 0x103ff, 0x10fc00, 0x62]);
  // lone: a high surrogate before a non-surrogate, at the end; a low surrogate alone; the units just outside the ranges
  assert.deepEqual(splitText('char', '\uD800a\uDC00\uD7FF\uE000\uDBFF'), ['\uD800', 'a', '\uDC00', '\uD7FF', '\uE000', '\uDBFF']);
  // a high surrogate followed by a unit just outside the low range stays alone
  assert.deepEqual(splitText('char', '\uD800\uDBFF\uDC00\uD800\uE000'), ['\uD800', '\uDBFF\uDC00', '\uD800', '\uE000']);
  // only a high surrogate opens a pair: two low ones, or a unit above the surrogates before a low one, stay alone
  const lows = '\uDC00\uDC00\uDFFF\uDFFF\uE000\uDC00\uFFFF\uDFFF';
  assert.deepEqual(splitText('char', lows), ['\uDC00', '\uDC00', '\uDFFF', '\uDFFF', '\uE000', '\uDC00', '\uFFFF', '\uDFFF']);
  assert.deepEqual(buildTokenizer(lows).symbols, [U, '\uDC00', '\uDFFF', '\uE000', '\uFFFF']);
  assert.deepEqual([...buildTokenizer(lows).encode(lows)], [1, 1, 2, 2, 3, 1, 4, 2]);
});

test('character encoding: the first astral code point, unknown astral ones, lone surrogates, exact lengths', () => {
  const tok = new Tokenizer('char', [U, 'a', '\u{10000}', '\u{1F600}', '\uFFFF', '\uD800']);
  assert.equal(tok.vocabSize, 6);
  assert.deepEqual([...tok.encode('a\u{10000}\u{1F600}\uFFFF\uD800b\u{1F601}')], [1, 2, 3, 4, 5, 0, 0]);
  // astral characters take two code units: the result is cut to the number of code points
  const ids = tok.encode('\u{1F600}\u{1F600}');
  assert.equal(ids.length, 2);
  assert.equal(ids.buffer.byteLength, 8);
  assert.equal(tok.decode(tok.encode('a\u{10000}\u{1F600}')), 'a\u{10000}\u{1F600}');
  assert.equal(tok.indexOf('\u{1F600}'), 3);
  assert.equal(tok.indexOf('z'), 0);
  assert.equal(tok.indexOf(U), 0);
  // a character vocabulary with a symbol of two characters: it is never a code point of the text
  const odd = new Tokenizer('char', [U, 'a', 'ab']);
  assert.deepEqual([...odd.encode('ab')], [1, 0]);
  assert.equal(odd.indexOf('ab'), 2);
});

test('the word pattern: words with marks, digits and inner apostrophes, numbers, line breaks, single marks', () => {
  const text = "Cafe\u0301 x2y rock'n'roll don’t it's' 3.14 1,000,000 42. a.b 7x 'quoted' -- \r\nend\rnow\n\n!?";
  assert.deepEqual(splitText('word', text), [
    'Cafe\u0301', 'x2y', "rock'n'roll", 'don’t', "it's", "'", '3.14', '1,000,000', '42', '.', 'a', '.', 'b', '7', 'x',
    "'", 'quoted', "'", '-', '-', '\n', 'end', '\n', 'now', '\n', '\n', '!', '?',
  ]);
  // a mark alone and accents alone are words; digits after a letter stay in the word, a number ends at a letter
  assert.deepEqual(splitText('word', '\u0301e 12ab 1.x 1,'), ['\u0301e', '12', 'ab', '1', '.', 'x', '1', ',']);
  const tok = new Tokenizer('word', ['<unk>', 'a', '\n', 'b']);
  assert.deepEqual([...tok.encode('a\r\nb\rc a')], [1, 2, 3, 2, 0, 1]);
  assert.deepEqual(tok.split('a\r\nb'), ['a', '\n', 'b']);
});

test('word encoding grows its buffer past 1024 words and keeps every one', () => {
  const tok = new Tokenizer('word', ['<unk>', 'a', 'b']);
  const words = Array.from({ length: 2500 }, (_, i) => (i % 3 === 0 ? 'a' : i % 3 === 1 ? 'b' : 'c'));
  const ids = tok.encode(words.join(' '));
  assert.equal(ids.length, 2500);
  assert.deepEqual([...ids], words.map((w) => (w === 'a' ? 1 : w === 'b' ? 2 : 0)));
  assert.deepEqual([...tok.encode('')], []);
});

test('decoding words: the space before and after every mark, straight quotes, a primed decoder', () => {
  const before = ['.', ',', ';', ':', '!', '?', ')', ']', '}', '’', '”'];
  const after = ['(', '[', '{', '‘', '“'];
  const both = ['—', '-', '\n'];
  const tok = new Tokenizer('word', ['<unk>', 'a', ...before, ...after, ...both, '"', 'b']);
  const a = 1;
  for (const m of before) assert.equal(tok.decode([a, tok.indexOf(m), a]), `a${m} a`, m);
  for (const m of after) assert.equal(tok.decode([a, tok.indexOf(m), a]), `a ${m}a`, m);
  for (const m of both) assert.equal(tok.decode([a, tok.indexOf(m), a]), `a${m}a`, JSON.stringify(m));
  const q = tok.indexOf('"');
  const b = tok.indexOf('b');
  assert.equal(tok.decode([a, q, b, a, q, b, q, q, a]), 'a "b a" b "" a');
  // primed with symbols already written: no text for them, the state (previous symbol, open quote) carried
  const d = tok.decoder([a, q]);
  assert.equal(d(b), 'b');
  assert.equal(d(q), '"');
  assert.equal(d(a), ' a');
  const fresh = tok.decoder();
  assert.equal(fresh(a), 'a');
  assert.equal(fresh(b), ' b');
  // characters: each symbol as it is
  const chars = new Tokenizer('char', [U, 'a', ' ', '.']);
  assert.equal(chars.decode([1, 3, 2, 0, 1]), `a. ${U}a`);
  assert.equal(chars.decoder([1, 2])(3), '.');
  assert.throws(() => tok.decode([a, 99]), (e: Error) => e.name === 'OptionError' && e.message === `symbol index 99 is outside the vocabulary [0, ${tok.vocabSize})`);
  assert.throws(() => chars.symbol(-1), /^OptionError: symbol index -1 is outside the vocabulary \[0, 4\)$/);
  assert.equal(chars.symbol(3), '.');
});

test('a vocabulary: most frequent first (words) or in code-unit order (characters), ties in code-unit order', () => {
  // counts: the 3, whale 2, sea 2, ship 2, a 1 — ties broken by code-unit order
  const text = 'whale the sea ship a the sea ship whale the';
  assert.deepEqual(buildTokenizer(text, { kind: 'word' }).symbols, ['<unk>', 'the', 'sea', 'ship', 'whale', 'a']);
  assert.deepEqual(buildTokenizer(text, { kind: 'word', vocabSize: 4 }).symbols, ['<unk>', 'the', 'sea', 'ship']);
  // 40 words of equal count, first seen in reverse order: the kept ones are the first in code-unit order
  const many = Array.from({ length: 40 }, (_, i) => `w${String(39 - i).padStart(2, '0')}`);
  const keptWords = buildTokenizer([...many, ...many].join(' '), { kind: 'word', vocabSize: 11 }).symbols;
  assert.deepEqual(keptWords, ['<unk>', ...Array.from({ length: 10 }, (_, i) => `w0${i}`)]);
  assert.deepEqual(buildTokenizer(many.join(' '), { kind: 'word' }).symbols.slice(1), [...many].reverse());
  // characters: c 3, b 2, a 2, d 1; the kept ones listed in code-unit order
  assert.deepEqual(buildTokenizer('cbadcbc a').symbols, [U, ' ', 'a', 'b', 'c', 'd']);
  assert.deepEqual(buildTokenizer('cbadcbca', { vocabSize: 3 }).symbols, [U, 'a', 'c']);
  assert.deepEqual(buildTokenizer('dcba', { vocabSize: 3 }).symbols, [U, 'a', 'b']);
  assert.deepEqual(buildTokenizer('aab', { vocabSize: 2 }).symbols, [U, 'a']);
  // astral characters counted as characters; U+FFFF and U+10000 at the edge of the table
  assert.deepEqual(buildTokenizer('\u{10000}\u{1F600}\u{1F600}\uFFFFb').symbols, [U, 'b', '\u{10000}', '\u{1F600}', '\uFFFF']);
  assert.deepEqual(buildTokenizer('\u{10000}\u{1F600}\u{1F600}\u{1F600}\u{10000}ab', { vocabSize: 3 }).symbols, [U, '\u{10000}', '\u{1F600}']);
  // the unknown symbol in the text is not a second entry
  assert.deepEqual(buildTokenizer(`a${U}${U}b`).symbols, [U, 'a', 'b']);
  // a word vocabulary is capped at DEFAULT_WORD_VOCAB_SIZE by default, a character one is not
  const words = Array.from({ length: 5100 }, (_, i) => `w${i}`).join(' ');
  assert.equal(buildTokenizer(words, { kind: 'word' }).vocabSize, DEFAULT_WORD_VOCAB_SIZE);
  const chars = String.fromCharCode(...Array.from({ length: 6000 }, (_, i) => 0x4e00 + i));
  assert.equal(buildTokenizer(chars).vocabSize, 6001);
  assert.equal(buildTokenizer(chars, { kind: 'char' }).vocabSize, 6001);
});

test('refusals, each with its message', () => {
  const refuses = (f: () => unknown, name: string, message: string): void => {
    assert.throws(f, (e: Error) => {
      assert.equal(e.name, name);
      assert.equal(e.message, message);
      return true;
    });
  };
  refuses(() => new Tokenizer('bytes' as 'char', [U, 'a']), 'OptionError', 'tokenizer kind must be one of char, word, got "bytes"');
  refuses(() => new Tokenizer('char', [U]), 'FormatError', 'a char vocabulary needs the unknown symbol "\uFFFD" at index 0 and at least one other symbol');
  refuses(() => new Tokenizer('word', ['a', '<unk>']), 'FormatError', 'a word vocabulary needs the unknown symbol "<unk>" at index 0 and at least one other symbol');
  refuses(() => new Tokenizer('char', [U, 'a', 'a']), 'FormatError', 'a vocabulary must not list a symbol twice');
  assert.equal(new Tokenizer('word', ['<unk>', 'a']).vocabSize, 2);
  const malformed = 'the model file\'s vocabulary is missing or malformed (expected {kind, symbols: string[]})';
  for (const bad of [null, undefined, 'char', 3, { kind: 'char' }, { kind: 'char', symbols: 'ab' }, { kind: 'char', symbols: [U, 1] }, Object.assign(() => 0, { kind: 'char', symbols: [U, 'a'] })]) {
    refuses(() => Tokenizer.fromJSON(bad), 'FormatError', malformed);
  }
  refuses(() => Tokenizer.fromJSON({ kind: 'bytes', symbols: [U, 'a'] }), 'FormatError', 'the model file\'s vocabulary kind must be "char" or "word", got "bytes"');
  refuses(() => Tokenizer.fromJSON({ symbols: [U, 'a'] }), 'FormatError', 'the model file\'s vocabulary kind must be "char" or "word", got undefined');
  const word = Tokenizer.fromJSON({ kind: 'word', symbols: ['<unk>', 'a'] });
  assert.equal(word.kind, 'word');
  assert.deepEqual(word.toJSON(), { kind: 'word', symbols: ['<unk>', 'a'] });
  assert.equal(Tokenizer.fromJSON({ kind: 'char', symbols: [U, 'a'] }).kind, 'char');
  // the stored form is a copy
  const json = word.toJSON();
  (json.symbols as string[]).push('b');
  assert.equal(word.vocabSize, 2);
  refuses(() => buildTokenizer('abc', { vocabSize: 1 }), 'OptionError', 'vocabSize must be at least 2 (the unknown symbol and one more), got 1');
  refuses(() => buildTokenizer('abc', { vocabSize: 0 }), 'OptionError', 'vocabSize must be a positive integer, got 0');
  refuses(() => buildTokenizer('abc', { kind: 'bytes' as 'char' }), 'OptionError', 'kind must be one of char, word, got "bytes"');
  refuses(() => buildTokenizer('abc', { size: 3 } as object), 'OptionError', 'unknown tokenizer option "size"; known options: kind, vocabSize');
  refuses(() => buildTokenizer(''), 'OptionError', 'cannot build a vocabulary from an empty text');
  refuses(() => buildTokenizer(' \t ', { kind: 'word' }), 'OptionError', 'cannot build a vocabulary from an empty text');
  refuses(() => buildTokenizer(U), 'OptionError', 'cannot build a vocabulary from an empty text');
  assert.deepEqual(buildTokenizer(' \n ', { kind: 'word', vocabSize: 2 }).symbols, ['<unk>', '\n']);
});
