/**
 * Sampling with exact expected draws (the focused file of the src/text
 * mutation run, docs/testing.md): sampleIndex with a generator that returns
 * chosen numbers, against the inverse CDF of the weights worked out by
 * hand (τ = 1, τ = ½, τ = 2, a tiny τ, top-k, top-p, ties, the rounding
 * fallback); the symbol stream's refusals, a vocabulary whose K is a
 * multiple of the padded width or rounds below it; generation's start, its
 * spacing after a prime, its reuse of a stream, its seed and generator.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { softmaxRows } from '../src/core/activations.js';
import { jsKernels, type Kernels } from '../src/core/kernels.js';
import { Rng } from '../src/core/rng.js';
import { Network } from '../src/model/network.js';
import { argmax, checkSamplingOptions, generate, sampleIndex, sampleText, startSymbol, SymbolStream } from '../src/text/sample.js';
import { Tokenizer, UNKNOWN_SYMBOL } from '../src/text/tokenizer.js';

const U = UNKNOWN_SYMBOL.char;

/** A generator whose next() returns `r` (and counts the calls). */
function fixed(r: number): Rng & { calls: number } {
  const g = { calls: 0, next: () => (g.calls++, r) };
  return g as unknown as Rng & { calls: number };
}

/** A generator that must not be asked. */
const NEVER = { next: () => assert.fail('a random number was drawn') } as unknown as Rng;

function refuses(f: () => unknown, name: string, message: string): void {
  assert.throws(f, (e: Error) => {
    assert.equal(e.name, name);
    assert.equal(e.message, message);
    return true;
  });
}

test('argmax: the first of equal maxima; greedy, τ = 0 and top-k 1 take it without a random number', () => {
  assert.equal(argmax([0.2, 0.4, 0.4]), 1);
  assert.equal(argmax([0.5, 0.1, 0.5]), 0);
  assert.equal(argmax(Float64Array.of(0.1, 0.2, 0.7)), 2);
  assert.equal(argmax([3]), 0);
  const p = [0.1, 0.4, 0.1, 0.4];
  assert.equal(sampleIndex(p, { greedy: true }, NEVER), 1);
  assert.equal(sampleIndex(p, { temperature: 0 }, NEVER), 1);
  assert.equal(sampleIndex(p, { topK: 1 }, NEVER), 1);
  assert.equal(sampleIndex(p, { topK: 1, temperature: 2 }, NEVER), 1);
  assert.equal(sampleIndex(p, { greedy: false, temperature: 0 }, NEVER), 1);
});

test('τ = 1: the first k with u < ŷ_0 + … + ŷ_k, u = r·Σŷ', () => {
  const p = [0.1, 0.2, 0.3, 0.4];
  const draws = [[0, 0], [0.05, 0], [0.15, 1], [0.35, 2], [0.65, 3], [0.99, 3]] as const;
  for (const [r, k] of draws) assert.equal(sampleIndex(p, {}, fixed(r)), k, `r = ${r}`);
  for (const [r, k] of draws) assert.equal(sampleIndex(p, { temperature: 1, topP: 1, topK: 4 }, fixed(r)), k, `r = ${r}, top-k = n`);
  // u exactly on a boundary of the cumulative sum goes to the next symbol
  assert.equal(sampleIndex([0.5, 0.25, 0.25], {}, fixed(0.5)), 1);
  assert.equal(sampleIndex([0.5, 0.25, 0.25], {}, fixed(0.75)), 2);
  // weights that do not sum to 1: u = r·Σŷ
  assert.equal(sampleIndex([1, 1, 2], {}, fixed(0.49)), 1);
  assert.equal(sampleIndex([1, 1, 2], {}, fixed(0.51)), 2);
  // a symbol of probability 0 is never drawn, even when rounding leaves u ≥ 0 after the last term (r = 1)
  assert.equal(sampleIndex([0.5, 0, 0.5], {}, fixed(0.5)), 2);
  assert.equal(sampleIndex([0.5, 0.5, 0], {}, fixed(1)), 1);
  assert.equal(sampleIndex([0.5, 0.5, 0], { temperature: 0.5 }, fixed(1)), 1);
  assert.equal(sampleIndex([0, 0.5, 0.5, 0], { topK: 3 }, fixed(1)), 2);
  // nothing with weight: the argmax
  assert.equal(sampleIndex([0, 0, 0], {}, fixed(0.5)), 0);
  assert.equal(sampleIndex([-1, 0, -2], { temperature: 0.5 }, fixed(0.5)), 1);
  assert.equal(sampleIndex([-1, 0, -2], {}, fixed(0.5)), 1);
});

test('temperature: w_k = (ŷ_k / ŷ_max)^(1/τ), and a tiny τ still shares the draw between equal maxima', () => {
  const p = [0.1, 0.2, 0.3, 0.4];
  // τ = ½: w ∝ (1, 4, 9, 16), cumulative shares 1/30, 5/30, 14/30, 1
  for (const [r, k] of [[0.02, 0], [0.1, 1], [0.3, 2], [0.6, 3]] as const) assert.equal(sampleIndex(p, { temperature: 0.5 }, fixed(r)), k, `τ = ½, r = ${r}`);
  // τ = 2: w ∝ √ŷ, cumulative shares 0.163, 0.393, 0.675, 1
  for (const [r, k] of [[0.1, 0], [0.3, 1], [0.5, 2], [0.8, 3]] as const) assert.equal(sampleIndex(p, { temperature: 2 }, fixed(r)), k, `τ = 2, r = ${r}`);
  // (ŷ_k/ŷ_max)^1000 = 1 for both maxima, where ŷ_k^1000 would underflow to 0
  assert.equal(sampleIndex([0.5, 0.5], { temperature: 0.001 }, fixed(0.75)), 1);
  assert.equal(sampleIndex([0.25, 0.5, 0.25], { temperature: 0.001 }, fixed(0.99)), 1);
});

test('top-k and top-p: the most likely symbols kept, ties in index order, top-p with its rounding tolerance', () => {
  const p = [0.1, 0.2, 0.3, 0.4];
  // top-2 keeps 3 and 2: shares 4/7 and 3/7
  for (const [r, k] of [[0, 3], [0.5, 3], [0.6, 2], [0.99, 2]] as const) assert.equal(sampleIndex(p, { topK: 2 }, fixed(r)), k, `top-k 2, r = ${r}`);
  // top-p ½: 0.4 < ½ ≤ 0.7, the same two
  for (const [r, k] of [[0.5, 3], [0.6, 2], [0.99, 2]] as const) assert.equal(sampleIndex(p, { topP: 0.5 }, fixed(r)), k, `top-p ½, r = ${r}`);
  // top-p 0.75: 0.7 < 0.75 ≤ 0.9, three kept (shares 4/9, 3/9, 2/9)
  for (const [r, k] of [[0.4, 3], [0.5, 2], [0.99, 1]] as const) assert.equal(sampleIndex(p, { topP: 0.75 }, fixed(r)), k, `top-p 0.75, r = ${r}`);
  // top-p 0.4 = ŷ_max exactly (up to the rounding of Σw): one kept
  assert.equal(sampleIndex(p, { topP: 0.4 }, fixed(0.99)), 3);
  // both: top-k 3 then top-p ½ of what is left (0.4 < 0.45 ≤ 0.7): two kept
  assert.equal(sampleIndex(p, { topK: 3, topP: 0.5 }, fixed(0.99)), 2);
  assert.equal(sampleIndex(p, { topK: 3, topP: 0.95 }, fixed(0.99)), 1);
  // with temperature: τ = ½, top-2 keeps w ∝ 16, 9
  assert.equal(sampleIndex(p, { topK: 2, temperature: 0.5 }, fixed(0.62)), 3);
  assert.equal(sampleIndex(p, { topK: 2, temperature: 0.5 }, fixed(0.66)), 2);
  // ties: the lower index is kept
  assert.equal(sampleIndex([0.3, 0.3, 0.4], { topK: 2 }, fixed(0.99)), 0);
  assert.equal(sampleIndex([0.2, 0.2, 0.2, 0.2, 0.2], { topK: 3 }, fixed(0.99)), 2);
  assert.equal(sampleIndex([0.2, 0.2, 0.2, 0.2, 0.2], { topK: 3, temperature: 3 }, fixed(0.5)), 1);
  // top-p 1 with top-k keeps all k, even a weight under 10⁻¹² of the total
  assert.equal(sampleIndex([0.6, 0.4, 1e-14, 0], { topK: 3, topP: 1 }, fixed(1 - 2 ** -53)), 2);
  // the work buffers follow the vocabulary size from one call to the next
  assert.equal(sampleIndex([0.25, 0.75], { topK: 1, temperature: 0.5 }, NEVER), 1);
  assert.equal(sampleIndex([0.1, 0.1, 0.1, 0.1, 0.6], { temperature: 0.5 }, fixed(0.99)), 4);
  assert.equal(sampleIndex([0.7, 0.3], { temperature: 0.5 }, fixed(0.99)), 1);
  assert.equal(sampleIndex([0.7, 0.2, 0.1], { topK: 2 }, fixed(0.99)), 1);
  assert.equal(sampleIndex([0.6, 0.4], { topK: 1, topP: 0.5 }, NEVER), 0);
});

test('sampling options: each refusal names the option and its range', () => {
  checkSamplingOptions({});
  checkSamplingOptions({ temperature: 0, topK: 1, topP: 1, greedy: false });
  refuses(() => checkSamplingOptions({ temperature: -0.5 }), 'OptionError', 'temperature must be a number in [0, Infinity], got -0.5');
  refuses(() => checkSamplingOptions({ temperature: Infinity }), 'OptionError', 'temperature must be a number in [0, Infinity], got Infinity');
  refuses(() => checkSamplingOptions({ topK: 0 }), 'OptionError', 'topK must be a positive integer, got 0');
  for (const topP of [0, 1.5, -1, Number.NaN, '0.5'] as number[]) {
    refuses(() => checkSamplingOptions({ topP }), 'OptionError', `topP must be a number in (0, 1], got ${String(topP)}`);
  }
  refuses(() => checkSamplingOptions({ greedy: 'yes' as unknown as boolean }), 'OptionError', 'greedy must be true or false');
  checkSamplingOptions({ greedy: true });
});

/** An RNN whose ŷ after symbol x puts almost everything on next[x] (H = K, U = 5·I, V[x, next[x]] = 8). */
function chainNet(next: readonly number[], options: { bias?: boolean } = {}): Network {
  const K = next.length;
  const net = new Network({ cell: 'rnn', inputSize: K, hiddenSize: K, outputSize: K, outputActivation: 'softmax', loss: 'cross-entropy', dtype: 'float64', ...options });
  net.params.data.fill(0);
  const Uw = net.params.view('layer0.U');
  for (let x = 0; x < K; x++) {
    Uw[x * K + x] = 5;
    net.V[x * K + next[x]!] = 8;
  }
  return net;
}

test('the symbol stream: refusals, the uniform distribution before a symbol, feed checks every symbol first', () => {
  const opts = { cell: 'rnn', hiddenSize: 3, dtype: 'float64' } as const;
  refuses(() => new SymbolStream(new Network({ ...opts, inputSize: 4, outputSize: 4, outputActivation: 'linear', loss: 'mse' })), 'OptionError',
    'a symbol stream needs a softmax model whose input and output are the same vocabulary (inputSize = outputSize), got D = 4, K = 4, output linear');
  refuses(() => new SymbolStream(new Network({ ...opts, inputSize: 5, outputSize: 4, outputActivation: 'softmax', loss: 'cross-entropy' })), 'OptionError',
    'a symbol stream needs a softmax model whose input and output are the same vocabulary (inputSize = outputSize), got D = 5, K = 4, output softmax');
  const net = chainNet([1, 2, 3, 0]);
  const s = new SymbolStream(net);
  assert.equal(s.vocabSize, 4);
  assert.deepEqual([...s.distribution], [0.25, 0.25, 0.25, 0.25]);
  for (const bad of [-1, 4, 1.5]) refuses(() => s.step(bad), 'OptionError', `symbol ${bad} is outside the vocabulary [0, 4)`);
  refuses(() => s.feed([]), 'OptionError', 'feed needs at least one symbol');
  refuses(() => s.feed([1, 2, 7]), 'OptionError', 'symbol 7 is outside the vocabulary [0, 4)');
  // nothing was fed by the refused calls
  assert.deepEqual([...s.distribution], [0.25, 0.25, 0.25, 0.25]);
  assert.equal(argmax(s.step(2)), 3);
  assert.equal(argmax(s.distribution), 3);
  assert.equal(argmax(s.feed([3, 0])), 1);
  s.reset();
  assert.deepEqual([...s.distribution], [0.25, 0.25, 0.25, 0.25]);
  // a model without output bias
  const plain = new SymbolStream(chainNet([2, 0, 1], { bias: false }));
  assert.equal(argmax(plain.step(0)), 2);
  assert.ok(plain.distribution[2]! > 0.99);
});

/** ŷ(1..T) of one forward pass (B = 1), T×K. */
function forwardAll(net: Network, ids: Int32Array): Float64Array {
  const T = ids.length;
  return Float64Array.from(net.forward({ T, B: 1, x: { kind: 'index', data: ids }, y: { kind: 'index', data: new Int32Array(T).fill(-1) } }));
}

test('the stream over K = 32, 40 and 64 outputs (V used as it is, or padded to 64 columns) gives ŷ of the forward pass', () => {
  for (const K of [32, 40, 64]) {
    const net = new Network({ cell: 'lstm', layers: 2, inputSize: K, hiddenSize: 6, outputSize: K, outputActivation: 'softmax', loss: 'cross-entropy', dtype: 'float64', seed: K });
    const rng = new Rng(K);
    for (let i = 0; i < net.params.data.length; i++) net.params.data[i]! += 0.3 * rng.normal();
    const ids = Int32Array.from({ length: 40 }, (_, t) => (t * 11 + 3) % K);
    const yhat = forwardAll(net, ids);
    const s = new SymbolStream(net);
    for (let t = 0; t < ids.length; t++) {
      const p = s.step(ids[t]!);
      for (let k = 0; k < K; k++) assert.ok(Math.abs(p[k]! - yhat[t * K + k]!) < 1e-12, `K = ${K} ŷ(${t + 1})[${k}]`);
    }
    // new weights reach the stream with syncWeights
    for (let i = 0; i < net.params.data.length; i++) net.params.data[i]! += 0.3 * rng.normal();
    const yhat2 = forwardAll(net, ids);
    s.syncWeights();
    s.reset();
    const p = s.feed(ids);
    for (let k = 0; k < K; k++) assert.ok(Math.abs(p[k]! - yhat2[(ids.length - 1) * K + k]!) < 1e-12, `K = ${K} after syncWeights [${k}]`);
  }
});

test('generation: where it starts without a prime, the spacing after a prime, the reuse of a stream', () => {
  // after x: U → a, a → b, b → ' ', ' ' → b
  const chars = new Tokenizer('char', [U, 'a', 'b', ' ']);
  const net = chainNet([1, 2, 3, 2]);
  assert.equal(startSymbol(chars), 3);
  assert.equal(generate(net, chars, { length: 4, greedy: true }), 'b b ');
  assert.equal(generate(net, chars, { prime: 'a', length: 3, greedy: true }), 'b b');
  assert.equal(generate(net, chars, { prime: 'x', length: 2, greedy: true }), 'ab');
  assert.equal(generate(net, chars, { length: 0, greedy: true }), '');
  // a line break is preferred to a space
  const lines = new Tokenizer('char', [U, ' ', '\n', 'a', 'b']);
  assert.equal(startSymbol(lines), 2);
  assert.equal(generate(chainNet([3, 3, 4, 1, 1]), lines, { length: 2, greedy: true }), 'b ');
  // neither: nothing is read (not the unknown symbol, after which this model says b); greedy over the known ones gives index 1
  assert.equal(startSymbol(new Tokenizer('char', [U, 'a', 'b'])), 0);
  assert.equal(generate(chainNet([2, 2, 1]), new Tokenizer('char', [U, 'a', 'b']), { length: 3, greedy: true }), 'aba');
  // words: a space before the first word unless the prime ends in white space; every later word spaced
  const words = new Tokenizer('word', ['<unk>', 'the', 'whale', '.', '\n']);
  const wnet = chainNet([1, 2, 3, 1, 1]); // the → whale → . → the
  assert.equal(generate(wnet, words, { prime: 'the', length: 4, greedy: true }), ' whale. the whale');
  assert.equal(generate(wnet, words, { prime: 'the ', length: 4, greedy: true }), 'whale. the whale');
  assert.equal(generate(wnet, words, { prime: 'the\n', length: 2, greedy: true }), 'the whale');
  assert.equal(generate(wnet, words, { prime: 'whale the', length: 2, greedy: true }), ' whale.');
  assert.equal(generate(wnet, words, { length: 3, greedy: true }), 'the whale.');
  // a stream given as the model is reset first
  const s = new SymbolStream(net);
  s.feed([1, 2, 1]);
  assert.equal(generate(s, chars, { prime: 'a', length: 3, greedy: true }), 'b b');
  assert.equal(generate(s, chars, { length: 4, greedy: true }), 'b b ');
  const pieces = [...sampleText(wnet, words, { prime: 'the', length: 3, greedy: true })];
  assert.deepEqual(pieces, [' whale', '.', ' the']);
});

test('generation: the seed (default 1), a generator given instead, and the refusals', () => {
  const tok = new Tokenizer('char', [U, 'a', 'b', 'c', ' ']);
  const net = new Network({ cell: 'gru', inputSize: 5, hiddenSize: 4, outputSize: 5, outputActivation: 'softmax', loss: 'cross-entropy', dtype: 'float64', seed: 7 });
  const a = generate(net, tok, { prime: 'ab', length: 40 });
  assert.equal(a.length, 40);
  assert.equal(generate(net, tok, { prime: 'ab', length: 40, seed: 1 }), a);
  assert.notEqual(generate(net, tok, { prime: 'ab', length: 40, seed: 2 }), a);
  // a stream with a state is reset before the prime (an RNN with large recurrent weights: it remembers)
  const rnn = new Network({ cell: 'rnn', inputSize: 5, hiddenSize: 8, outputSize: 5, outputActivation: 'softmax', loss: 'cross-entropy', dtype: 'float64', seed: 2 });
  const big = new Rng(3);
  for (let i = 0; i < rnn.params.data.length; i++) rnn.params.data[i] = 1.5 * big.normal();
  const stream = new SymbolStream(rnn);
  const fromNet = generate(rnn, tok, { prime: 'ab', length: 40 });
  stream.feed([1, 2, 3, 4, 4, 3]);
  assert.equal(generate(stream, tok, { prime: 'ab', length: 40 }), fromNet);
  stream.feed([2, 2]);
  assert.equal(generate(stream, tok, { length: 40, seed: 3 }), generate(rnn, tok, { length: 40, seed: 3 }));
  const rng = new Rng(1);
  assert.equal(generate(net, tok, { prime: 'ab', length: 40, rng, seed: 5 }), a);
  // the given generator was advanced by the 40 draws
  const fresh = new Rng(1);
  for (let i = 0; i < 40; i++) fresh.next();
  assert.equal(rng.next(), fresh.next());
  // each draw is sampleIndex over the stream's ŷ: r just above 0 gives the first symbol with weight
  assert.equal(generate(net, tok, { prime: 'ab', length: 5, rng: fixed(0) }), U.repeat(5));
  const seen = fixed(0.5);
  generate(net, tok, { prime: 'ab', length: 5, rng: seen });
  assert.equal(seen.calls, 5);
  refuses(() => generate(net, tok, { length: 3, seeds: 2 } as object as { length: number }), 'OptionError',
    'unknown generate option "seeds"; known options: temperature, topK, topP, greedy, prime, length, seed, rng');
  refuses(() => generate(net, tok, { length: 3, topK: 0 }), 'OptionError', 'topK must be a positive integer, got 0');
  refuses(() => generate(net, tok, { length: -1 }), 'OptionError', 'length must be a positive integer, got -1');
  refuses(() => generate(net, tok, { length: 2.5 }), 'OptionError', 'length must be a positive integer, got 2.5');
  refuses(() => generate(net, new Tokenizer('char', [U, 'a']), { length: 1 }), 'OptionError', 'the vocabulary has 2 symbols but the model outputs 5');
  // checked at the call, before the first symbol is asked for
  refuses(() => sampleText(net, tok, { length: 3, temperature: -1 }), 'OptionError', 'temperature must be a number in [0, Infinity], got -1');
});

test('the draw at its edges: w = ŷ itself at τ = 1, weights that are not positive, top-p reached exactly, the fallback keeps to the kept symbols', () => {
  // τ = 1 draws from ŷ as it is: u = 0.1·(0.1 + 0.9) = 0.1 is not below ŷ_0 = 0.1, so symbol 1
  // (ŷ_0/ŷ_1 through a log and an exp is 0.11111111111111113, a weight that would take u)
  assert.equal(sampleIndex([0.1, 0.9], {}, fixed(0.1)), 1);
  // a weight that is not a positive number (negative, NaN) is neither counted in Σŷ nor subtracted from u
  assert.equal(sampleIndex([-1, 0.5, 0.5], {}, fixed(0.75)), 2); // u = 0.75 of Σ = 1
  assert.equal(sampleIndex([0.5, Number.NaN, 0.3, 0.2], {}, fixed(0.6)), 2); // u = 0.6: past 0.5, below 0.8
  assert.equal(sampleIndex([-0.5, 0.5, 0.5], { temperature: 0.5 }, fixed(0.25)), 1); // w = (0, 1, 1), u = 0.5
  // top-p: p·Σw·(1 − 10⁻¹²) = 0.5000000000005 · 2 · (1 − 10⁻¹²) is exactly 1 = w_0 (p = ½, ½): "at least" keeps one
  assert.equal(0.5000000000005 * 2 * (1 - 1e-12), 1);
  assert.equal(sampleIndex([0.5, 0.5], { topP: 0.5000000000005 }, fixed(0.99)), 0);
  assert.equal(sampleIndex([0.5, 0.5], { topP: 0.5000000000005 * 1.000001 }, fixed(0.99)), 1);
  // r = 1 leaves u = 0 after the kept weights (1, ½ of w = 1, ½, ½): the last KEPT symbol, not the third
  assert.equal(sampleIndex([0.5, 0.25, 0.25], { topK: 2 }, fixed(1)), 1);
  // τ = 100 makes w_0 = w_1 = 1 for ŷ_0 < ŷ_1 (a tie, kept in index order): top-p ½ keeps symbol 0 alone, and the
  // fallback at r = 1 returns it, not the argmax of ŷ
  const close = [0.49999999999999994, 0.5000000000000001];
  assert.equal(argmax(close), 1);
  assert.equal(sampleIndex(close, { temperature: 100, topP: 0.5 }, fixed(1)), 0);
  assert.equal(sampleIndex(close, { temperature: 100, topP: 0.5 }, fixed(0.5)), 0);
});

test('the stream takes ŷ from the kernels\' own softmax when they have one, once a step', () => {
  let calls = 0;
  const counting: Kernels = { ...jsKernels, softmaxRows: (a, off, rows, n) => { calls++; softmaxRows(a, off, rows, n); return true; } };
  const net = new Network({ cell: 'rnn', inputSize: 5, hiddenSize: 4, outputSize: 5, outputActivation: 'softmax', loss: 'cross-entropy', dtype: 'float64', seed: 3, kernels: counting });
  const ids = Int32Array.of(1, 4, 2, 2, 0, 3);
  const yhat = forwardAll(net, ids);
  calls = 0;
  const s = new SymbolStream(net);
  for (let t = 0; t < ids.length; t++) {
    const p = s.step(ids[t]!);
    for (let k = 0; k < 5; k++) assert.ok(Math.abs(p[k]! - yhat[t * 5 + k]!) < 1e-15, `ŷ(${t + 1})[${k}]`);
  }
  assert.equal(calls, ids.length);
});

test('generation: no step after the last symbol, a symbol with a space in it, the uniform start\'s boundaries', () => {
  // U → a, a → b, b → ' ', ' ' → b: after "a" and three drawn symbols (b, ' ', b) the stream has read a, b and ' ' only
  const chars = new Tokenizer('char', [U, 'a', 'b', ' ']);
  const s = new SymbolStream(chainNet([1, 2, 3, 2]));
  assert.equal(generate(s, chars, { prime: 'a', length: 3, greedy: true }), 'b b');
  assert.equal(argmax(s.distribution), 2); // ŷ after ' ' (after the last b it would be ' ')
  assert.equal(generate(s, chars, { prime: 'a', length: 1, greedy: true }), 'b');
  assert.equal(argmax(s.distribution), 2); // ŷ after the prime alone
  // a word vocabulary given by hand may hold a symbol with a space: after a prime that ends in white space only a
  // leading space is dropped, never one inside the symbol
  const words = new Tokenizer('word', ['<unk>', '(', 'x y', 'z']);
  const wnet = chainNet([0, 2, 3, 2]);
  assert.equal(generate(wnet, words, { prime: '( ', length: 1, greedy: true }), 'x y');
  assert.equal(generate(wnet, words, { prime: 'z ', length: 1, greedy: true }), 'x y');
  assert.equal(generate(wnet, words, { prime: '( ', length: 2, greedy: true }), 'x y z');
  // no line break or space: the first symbol is drawn uniformly from the 7 known ones (u = r·Σ, w = 1/7 each):
  // r = 0.14285714285714285 (1/7 rounded, just below it) gives the first
  const seven = new Tokenizer('char', [U, 'a', 'b', 'c', 'd', 'e', 'f', 'g']);
  const net8 = chainNet([1, 2, 3, 4, 5, 6, 7, 1]);
  assert.equal(generate(net8, seven, { length: 1, rng: fixed(1 / 7) }), 'a');
  assert.equal(generate(net8, seven, { length: 1, rng: fixed(0.999) }), 'g');
});
