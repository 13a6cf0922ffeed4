import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/core/rng.js';
import { editDistance, tokenErrorRate } from '../src/tasks/edit-distance.js';
import { copyThrough, pronunciations } from '../src/tasks/pronounce.js';
import { SymbolTable } from '../src/tasks/symbols.js';
import { loadCmudict } from '../src/node/stdlib-data.js';
import { Seq2Seq } from '../src/seq2seq/model.js';
import { decode } from '../src/seq2seq/decode.js';
import { PairBatches } from '../src/data/pairs.js';
import { fit } from '../src/train/fit.js';
import { decodeModel, encodeModel } from '../src/io/model-file.js';
import { FormatError } from '../src/core/errors.js';

test('edit distance and phoneme error rate', () => {
  assert.equal(editDistance([...'kitten'], [...'sitting']), 3);
  assert.equal(editDistance([], ['a', 'b']), 2);
  assert.equal(editDistance(['K', 'AE', 'T'], ['K', 'AE', 'T']), 0);
  // one substitution in 3 phonemes, one deletion in 2: PER = 2/5; one of two words exact
  const r = tokenErrorRate([['K', 'AA', 'T'], ['D']], [['K', 'AE', 'T'], ['D', 'AO']]);
  assert.equal(r.errorRate, 2 / 5);
  assert.equal(r.wordAccuracy, 0);
  assert.equal(tokenErrorRate([['D']], [['D']]).wordAccuracy, 1);
});

test('cmudict entries: letters only, first pronunciation, stress stripped unless asked', () => {
  const p = pronunciations({ 'A': 'AH0', 'A(1)': 'EY1', "A'S": 'EY1 Z', 'ABBOTT': 'AE1 B AH0 T' });
  assert.deepEqual(p, [{ word: 'a', phonemes: ['AH'] }, { word: 'abbott', phonemes: ['AE', 'B', 'AH', 'T'] }]);
  assert.deepEqual(pronunciations({ ABBOTT: 'AE1 B AH0 T' }, { stress: true })[0]!.phonemes, ['AE1', 'B', 'AH0', 'T']);
  assert.deepEqual(copyThrough('Box'), ['B', 'AA', 'K', 'S']);
});

test('seq2seq model file round trip gives the same decoding; an old JSON model gets one line saying how to retrain', () => {
  for (const cell of ['gru', 'lstm'] as const) {
    const options = { cell, sourceVocabSize: 5, targetVocabSize: 4, hiddenSize: 6, layers: 2, seed: 3 };
    const m = new Seq2Seq(options);
    const source = new SymbolTable(['a', 'b', 'c', 'd', 'e']);
    const target = new SymbolTable(['P', 'Q', 'R', 'S']);
    const bytes = encodeModel({ kind: 'seq2seq', model: m, source, target, maxSourceLength: 9, maxTargetLength: 7 }, { extra: { note: 1 } });
    const file = decodeModel(bytes);
    assert.deepEqual(file.extra, { note: 1 });
    assert.equal(file.model.kind, 'seq2seq');
    if (file.model.kind !== 'seq2seq') return;
    assert.deepEqual(file.model.source.symbols, source.symbols);
    assert.deepEqual(file.model.target.symbols, target.symbols);
    assert.equal(file.model.maxTargetLength, 7);
    assert.deepEqual(file.model.model.encoder.params.data, m.encoder.params.data);
    assert.deepEqual(file.model.model.decoder.params.data, m.decoder.params.data);
    const src = [[0, 1, 2], [4, 4]];
    assert.deepEqual(decode(file.model.model, src, { beamWidth: 2 }), decode(m, src, { beamWidth: 2 }));
  }
  const old = new TextEncoder().encode(JSON.stringify({ format: 'recurrent-seq2seq', version: 1, options: {}, params: {} }));
  assert.throws(() => decodeModel(old, { what: 'cmu.json' }), (e: unknown) => e instanceof FormatError
    && /^cmu\.json: an old pronounce model .*retrain it with `rnnkit pronounce -o cmu\.rnn`$/.test(e.message) && !e.message.includes('\n'));
});

test('spelling → pronunciation: held-out phoneme error rate well below copy-through (small slice)', async () => {
  const all = new Rng(5).shuffle(pronunciations(loadCmudict(), { maxLength: 4 }));
  const heldOut = all.slice(0, 300);
  const train = all.slice(300, 1800);
  const letters = new SymbolTable('abcdefghijklmnopqrstuvwxyz'.split(''));
  const phones = SymbolTable.fromSequences(all.map((p) => p.phonemes));
  assert.equal(phones.size, 39, 'ARPAbet has 39 phonemes without stress');
  const model = new Seq2Seq({ cell: 'gru', sourceVocabSize: 26, targetVocabSize: phones.size, hiddenSize: 48, seed: 1 });
  const pairs = train.map((p) => ({ source: letters.encode(p.word), target: phones.encode(p.phonemes) }));
  await fit(model, new PairBatches(model, pairs, { batchSize: 8 }), {
    epochs: 5, learningRate: 0.01, schedule: { kind: 'epoch-decay', gamma: 0.8 }, clipNorm: 5, rng: new Rng(2),
  });
  const refs = heldOut.map((p) => p.phonemes);
  const predicted = decode(model, heldOut.map((p) => letters.encode(p.word))).map((d) => phones.decode(d.symbols));
  const ours = tokenErrorRate(predicted, refs);
  const copy = tokenErrorRate(heldOut.map((p) => copyThrough(p.word)), refs);
  assert.ok(ours.errorRate < 0.75 * copy.errorRate, `PER ${ours.errorRate} vs copy-through ${copy.errorRate}`);
  assert.ok(ours.wordAccuracy > copy.wordAccuracy, `word accuracy ${ours.wordAccuracy} vs copy-through ${copy.wordAccuracy}`);
});

test('pronounce CLI: trains a tiny model, saves it, and predict pronounces with the saved model what pronounce said', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { main } = await import('../src/cli/main.js');
  const dir = mkdtempSync(join(tmpdir(), 'recurrent-pronounce-'));
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s), isTTY: false, signal: new AbortController().signal };
  const file = join(dir, 'm.rnn');
  assert.equal(await main(['pronounce', '--words', '50', '--test-words', '20', '--epochs', '1', '--hidden', '4', '-o', file, '--json', 'cat'], io), 0);
  const first = JSON.parse(out.join('')) as { words: { word: string; phonemes: string[] }[]; heldOut: { copyThrough: { errorRate: number } } };
  out.length = 0;
  assert.equal(await main(['predict', file, '--json', 'cat'], io), 0);
  const second = JSON.parse(out.join('')) as { kind: string; predictions: { input: string; output: string }[] };
  assert.equal(second.kind, 'seq2seq');
  assert.deepEqual(second.predictions, first.words.map((w) => ({ input: w.word, output: w.phonemes.join(' ') })), 'the saved model decodes differently');
  // an existing model is not replaced without --force; a word outside a–z is bad usage; a missing model exits 1
  assert.equal(await main(['pronounce', '--words', '50', '--test-words', '0', '--epochs', '1', '--hidden', '4', '-o', file], io), 2);
  assert.equal(await main(['predict', file, 'c4t'], io), 2);
  assert.equal(await main(['predict', join(dir, 'missing.rnn')], io), 1);
  // an old JSON model (the format before .rnn) gets one line saying how to retrain
  const old = join(dir, 'pronounce-model.json');
  writeFileSync(old, JSON.stringify({ format: 'recurrent-seq2seq', version: 1 }));
  err.length = 0;
  assert.equal(await main(['predict', old, 'cat'], io), 1);
  assert.match(err.join(''), /pronounce-model\.json: .*retrain/);
});
