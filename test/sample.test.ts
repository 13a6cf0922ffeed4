/**
 * Sampling: the draw follows the (tempered, truncated) distribution; a seed
 * reproduces a sample; temperature → 0, top-k 1 and a tiny top-p all equal
 * greedy decoding; the streaming `step()` API gives the same distributions
 * as one forward pass over the whole sequence.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionError } from '../src/core/errors.js';
import { Rng } from '../src/core/rng.js';
import { Network } from '../src/model/network.js';
import { argmax, generate, sampleIndex, sampleText, SymbolStream } from '../src/text/sample.js';
import { buildTokenizer } from '../src/text/tokenizer.js';
import { assertClose } from './helpers/approx.js';

const TEXT = 'the whale swam under the sea, and the sea was grey.\n';

function model(cell: 'lstm' | 'gru' | 'rnn' = 'lstm', seed = 5): { net: Network; tok: ReturnType<typeof buildTokenizer> } {
  const tok = buildTokenizer(TEXT);
  const net = new Network({ cell, inputSize: tok.vocabSize, hiddenSize: 16, outputSize: tok.vocabSize, loss: 'cross-entropy', layers: 2, seed, dtype: 'float64' });
  return { net, tok };
}

function randomDistribution(rng: Rng, n: number): Float64Array {
  const p = new Float64Array(n);
  let s = 0;
  for (let k = 0; k < n; k++) s += (p[k] = Math.exp(3 * rng.normal()));
  for (let k = 0; k < n; k++) p[k]! /= s;
  return p;
}

test('draws follow the distribution, and temperature sharpens it as p^(1/τ)', () => {
  const p = [0.1, 0.2, 0.7];
  const count = (opts: Parameters<typeof sampleIndex>[1]): number[] => {
    const rng = new Rng(11);
    const c = [0, 0, 0];
    for (let i = 0; i < 20000; i++) c[sampleIndex(p, opts, rng)]!++;
    return c.map((v) => v / 20000);
  };
  assertClose(count({}), p, 0.015, 'τ = 1');
  // τ = 0.5: p² normalised = [0.01, 0.04, 0.49] / 0.54
  assertClose(count({ temperature: 0.5 }), [0.01 / 0.54, 0.04 / 0.54, 0.49 / 0.54], 0.015, 'τ = 0.5');
  // top-k 2 keeps 0.2 and 0.7: [0, 2/9, 7/9]
  assertClose(count({ topK: 2 }), [0, 2 / 9, 7 / 9], 0.015, 'top-k 2');
  // top-p 0.75: 0.7 alone is < 0.75, so {0.7, 0.2} is the nucleus
  assertClose(count({ topP: 0.75 }), [0, 2 / 9, 7 / 9], 0.015, 'top-p 0.75');
  assertClose(count({ topP: 0.7 }), [0, 0, 1], 0, 'top-p 0.7');
});

test('temperature → 0, top-k 1 and a tiny top-p all equal greedy', () => {
  const rng = new Rng(3);
  for (let trial = 0; trial < 200; trial++) {
    const p = randomDistribution(rng, 40);
    const best = argmax(p);
    assert.equal(sampleIndex(p, { greedy: true }, rng), best);
    assert.equal(sampleIndex(p, { temperature: 0 }, rng), best);
    assert.equal(sampleIndex(p, { temperature: 1e-4 }, rng), best, `τ = 1e-4, trial ${trial}`);
    assert.equal(sampleIndex(p, { topK: 1, temperature: 1.5 }, rng), best);
    assert.equal(sampleIndex(p, { topP: 1e-9 }, rng), best);
  }
});

test('generated text: a seed reproduces it; greedy = τ → 0 = top-k 1', () => {
  const { net, tok } = model();
  const a = generate(net, tok, { prime: 'the ', length: 80, temperature: 0.9, seed: 42 });
  const b = generate(net, tok, { prime: 'the ', length: 80, temperature: 0.9, seed: 42 });
  const c = generate(net, tok, { prime: 'the ', length: 80, temperature: 0.9, seed: 43 });
  assert.equal([...a].length, 80);
  assert.equal(a, b);
  assert.notEqual(a, c);
  const greedy = generate(net, tok, { prime: 'the ', length: 60, greedy: true });
  assert.equal(generate(net, tok, { prime: 'the ', length: 60, temperature: 1e-6, seed: 9 }), greedy);
  assert.equal(generate(net, tok, { prime: 'the ', length: 60, topK: 1, seed: 10 }), greedy);
  // streaming: sampleText yields every piece, in order, the same text as generate
  const pieces = [...sampleText(net, tok, { prime: 'sea', length: 30, seed: 1 })];
  assert.equal(pieces.length, 30);
  assert.equal(pieces.join(''), generate(net, tok, { prime: 'sea', length: 30, seed: 1 }));
  // options are checked at the call, not when the first symbol is asked for
  assert.throws(() => sampleText(net, tok, { length: -1 }), /length/);
});

test('step() one symbol at a time gives the distributions of one pass over the whole sequence', () => {
  for (const cell of ['rnn', 'lstm', 'gru'] as const) {
    const { net, tok } = model(cell, 8);
    const ids = tok.encode('the sea was grey');
    const T = ids.length;
    const K = tok.vocabSize;
    const yhat = net.forward({ T, B: 1, x: { kind: 'index', data: ids }, y: { kind: 'index', data: new Int32Array(T).fill(-1) } });
    const stream = new SymbolStream(net);
    for (let t = 0; t < T; t++) {
      const p = stream.step(ids[t]!);
      assertClose(p, yhat.subarray(t * K, (t + 1) * K), 1e-12, `${cell} ŷ(${t + 1})`);
      assertClose(p.reduce((s, v) => s + v, 0), 1, 1e-12, `${cell} Σŷ`);
    }
    // feed() of the whole prime ends in the same place; reset() starts over
    stream.reset();
    assertClose(stream.feed(ids), yhat.subarray((T - 1) * K, T * K), 1e-12, `${cell} feed`);
    stream.reset();
    assertClose(stream.step(ids[0]!), yhat.subarray(0, K), 1e-12, `${cell} after reset`);
  }
});

test('bad sampling options are rejected with the option named', () => {
  const { net, tok } = model('rnn');
  assert.throws(() => generate(net, tok, { length: 5, topP: 0 }), (e: unknown) => e instanceof OptionError && /topP/.test(e.message));
  assert.throws(() => generate(net, tok, { length: 5, topK: 0 }), (e: unknown) => e instanceof OptionError && /topK/.test(e.message));
  assert.throws(() => generate(net, tok, { length: 5, temperature: -1 }), (e: unknown) => e instanceof OptionError && /temperature/.test(e.message));
  assert.throws(() => new SymbolStream(net).step(tok.vocabSize), /outside the vocabulary/);
});
