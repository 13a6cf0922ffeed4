/**
 * n-best decoding (src/seq2seq/decode.ts): the N best finished hypotheses,
 * sorted, the first equal to plain beam search's answer, and — with a target
 * vocabulary small enough to enumerate every output — exactly the N most
 * probable outputs with their log-probabilities (−J of a teacher-forced pass).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { Seq2Seq, type Seq2SeqOptions } from '../src/seq2seq/model.js';
import { decode } from '../src/seq2seq/decode.js';

function model(o: Partial<Seq2SeqOptions> & { targetVocabSize: number }, seed = 5): Seq2Seq {
  const m = new Seq2Seq({ sourceVocabSize: 4, hiddenSize: 4, dtype: 'float64', seed, ...o });
  // parameters from U(−1.5, 1.5): output distributions far from uniform, so scores are spread out and ties impossible
  const rng = new Rng(seed + 1);
  for (const p of m.paramSets) for (let i = 0; i < p.size; i++) p.data[i] = rng.uniform(-1.5, 1.5);
  return m;
}

/** Every target sequence over symbols 0..K−1 of length 0..maxLength. */
function allTargets(K: number, maxLength: number): number[][] {
  const out: number[][] = [[]];
  let frontier: number[][] = [[]];
  for (let n = 1; n <= maxLength; n++) {
    frontier = frontier.flatMap((t) => Array.from({ length: K }, (_, j) => [...t, j]));
    out.push(...frontier);
  }
  return out;
}

const SOURCES = [[0, 2, 1, 3], [3, 1], [2]];

for (const [label, options] of [
  ['gru, one-way', { cell: 'gru' }],
  ['lstm ×2, bidirectional encoder with attention', { cell: 'lstm', layers: 2, bidirectional: true, attention: 'luong' }],
] as const) {
  test(`n-best (${label}): with every output enumerable, the N best and their scores are exhaustive enumeration's`, () => {
    const K = 2;
    const maxLength = 3;
    const m = model({ targetVocabSize: K, ...options });
    // 15 possible outputs; a beam of 16 keeps every alive hypothesis (at most 2³ = 8), so the search is exhaustive
    const decoded = decode(m, SOURCES, { beamWidth: 16, nBest: 6, maxLength });
    decoded.forEach((d, b) => {
      const exact = allTargets(K, maxLength)
        .map((target) => ({ target, logProb: -m.loss(m.makeBatch([{ source: SOURCES[b]!, target }])).loss }))
        .sort((p, q) => q.logProb - p.logProb);
      const list = d.nBest!;
      assert.equal(list.length, 6);
      list.forEach((h, i) => {
        assert.deepEqual(h.symbols, exact[i]!.target, `source ${b}, rank ${i}`);
        assert.ok(Math.abs(h.logProb - exact[i]!.logProb) < 1e-9, `source ${b}, rank ${i}: ${h.logProb} vs ${exact[i]!.logProb}`);
        assert.equal(h.ended, true);
      });
      // the scores differ (a list of equal scores would pass the comparison above by any order)
      assert.ok(exact[0]!.logProb - exact[5]!.logProb > 1e-3, `source ${b}: scores spread ${exact[0]!.logProb}…${exact[5]!.logProb}`);
    });
  });
}

test('n-best: sorted best first, the first equals plain beam search, attention rows per hypothesis', () => {
  const m = model({ targetVocabSize: 5, cell: 'gru', bidirectional: true, attention: 'luong' }, 11);
  for (const beamWidth of [3, 6]) {
    const plain = decode(m, SOURCES, { beamWidth, maxLength: 8, attention: true });
    const many = decode(m, SOURCES, { beamWidth, nBest: beamWidth, maxLength: 8, attention: true });
    many.forEach((d, b) => {
      const list = d.nBest!;
      assert.ok(list.length >= 2, `source ${b}: ${list.length} hypotheses`);
      assert.ok(list.length <= beamWidth);
      for (let i = 1; i < list.length; i++) assert.ok(list[i - 1]!.logProb >= list[i]!.logProb, `source ${b}: rank ${i} out of order`);
      assert.deepEqual(list[0]!.symbols, plain[b]!.symbols, `source ${b}: first of the n-best is plain beam search's answer`);
      assert.equal(list[0]!.logProb, plain[b]!.logProb);
      assert.deepEqual(d.symbols, plain[b]!.symbols);
      assert.equal(new Set(list.map((h) => h.symbols.join())).size, list.length, 'no hypothesis twice');
      for (const h of list) {
        // each hypothesis' score and weights are those of a teacher-forced pass over its output
        const J = m.loss(m.makeBatch([{ source: SOURCES[b]!, target: h.symbols }])).loss;
        assert.ok(Math.abs(h.logProb + J) < 1e-9, `source ${b}: ${h.logProb} vs −J ${-J}`);
        const alpha = m.attention!.weights();
        const Ts = SOURCES[b]!.length;
        assert.equal(h.attention!.length, h.symbols.length + 1);
        h.attention!.forEach((row, t) => row.forEach((v, j) => assert.ok(Math.abs(v - alpha[t * Ts + j]!) < 1e-9, `source ${b} step ${t}`)));
      }
    });
  }
  assert.equal(decode(m, SOURCES, { beamWidth: 3 })[0]!.nBest, undefined, 'the list only when asked for');
  assert.throws(() => decode(m, SOURCES, { beamWidth: 2, nBest: 3 }), /nBest 3 exceeds beamWidth 2/);
});
