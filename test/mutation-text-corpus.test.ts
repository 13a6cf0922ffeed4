/**
 * A corpus, its windows, the validation figure, a text model's file and
 * the next-symbol answer, on small texts and networks built here (the
 * focused file of the src/text mutation run, docs/testing.md): exact
 * splits and window shapes, evaluateText against the cross-entropy summed
 * by hand over one forward pass in float64, every refusal's message.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Network } from '../src/model/network.js';
import { evaluateText, textBatches, validationBatches, VALIDATION_SEQ_LEN } from '../src/text/batches.js';
import { MIN_TRAIN_SYMBOLS, normalizeText, prepareCorpus, splitTail, UNKNOWN_WARN_SHARE, unknownShare, type Corpus } from '../src/text/corpus.js';
import { readTextModel, textModelMeta } from '../src/text/model-file.js';
import { nextSymbols } from '../src/text/next-symbol.js';
import { buildTokenizer, Tokenizer, UNKNOWN_SYMBOL } from '../src/text/tokenizer.js';

const U = UNKNOWN_SYMBOL.char;

function refuses(f: () => unknown, name: string, message: string): void {
  assert.throws(f, (e: Error) => {
    assert.equal(e.name, name);
    assert.equal(e.message, message);
    return true;
  });
}

function textNet(K: number, options: { cell?: 'rnn' | 'lstm' | 'gru'; seed?: number } = {}): Network {
  return new Network({ cell: options.cell ?? 'rnn', inputSize: K, hiddenSize: 4, outputSize: K, outputActivation: 'softmax', loss: 'cross-entropy', dtype: 'float64', seed: options.seed ?? 3 });
}

test('normalizeText: a leading byte-order mark dropped, \\r\\n and \\r become \\n, nothing else touched', () => {
  assert.equal(normalizeText('\uFEFFa\r\nb\rc\r\n\r\nd\n'), 'a\nb\nc\n\nd\n');
  assert.equal(normalizeText('a\uFEFFb'), 'a\uFEFFb');
  assert.equal(normalizeText('\uFEFF\uFEFFa'), '\uFEFFa');
});

test('splitTail: ⌊fraction·n⌋ symbols at the end, the bounds 0 and 0.5 allowed', () => {
  const s = Int32Array.from({ length: 7 }, (_, i) => i);
  assert.deepEqual([...splitTail(s, 0.1).val], []); // ⌊0.7⌋ = 0
  assert.deepEqual([...splitTail(s, 0.1).train], [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...splitTail(s, 0.3).val], [5, 6]); // ⌊2.1⌋ = 2
  assert.deepEqual([...splitTail(s, 0.3).train], [0, 1, 2, 3, 4]);
  assert.deepEqual([...splitTail(s, 0.5).val], [4, 5, 6]);
  assert.deepEqual([...splitTail(s, 0).val], []);
  refuses(() => splitTail(s, 0.6), 'OptionError', 'valFraction must be a number in [0, 0.5], got 0.6');
  refuses(() => splitTail(s, -0.1), 'OptionError', 'valFraction must be a number in [0, 0.5], got -0.1');
});

test('prepareCorpus: normalised, its own or a given vocabulary, the default 5 % tail, the unknown symbols counted', () => {
  assert.equal(MIN_TRAIN_SYMBOLS, 3);
  assert.equal(UNKNOWN_WARN_SHARE, 0.05);
  const c = prepareCorpus(`\uFEFF${'ab\r\n'.repeat(20)}`); // 60 symbols, 3 of them held out
  assert.deepEqual(c.tokenizer.symbols, [U, '\n', 'a', 'b']);
  assert.equal(c.length, 60);
  assert.equal(c.train.length, 57);
  assert.deepEqual([...c.val], [2, 3, 1]);
  assert.equal(c.unknown, 0);
  assert.equal(unknownShare(c), 0);
  // words, a vocabulary size
  const w = prepareCorpus('the whale the sea the ship', { tokens: 'word', vocabSize: 3, valFraction: 0 });
  assert.deepEqual(w.tokenizer.symbols, ['<unk>', 'the', 'sea']);
  assert.deepEqual([...w.train], [1, 0, 1, 2, 1, 0]);
  assert.equal(w.unknown, 2);
  assert.equal(unknownShare(w), 2 / 6);
  assert.deepEqual(prepareCorpus('aab', { vocabSize: 2, valFraction: 0 }).tokenizer.symbols, [U, 'a']);
  assert.deepEqual(prepareCorpus('a b a', { tokens: 'word', valFraction: 0 }).tokenizer.symbols, ['<unk>', 'a', 'b']);
  // a given vocabulary: the text's other characters are unknown
  const tok = new Tokenizer('char', [U, 'a', 'b']);
  const r = prepareCorpus('abcab xa', { tokenizer: tok, valFraction: 0.25 });
  assert.equal(r.tokenizer, tok);
  assert.deepEqual([...r.train], [1, 2, 0, 1, 2, 0]);
  assert.deepEqual([...r.val], [0, 1]);
  assert.equal(r.unknown, 3);
  assert.equal(unknownShare(r), 3 / 8);
  // exactly MIN_TRAIN_SYMBOLS training symbols is enough
  assert.equal(prepareCorpus('abc', { valFraction: 0 }).train.length, 3);
  assert.equal(prepareCorpus('abcd', { valFraction: 0.25 }).train.length, 3);
  refuses(() => prepareCorpus('abcd', { valFraction: 0.5 }), 'OptionError', 'the training text has only 2 characters after the validation split; give a longer text');
  refuses(() => prepareCorpus('a b', { tokens: 'word' }), 'OptionError', 'the training text has only 2 words after the validation split; give a longer text');
  refuses(() => prepareCorpus(' \r\n\t'), 'OptionError', 'the training text is empty; give a file with some text in it');
  refuses(() => prepareCorpus('abc', { seqLen: 3 } as object), 'OptionError', 'unknown corpus option "seqLen"; known options: tokens, vocabSize, valFraction, tokenizer');
  const empty: Corpus = { tokenizer: tok, train: new Int32Array(0), val: new Int32Array(0), length: 0, unknown: 0 };
  assert.equal(unknownShare(empty), 0);
});

test('textBatches and validationBatches: B lowered to n − 1 for a short text, the defaults, the refusals', () => {
  const s = Int32Array.from({ length: 10 }, (_, i) => i % 5);
  const w = textBatches(s, 5, { seqLen: 3, batchSize: 4 });
  assert.equal(w.B, 4);
  assert.equal(w.seqLen, 3);
  assert.equal(w.streamLength, 2); // ⌊9 / 4⌋
  assert.equal(w.inputSize, 5);
  assert.equal(w.outputSize, 5);
  const d = textBatches(s, 5);
  assert.equal(d.B, 9);
  assert.equal(d.seqLen, 64);
  const long = textBatches(new Int32Array(200), 5);
  assert.equal(long.B, 32);
  assert.equal(long.seqLen, 64);
  const two = textBatches(Int32Array.of(1, 2), 5, { batchSize: 3 });
  assert.equal(two.B, 1);
  assert.equal(two.streamLength, 1);
  refuses(() => textBatches(Int32Array.of(1), 5), 'OptionError', 'a text of 1 symbols is too short: next-symbol prediction needs at least 2');
  refuses(() => textBatches(s, 5, { seqLen: 0 }), 'OptionError', 'seqLen must be a positive integer, got 0');
  refuses(() => textBatches(s, 5, { batchSize: 1.5 }), 'OptionError', 'batchSize must be a positive integer, got 1.5');
  assert.equal(VALIDATION_SEQ_LEN, 256);
  const v = validationBatches(new Int32Array(600), 5);
  assert.equal(v.B, 1);
  assert.equal(v.seqLen, 256);
  assert.equal(v.streamLength, 599);
  assert.equal(v.batchesPerEpoch, 3);
  assert.equal(validationBatches(s, 5, { seqLen: 4 }).seqLen, 4);
});

/** Σ −ln ŷ(t)[s(t+1)] / (n − 1) from one forward pass over s(0..n−2) (B = 1, h(0) = 0). */
function crossEntropyByHand(net: Network, s: Int32Array): number {
  const T = s.length - 1;
  const K = net.config.outputSize;
  const yhat = net.forward({ T, B: 1, x: { kind: 'index', data: s.slice(0, T) }, y: { kind: 'index', data: s.slice(1) } });
  let J = 0;
  for (let t = 0; t < T; t++) J -= Math.log(yhat[t * K + s[t + 1]!]!);
  return J / T;
}

test('evaluateText is the mean cross-entropy of one stream read from a cold start, whatever the window', () => {
  const K = 6;
  const s = Int32Array.from({ length: 23 }, (_, i) => (i * 7 + (i >> 2)) % K);
  for (const cell of ['rnn', 'lstm'] as const) {
    const net = textNet(K, { cell });
    const expected = crossEntropyByHand(net, s);
    assert.ok(expected > 0.5, `${expected}`);
    for (const windows of [{}, { seqLen: 5 }, { seqLen: 1 }, { seqLen: 22, batchSize: 4 }, { seqLen: 300 }]) {
      const got = evaluateText(net, s, windows);
      assert.ok(Math.abs(got - expected) < 1e-12, `${cell} ${JSON.stringify(windows)}: ${got} vs ${expected}`);
    }
    assert.ok(Math.abs(evaluateText(net, s) - expected) < 1e-12);
  }
});

test('a text model file: its meta, read back, and every way it is refused', () => {
  const tok = new Tokenizer('char', [U, 'a', 'b', 'c']);
  const net = textNet(4);
  const meta = textModelMeta(tok);
  assert.deepEqual(meta, { kind: 'text', tokenizer: { kind: 'char', symbols: [U, 'a', 'b', 'c'] } });
  const back = readTextModel({ networks: { model: net }, meta: JSON.parse(JSON.stringify(meta)) });
  assert.equal(back.net, net);
  assert.deepEqual(back.tokenizer.symbols, tok.symbols);
  assert.equal(back.tokenizer.kind, 'char');
  // the name of the kind before model kinds
  assert.deepEqual(readTextModel({ networks: { model: net }, meta: { kind: 'text-model', tokenizer: meta.tokenizer } }).tokenizer.symbols, tok.symbols);
  const noText = (what: string): string => `${what} is not a text model (no network "model" with a vocabulary); train one with "rnnkit train"`;
  refuses(() => readTextModel({ networks: {}, meta }), 'FormatError', noText('the model file'));
  refuses(() => readTextModel({ networks: { encoder: net }, meta }, 'm.json'), 'FormatError', noText('m.json'));
  refuses(() => readTextModel({ networks: { model: net } }, 'm.json'), 'FormatError', noText('m.json'));
  refuses(() => readTextModel({ networks: { model: net }, meta: null }, 'm.json'), 'FormatError', noText('m.json'));
  refuses(() => readTextModel({ networks: { model: net }, meta: Object.assign(() => 0, meta) }, 'm.json'), 'FormatError', noText('m.json'));
  refuses(() => readTextModel({ networks: { model: net }, meta: { kind: 3 } }, 'm.json'), 'FormatError', noText('m.json'));
  refuses(() => readTextModel({ networks: { model: net }, meta: { kind: 'forecast' } }, 'm.json'), 'FormatError', 'm.json is not a text model but a forecast model; use "rnnkit predict"');
  // a text model's meta without its network: not "a text model" of another kind (it said "not a text model but a text model")
  refuses(() => readTextModel({ networks: {}, meta: { kind: 'text' } }, 'm.json'), 'FormatError', noText('m.json'));
  refuses(() => readTextModel({ networks: {}, meta: { kind: 'text-model' } }, 'm.json'), 'FormatError', noText('m.json'));
  refuses(() => readTextModel({ networks: {}, meta: { kind: 'forecast' } }, 'm.json'), 'FormatError', 'm.json is not a text model but a forecast model; use "rnnkit predict"');
  refuses(() => readTextModel({ networks: { model: net }, meta: { kind: 'text' } }, 'm.json'), 'FormatError', 'the model file\'s vocabulary is missing or malformed (expected {kind, symbols: string[]})');
  const wide = new Tokenizer('char', [U, 'a', 'b', 'c', 'd']);
  refuses(() => readTextModel({ networks: { model: net }, meta: textModelMeta(wide) }, 'm.json'), 'FormatError', 'm.json: the vocabulary has 5 symbols but the network maps 4 inputs to 4 softmax outputs');
  const opts = { cell: 'rnn', hiddenSize: 2, loss: 'cross-entropy', dtype: 'float64' } as const;
  const inputs = new Network({ ...opts, inputSize: 5, outputSize: 4, outputActivation: 'softmax' });
  refuses(() => readTextModel({ networks: { model: inputs }, meta }), 'FormatError', 'the model file: the vocabulary has 4 symbols but the network maps 5 inputs to 4 softmax outputs');
  const outputs = new Network({ ...opts, inputSize: 4, outputSize: 5, outputActivation: 'softmax' });
  refuses(() => readTextModel({ networks: { model: outputs }, meta }), 'FormatError', 'the model file: the vocabulary has 4 symbols but the network maps 4 inputs to 5 softmax outputs');
  const linear = new Network({ ...opts, inputSize: 4, outputSize: 4, outputActivation: 'linear', loss: 'mse' });
  refuses(() => readTextModel({ networks: { model: linear }, meta }), 'FormatError', 'the model file: the vocabulary has 4 symbols but the network maps 4 inputs to 4 linear outputs');
});

/**
 * An RNN that predicts the symbol it has just read: H = K, U = 5·I, W = 0,
 * b = 0, V = I, so h(t) = tanh(5)·e_{x(t)} and ŷ(t) = softmax(tanh(5)·e_{x(t)} + b_o).
 */
function echoNet(K: number, b_o: readonly number[]): Network {
  const net = new Network({ cell: 'rnn', inputSize: K, hiddenSize: K, outputSize: K, outputActivation: 'softmax', loss: 'cross-entropy', dtype: 'float64' });
  net.params.data.fill(0);
  const Uw = net.params.view('layer0.U');
  for (let k = 0; k < K; k++) {
    Uw[k * K + k] = 5;
    net.V[k * K + k] = 1;
  }
  net.b_o!.set(b_o);
  return net;
}

function softmax(z: readonly number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

test('nextSymbols: ŷ after the last symbol of the prime, most probable first, ties by index, at most K', () => {
  const tok = new Tokenizer('char', [U, 'a', 'b', 'c', 'd']);
  const net = echoNet(5, [0, 0, 0, 0, 0]);
  const g = Math.tanh(5);
  // after "ab": ŷ = softmax(g·e_b): b first, then the others tied, in index order
  const p = softmax([0, 0, g, 0, 0]);
  const top = nextSymbols(net, tok, 'ab', 3);
  assert.deepEqual(top.map((n) => n.symbol), ['b', U, 'a']);
  for (const [i, k] of [2, 0, 1].entries()) assert.ok(Math.abs(top[i]!.probability - p[k]!) < 1e-12);
  assert.deepEqual(nextSymbols(net, tok, 'ba', 10).map((n) => n.symbol), ['a', U, 'b', 'c', 'd']);
  assert.equal(nextSymbols(net, tok, 'ba').length, 5);
  assert.deepEqual(nextSymbols(net, tok, 'dxc', 1).map((n) => n.symbol), ['c']);
  // an unknown last symbol is read as the unknown symbol; the bias orders the rest (d > b = c > a)
  const biased = echoNet(5, [0, -1, 1, 1, 2]);
  const q = softmax([g, -1, 1, 1, 2]);
  const all = nextSymbols(biased, tok, 'az', 5);
  assert.deepEqual(all.map((n) => n.symbol), ['d', 'b', 'c', U, 'a']);
  assert.ok(Math.abs(all[3]!.probability - q[0]!) < 1e-12);
  assert.ok(Math.abs(all[4]!.probability - q[1]!) < 1e-12);
  refuses(() => nextSymbols(net, tok, ''), 'OptionError', 'the prime is empty: give the text the model should continue');
  refuses(() => nextSymbols(net, tok, 'a', 0), 'OptionError', 'top must be a positive integer, got 0');
  refuses(() => nextSymbols(textNet(4), tok, 'a'), 'OptionError', 'the network has 4 outputs but the vocabulary 5 symbols');
  // a word model
  const words = new Tokenizer('word', ['<unk>', 'the', 'whale', '.', '\n']);
  assert.equal(nextSymbols(echoNet(5, [0, 0, 0, 0, 0]), words, 'the whale', 1)[0]!.symbol, 'whale');
  assert.equal(buildTokenizer('ab').vocabSize, 3);
});
