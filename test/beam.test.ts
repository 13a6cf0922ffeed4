/**
 * Beam search against exhaustive search on a tiny vocabulary.
 *
 * With two target symbols and outputs of at most m = 3 symbols, every
 * possible output (the 15 strings of length 0..3, each followed by the end
 * symbol) can be scored exactly: log p(output) = −J of the teacher-forced
 * pair (J = summed cross-entropy, end symbol included). Each step ranks the
 * V + 1 extensions of every alive hypothesis and keeps the best `beamWidth`
 * that do not end (an ending one ranked below those is dropped), so a beam
 * of width (V + 1)·V^(M−1) = 12 — every candidate of the widest step — prunes
 * nothing and must find the exhaustive optimum; greedy decoding provably misses it wherever the
 * best output does not start with the locally likeliest symbol — the cases
 * below include such sources, found by the same exhaustive search.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../src/core/rng.js';
import { Seq2Seq } from '../src/seq2seq/model.js';
import { decode } from '../src/seq2seq/decode.js';

const V = 2;
const M = 3;

/** Every target string over V symbols of length 0..M. */
function allOutputs(): number[][] {
  const out: number[][] = [[]];
  for (let n = 1; n <= M; n++) {
    for (let code = 0; code < V ** n; code++) out.push(Array.from({ length: n }, (_, i) => Math.floor(code / V ** i) % V));
  }
  return out;
}

function logProb(model: Seq2Seq, source: readonly number[], target: readonly number[]): number {
  return -model.loss(model.makeBatch([{ source, target }])).loss;
}

function randomModel(seed: number): Seq2Seq {
  const model = new Seq2Seq({ cell: 'gru', sourceVocabSize: 3, targetVocabSize: V, hiddenSize: 4, dtype: 'float64', seed });
  const rng = new Rng(seed);
  // large weights: peaked, history-dependent distributions, where greedy choices go wrong
  for (const p of model.paramSets) for (let i = 0; i < p.size; i++) p.data[i] = rng.uniform(-2.5, 2.5);
  return model;
}

test('a beam as wide as the whole search space finds the exhaustive optimum; greedy decoding is strictly worse on some sources', () => {
  const outputs = allOutputs();
  assert.equal(outputs.length, 15);
  const sources = [[0], [1, 2], [2, 0, 1], [1, 1]];
  let greedyWorse = 0;
  for (let seed = 1; seed <= 6; seed++) {
    const model = randomModel(seed);
    const greedy = decode(model, sources, { beamWidth: 1, maxLength: M });
    const beam = decode(model, sources, { beamWidth: (V + 1) * V ** (M - 1), maxLength: M });
    sources.forEach((source, i) => {
      const scored = outputs.map((o) => ({ o, lp: logProb(model, source, o) }));
      const best = scored.reduce((a, b) => (b.lp > a.lp ? b : a));
      const what = `seed ${seed}, source [${source.join(' ')}]`;
      // the beam's answer is the optimum and its reported score is exact
      assert.deepEqual(beam[i]!.symbols, best.o, `${what}: beam ${beam[i]!.symbols.join('')}, optimum ${best.o.join('')}`);
      assert.ok(beam[i]!.ended, what);
      assert.ok(Math.abs(beam[i]!.logProb - best.lp) < 1e-9, `${what}: beam log p ${beam[i]!.logProb}, exact ${best.lp}`);
      // greedy: a real output whose reported score is exact, never better than the optimum
      if (greedy[i]!.ended) assert.ok(Math.abs(greedy[i]!.logProb - logProb(model, source, greedy[i]!.symbols)) < 1e-9, what);
      assert.ok(greedy[i]!.logProb <= best.lp + 1e-12, what);
      if (greedy[i]!.logProb < best.lp - 1e-6) greedyWorse++;
    });
  }
  // the case that makes this test able to fail: a beam that decays to width 1 returns greedy's worse outputs
  assert.ok(greedyWorse >= 3, `greedy was worse than the optimum on only ${greedyWorse} of 24 sources`);
});

test('a beam of width V + 1 = 3 is exhaustive over one symbol: with maxLength 1 it equals the best of [], [0], [1]', () => {
  for (let seed = 7; seed <= 12; seed++) {
    const model = randomModel(seed);
    const [d] = decode(model, [[2, 1]], { beamWidth: V + 1, maxLength: 1 });
    const cands = [[], [0], [1]].map((o) => ({ o, lp: logProb(model, [2, 1], o) }));
    const best = cands.reduce((a, b) => (b.lp > a.lp ? b : a));
    assert.deepEqual(d!.symbols, best.o, `seed ${seed}`);
    assert.ok(Math.abs(d!.logProb - best.lp) < 1e-9, `seed ${seed}`);
  }
});
