/**
 * The encoder–decoder (src/seq2seq/model.ts), for `npm run mutate -- seq2seq`,
 * float64, H = 2, source vocabulary 4, target vocabulary 3 (+ the boundary):
 *
 * - J of a padded batch equals the sum over its pairs of J computed pair by
 *   pair, unpadded, from the parts: the encoder alone; the decoder started
 *   from its final states (h_dec,l(0) = h→_l(n) + h←_l(1) when
 *   bidirectional, C likewise); with attention h̃ = tanh([c | s]·W_c + b_c)
 *   worked out here from s(t), W_a and the encoder's top states, and
 *   ŷ = softmax(h̃·V + b_o);
 * - ∂J/∂θ of every parameter set against central differences, for one-way
 *   and bidirectional encoders, with and without attention, one and two
 *   layers, through buffers reused across calls and batch shapes;
 * - makeBatch's arrays element by element, the column form, the options'
 *   defaults and every refusal by its exact message.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionError, ShapeError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import { checkParameters } from '../src/model/gradcheck.js';
import { Network } from '../src/model/network.js';
import { Attention } from '../src/seq2seq/attention.js';
import { Encoder } from '../src/seq2seq/encoder.js';
import { Seq2Seq, type Seq2SeqBatch, type Seq2SeqOptions, type Seq2SeqPair } from '../src/seq2seq/model.js';
import { assertClose } from './helpers/approx.js';
import { refuses } from './helpers/refuses.js';

const H = 2;
const V = 4;
const K = 3;

function model(o: Partial<Seq2SeqOptions>, seed: number): Seq2Seq {
  const m = new Seq2Seq({ sourceVocabSize: V, targetVocabSize: K, hiddenSize: H, dtype: 'float64', seed, ...o });
  const rng = new Rng(seed + 1);
  for (const p of m.paramSets) for (let i = 0; i < p.size; i++) p.data[i] = rng.uniform(-1.5, 1.5);
  return m;
}

const PAIRS: Seq2SeqPair[] = [
  { source: [0, 2, 1], target: [1, 0] },
  { source: [3], target: [2, 2, 1] },
  { source: [1, 3], target: [] },
];

/** −log p(target | source) of one pair, unpadded, from the model's parts. */
function pairLoss(m: Seq2Seq, source: readonly number[], target: readonly number[]): number {
  const n = source.length;
  const S = m.encoder.width;
  const finals = m.encoder.forward({ kind: 'index', data: Int32Array.from(source) }, n, 1)
    .map((f) => ({ h: Array.from(f.h), c: f.c ? Array.from(f.c) : null }));
  const top = Array.from(m.encoder.topStates());
  const bridge = (v: number[]): Float64Array => Float64Array.from({ length: H }, (_, j) => (S === H ? v[j]! : v[j]! + v[H + j]!));
  const init = finals.map((f) => (f.c ? { h: bridge(f.h), c: bridge(f.c) } : { h: bridge(f.h) }));
  const T = target.length + 1;
  const x = Int32Array.from([m.boundary, ...target]);
  const y = Int32Array.from([...target, m.boundary]);
  const dec = m.decoder;
  const yhat = Array.from(dec.forward({ T, B: 1, x: { kind: 'index', data: x }, y: { kind: 'index', data: y }, init }));
  let J = 0;
  for (let t = 0; t < T; t++) {
    let p: number[];
    if (!m.attention) p = yhat.slice(t * (K + 1), (t + 1) * (K + 1));
    else {
      const a = m.attention;
      const s = Array.from(dec.stateAt(t + 1, 1)[dec.layers.length - 1]!.h);
      const scores = Array.from({ length: n }, (_, j) => {
        let v = 0;
        for (let h = 0; h < H; h++) for (let i = 0; i < S; i++) v += s[h]! * a.W_a[h * S + i]! * top[j * S + i]!;
        return v;
      });
      const ex = scores.map(Math.exp);
      const alpha = ex.map((v) => v / ex.reduce((q, r) => q + r, 0));
      const cat = [...Array.from({ length: S }, (_, i) => alpha.reduce((q, w, j) => q + w * top[j * S + i]!, 0)), ...s];
      const tilde = Array.from({ length: H }, (_, o) => Math.tanh(cat.reduce((q, v, i) => q + v * a.W_c[i * H + o]!, a.b_c ? a.b_c[o]! : 0)));
      const z = Array.from({ length: K + 1 }, (_, k) => tilde.reduce((q, v, i) => q + v * dec.V[i * (K + 1) + k]!, dec.b_o ? dec.b_o[k]! : 0));
      const ez = z.map(Math.exp);
      p = ez.map((v) => v / ez.reduce((q, r) => q + r, 0));
    }
    J -= Math.log(p[y[t]!]!);
  }
  return J;
}

/**
 * The largest per-matrix error of a gradient check, NaN counted as infinite
 * (`maxRelError` skips NaN: `NaN > m` is false, so a NaN gradient would pass).
 */
function worst(perParameter: Record<string, number>): number {
  return Math.max(...Object.values(perParameter).map((e) => (Number.isNaN(e) ? Infinity : e)));
}

const CONFIGS: [string, Partial<Seq2SeqOptions>][] = [
  ['rnn', { cell: 'rnn' }],
  ['gru, bidirectional', { cell: 'gru', bidirectional: true }],
  ['lstm ×2, bidirectional', { cell: 'lstm', layers: 2, bidirectional: true }],
  ['rnn, attention, no bias', { cell: 'rnn', attention: 'luong', bias: false }],
  ['gru ×2, attention', { cell: 'gru', layers: 2, attention: 'luong' }],
  ['lstm ×2, bidirectional, attention', { cell: 'lstm', layers: 2, bidirectional: true, attention: 'luong' }],
];

test('seq2seq loss: a padded batch\'s J is the sum of each pair\'s J worked out from the parts; count = target steps', () => {
  CONFIGS.forEach(([label, o], i) => {
    const m = model(o, 10 + i);
    const r = m.loss(m.makeBatch(PAIRS));
    assert.equal(r.count, 2 + 1 + 3 + 1 + 0 + 1, label);
    const expected = PAIRS.reduce((s, p) => s + pairLoss(m, p.source, p.target), 0);
    assert.ok(Math.abs(r.loss - expected) < 1e-10, `${label}: J ${r.loss}, from the parts ${expected}`);
    // the same through gradient()
    m.zeroGrad();
    const g = m.gradient(m.makeBatch(PAIRS));
    assert.equal(g.count, r.count, label);
    assert.ok(Math.abs(g.loss - expected) < 1e-10, `${label}: gradient() J ${g.loss}`);
  });
});

test('seq2seq encode: a bidirectional encoder hands the decoder h→(n) + h←(1) (and C likewise), for each batch size', () => {
  for (const cell of ['lstm', 'gru'] as const) {
    const m = model({ cell, layers: 2, bidirectional: true }, 20);
    for (const pairs of [PAIRS, PAIRS.slice(0, 2), PAIRS]) {
      const batch = m.makeBatch(pairs);
      const init = m.encode(batch).map((s) => ({ h: Array.from(s.h), c: s.c ? Array.from(s.c) : null }));
      const finals = m.encoder.forward({ kind: 'index', data: batch.source }, batch.sourceT, batch.B, batch.sourceMask);
      const B = pairs.length;
      init.forEach((s, l) => {
        const f = finals[l]!;
        const sum = (v: ArrayLike<number>): number[] => Array.from({ length: B * H }, (_, k) => v[Math.floor(k / H) * 2 * H + (k % H)]! + v[Math.floor(k / H) * 2 * H + H + (k % H)]!);
        assertClose(s.h, sum(f.h), 1e-14, `${cell}, B ${B}, layer ${l} h`);
        if (cell === 'lstm') assertClose(s.c!, sum(f.c!), 1e-14, `${cell}, B ${B}, layer ${l} C`);
        else assert.equal(s.c, null);
      });
    }
  }
  // one-way: the encoder's own final states
  const m = model({ cell: 'lstm' }, 21);
  const batch = m.makeBatch(PAIRS);
  const init = m.encode(batch).map((s) => [Array.from(s.h), Array.from(s.c!)]);
  assert.equal(init.length, 1);
  const finals = m.encoder.forward({ kind: 'index', data: batch.source }, batch.sourceT, batch.B, batch.sourceMask);
  assert.deepEqual(init[0], [Array.from(finals[0]!.h), Array.from(finals[0]!.c!)]);
  assert.equal(init[0]![0]!.length, batch.B * H);
});

test('seq2seq gradient: every parameter set against central differences; twice in a row and across batch shapes', () => {
  CONFIGS.forEach(([label, o], i) => {
    const m = model(o, 30 + i);
    // B = 2, then 3 (every buffer grows), 1, 2 again (new buffers), then 2 with fewer steps (the same buffers)
    const [p0, p1, p2] = PAIRS as [Seq2SeqPair, Seq2SeqPair, Seq2SeqPair];
    for (const pairs of [[p1, p0], PAIRS, [p0], [p0, p1], [p2, p0]]) {
      const batch = m.makeBatch(pairs);
      m.zeroGrad();
      for (const p of m.paramSets) p.grad.fill(0.25);
      m.gradient(batch);
      for (const p of m.paramSets) for (let k = 0; k < p.size; k++) p.grad[k]! -= 0.25;
      const r = checkParameters(m.paramSets, () => m.loss(batch).loss, { epsilon: 1e-5 });
      assert.ok(worst(r.perParameter) < 1e-6, `${label}, B ${pairs.length}: ${JSON.stringify(r.perParameter)}`);
      assert.equal(Object.keys(r.perParameter).length, m.paramSets.reduce((s, p) => s + p.entries.length, 0));
    }
  });
});

test('seq2seq with attention: a batch without a mask, and targets of −1 (no loss) on real steps', () => {
  const m = model({ cell: 'gru', attention: 'luong' }, 40);
  const pairs = [{ source: [0, 2], target: [1, 2] }, { source: [3, 1], target: [0, 0] }];
  const batch = m.makeBatch(pairs);
  const full = m.loss(batch);
  const { mask: _, ...noMask } = batch.decoder;
  const bare: Seq2SeqBatch = { ...batch, decoder: noMask };
  assert.deepEqual(m.loss(bare), full);
  // a masked step carries no loss even with a real target there
  const padded = m.makeBatch([{ source: [0, 2], target: [1] }, { source: [3], target: [0, 0, 2] }]);
  const before = m.loss(padded);
  const yp = padded.decoder.y.data as Int32Array;
  assert.equal(yp[2 * 2 + 0], -1);
  yp[2 * 2 + 0] = 1;
  yp[3 * 2 + 0] = 0;
  assert.deepEqual(m.loss(padded), before);
  // y = −1 on step 1 of pair 0: that step's loss alone goes
  const y = Int32Array.from(batch.decoder.y.data as Int32Array);
  y[1 * 2 + 0] = -1;
  const part = m.loss({ ...batch, decoder: { ...batch.decoder, y: { kind: 'index', data: y } } });
  assert.equal(part.count, full.count - 1);
  m.zeroGrad();
  const partial: Seq2SeqBatch = { ...batch, decoder: { ...noMask, y: { kind: 'index', data: y } } };
  const g = m.gradient(partial);
  assert.equal(g.count, full.count - 1);
  assert.ok(Math.abs(g.loss - part.loss) < 1e-12);
  const r = checkParameters(m.paramSets, () => m.loss(partial).loss, { epsilon: 1e-5 });
  assert.ok(worst(r.perParameter) < 1e-6, JSON.stringify(r.perParameter));
  // a target given probability ~0 costs −log(1e-300) at most, never Infinity
  const sure = model({ cell: 'rnn', attention: 'luong' }, 41);
  sure.decoder.b_o!.set([0, 0, 0, 800]);
  const J = sure.loss(sure.makeBatch([{ source: [1], target: [0] }])).loss;
  assert.ok(Math.abs(J - 300 * Math.log(10)) < 1e-9, `J = ${J}`);
});

test('seq2seq makeBatch: sources T_s×B with a mask, decoder inputs ⟨s⟩ y(1..n), targets y(1..n) ⟨/s⟩, −1 and mask 0 beyond', () => {
  const m = model({}, 1);
  const b = m.makeBatch([{ source: [2, 0, 1], target: [1] }, { source: [1], target: [0, 2] }]);
  assert.equal(b.B, 2);
  assert.equal(b.sourceT, 3);
  assert.deepEqual(Array.from(b.source), [2, 1, 0, -1, 1, -1]);
  assert.deepEqual(Array.from(b.sourceMask), [1, 1, 1, 0, 1, 0]);
  const d = b.decoder;
  assert.equal(d.T, 3);
  assert.equal(d.B, 2);
  assert.deepEqual(Array.from(d.x.data), [3, 3, 1, 0, -1, 2]);
  assert.deepEqual(Array.from(d.y.data), [1, 0, 3, 2, -1, 3]);
  assert.deepEqual(Array.from(d.mask!), [1, 1, 1, 1, 0, 1]);
  assert.equal(d.x.kind, 'index');
  assert.equal(d.y.kind, 'index');
  const one = m.makeBatch([{ source: [3], target: [] }]);
  assert.deepEqual([one.sourceT, one.decoder.T, ...one.decoder.x.data, ...one.decoder.y.data], [1, 1, 3, 3]);
  // the column form and back
  const cols = m.toColumns(b);
  assert.equal(cols.B, 2);
  assert.equal(cols.flags, 0);
  assert.deepEqual(cols.arrays.map((a) => [a.steps, a.width]), [[3, 1], [3, 1], [3, 1], [3, 1], [3, 1]]);
  assert.deepEqual(cols.arrays.map((a) => a.data), [b.source, b.sourceMask, d.x.data, d.y.data, d.mask]);
  assert.deepEqual(m.fromColumns(cols), b);
  refuses(() => m.fromColumns({ ...cols, arrays: cols.arrays.slice(0, 4) }), ShapeError, 'a seq2seq batch has 5 column arrays, got 4');
  // a list with a hole (a broken message from another thread): each of the five is checked
  for (let i = 0; i < 5; i++) {
    const arrays = cols.arrays.slice();
    delete (arrays as unknown[])[i];
    refuses(() => m.fromColumns({ ...cols, arrays }), ShapeError, 'a seq2seq batch has 5 column arrays, got 5');
  }
  const dense = { kind: 'dense' as const, data: new Float64Array(6) };
  const msg = 'a seq2seq batch has index inputs and targets and a mask (makeBatch)';
  refuses(() => m.toColumns({ ...b, decoder: { ...d, x: dense } }), ShapeError, msg);
  refuses(() => m.toColumns({ ...b, decoder: { ...d, y: dense } }), ShapeError, msg);
  const { mask: _, ...noMask } = d;
  refuses(() => m.toColumns({ ...b, decoder: noMask }), ShapeError, msg);
  // the refusals
  refuses(() => m.makeBatch([]), ShapeError, 'makeBatch needs at least one pair');
  refuses(() => m.makeBatch([{ source: [1], target: [] }, { source: [], target: [1] }]), ShapeError,
    'pair 1 has an empty source sequence; every source needs at least one symbol');
  for (const s of [4, -1, 1.5]) {
    refuses(() => m.makeBatch([{ source: [0, s], target: [] }]), ShapeError, `pair 0: source symbol ${s} at position 1 is outside [0, 4) (sourceVocabSize)`);
  }
  for (const s of [3, -1, 0.5]) {
    refuses(() => m.makeBatch([{ source: [0], target: [] }, { source: [0], target: [1, 2, s] }]), ShapeError,
      `pair 1: target symbol ${s} at position 2 is outside [0, 3) (targetVocabSize)`);
  }
  // the edges are accepted
  assert.deepEqual(Array.from(m.makeBatch([{ source: [0, 3], target: [0, 2] }]).decoder.y.data), [0, 2, 3]);
});

test('seq2seq options: defaults, the description, the parameter sets and their seeds; every refusal by its exact message', () => {
  const m = new Seq2Seq({ sourceVocabSize: V, targetVocabSize: K, hiddenSize: H });
  assert.deepEqual(m.describe(), {
    kind: 'seq2seq',
    options: {
      cell: 'rnn', sourceVocabSize: V, targetVocabSize: K, hiddenSize: H, layers: 1, hiddenActivation: 'tanh',
      bias: true, dtype: 'float32', seed: 1, bidirectional: false, attention: 'none',
    },
  });
  assert.equal(m.boundary, K);
  assert.equal(m.dtype, 'float32');
  assert.equal(m.bidirectional, false);
  assert.equal(m.attention, null);
  assert.equal(m.paramSets.length, 2);
  assert.deepEqual(m.decoder.config, new Network({
    cell: 'rnn', inputSize: K + 1, hiddenSize: H, outputSize: K + 1, loss: 'cross-entropy', seed: 1 + 7919,
  }).config);
  assert.deepEqual(Array.from(m.decoder.params.data), Array.from(new Network({
    cell: 'rnn', inputSize: K + 1, hiddenSize: H, outputSize: K + 1, loss: 'cross-entropy', seed: 1 + 7919,
  }).params.data));
  assert.deepEqual(Array.from(m.encoder.params.data), Array.from(new Encoder({
    cell: 'rnn', inputSize: V, hiddenSize: H, layers: 1, bias: true, hiddenActivation: 'tanh', dtype: 'float32',
  }, 1).params.data));
  const o: Seq2SeqOptions = {
    cell: 'lstm', sourceVocabSize: 5, targetVocabSize: 2, hiddenSize: 3, layers: 2, hiddenActivation: 'relu', bias: false,
    dtype: 'float64', seed: 9, bidirectional: true, attention: 'luong',
  };
  const a = new Seq2Seq(o);
  assert.deepEqual(a.describe(), { kind: 'seq2seq', options: o });
  assert.equal(a.paramSets.length, 3);
  assert.deepEqual(a.paramSets, [a.encoder.params, a.decoder.params, a.attention!.params]);
  assert.equal(a.encoder.width, 6);
  assert.deepEqual(a.encoder.config, {
    cell: 'lstm', inputSize: 5, hiddenSize: 3, layers: 2, bias: false, hiddenActivation: 'relu', dtype: 'float64', bidirectional: true,
  });
  assert.deepEqual(a.attention!.config, { queryWidth: 3, memoryWidth: 6, bias: false, dtype: 'float64' });
  assert.deepEqual(Array.from(a.attention!.params.data), Array.from(new Attention(a.attention!.config, 9 + 104729, a.decoder.kernels).params.data));
  assert.deepEqual(Array.from(a.decoder.params.data), Array.from(new Network({
    cell: 'lstm', inputSize: 3, hiddenSize: 3, outputSize: 3, layers: 2, hiddenActivation: 'relu', loss: 'cross-entropy', bias: false,
    dtype: 'float64', seed: 9 + 7919,
  }).params.data));
  assert.equal(new Seq2Seq({ ...o, bidirectional: false }).encoder.config.bidirectional, undefined);
  // zeroGrad clears every set
  for (const p of a.paramSets) p.grad.fill(1);
  a.zeroGrad();
  for (const p of a.paramSets) assert.ok(p.grad.every((v) => v === 0));
  const base = { sourceVocabSize: V, targetVocabSize: K, hiddenSize: H };
  refuses(() => new Seq2Seq({ ...base, heads: 2 } as Seq2SeqOptions), OptionError,
    'unknown seq2seq option "heads"; known options: cell, sourceVocabSize, targetVocabSize, hiddenSize, layers, hiddenActivation, bias, dtype, seed, kernels, bidirectional, attention');
  refuses(() => new Seq2Seq({ ...base, cell: 'elman' as 'rnn' }), OptionError, 'cell must be one of rnn, lstm, gru, got "elman"');
  refuses(() => new Seq2Seq({ ...base, sourceVocabSize: 0 }), OptionError, 'sourceVocabSize must be a positive integer, got 0');
  refuses(() => new Seq2Seq({ ...base, targetVocabSize: 1.5 }), OptionError, 'targetVocabSize must be a positive integer, got 1.5');
  refuses(() => new Seq2Seq({ ...base, hiddenSize: -2 }), OptionError, 'hiddenSize must be a positive integer, got -2');
  refuses(() => new Seq2Seq({ ...base, layers: 0 }), OptionError, 'layers must be a positive integer, got 0');
  refuses(() => new Seq2Seq({ ...base, hiddenActivation: 'gelu' as 'tanh' }), OptionError, 'hiddenActivation must be one of linear, tanh, sigmoid, relu, got "gelu"');
  refuses(() => new Seq2Seq({ ...base, bidirectional: 'yes' as unknown as boolean }), OptionError, 'bidirectional must be true or false, got string');
  refuses(() => new Seq2Seq({ ...base, attention: 'bahdanau' as 'luong' }), OptionError, 'attention must be one of none, luong, got "bahdanau"');
});
