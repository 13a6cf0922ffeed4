import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/core/rng.js';
import { cellType } from '../src/cells/registry.js';
import type { CellKind } from '../src/cells/cell.js';
import { Seq2Seq, type Seq2SeqPair } from '../src/seq2seq/model.js';
import { decode } from '../src/seq2seq/decode.js';
import { PairBatches } from '../src/data/pairs.js';
import { fit } from '../src/train/fit.js';
import { checkParameters } from '../src/model/gradcheck.js';

/** BPTT against central differences over every parameter of encoder and decoder: the norm-wise relative error per matrix. */
function checkSeq2Seq(model: Seq2Seq, pairs: Seq2SeqPair[]): Record<string, number> {
  const batch = model.makeBatch(pairs);
  model.zeroGrad();
  model.gradient(batch);
  return checkParameters(model.paramSets, () => model.loss(batch).loss).perParameter;
}

const gradPairs: Seq2SeqPair[] = [
  { source: [0, 2, 1, 3], target: [1, 0] },
  { source: [3, 1], target: [2, 2, 1] },
  { source: [1], target: [] },
];

for (const cell of ['rnn', 'lstm', 'gru'] as CellKind[]) {
  // The LSTM encoder's cell reads ∂J/∂C(T) from BackwardOptions.dFinalC (see src/seq2seq/encoder.ts).
  test(`seq2seq ${cell}: finite-difference check of the whole encoder–decoder (2 layers, masked sources)`, (t) => {
    if (!cellType(cell)) {
      t.skip(`cell ${cell} not registered yet`);
      return;
    }
    const model = new Seq2Seq({ cell, sourceVocabSize: 4, targetVocabSize: 3, hiddenSize: 3, layers: 2, dtype: 'float64', seed: 3 });
    const errors = checkSeq2Seq(model, gradPairs);
    for (const [name, err] of Object.entries(errors)) assert.ok(err < 1e-6, `${cell} ${name}: relative error ${err}`);
    // the encoder receives a gradient only through the decoder's initial state
    assert.ok(model.encoder.params.grad.some((g) => g !== 0), 'encoder gradient is all zero');
  });
}

test('seq2seq: padding a batch does not change a pair’s loss', () => {
  const model = new Seq2Seq({ sourceVocabSize: 4, targetVocabSize: 3, hiddenSize: 4, dtype: 'float64', seed: 5 });
  const alone = gradPairs.map((p) => model.loss(model.makeBatch([p])).loss).reduce((a, b) => a + b, 0);
  const together = model.loss(model.makeBatch(gradPairs)).loss;
  assert.ok(Math.abs(alone - together) < 1e-12, `${alone} vs ${together}`);
});

function digitPairs(n: number, rng: Rng, minLen: number, maxLen: number): Seq2SeqPair[] {
  return Array.from({ length: n }, () => {
    const len = minLen + rng.int(maxLen - minLen + 1);
    const source = Array.from({ length: len }, () => rng.int(10));
    return { source, target: [...source].reverse() };
  });
}

test('seq2seq: learns to reverse digit strings (≥ 95 % exact match on held-out strings)', async () => {
  const rng = new Rng(11);
  const train = digitPairs(3000, rng, 2, 5);
  const seen = new Set(train.map((p) => p.source.join('')));
  const heldOut = digitPairs(400, rng, 3, 5).filter((p) => !seen.has(p.source.join('')));
  const model = new Seq2Seq({ cell: 'rnn', sourceVocabSize: 10, targetVocabSize: 10, hiddenSize: 48, seed: 2 });
  const result = await fit(model, new PairBatches(model, train, { batchSize: 32 }), {
    epochs: 6, learningRate: 0.01, schedule: { kind: 'epoch-decay', gamma: 0.6 }, clipNorm: 1, rng: new Rng(4),
  });
  const history = { epochLoss: result.history.epochs.map((e) => e.loss) };
  assert.ok(history.epochLoss[history.epochLoss.length - 1]! < history.epochLoss[0]!, 'loss did not fall');
  const greedy = decode(model, heldOut.map((p) => p.source));
  const exact = greedy.filter((d, i) => d.symbols.join() === heldOut[i]!.target.join()).length / heldOut.length;
  assert.ok(exact >= 0.95, `greedy exact match ${exact} on ${heldOut.length} held-out strings (loss ${history.epochLoss.map((l) => l.toFixed(3)).join(' ')})`);
  const beam = decode(model, heldOut.map((p) => p.source), { beamWidth: 3 });
  const exactBeam = beam.filter((d, i) => d.symbols.join() === heldOut[i]!.target.join()).length / heldOut.length;
  assert.ok(exactBeam >= 0.95, `beam exact match ${exactBeam}`);
  // beam search is not guaranteed to beat greedy on every input, but on the whole it finds likelier outputs
  const mean = (ds: { logProb: number }[]): number => ds.reduce((s, d) => s + d.logProb, 0) / ds.length;
  assert.ok(mean(beam) >= mean(greedy) - 1e-9, `mean log-probability: beam ${mean(beam)}, greedy ${mean(greedy)}`);
});

test('decode: greedy log-probability equals −J of the decoded output; the length limit holds', () => {
  const model = new Seq2Seq({ sourceVocabSize: 5, targetVocabSize: 4, hiddenSize: 6, seed: 9, dtype: 'float64' });
  const sources = [[0, 1, 2], [4], [3, 3, 3, 3]];
  const out = decode(model, sources, { maxLength: 3 });
  for (const d of out) assert.ok(d.symbols.length <= 3);
  // the greedy log-probability equals the teacher-forced loss of the decoded sequence when it ended
  out.forEach((d, i) => {
    if (!d.ended) return;
    const J = model.loss(model.makeBatch([{ source: sources[i]!, target: d.symbols }])).loss;
    assert.ok(Math.abs(-J - d.logProb) < 1e-9, `source ${i}: −J = ${-J}, logProb = ${d.logProb}`);
  });
});
