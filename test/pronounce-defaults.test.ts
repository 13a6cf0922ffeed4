/**
 * Issue 18 on the command line: `pronounce` trains a bidirectional encoder
 * with attention by default (and the one-way, attention-free model when
 * asked); `predict --n-best` and `--alignment` on its model give what
 * decode gives (sorted hypotheses, one weight row per phoneme and end
 * symbol over the letters); `classify --bidirectional` trains, saves and
 * predicts with a bidirectional network. `--threads 2` trains both, and
 * `classify --pooling mean`, data-parallel: equal to one thread to 1e-6 in
 * float64, and `predict` uses the model.
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
});

/** Every parameter of a saved model, end to end. */
function paramsOf(file: string): number[] {
  const m = decodeModel(readFileSync(file)).model;
  if (m.kind === 'seq2seq') return m.model.paramSets.flatMap((p) => [...p.data]);
  if (m.kind === 'classifier') return [...m.classifier.net.params.data];
  return assert.fail(`unexpected kind ${m.kind}`);
}

function assertClose(a: readonly number[], b: readonly number[], tol: number, what: string): void {
  assert.equal(a.length, b.length, what);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  assert.ok(worst < tol, `${what}: differ by ${worst}`);
}

test('pronounce --threads 2 (batch 32 split 16 + 16): trains, saves, predict uses the model, and θ equals --threads 1 to 1e-6 in float64', async () => {
  const files = ['1', '2'].map((t) => join(dir, `threads${t}.rnn`));
  for (const [i, t] of ['1', '2'].entries()) {
    const c = cli();
    assert.equal(await main(['pronounce', '--words', '64', '--test-words', '8', '--epochs', '2', '--hidden', '6', '--dtype', 'float64', '--threads', t, '-o', files[i]!], c.io), 0, c.err.join(''));
    assert.match(c.err.join(''), new RegExp(`, ${t} threads?, saving to`));
  }
  const one = paramsOf(files[0]!);
  const two = paramsOf(files[1]!);
  assertClose(two, one, 1e-6, 'pronounce parameters, 2 threads vs 1');
  assert.ok(one.some((v, i) => v !== paramsOf(join(dir, 'default.rnn'))[i]), 'a different run, a different model');
  const p = cli();
  assert.equal(await main(['predict', files[1]!, 'stone', '--json'], p.io), 0, p.err.join(''));
  const json = JSON.parse(p.out.join('')) as { kind: string; predictions: { input: string; output: string }[] };
  assert.equal(json.kind, 'seq2seq');
  assert.equal(json.predictions[0]!.input, 'stone');
  const saved = decodeModel(readFileSync(files[1]!));
  if (saved.model.kind !== 'seq2seq') return assert.fail('not a seq2seq model');
  const { model, source, target } = saved.model;
  const expected = decode(model, [source.encode('stone')], { beamWidth: 3, maxLength: 3 * 5 + 5 })[0]!;
  assert.equal(json.predictions[0]!.output, target.decode(expected.symbols).join(' '));
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

test('classify --bidirectional: trains, saves and predicts with a bidirectional network; --threads 2 and --pooling mean --threads 2 equal one thread (float64, 1e-6)', async () => {
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
  // 40 names, 28 to train on, batch 16: split 8 + 8 on two threads
  const more = join(dir, 'names40.csv');
  const stems = ['al', 'ber', 'cor', 'dan', 'el', 'fer', 'gil', 'har', 'is', 'jor', 'kar', 'lor', 'mar', 'nil', 'or', 'pet', 'quin', 'ros', 'sil', 'tor'];
  writeFileSync(more, ['text,label', ...stems.map((x) => `${x}ina,f`), ...stems.map((x) => `${x}ton,m`)].join('\n') + '\n');
  for (const flags of [['--bidirectional'], ['--pooling', 'mean'], ['--bidirectional', '--pooling', 'mean']]) {
    const trained = ['1', '2'].map((t) => {
      const f = join(dir, `names-${flags.join('')}-${t}.rnn`);
      return { t, f };
    });
    for (const { t, f } of trained) {
      const c = cli();
      assert.equal(await main(['classify', more, ...flags, '--threads', t, '--epochs', '4', '--hidden', '6', '--lr', '0.03', '--batch', '16', '--dtype', 'float64', '-o', f, '--json'], c.io), 0, c.err.join(''));
      assert.equal((JSON.parse(c.out.join('')) as { threads: number }).threads, Number(t));
    }
    assertClose(paramsOf(trained[1]!.f), paramsOf(trained[0]!.f), 1e-6, `classify ${flags.join(' ')} parameters, 2 threads vs 1`);
    const q = cli();
    assert.equal(await main(['predict', trained[1]!.f, '--json', more], q.io), 0, q.err.join(''));
    assert.equal((JSON.parse(q.out.join('')) as { predictions: unknown[] }).predictions.length, 40);
  }
});
