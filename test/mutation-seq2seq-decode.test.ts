/**
 * Decoding (src/seq2seq/decode.ts) against references built from
 * teacher-forced passes, for `npm run mutate -- seq2seq`. log p(j | prefix)
 * of every next symbol j (the end symbol too) comes from the model's loss on
 * one pair whose targets are −1 (no loss) at every step but the one after
 * the prefix. From those:
 *
 * - greedy: take the likeliest next symbol until it is the end symbol, or
 *   end after maxLength symbols;
 * - beam search, step by step as decode.ts documents it: rank every
 *   extension of every alive hypothesis, keep the best `beamWidth` that do
 *   not end (an end ranked among them finishes a hypothesis), stop when the
 *   N-th best finished one scores at least the best alive one;
 *
 * each source on its own (decode runs them together), with attention, a
 * bidirectional encoder, stacked LSTMs. Every refusal by its exact message.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import { decode, type Seq2SeqHypothesis } from '../src/seq2seq/decode.js';
import { Seq2Seq, type Seq2SeqOptions } from '../src/seq2seq/model.js';
import { refuses } from './helpers/refuses.js';

const K = 3; // target symbols; the end symbol is 3

function model(o: Partial<Seq2SeqOptions>, seed: number, scale = 2.5): Seq2Seq {
  const m = new Seq2Seq({ sourceVocabSize: 4, targetVocabSize: K, hiddenSize: 2, dtype: 'float64', seed, ...o });
  // large weights: peaked, history-dependent distributions, where greedy and beam choices differ
  const rng = new Rng(seed + 100);
  for (const p of m.paramSets) for (let i = 0; i < p.size; i++) p.data[i] = rng.uniform(-scale, scale);
  return m;
}

/** log p(j | prefix) for j = 0..K (K: the end symbol), each from a teacher-forced pass. */
function stepLogProbs(m: Seq2Seq, source: readonly number[], prefix: readonly number[]): number[] {
  const out: number[] = [];
  for (let j = 0; j <= K; j++) {
    const batch = m.makeBatch([{ source, target: j === K ? prefix : [...prefix, j] }]);
    const y = batch.decoder.y.data as Int32Array;
    for (let t = 0; t < y.length; t++) if (t !== prefix.length) y[t] = -1;
    const r = m.loss(batch);
    assert.equal(r.count, 1);
    out.push(-r.loss);
  }
  const total = out.reduce((s, v) => s + Math.exp(v), 0);
  assert.ok(Math.abs(total - 1) < 1e-12, `the next-symbol probabilities sum to ${total}`);
  return out;
}

interface Ref { symbols: number[]; logProb: number }

function greedyReference(m: Seq2Seq, source: readonly number[], maxLength: number): Ref {
  const symbols: number[] = [];
  let logProb = 0;
  for (;;) {
    const lp = stepLogProbs(m, source, symbols);
    if (symbols.length === maxLength) return { symbols, logProb: logProb + lp[K]! };
    const j = lp.indexOf(Math.max(...lp));
    logProb += lp[j]!;
    if (j === K) return { symbols, logProb };
    symbols.push(j);
  }
}

/** The finished hypotheses of beam search, best first, and the decoder steps it took. */
function beamReference(m: Seq2Seq, source: readonly number[], beam: number, nBest: number, maxLength: number): Ref[] & { steps: number } {
  let alive: Ref[] = [{ symbols: [], logProb: 0 }];
  const done: Ref[] = [];
  let steps = 0;
  for (let step = 0; step <= maxLength; step++) {
    steps++;
    const cand: { from: Ref; sym: number; logProb: number }[] = [];
    for (const h of alive) stepLogProbs(m, source, h.symbols).forEach((lp, sym) => cand.push({ from: h, sym, logProb: h.logProb + lp }));
    cand.sort((p, q) => q.logProb - p.logProb);
    const next: Ref[] = [];
    for (const c of cand) {
      if (next.length === beam) break;
      if (c.sym === K) done.push({ symbols: c.from.symbols, logProb: c.logProb });
      else if (step < maxLength) next.push({ symbols: [...c.from.symbols, c.sym], logProb: c.logProb });
    }
    const scores = done.map((h) => h.logProb).sort((p, q) => q - p);
    const nth = scores.length >= nBest ? scores[nBest - 1]! : -Infinity;
    if (next.length === 0 || nth >= Math.max(...next.map((h) => h.logProb))) break;
    alive = next;
  }
  return Object.assign(done.sort((p, q) => q.logProb - p.logProb), { steps });
}

/** Counts the decoder's steps (calls of the first layer's forwardStep) from now on. */
function stepCounter(m: Seq2Seq): { count: number } {
  const cell = m.decoder.layers[0]! as { forwardStep: (...a: never[]) => unknown };
  const original = cell.forwardStep.bind(cell);
  const counter = { count: 0 };
  cell.forwardStep = (...a: never[]) => {
    counter.count++;
    return original(...a);
  };
  return counter;
}

function same(got: Seq2SeqHypothesis, ref: Ref, what: string): void {
  assert.deepEqual(got.symbols, ref.symbols, `${what}: symbols ${got.symbols.join('')}, reference ${ref.symbols.join('')}`);
  assert.ok(Math.abs(got.logProb - ref.logProb) < 1e-9, `${what}: log p ${got.logProb}, reference ${ref.logProb}`);
  assert.equal(got.ended, true, what);
}

const SOURCES = [[0, 2, 1], [3], [1, 1]];
const CONFIGS: [string, Partial<Seq2SeqOptions>][] = [
  ['rnn', { cell: 'rnn' }],
  ['lstm ×2', { cell: 'lstm', layers: 2 }],
  ['gru, bidirectional, attention', { cell: 'gru', bidirectional: true, attention: 'luong' }],
  ['lstm ×2, attention', { cell: 'lstm', layers: 2, attention: 'luong' }],
];

test('greedy decoding equals taking the likeliest next symbol at every step; attention rows are the teacher-forced weights', () => {
  CONFIGS.forEach(([label, o], i) => {
    const m = model(o, 20 + i);
    const maxLength = 4;
    const withWeights = o.attention === 'luong';
    const out = decode(m, SOURCES, { maxLength, attention: withWeights });
    assert.equal(out.length, SOURCES.length);
    out.forEach((d, b) => {
      same(d, greedyReference(m, SOURCES[b]!, maxLength), `${label}, source ${b}`);
      assert.equal('nBest' in d, false);
      assert.equal('attention' in d, withWeights);
      if (!withWeights) return;
      // one row per emitted symbol and the end symbol, over this source's own steps, equal to a teacher-forced pass
      m.loss(m.makeBatch([{ source: SOURCES[b]!, target: d.symbols }]));
      const alpha = m.attention!.weights();
      const Ts = SOURCES[b]!.length;
      assert.equal(d.attention!.length, d.symbols.length + 1);
      d.attention!.forEach((row, t) => {
        assert.equal(row.length, Ts);
        row.forEach((v, j) => assert.ok(Math.abs(v - alpha[t * Ts + j]!) < 1e-12, `${label}, source ${b}, step ${t}`));
      });
    });
  });
});

test('beam search and n-best equal the step-by-step reference for widths 2, 3 and 5 (more than the first step\'s 4 candidates)', () => {
  let beamBetter = 0;
  CONFIGS.forEach(([label, o], i) => {
    const m = model(o, 30 + i);
    const maxLength = 3;
    const counter = stepCounter(m);
    for (const [beamWidth, nBest] of [[2, 1], [3, 2], [5, 3], [4, 4]] as const) {
      counter.count = 0;
      const out = decode(m, SOURCES, { beamWidth, nBest, maxLength });
      const steps = counter.count;
      const greedy = decode(m, SOURCES, { maxLength });
      const refs = SOURCES.map((source) => beamReference(m, source, beamWidth, nBest, maxLength));
      // the search stops when every source has stopped: as soon as its N-th best finished hypothesis beats every alive one
      assert.equal(steps, Math.max(...refs.map((r) => r.steps)), `${label}, beam ${beamWidth}, nBest ${nBest}: decoder steps`);
      out.forEach((d, b) => {
        const ref = refs[b]!;
        const what = `${label}, beam ${beamWidth}, nBest ${nBest}, source ${b}`;
        same(d, ref[0]!, what);
        assert.equal(d.nBest!.length, Math.min(nBest, ref.length), what);
        d.nBest!.forEach((h, r) => same(h, ref[r]!, `${what}, rank ${r}`));
        if (d.logProb > greedy[b]!.logProb + 1e-9) beamBetter++;
      });
    }
  });
  // the case that makes the comparison able to fail: a beam that decays to greedy scores lower somewhere
  assert.ok(beamBetter >= 3, `beam search beat greedy decoding on only ${beamBetter} sources`);
});

test('the length limit: by default 2 × the longest source + 5 symbols, the end symbol\'s score added at the limit', () => {
  const m = model({ cell: 'gru' }, 40, 1);
  m.decoder.b_o![K] = -40; // the end symbol is never likeliest
  const sources = [[1], [0, 2, 3], [2, 2]];
  const out = decode(m, sources);
  out.forEach((d, b) => {
    assert.equal(d.symbols.length, 2 * 3 + 5, `source ${b}`);
    same(d, greedyReference(m, sources[b]!, 11), `source ${b}`);
  });
  const short = decode(m, sources, { maxLength: 2, beamWidth: 2, nBest: 2 });
  short.forEach((d, b) => {
    assert.equal(d.symbols.length, 2);
    const ref = beamReference(m, sources[b]!, 2, 2, 2);
    d.nBest!.forEach((h, r) => same(h, ref[r]!, `source ${b}, rank ${r}`));
  });
});

test('decode: no sources, no outputs; the refusals, each by its exact message', () => {
  const m = model({ cell: 'rnn' }, 50);
  assert.deepEqual(decode(m, []), []);
  assert.deepEqual(decode(m, [], { beamWidth: 2, nBest: 2 }), []);
  const one = decode(m, [[1, 2]], { nBest: 1 });
  assert.equal(one[0]!.nBest!.length, 1);
  assert.deepEqual(one[0]!.nBest![0], { symbols: one[0]!.symbols, logProb: one[0]!.logProb, ended: true });
  refuses(() => decode(m, [[1]], { beamWidth: 0 }), OptionError, 'beamWidth must be a positive integer, got 0');
  refuses(() => decode(m, [[1]], { beamWidth: 2, nBest: 0 }), OptionError, 'nBest must be a positive integer, got 0');
  refuses(() => decode(m, [[1]], { maxLength: 1.5 }), OptionError, 'maxLength must be a positive integer, got 1.5');
  refuses(() => decode(m, [[1]], { beamWidth: 2, nBest: 3 }), OptionError,
    'decode: nBest 3 exceeds beamWidth 2; the beam keeps at most beamWidth hypotheses, so raise beamWidth to at least 3');
  refuses(() => decode(m, [[1]], { nBest: 2 }), OptionError,
    'decode: nBest 2 exceeds beamWidth 1; the beam keeps at most beamWidth hypotheses, so raise beamWidth to at least 2');
  refuses(() => decode(m, [[1]], { attention: true }), OptionError, 'decode: attention weights were asked for, but the model has no attention');
  // attention: false on a model without attention is no request
  assert.equal('attention' in decode(m, [[1]], { attention: false })[0]!, false);
});

test('n-best stops where the reference stops: the N-th best finished score is the N-th of the sorted scores, not of the order found', () => {
  // longer outputs and several seeds: finished hypotheses found later often score higher than earlier ones
  for (let seed = 60; seed < 66; seed++) {
    const m = model({ cell: 'gru' }, seed, 3);
    const counter = stepCounter(m);
    for (const [beamWidth, nBest] of [[3, 2], [3, 3]] as const) {
      counter.count = 0;
      const out = decode(m, SOURCES, { beamWidth, nBest, maxLength: 5 });
      const steps = counter.count;
      const refs = SOURCES.map((source) => beamReference(m, source, beamWidth, nBest, 5));
      assert.equal(steps, Math.max(...refs.map((r) => r.steps)), `seed ${seed}, beam ${beamWidth}, nBest ${nBest}: decoder steps`);
      out.forEach((d, b) => d.nBest!.forEach((h, r) => same(h, refs[b]![r]!, `seed ${seed}, source ${b}, rank ${r}`)));
    }
  }
});

test('log-softmax row by row: logits hundreds apart between hypotheses (V × 1000) give finite scores (the row maximum is this row\'s own)', () => {
  for (let seed = 70; seed < 73; seed++) {
    const m = model({ cell: 'rnn' }, seed);
    for (let i = 0; i < m.decoder.V.length; i++) m.decoder.V[i]! *= 1000;
    const out = decode(m, [[0, 1], [3], [2, 2, 1], [1]], { maxLength: 3, beamWidth: 2 });
    out.forEach((d, b) => {
      assert.ok(Number.isFinite(d.logProb) && d.logProb <= 0, `seed ${seed}, source ${b}: log p ${d.logProb}`);
      assert.ok(d.symbols.length <= 3);
    });
  }
});
