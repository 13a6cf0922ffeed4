/**
 * Where sampling starts and what it keeps (issue 14): without a prime the
 * first symbol comes from what the model learned to follow a line break
 * (or a uniform draw over the known symbols), never the unknown symbol; a
 * prime ending in a space keeps every generated character.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Network } from '../src/model/network.js';
import { generate, startSymbol } from '../src/text/sample.js';
import { Tokenizer, UNKNOWN_SYMBOL } from '../src/text/tokenizer.js';

/** A char model whose every output is `favourite` (V = 0, a large output bias on it). */
function modelFavouring(tokenizer: Tokenizer, favourite: string): Network {
  const K = tokenizer.vocabSize;
  const net = new Network({ cell: 'rnn', inputSize: K, hiddenSize: 4, outputSize: K, outputActivation: 'softmax', loss: 'cross-entropy', seed: 1 });
  net.V.fill(0);
  net.b_o!.fill(0);
  net.b_o![tokenizer.indexOf(favourite)] = 20;
  return net;
}

test('greedy sampling without a prime starts with what the model predicts after a line break, not "\uFFFD"', () => {
  const tok = new Tokenizer('char', [UNKNOWN_SYMBOL.char, '\n', ' ', 'a', 'b']);
  assert.equal(startSymbol(tok), 1);
  const text = generate(modelFavouring(tok, 'a'), tok, { length: 5, greedy: true });
  assert.equal(text, 'aaaaa');
});

test('a vocabulary without line break or space: the first symbol is drawn from the known ones, never the unknown one', () => {
  const tok = new Tokenizer('char', [UNKNOWN_SYMBOL.char, 'x', 'y', 'z']);
  assert.equal(startSymbol(tok), 0);
  const net = new Network({ cell: 'rnn', inputSize: 4, hiddenSize: 3, outputSize: 4, outputActivation: 'softmax', loss: 'cross-entropy', seed: 2 });
  const firsts = new Set<string>();
  for (let seed = 1; seed <= 200; seed++) firsts.add(generate(net, tok, { length: 1, seed })[0]!);
  assert.ok(!firsts.has(UNKNOWN_SYMBOL.char), 'the unknown symbol started a sample');
  assert.deepEqual([...firsts].sort(), ['x', 'y', 'z']);
  assert.equal(generate(net, tok, { length: 1, greedy: true }) === UNKNOWN_SYMBOL.char, false);
});

test('a prime ending in a space keeps every generated character: --length 30 gives 30', () => {
  const tok = new Tokenizer('char', [UNKNOWN_SYMBOL.char, '\n', ' ', 'a', 'b']);
  const spaces = generate(modelFavouring(tok, ' '), tok, { prime: 'ab ', length: 30, greedy: true });
  assert.equal(spaces, ' '.repeat(30));
  const sampled = generate(modelFavouring(tok, 'b'), tok, { prime: 'a ', length: 30, seed: 3 });
  assert.equal([...sampled].length, 30);
});

test('a word model after a prime ending in a space does not double the space', () => {
  const tok = new Tokenizer('word', [UNKNOWN_SYMBOL.word, '\n', 'the', 'whale']);
  const net = new Network({ cell: 'rnn', inputSize: 4, hiddenSize: 4, outputSize: 4, outputActivation: 'softmax', loss: 'cross-entropy', seed: 1 });
  net.V.fill(0);
  net.b_o!.fill(0);
  net.b_o![3] = 20;
  assert.equal(generate(net, tok, { prime: 'the ', length: 2, greedy: true }), 'whale whale');
  assert.equal(generate(net, tok, { length: 2, greedy: true }), 'whale whale');
});
