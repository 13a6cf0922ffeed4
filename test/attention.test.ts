/**
 * Encoder–decoder with a bidirectional encoder and attention
 * (src/seq2seq/attention.ts): float64 gradient checks of every parameter,
 * padded source steps never attended, attention weights a distribution that
 * beam search carries, and a small task that attention learns.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { CELL_KINDS } from '../src/cells/cell.js';
import { checkParameters } from '../src/model/gradcheck.js';
import { Seq2Seq, type Seq2SeqOptions, type Seq2SeqPair } from '../src/seq2seq/model.js';
import { decode } from '../src/seq2seq/decode.js';
import { PairBatches } from '../src/data/pairs.js';
import { fit } from '../src/train/fit.js';

const PAIRS: Seq2SeqPair[] = [
  { source: [0, 2, 1, 3], target: [1, 0] },
  { source: [3, 1], target: [2, 2, 1] },
  { source: [1], target: [] },
];

function model(o: Partial<Seq2SeqOptions>, seed = 3): Seq2Seq {
  const m = new Seq2Seq({ sourceVocabSize: 4, targetVocabSize: 3, hiddenSize: 3, dtype: 'float64', seed, ...o });
  // every parameter (biases too) from U(−1.5, 1.5), so none is structurally zero and the states
  // are large enough (two stacked LSTM layers shrink them) for ∂J/∂W_a to stand well above the
  // finite differences' rounding; W_a from U(−3, 3) for peaked weights
  const rng = new Rng(seed + 1);
  for (const p of m.paramSets) for (let i = 0; i < p.size; i++) p.data[i] = rng.uniform(-1.5, 1.5);
  if (m.attention) m.attention.W_a.forEach((_, i, a) => (a[i] = rng.uniform(-3, 3)));
  return m;
}

function check(m: Seq2Seq, pairs: Seq2SeqPair[]): Record<string, number> {
  const batch = m.makeBatch(pairs);
  m.zeroGrad();
  m.gradient(batch);
  return checkParameters(m.paramSets, () => m.loss(batch).loss, { epsilon: 1e-5 }).perParameter;
}

for (const cell of CELL_KINDS) {
  for (const layers of [1, 2]) {
    test(`seq2seq ${cell} ×${layers}: gradients match central differences with a bidirectional encoder and/or attention (masked sources)`, () => {
      for (const [bidirectional, attention] of [[true, 'none'], [false, 'luong'], [true, 'luong']] as const) {
        const m = model({ cell, layers, bidirectional, attention });
        const errors = check(m, PAIRS);
        const label = `${cell} ×${layers} bidirectional=${bidirectional} attention=${attention}`;
        const worst = Math.max(...Object.values(errors));
        assert.ok(worst < 1e-6, `${label}: ${worst} ${JSON.stringify(errors)}`);
        const names = Object.keys(errors);
        assert.equal(names.length, m.paramSets.reduce((n, p) => n + p.entries.length, 0), label);
        if (attention === 'luong') for (const n of ['2:attention.W_a', '2:attention.W_c', '2:attention.b_c']) assert.ok(n in errors, `${label}: ${n} checked`);
        if (bidirectional) assert.ok(names.some((n) => n.includes(`encoder.layer${layers - 1}.reverse.`)), `${label}: the backward direction was checked`);
      }
    });
  }
}

test('attention: padded source steps get weight 0 and do not change a pair\'s loss; weights are distributions', () => {
  const m = model({ cell: 'gru', bidirectional: true, attention: 'luong' });
  const alone = m.makeBatch([PAIRS[1]!]);
  const J1 = m.loss(alone).loss;
  const w1 = Array.from(m.attention!.weights());
  const padded = m.makeBatch([PAIRS[0]!, PAIRS[1]!]); // pair 1's source is padded from 2 to 4 steps
  const J2 = m.loss(padded).loss - m.loss(m.makeBatch([PAIRS[0]!])).loss;
  assert.ok(Math.abs(J1 - J2) < 1e-12, `${J1} vs ${J2}`);
  m.loss(padded);
  const alpha = m.attention!.weights();
  const Ts = 4;
  const B = 2;
  const Td = padded.decoder.T;
  for (let t = 0; t < Td; t++) {
    for (let b = 0; b < B; b++) {
      const row = alpha.subarray((t * B + b) * Ts, (t * B + b + 1) * Ts);
      const sum = Array.from(row).reduce((a, v) => a + v, 0);
      assert.ok(Math.abs(sum - 1) < 1e-12, `row (${t}, ${b}) sums to ${sum}`);
      if (b === 1) {
        assert.equal(row[2], 0);
        assert.equal(row[3], 0);
        // the same weights as the pair alone (its decoder steps are rows t of a batch of 1)
        if (t < alone.decoder.T) for (let j = 0; j < 2; j++) assert.ok(Math.abs(row[j]! - w1[t * 2 + j]!) < 1e-12);
      }
    }
  }
});

test('decode with attention: greedy log-probability equals −J of the output; beams return one weight row per emitted symbol', () => {
  const m = model({ cell: 'lstm', layers: 2, bidirectional: true, attention: 'luong' });
  const sources = [[0, 2, 1, 3], [3, 1], [2]];
  const greedy = decode(m, sources, { maxLength: 6, attention: true });
  greedy.forEach((g, b) => {
    if (!g.ended) return;
    const J = m.loss(m.makeBatch([{ source: sources[b]!, target: g.symbols }])).loss;
    assert.ok(Math.abs(g.logProb + J) < 1e-9, `source ${b}: logProb ${g.logProb}, J ${J}`);
  });
  const beams = decode(m, sources, { beamWidth: 3, maxLength: 6, attention: true });
  beams.forEach((h, b) => {
    assert.ok(h.logProb >= greedy[b]!.logProb - 1e-12, 'beam search finds at least the greedy score');
    const rows = h.attention!;
    assert.equal(rows.length, h.symbols.length + (h.ended ? 1 : 0));
    for (const row of rows) {
      assert.equal(row.length, sources[b]!.length);
      assert.ok(Math.abs(row.reduce((a, v) => a + v, 0) - 1) < 1e-9);
    }
    if (h.ended) {
      // the beam's rows are the weights a teacher-forced pass over its output computes
      m.loss(m.makeBatch([{ source: sources[b]!, target: h.symbols }]));
      const alpha = m.attention!.weights();
      rows.forEach((row, t) => row.forEach((v, j) => assert.ok(Math.abs(v - alpha[t * sources[b]!.length + j]!) < 1e-9, `source ${b} step ${t}`)));
    }
  });
  assert.equal(decode(m, sources, { maxLength: 6 })[0]!.attention, undefined, 'weights only when asked for');
});

test('attention learns to reverse digit strings that the plain encoder–decoder of the same size does not', async () => {
  const rng = new Rng(4);
  const make = (n: number): Seq2SeqPair[] => Array.from({ length: n }, () => {
    const source = Array.from({ length: 5 + rng.int(4) }, () => rng.int(6));
    return { source, target: source.slice().reverse() };
  });
  const train = make(1500);
  const held = make(100);
  const exact = (m: Seq2Seq): number => decode(m, held.map((p) => p.source)).filter((d, i) => d.symbols.join() === held[i]!.target.join()).length / held.length;
  const run = async (attention: 'none' | 'luong'): Promise<number> => {
    const m = new Seq2Seq({ cell: 'gru', sourceVocabSize: 6, targetVocabSize: 6, hiddenSize: 16, seed: 2, bidirectional: true, attention });
    await fit(m, new PairBatches(m, train, { batchSize: 32 }), { epochs: 10, learningRate: 0.01, optimizer: { kind: 'adam' }, clipNorm: 5, seed: 5 });
    return exact(m);
  };
  const plain = await run('none');
  const attended = await run('luong');
  assert.ok(attended >= 0.9, `with attention: ${attended} exact`);
  assert.ok(attended > plain, `with attention ${attended}, without ${plain}`);
});
