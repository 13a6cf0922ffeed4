/**
 * The model file (src/io/model-file.ts), for `npm run mutate -- io`: each
 * kind's `meta` as stored (key for key) and read back, the training state
 * and the best validation's parameters round-tripped, and every refusal by
 * its exact message, each reached on its own by a checkpoint written with
 * `encodeCheckpoint` around the one field that is wrong. Tiny untrained
 * networks only: the file runs in well under a second.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FormatError, OptionError } from '../src/core/errors.js';
import { Network, type NetworkOptions } from '../src/model/network.js';
import { decodeCheckpoint, encodeCheckpoint, readCheckpointHeader, type Checkpoint } from '../src/io/checkpoint.js';
import { crc32 } from '../src/io/crc32.js';
import { decodeModel, encodeModel, MODEL_KINDS, networksOf, paramSetsOf, readModelKind, type SavedModel } from '../src/io/model-file.js';
import { Seq2Seq, type Seq2SeqOptions } from '../src/seq2seq/model.js';
import { SequenceClassifier } from '../src/tasks/classify.js';
import { Forecaster } from '../src/tasks/forecast.js';
import { SymbolTable } from '../src/tasks/symbols.js';
import { buildTokenizer } from '../src/text/tokenizer.js';
import { createOptimizer } from '../src/train/optimizers.js';
import type { FitState } from '../src/train/fit-types.js';
import { refuses } from './helpers/refuses.js';

const W = 'f.rnn';

function net(options: Partial<NetworkOptions> = {}): Network {
  const n = new Network({ inputSize: 1, hiddenSize: 2, outputSize: 1, seed: 1, ...options } as NetworkOptions);
  n.params.data.set(Array.from({ length: n.params.size }, (_, i) => (i + 1) / 8));
  return n;
}

function rejects(c: Checkpoint | Uint8Array, message: string, type: typeof FormatError | typeof OptionError = FormatError): void {
  const bytes = c instanceof Uint8Array ? c : encodeCheckpoint(c);
  refuses(() => decodeModel(bytes, { what: W }), type, message);
}

function state(size: number, dtype: 'float32' | 'float64' = 'float32'): FitState {
  return { step: 3, rngState: [1, 2, 3, 4], optimizer: createOptimizer({ kind: 'sgd' }, size, dtype).getState() };
}

// ---------------------------------------------------------------- text

test('text: meta { kind, tokenizer }, read back; the old kind name; each refusal', () => {
  assert.deepEqual(MODEL_KINDS, ['text', 'forecaster', 'classifier', 'seq2seq']);
  const tokenizer = buildTokenizer('abcab', { kind: 'char' });
  const V = tokenizer.vocabSize;
  const n = net({ inputSize: V, outputSize: V, loss: 'cross-entropy' });
  const bytes = encodeModel({ kind: 'text', net: n, tokenizer });
  const header = readCheckpointHeader(bytes);
  assert.deepEqual(header.meta, { kind: 'text', tokenizer: tokenizer.toJSON() });
  assert.deepEqual(header.networks.map((x) => x.name), ['model']);
  assert.equal('extra' in header, false);
  assert.equal('step' in header, false);
  const file = decodeModel(bytes);
  assert.deepEqual(Object.keys(file), ['model', 'extra']);
  assert.deepEqual(file.extra, {});
  if (file.model.kind !== 'text') throw new Error('kind');
  assert.deepEqual(file.model.tokenizer.symbols, tokenizer.symbols);
  assert.deepEqual(Array.from(file.model.net.params.data), Array.from(n.params.data));
  assert.equal(readModelKind(bytes), 'text');
  assert.equal(readModelKind(bytes.slice().buffer), 'text');
  assert.equal(decodeModel(bytes.slice().buffer).model.kind, 'text');
  const old = encodeCheckpoint({ networks: { model: n }, meta: { kind: 'text-model', tokenizer: tokenizer.toJSON() } });
  assert.equal(decodeModel(old).model.kind, 'text');
  assert.equal(readModelKind(old), 'text');
  const meta = { kind: 'text', tokenizer: tokenizer.toJSON() };
  rejects({ networks: { other: n }, meta }, `${W}: a text model file needs a network "model"`);
  rejects({ networks: { model: net({ inputSize: V - 1, outputSize: V, loss: 'cross-entropy' }) }, meta }, `${W}: the vocabulary has ${V} symbols but the network maps ${V - 1} inputs to ${V} softmax outputs`);
  rejects({ networks: { model: net({ inputSize: V, outputSize: V + 1, loss: 'cross-entropy' }) }, meta }, `${W}: the vocabulary has ${V} symbols but the network maps ${V} inputs to ${V + 1} softmax outputs`);
  rejects({ networks: { model: net({ inputSize: V, outputSize: V }) }, meta }, `${W}: the vocabulary has ${V} symbols but the network maps ${V} inputs to ${V} linear outputs`);
  rejects({ networks: { model: n }, meta: { kind: 'text' } }, 'the model file\'s vocabulary is missing or malformed (expected {kind, symbols: string[]})');
});

test('unknown kinds, old pronounce files, damaged files: one line naming the file', () => {
  const n = net();
  const kinds = 'expected one of text, forecaster, classifier, seq2seq';
  rejects({ networks: { model: n }, meta: { kind: 'video' } }, `${W}: holds no model kind this version knows (meta.kind is "video"; ${kinds})`);
  rejects({ networks: { model: n }, meta: { kind: 7 } }, `${W}: holds no model kind this version knows (meta.kind is 7; ${kinds})`);
  rejects({ networks: { model: n }, meta: ['text'] }, `${W}: holds no model kind this version knows (meta.kind is undefined; ${kinds})`);
  rejects({ networks: { model: n } }, `${W}: holds no model kind this version knows (meta.kind is undefined; ${kinds})`);
  refuses(() => readModelKind(encodeCheckpoint({ networks: { model: n }, meta: { kind: 'toString' } }), W), FormatError,
    `${W}: holds no model kind this version knows (meta.kind is "toString"; ${kinds})`);
  const oldLine = 'an old pronounce model (JSON, format "recurrent-seq2seq"), which this version no longer reads; retrain it with `rnnkit pronounce -o cmu.rnn`';
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  for (const text of ['{"format": "recurrent-seq2seq", "weights": []}', ' \t\r\n{"format" :"recurrent-seq2seq"}', `{"weights": [${'0,'.repeat(3000)}0], "format": "recurrent-seq2seq"}`]) {
    refuses(() => decodeModel(enc(text), { what: W }), FormatError, `${W}: ${oldLine}`);
    refuses(() => readModelKind(enc(text), W), FormatError, `${W}: ${oldLine}`);
  }
  // the format named near the start of a long file (its last 4096 bytes do not name it), with or without spaces around ":"
  const tail = `, "weights": [${'0,'.repeat(3000)}0]}`;
  for (const head of ['{"format":"recurrent-seq2seq"', '\n {"format" : "recurrent-seq2seq"', '{"format"\t:\n\n"recurrent-seq2seq"']) {
    refuses(() => decodeModel(enc(head + tail), { what: W }), FormatError, `${W}: ${oldLine}`);
  }
  refuses(() => decodeModel(enc('{"format": "recurrent-seq2seq"}')), FormatError, `the model file: ${oldLine}`);
  refuses(() => readModelKind(enc('{"format": "recurrent-seq2seq"}')), FormatError, `the model file: ${oldLine}`);
  // the format named in neither the first nor the last 4096 bytes, or not JSON at all: just not a model file
  const magic = 'not an rnnkit model file: the data does not start with the checkpoint signature 89 52 4E 4E 0D 0A 1A 0A';
  const middle = `{"a": "${'x'.repeat(5000)}", "format": "recurrent-seq2seq", "b": "${'y'.repeat(5000)}"}`;
  for (const text of [middle, 'x{"format": "recurrent-seq2seq"}', '{"format": "other"}', '   ']) {
    refuses(() => decodeModel(enc(text), { what: W }), FormatError, `${W}: ${magic}`);
  }
  refuses(() => decodeModel(enc('{}')), FormatError, `the model file: ${magic}`);
  refuses(() => readModelKind(enc('{}')), FormatError, `the model file: ${magic}`);
  // decode options reach the checkpoint reader
  const bytes = encodeCheckpoint({ networks: { model: n }, meta: { kind: 'forecaster' } });
  const L = new DataView(bytes.buffer).getUint32(12, true);
  refuses(() => decodeModel(bytes, { what: W, maxHeaderBytes: 10 }), FormatError,
    `${W}: checkpoint header is too large: it declares ${L} bytes, the limit is 10 (decode option maxHeaderBytes)`);
  // a parameter that is not finite (written past the encoder's own check)
  const good = encodeModel(forecaster());
  const h = readCheckpointHeader(good);
  const start = good.length - h.payload.length;
  const payload = good.slice(start);
  new DataView(payload.buffer).setFloat32(4 * 5, NaN, true); // layer0.W[1][1]: U is 1×2, W 2×2
  const text = JSON.stringify({ ...h, payload: { length: payload.length, crc32: crc32(payload) } });
  const headerBytes = new TextEncoder().encode(text);
  const out = new Uint8Array(Math.ceil((20 + headerBytes.length) / 8) * 8 + payload.length);
  out.set(good.subarray(0, 12));
  new DataView(out.buffer).setUint32(12, headerBytes.length, true);
  new DataView(out.buffer).setUint32(16, crc32(headerBytes), true);
  out.set(headerBytes, 20);
  out.set(payload, out.length - payload.length);
  rejects(out, `${W}: parameter layer0.W[1][1] of network "model" is NaN, not a finite number; the file was saved from a run that diverged or is damaged — retrain the model`);
  assert.ok(Number.isNaN(decodeCheckpoint(out).networks.model!.params.view('layer0.W')[3]!), 'the checkpoint reader alone does not look at values');
});

// ---------------------------------------------------------------- forecaster

function forecaster(options: { strategy?: 'recursive' | 'direct'; details?: ConstructorParameters<typeof Forecaster>[5] } = {}): SavedModel {
  const strategy = options.strategy ?? 'recursive';
  const n = net({ outputSize: strategy === 'direct' ? 3 : 1, dtype: 'float32' });
  return { kind: 'forecaster', forecaster: new Forecaster(n, { kind: 'zscore', shift: 2, scale: 3 }, 4, 3, strategy, options.details ?? {}) };
}

const DETAILS = { period: 7, column: 'y', time: { kind: 'date' as const, last: '2020-01-31', stepDays: 1 }, calibration: [[1, 2, 0], [0, 3, 4]] };

test('forecaster: meta key for key, with and without details, read back', () => {
  const full = encodeModel(forecaster({ details: DETAILS }));
  assert.deepEqual(JSON.stringify(readCheckpointHeader(full).meta),
    '{"kind":"forecaster","scaler":{"kind":"zscore","shift":2,"scale":3},"window":4,"horizon":3,"strategy":"recursive","period":7,"column":"y","time":{"kind":"date","last":"2020-01-31","stepDays":1},"calibration":[[1,2,0],[0,3,4]]}');
  const file = decodeModel(full);
  if (file.model.kind !== 'forecaster') throw new Error('kind');
  const f = file.model.forecaster;
  assert.deepEqual([f.scaler, f.window, f.horizon, f.strategy], [{ kind: 'zscore', shift: 2, scale: 3 }, 4, 3, 'recursive']);
  assert.deepEqual(f.details, DETAILS);
  assert.equal(readModelKind(full), 'forecaster');
  const saved = forecaster();
  if (saved.kind !== 'forecaster') throw new Error('kind');
  assert.deepEqual(paramSetsOf(saved), [saved.forecaster.net.params]);
  assert.deepEqual(Object.keys(networksOf(saved)), ['model']);
  assert.equal(networksOf(saved)['model'], saved.forecaster.net);
  const bare = encodeModel(forecaster({ strategy: 'direct' }));
  assert.deepEqual(JSON.stringify(readCheckpointHeader(bare).meta),
    '{"kind":"forecaster","scaler":{"kind":"zscore","shift":2,"scale":3},"window":4,"horizon":3,"strategy":"direct"}');
  const back = decodeModel(bare).model;
  if (back.kind !== 'forecaster') throw new Error('kind');
  assert.deepEqual(back.forecaster.details, {});
  assert.equal(back.forecaster.strategy, 'direct');
  assert.deepEqual(Array.from(back.forecaster.net.params.data), Array.from((forecaster({ strategy: 'direct' }) as { forecaster: Forecaster }).forecaster.net.params.data));
  // a numeric time axis; a period or column of the wrong type is left out
  const n = net();
  const base = { kind: 'forecaster', scaler: { kind: 'none', shift: 0, scale: 1 }, window: 1, horizon: 1, strategy: 'recursive' };
  const other = decodeModel(encodeCheckpoint({ networks: { model: n }, meta: { ...base, period: 0, column: 5, time: { kind: 'number', last: -3, step: 0.5 } } })).model;
  if (other.kind !== 'forecaster') throw new Error('kind');
  assert.deepEqual(other.forecaster.details, { time: { kind: 'number', last: -3, step: 0.5 } });
  const minmax = decodeModel(encodeCheckpoint({ networks: { model: n }, meta: { ...base, scaler: { kind: 'minmax', shift: -1, scale: -2 }, period: 2.5 } })).model;
  if (minmax.kind !== 'forecaster') throw new Error('kind');
  assert.deepEqual([minmax.forecaster.scaler, minmax.forecaster.details], [{ kind: 'minmax', shift: -1, scale: -2 }, {}]);
});

test('forecaster: each refusal by its message', () => {
  const n = net();
  const base = { kind: 'forecaster', scaler: { kind: 'zscore', shift: 0, scale: 1 }, window: 2, horizon: 2, strategy: 'recursive' };
  const file = (meta: Record<string, unknown>, model: Network = n): Checkpoint => ({ networks: { model }, meta: { ...base, ...meta } });
  decodeModel(encodeCheckpoint(file({})));
  rejects({ networks: { m: n }, meta: base }, `${W}: a forecaster model file needs a network "model"`);
  const scaler = `${W}: meta.scaler must be { kind, shift, scale } with a non-zero finite scale`;
  for (const s of [null, [1], { kind: 'log', shift: 0, scale: 1 }, { kind: 'zscore', shift: '0', scale: 1 }, { kind: 'zscore', shift: 0, scale: 0 }, { kind: 'zscore', shift: 0 }, { kind: 'zscore', shift: 0, scale: 1e400 }]) {
    rejects(file({ scaler: s }), scaler);
  }
  for (const v of [0, -1, 1.5, '2', undefined]) {
    rejects(file({ window: v }), `${W}: meta.window must be a positive integer`);
    rejects(file({ horizon: v }), `${W}: meta.horizon must be a positive integer`);
  }
  rejects(file({ window: 2 ** 53 }), `${W}: meta.window must be a positive integer`);
  rejects(file({ strategy: 'seq' }), `${W}: meta.strategy must be one of recursive, direct`);
  rejects(file({ strategy: 'direct', horizon: 3 }), `${W}: a direct forecaster of horizon 3 needs a network from 1 input to 3 outputs, found 1 → 1`);
  rejects(file({}, net({ inputSize: 2 })), `${W}: a recursive forecaster of horizon 2 needs a network from 1 input to 1 outputs, found 2 → 1`);
  rejects(file({}, net({ outputSize: 2 })), `${W}: a recursive forecaster of horizon 2 needs a network from 1 input to 1 outputs, found 1 → 2`);
  decodeModel(encodeCheckpoint(file({ strategy: 'direct' }, net({ outputSize: 2 }))));
  // a number too large for a float64 is Infinity once parsed: not a finite scale
  const big = encodeCheckpoint(file({ scaler: { kind: 'zscore', shift: 0, scale: 12345 } }));
  const L = new DataView(big.buffer).getUint32(12, true);
  const text = new TextDecoder().decode(big.subarray(20, 20 + L)).replace('12345', '1e400');
  const hb = new TextEncoder().encode(text);
  const rebuilt = new Uint8Array(Math.ceil((20 + hb.length) / 8) * 8 + (big.length - Math.ceil((20 + L) / 8) * 8));
  rebuilt.set(big.subarray(0, 12));
  new DataView(rebuilt.buffer).setUint32(12, hb.length, true);
  new DataView(rebuilt.buffer).setUint32(16, crc32(hb), true);
  rebuilt.set(hb, 20);
  rebuilt.set(big.subarray(Math.ceil((20 + L) / 8) * 8), Math.ceil((20 + hb.length) / 8) * 8);
  rejects(rebuilt, scaler);
  const cal = `${W}: meta.calibration must be arrays of absolute errors, one per step ahead`;
  for (const c of [3, [3], [[1, -1]], [[1, null]], [['1']], { 0: [1] }, [[1], [-1]], [[1], 3]]) rejects(file({ calibration: c }), cal);
  const time = `${W}: meta.time must be { kind: "date", last, stepDays } or { kind: "number", last, step }`;
  for (const t of [null, 'x', [1], { kind: 'date', last: 5, stepDays: 1 }, { kind: 'date', last: '2020-01-01', stepDays: 0 }, { kind: 'date', last: '2020-01-01', stepDays: 1.5 },
    { kind: 'number', last: 'x', step: 1 }, { kind: 'number', last: 1, step: 0 }, { kind: 'number', last: 1, step: -1 }, { kind: 'number', last: 1 }, { kind: 'week', last: 1, step: 1 }]) {
    rejects(file({ time: t }), time);
  }
});

// ---------------------------------------------------------------- classifier

function classifier(kind: 'symbols' | 'features' = 'symbols'): { model: SavedModel; n: Network } {
  const D = kind === 'symbols' ? 3 : 2;
  const n = net({ inputSize: D, outputSize: 2, loss: 'cross-entropy' });
  const info = kind === 'symbols'
    ? { classNames: ['no', 'yes'], input: { kind: 'symbols' as const, symbols: ['a', 'b', 'c'] } }
    : { classNames: ['no', 'yes'], input: { kind: 'features' as const, names: ['speed', 'load'] } };
  const stats = kind === 'symbols' ? [] : [{ mean: 1, sd: 2 }, { mean: -1, sd: 0.5 }];
  return { n, model: { kind: 'classifier', classifier: new SequenceClassifier(n, kind, 2, stats, 'mean', info) } };
}

test('classifier: meta key for key for symbol and feature input, read back', () => {
  const { model, n } = classifier();
  const bytes = encodeModel(model);
  assert.equal(JSON.stringify(readCheckpointHeader(bytes).meta),
    '{"kind":"classifier","classNames":["no","yes"],"input":{"kind":"symbols","symbols":["a","b","c"]},"featureStats":[],"pooling":"mean"}');
  const back = decodeModel(bytes).model;
  if (back.kind !== 'classifier') throw new Error('kind');
  const c = back.classifier;
  assert.deepEqual([c.inputKind, c.classes, c.featureStats, c.pooling, c.info], ['symbols', 2, [], 'mean', { classNames: ['no', 'yes'], input: { kind: 'symbols', symbols: ['a', 'b', 'c'] } }]);
  assert.deepEqual(Array.from(c.net.params.data), Array.from(n.params.data));
  if (model.kind !== 'classifier') throw new Error('kind');
  assert.deepEqual(paramSetsOf(model), [model.classifier.net.params]);
  assert.equal(networksOf(model)['model'], model.classifier.net);
  const f = classifier('features');
  const fb = encodeModel(f.model);
  assert.equal(JSON.stringify(readCheckpointHeader(fb).meta),
    '{"kind":"classifier","classNames":["no","yes"],"input":{"kind":"features","names":["speed","load"]},"featureStats":[{"mean":1,"sd":2},{"mean":-1,"sd":0.5}],"pooling":"mean"}');
  const fback = decodeModel(fb).model;
  if (fback.kind !== 'classifier') throw new Error('kind');
  assert.deepEqual([fback.classifier.inputKind, fback.classifier.featureStats, fback.classifier.info.input], ['features', [{ mean: 1, sd: 2 }, { mean: -1, sd: 0.5 }], { kind: 'features', names: ['speed', 'load'] }]);
  // what encodeModel refuses
  const n3 = net({ inputSize: 3, outputSize: 2, loss: 'cross-entropy' });
  refuses(() => encodeModel({ kind: 'classifier', classifier: new SequenceClassifier(n3, 'symbols', 2, [], 'last', { classNames: ['a', 'b', 'c'], input: { kind: 'symbols', symbols: ['a', 'b', 'c'] } }) }), OptionError,
    'the classifier has 2 classes but 3 class names');
  refuses(() => encodeModel({ kind: 'classifier', classifier: new SequenceClassifier(n3, 'symbols', 2, [], 'last', { classNames: ['a', 'b'], input: { kind: 'symbols', symbols: ['a', 'b'] } }) }), OptionError,
    'the classifier reads 3 symbols but its symbol table has 2');
  encodeModel({ kind: 'classifier', classifier: new SequenceClassifier(net({ inputSize: 2, outputSize: 2 }), 'features', 2, [{ mean: 0, sd: 1 }, { mean: 0, sd: 1 }], 'last') });
});

test('classifier: each refusal by its message', () => {
  const n = net({ inputSize: 3, outputSize: 2, loss: 'cross-entropy' });
  const base = { kind: 'classifier', classNames: ['no', 'yes'], input: { kind: 'symbols', symbols: ['a', 'b', 'c'] }, featureStats: [], pooling: 'last' };
  const file = (meta: Record<string, unknown>, model: Network = n): Checkpoint => ({ networks: { model }, meta: { ...base, ...meta } });
  decodeModel(encodeCheckpoint(file({})));
  rejects({ networks: { net: n }, meta: base }, `${W}: a classifier model file needs a network "model"`);
  for (const names of [['no'], ['no', 'yes', 'maybe'], ['no', 2], 'no,yes']) rejects(file({ classNames: names }), `${W}: meta.classNames must be 2 class names (one per output)`);
  rejects(file({ classNames: ['only'] }, net({ inputSize: 3, outputSize: 1 })), `${W}: meta.classNames must be 1 class names (one per output)`);
  rejects(file({ pooling: 'max' }), `${W}: meta.pooling must be one of last, mean`);
  const input = `${W}: meta.input must be { kind: "symbols", symbols } or { kind: "features", names }`;
  for (const i of [null, ['symbols'], { kind: 'pixels' }]) rejects(file({ input: i }), input);
  for (const s of [['a', 'b'], ['a', 'b', 3], undefined]) rejects(file({ input: { kind: 'symbols', symbols: s } }), `${W}: meta.input.symbols must be 3 strings (one per input)`);
  rejects(file({ input: { kind: 'symbols', symbols: ['a', 'b', 'c'] }, featureStats: [{ mean: 0, sd: 1 }] }), `${W}: meta.featureStats must be 0 { mean, sd } pairs with sd > 0`);
  rejects(file({ featureStats: undefined }), `${W}: meta.featureStats must be 0 { mean, sd } pairs with sd > 0`);
  const features = { kind: 'features', names: ['x', 'y', 'z'] };
  const ok = [{ mean: 0, sd: 1 }, { mean: 1, sd: 2 }, { mean: -1, sd: 0.1 }];
  const fine = decodeModel(encodeCheckpoint(file({ input: features, featureStats: ok }))).model;
  if (fine.kind !== 'classifier') throw new Error('kind');
  assert.deepEqual([fine.classifier.inputKind, fine.classifier.featureStats], ['features', ok]);
  for (const names of [['x', 'y'], ['x', 'y', null]]) rejects(file({ input: { kind: 'features', names } }), `${W}: meta.input.names must be 3 feature names`);
  const stats = `${W}: meta.featureStats must be 3 { mean, sd } pairs with sd > 0`;
  for (const s of [ok.slice(0, 2), [...ok.slice(0, 2), { mean: 0, sd: 0 }], [...ok.slice(0, 2), { mean: 0, sd: -1 }], [...ok.slice(0, 2), { mean: 'x', sd: 1 }], [...ok.slice(0, 2), { mean: 0 }], [...ok.slice(0, 2), 7], 'x']) {
    rejects(file({ input: features, featureStats: s }), stats);
  }
});

// ---------------------------------------------------------------- seq2seq

function seq2seq(options: Partial<Seq2SeqOptions> = {}): SavedModel & { kind: 'seq2seq' } {
  const model = new Seq2Seq({ cell: 'gru', sourceVocabSize: 3, targetVocabSize: 2, hiddenSize: 2, dtype: 'float64', seed: 4, ...options });
  return { kind: 'seq2seq', model, source: new SymbolTable(['a', 'b', 'c']), target: new SymbolTable(['X', 'Y']), maxSourceLength: 5, maxTargetLength: 4 };
}

test('seq2seq: encoder as a network with a zero 1-column output layer, decoder, meta; read back; bidirectional with attention', () => {
  const s = seq2seq();
  const bytes = encodeModel(s);
  const header = readCheckpointHeader(bytes);
  assert.deepEqual(header.meta, { kind: 'seq2seq', source: ['a', 'b', 'c'], target: ['X', 'Y'], maxSourceLength: 5, maxTargetLength: 4 });
  assert.deepEqual(header.networks.map((x) => x.name), ['encoder', 'decoder']);
  const carrier = networksOf(s)['encoder']!;
  assert.deepEqual(carrier.config, { cell: 'gru', inputSize: 3, hiddenSize: 2, outputSize: 1, layers: 1, hiddenActivation: 'tanh', outputActivation: 'linear', loss: 'mse', bias: true, dtype: 'float64' });
  assert.deepEqual(Array.from(carrier.params.view('V')), [0, 0]);
  assert.deepEqual(Array.from(carrier.params.view('b_o')), [0]);
  assert.deepEqual(Array.from(carrier.params.view('layer0.W')), Array.from(s.model.encoder.params.view('encoder.layer0.W')));
  assert.deepEqual(Array.from(carrier.params.view('layer0.b_hn')), Array.from(s.model.encoder.params.view('encoder.layer0.b_hn')));
  assert.equal(networksOf(s)['decoder'], s.model.decoder);
  const back = decodeModel(bytes).model;
  if (back.kind !== 'seq2seq') throw new Error('kind');
  assert.deepEqual([back.source.symbols, back.target.symbols, back.maxSourceLength, back.maxTargetLength], [['a', 'b', 'c'], ['X', 'Y'], 5, 4]);
  assert.deepEqual(Array.from(back.model.encoder.params.data), Array.from(s.model.encoder.params.data));
  assert.deepEqual(Array.from(back.model.decoder.params.data), Array.from(s.model.decoder.params.data));
  assert.deepEqual([back.model.bidirectional, back.model.attention, back.model.dtype], [false, null, 'float64']);
  assert.deepEqual(paramSetsOf(s), [s.model.encoder.params, s.model.decoder.params]);

  const both = seq2seq({ cell: 'lstm', bidirectional: true, attention: 'luong', layers: 2, dtype: 'float32' });
  const b2 = encodeModel(both);
  const h2 = readCheckpointHeader(b2);
  assert.deepEqual(h2.meta, { kind: 'seq2seq', source: ['a', 'b', 'c'], target: ['X', 'Y'], maxSourceLength: 5, maxTargetLength: 4, bidirectional: true, attention: 'luong' });
  assert.deepEqual(h2.networks.map((x) => x.name), ['encoder', 'decoder', 'attention']);
  const enc = networksOf(both)['encoder']!;
  assert.deepEqual([enc.config.bidirectional, enc.config.layers, enc.config.cell, enc.config.dtype], [true, 2, 'lstm', 'float32']);
  const att = networksOf(both)['attention']!;
  assert.deepEqual([att.config.inputSize, att.config.hiddenSize, att.config.outputSize, att.config.bias, att.config.dtype], [both.model.attention!.params.size, 1, 1, false, 'float32']);
  assert.deepEqual(Array.from(att.params.view('layer0.U')), Array.from(both.model.attention!.params.data));
  assert.deepEqual(Array.from(att.params.view('layer0.W')), [0]);
  assert.deepEqual(Array.from(att.params.view('V')), [0]);
  const back2 = decodeModel(b2).model;
  if (back2.kind !== 'seq2seq') throw new Error('kind');
  assert.equal(back2.model.bidirectional, true);
  assert.deepEqual(Array.from(back2.model.attention!.params.data), Array.from(both.model.attention!.params.data));
  assert.deepEqual(Array.from(back2.model.encoder.params.data), Array.from(both.model.encoder.params.data));
  assert.deepEqual(paramSetsOf(both), [both.model.encoder.params, both.model.decoder.params, both.model.attention!.params]);
  refuses(() => encodeModel({ ...s, source: new SymbolTable(['a', 'b']) }), OptionError, 'the symbol tables (2 source, 2 target) do not fit the model (3, 2)');
  refuses(() => encodeModel({ ...s, target: new SymbolTable(['X', 'Y', 'Z']) }), OptionError, 'the symbol tables (3 source, 3 target) do not fit the model (3, 2)');
});

test('seq2seq: each refusal by its message', () => {
  const s = seq2seq();
  const networks = networksOf(s);
  const base = { kind: 'seq2seq', source: ['a', 'b', 'c'], target: ['X', 'Y'], maxSourceLength: 5, maxTargetLength: 4 };
  const file = (meta: Record<string, unknown>, nets: Record<string, Network> = networks): Checkpoint => ({ networks: nets, meta: { ...base, ...meta } });
  rejects(file({}, { encoder: networks['encoder']! }), `${W}: a seq2seq model file needs a network "decoder"`);
  rejects(file({}, { decoder: networks['decoder']! }), `${W}: a seq2seq model file needs a network "encoder"`);
  rejects(file({ source: 'abc' }), `${W}: meta.source must be the source symbols (strings)`);
  rejects(file({ source: ['a', 1, 'c'] }), `${W}: meta.source must be the source symbols (strings)`);
  rejects(file({ target: null }), `${W}: meta.target must be the target symbols (strings)`);
  for (const [a, b] of [[0, 4], [5, 0], [1.5, 4], [5, '4']]) {
    rejects(file({ maxSourceLength: a, maxTargetLength: b }), `${W}: meta.maxSourceLength and maxTargetLength must be positive integers`);
  }
  const fit = (src: number, tgt: number, dIn = 3): string => `${W}: the encoder (gru, 3 inputs) and decoder (gru, ${dIn} symbols) do not fit ${src} source and ${tgt} target symbols`;
  rejects(file({ source: ['a', 'b'] }), fit(2, 2));
  rejects(file({ target: ['X'] }), fit(3, 1));
  rejects(file({ target: ['X', 'Y', 'Z'] }), fit(3, 3));
  // the decoder must be the encoder's twin: cell, width, depth, dtype, biases, activation; outputs = inputs
  const dec = (o: Partial<NetworkOptions>): Network => new Network({ cell: 'gru', inputSize: 3, hiddenSize: 2, outputSize: 3, layers: 1, loss: 'cross-entropy', dtype: 'float64', seed: 1, ...o } as NetworkOptions);
  decodeModel(encodeCheckpoint(file({}, { encoder: networks['encoder']!, decoder: dec({}) })));
  for (const o of [{ outputSize: 4 }, { cell: 'lstm' }, { hiddenSize: 3 }, { layers: 2 }, { dtype: 'float32' }, { bias: false }, { hiddenActivation: 'relu' }] as Partial<NetworkOptions>[]) {
    const cell = o.cell ?? 'gru';
    rejects(file({}, { encoder: networks['encoder']!, decoder: dec(o) }), `${W}: the encoder (gru, 3 inputs) and decoder (${cell}, 3 symbols) do not fit 3 source and 2 target symbols`);
  }
  rejects(file({ attention: 3 }), `${W}: meta.attention must be the attention kind (a string)`);
  rejects(file({ attention: 'bahdanau' }), `${W}: this version cannot build the encoder–decoder it describes (attention must be one of none, luong, got "bahdanau")`);
  rejects(file({ attention: 'luong' }), `${W}: a seq2seq model file needs a network "attention"`);
  decodeModel(encodeCheckpoint(file({ attention: 'none' })));
  // the encoder's parameters must be the ones the model makes
  const before = new Network({ cell: 'gru', variant: 'reset-before', inputSize: 3, hiddenSize: 2, outputSize: 1, loss: 'mse', dtype: 'float64', seed: 1 });
  rejects(file({}, { encoder: before, decoder: networks['decoder']! }), `${W}: the encoder lacks parameter layer0.b_hn`);
  rejects(file({}, { encoder: networks['encoder']!, decoder: dec({ variant: 'reset-before' }) }), `${W}: the decoder's parameters holds 45 values, expected 47`);
  // a bidirectional carrier read as a one-way encoder: the layer above the first is too wide
  const bi = seq2seq({ bidirectional: true, layers: 2 });
  const biNets = networksOf(bi);
  rejects(file({}, biNets), `${W}: encoder layer1.W holds 36 values, expected 24`);
  const att = seq2seq({ attention: 'luong' });
  const attNets = networksOf(att);
  const small = new Network({ cell: 'rnn', inputSize: 3, hiddenSize: 1, outputSize: 1, bias: false, hiddenActivation: 'linear', outputActivation: 'linear', loss: 'mse', dtype: 'float64' });
  rejects(file({ attention: 'luong' }, { ...attNets, attention: small }), `${W}: the attention parameters holds 3 values, expected ${att.model.attention!.params.size}`);
});

// ---------------------------------------------------------------- training state

test('training state: step, generator and optimizer; the caller\'s extra; the best validation\'s and the stopping point\'s parameters', () => {
  const tokenizer = buildTokenizer('ab', { kind: 'char' });
  const V = tokenizer.vocabSize;
  const n = net({ inputSize: V, outputSize: V, loss: 'cross-entropy' });
  const model: SavedModel = { kind: 'text', net: n, tokenizer };
  const size = n.params.size;
  const plain = decodeModel(encodeModel(model, { state: state(size), extra: { run: 1 } }));
  assert.deepEqual(plain.extra, { run: 1 });
  assert.equal(plain.state!.step, 3);
  assert.deepEqual(plain.state!.rngState, [1, 2, 3, 4]);
  assert.equal(plain.state!.optimizer.kind, 'sgd');
  assert.equal('best' in plain.state!, false);
  assert.equal('params' in plain.state!, false);
  const h0 = readCheckpointHeader(encodeModel(model, { state: state(size), extra: { run: 1 } }));
  assert.deepEqual(Object.keys(h0.extra as object), ['fit', 'user']);
  assert.deepEqual((h0.extra as { user: unknown }).user, { run: 1 });
  assert.equal(h0.step, 3);
  assert.deepEqual(h0.networks.map((x) => x.name), ['model']);

  const best = Float32Array.from({ length: size }, (_, i) => -i);
  const stop = Float32Array.from({ length: size }, (_, i) => i * 2);
  const full = { ...state(size), best: { step: 2, loss: 0.25, params: [best] }, params: [stop] };
  const bytes = encodeModel(model, { state: full });
  const h = readCheckpointHeader(bytes);
  assert.deepEqual(h.networks.map((x) => [x.name, x.config.inputSize]), [['model', V], ['best.0', size], ['train.0', size]]);
  assert.deepEqual(Object.keys(h.extra as object), ['fit', 'best']);
  assert.deepEqual((h.extra as { best: unknown }).best, { step: 2, loss: 0.25 });
  const back = decodeModel(bytes);
  assert.deepEqual(back.extra, {});
  assert.deepEqual([back.state!.best!.step, back.state!.best!.loss], [2, 0.25]);
  assert.ok(back.state!.best!.params[0] instanceof Float32Array);
  assert.deepEqual(Array.from(back.state!.best!.params[0]!), Array.from(best));
  assert.deepEqual(Array.from(back.state!.params![0]!), Array.from(stop));
  // a float64 seq2seq: one array per parameter set, each in its dtype
  const s = seq2seq();
  const sets = paramSetsOf(s);
  const sizes = sets.map((p) => p.size);
  const sstate = { ...state(sizes[0]! + sizes[1]!, 'float64'), best: { step: 1, loss: 2, params: sets.map((p) => p.data.map((v) => v + 1)) }, params: sets.map((p) => p.data.map((v) => v * 3)) };
  const sb = encodeModel(s, { state: sstate });
  assert.deepEqual(readCheckpointHeader(sb).networks.map((x) => x.name), ['encoder', 'decoder', 'best.0', 'best.1', 'train.0', 'train.1']);
  const sback = decodeModel(sb);
  assert.ok(sback.state!.best!.params[1] instanceof Float64Array);
  assert.deepEqual(sback.state!.best!.params.map((p) => Array.from(p)), sstate.best.params.map((p) => Array.from(p)));
  assert.deepEqual(sback.state!.params!.map((p) => Array.from(p)), sstate.params.map((p) => Array.from(p)));
});

test('training state: each refusal by its message', () => {
  const n = net({ inputSize: 2, outputSize: 2, loss: 'cross-entropy' });
  const tokenizer = buildTokenizer('a', { kind: 'char' });
  assert.equal(tokenizer.vocabSize, 2);
  const model: SavedModel = { kind: 'text', net: n, tokenizer };
  const size = n.params.size;
  const v = (k: number): Float32Array => new Float32Array(k);
  refuses(() => encodeModel(model, { state: { ...state(size), best: { step: 1, loss: 1, params: [v(size), v(size)] } } }), OptionError,
    'state.best holds 2 parameter arrays, expected one per parameter set (1)');
  refuses(() => encodeModel(model, { state: { ...state(size), best: { step: 1, loss: 1, params: [v(size - 1)] } } }), OptionError,
    `state.best.params[0] holds ${size - 1} values, expected ${size}`);
  refuses(() => encodeModel(model, { state: { ...state(size), params: [] } }), OptionError, 'state.params holds 0 arrays, expected one per parameter set (1)');
  refuses(() => encodeModel(model, { state: { ...state(size), params: [v(size + 1)] } }), OptionError, `state.params[0] holds ${size + 1} values, expected ${size}`);
  // files whose extra or networks do not hold what the state says
  const meta = { kind: 'text', tokenizer: tokenizer.toJSON() };
  const opt = state(size).optimizer;
  const carrier = (k: number): Network => new Network({ cell: 'rnn', inputSize: k, hiddenSize: 1, outputSize: 1, bias: false, hiddenActivation: 'linear', outputActivation: 'linear', loss: 'mse' });
  const ck = (extra: unknown, more: Record<string, Network> = {}): Checkpoint => ({ networks: { model: n, ...more }, meta, step: 1, rngState: [1, 1, 1, 1], optimizer: opt, extra });
  rejects(ck({ best: { step: 1, loss: 1 } }), `${W}: the best validation's parameters (network "best.0", ${size} values) are missing`);
  rejects(ck({ best: { step: 1, loss: 1 } }, { 'best.0': carrier(size - 1) }), `${W}: the best validation's parameters (network "best.0", ${size} values) are missing`);
  rejects(ck({ best: { step: '1', loss: 1 } }, { 'best.0': carrier(size) }), `${W}: extra.best must hold a step and a loss`);
  rejects(ck({ best: { step: 1 } }, { 'best.0': carrier(size) }), `${W}: extra.best must hold a step and a loss`);
  rejects(ck({}, { 'train.0': carrier(size + 1) }), `${W}: the parameters where training stopped (network "train.0", ${size} values) are missing`);
  const ok = decodeModel(encodeCheckpoint(ck({ best: { step: 4, loss: 0.5 }, user: 'not a record' }, { 'best.0': carrier(size) })));
  assert.deepEqual([ok.extra, ok.state!.best!.step, ok.state!.best!.loss, ok.state!.params], [{}, 4, 0.5, undefined]);
  assert.equal(decodeModel(encodeCheckpoint(ck({ best: [1] }))).state!.best, undefined);
  assert.deepEqual(decodeModel(encodeCheckpoint(ck('text'))).extra, {});
  // without a step there is no state, whatever extra says
  const noStep = decodeModel(encodeCheckpoint({ networks: { model: n }, meta, extra: { best: { step: 1, loss: 1 }, user: { a: 1 } } }));
  assert.deepEqual(Object.keys(noStep), ['model', 'extra']);
  assert.deepEqual(noStep.extra, { a: 1 });
  // a seq2seq file whose second stopping-point network is missing
  const s = seq2seq();
  const sets = paramSetsOf(s);
  const bytes = encodeModel(s, { state: { ...state(sets[0]!.size + sets[1]!.size, 'float64'), params: sets.map((p) => p.data.slice()) } });
  const c = decodeCheckpoint(bytes);
  const { 'train.1': _, ...rest } = c.networks;
  rejects({ ...c, networks: rest }, `${W}: the parameters where training stopped (network "train.1", ${sets[1]!.size} values) are missing`);
});
