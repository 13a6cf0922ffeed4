/**
 * Issue 18 on the command line: `pronounce` trains a bidirectional encoder
 * with attention by default (and the one-way, attention-free model when
 * asked); `predict --n-best` and `--alignment` on its model give what
 * decode gives (sorted hypotheses, one weight row per phoneme and end
 * symbol over the letters); `classify --bidirectional` trains, saves and
 * predicts with a bidirectional network, and refuses --threads.
 */

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { main } from '../src/cli/main.js';
import { decodeModel } from '../src/io/model-file.js';
import { decode } from '../src/seq2seq/decode.js';

function cli(): { io: Parameters<typeof main>[1]; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s), isTTY: false, signal: new AbortController().signal }, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'rnnkit-pronounce-defaults-'));

test('pronounce: bidirectional encoder with attention by default; --no-bidirectional --attention none gives the plain model', async () => {
  const { io } = cli();
  const file = join(dir, 'default.rnn');
  assert.equal(await main(['pronounce', '--words', '60', '--test-words', '10', '--epochs', '2', '--hidden', '8', '-o', file], io), 0);
  const saved = decodeModel(readFileSync(file));
  assert.equal(saved.model.kind, 'seq2seq');
  if (saved.model.kind !== 'seq2seq') return;
  assert.equal(saved.model.model.bidirectional, true);
  assert.notEqual(saved.model.model.attention, null);
  const plainFile = join(dir, 'plain.rnn');
  assert.equal(await main(['pronounce', '--words', '60', '--test-words', '10', '--epochs', '1', '--hidden', '4', '--no-bidirectional', '--attention', 'none', '-o', plainFile], io), 0);
  const plain = decodeModel(readFileSync(plainFile));
  if (plain.model.kind !== 'seq2seq') return assert.fail('not a seq2seq model');
  assert.equal(plain.model.model.bidirectional, false);
  assert.equal(plain.model.model.attention, null);
  // the encoder–decoder has no data-parallel path: --threads 2 is bad usage, not ignored
  const t = cli();
  assert.equal(await main(['pronounce', '--words', '60', '--test-words', '10', '--epochs', '1', '--threads', '2', '-o', join(dir, 'threads.rnn')], t.io), 2);
  assert.match(t.err.join(''), /one thread/);
});

test('predict --n-best --alignment: decode\'s hypotheses and attention rows, as JSON and as plain lines', async () => {
  const file = join(dir, 'default.rnn');
  const saved = decodeModel(readFileSync(file));
  if (saved.model.kind !== 'seq2seq') return assert.fail('not a seq2seq model');
  const { model, source, target } = saved.model;
  const words = ['knight', 'cat'];
  const { io, out } = cli();
  assert.equal(await main(['predict', file, ...words, '--json', '--alignment', '--beam', '4', '--n-best', '3'], io), 0);
  type Hyp = { output: string; logProb: number; alignment: { letters: string[]; phonemes: string[]; weights: number[][] } };
  const json = JSON.parse(out.join('')) as { kind: string; predictions: (Hyp & { input: string; nBest: Hyp[] })[] };
  const expected = decode(model, words.map((w) => source.encode(w)), { beamWidth: 4, nBest: 3, maxLength: 3 * 6 + 5, attention: true });
  json.predictions.forEach((p, i) => {
    assert.equal(p.input, words[i]);
    assert.equal(p.nBest.length, expected[i]!.nBest!.length);
    p.nBest.forEach((h, k) => {
      const e = expected[i]!.nBest![k]!;
      assert.equal(h.output, target.decode(e.symbols).join(' '));
      assert.equal(h.logProb, e.logProb);
      if (k > 0) assert.ok(p.nBest[k - 1]!.logProb >= h.logProb, 'sorted best first');
      assert.deepEqual(h.alignment.letters, [...words[i]!]);
      assert.equal(h.alignment.weights.length, e.symbols.length + (e.ended ? 1 : 0), 'one row per phoneme (and the end symbol)');
      for (const row of h.alignment.weights) {
        assert.equal(row.length, words[i]!.length);
        assert.ok(Math.abs(row.reduce((a, v) => a + v, 0) - 1) < 1e-5);
      }
      assert.deepEqual(h.alignment.weights, e.attention);
    });
    assert.equal(p.output, p.nBest[0]!.output, 'the first of the n best is the answer');
  });
  // plain: one line per hypothesis, word, phonemes, log-probability, each phoneme after its strongest letter
  const plain = cli();
  assert.equal(await main(['predict', file, 'cat', '--alignment', '--beam', '2', '--n-best', '2'], plain.io), 0);
  const lines = plain.out.join('').trimEnd().split('\n');
  assert.equal(lines.length, expected[1]!.nBest!.length >= 2 ? 2 : 1);
  const [w, phones, score, align] = lines[0]!.split('\t');
  assert.equal(w, 'cat');
  assert.ok(Number(score) <= 0);
  const pairs = align!.split(' ').filter((x) => x !== '');
  assert.deepEqual(pairs.map((x) => x.split('→')[1]), phones!.split(' ').filter((x) => x !== ''), 'each phoneme once, in order');
  for (const x of pairs) assert.match(x, /^[cat]→[A-Z]+$/);
  // wrong use: more hypotheses than the beam keeps; weights of a model without attention
  const bad = cli();
  assert.equal(await main(['predict', file, 'cat', '--n-best', '5'], bad.io), 2);
  assert.match(bad.err.join(''), /--n-best 5 needs a beam at least as wide: add --beam 5/);
  assert.equal(await main(['predict', join(dir, 'plain.rnn'), 'cat', '--alignment'], bad.io), 2);
  assert.match(bad.err.join(''), /--alignment needs a model with attention/);
});

test('classify --bidirectional: trains, saves and predicts with a bidirectional network; --threads 2 refused', async () => {
  const csv = join(dir, 'names.csv');
  const rows = ['text,label'];
  for (const n of ['anna', 'maria', 'julia', 'emma', 'sofia', 'laura', 'clara', 'eva', 'lena', 'nora']) rows.push(`${n},f`);
  for (const n of ['tom', 'john', 'peter', 'mark', 'paul', 'oscar', 'victor', 'ivan', 'hugo', 'leon']) rows.push(`${n},m`);
  writeFileSync(csv, rows.join('\n') + '\n');
  const file = join(dir, 'names.rnn');
  const { io, out } = cli();
  assert.equal(await main(['classify', csv, '--bidirectional', '--epochs', '3', '--hidden', '4', '--batch', '4', '-o', file, '--json'], io), 0);
  const result = JSON.parse(out.join('')) as { bidirectional: boolean; threads: number };
  assert.equal(result.bidirectional, true);
  assert.equal(result.threads, 1);
  const saved = decodeModel(readFileSync(file));
  if (saved.model.kind !== 'classifier') return assert.fail('not a classifier');
  assert.equal(saved.model.classifier.net.config.bidirectional, true);
  const p = cli();
  assert.equal(await main(['predict', file, '--json', csv], p.io), 0);
  const predictions = (JSON.parse(p.out.join('')) as { predictions: { probabilities: Record<string, number> }[] }).predictions;
  assert.equal(predictions.length, 20);
  // the saved network's own probabilities
  const probs = saved.model.classifier.predictProbabilities(['anna']);
  const fromCli = predictions[0]!.probabilities;
  for (const k of Object.keys(probs[0]!)) assert.ok(Math.abs(probs[0]![k]! - fromCli[k]!) < 1e-6);
  const t = cli();
  assert.equal(await main(['classify', csv, '--bidirectional', '--threads', '2', '--epochs', '1', '--batch', '4', '-o', join(dir, 'n2.rnn')], t.io), 2);
  assert.match(t.err.join(''), /--bidirectional trains on one thread/);
});
