import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertClose } from './helpers/approx.js';
import { Rng } from '../src/core/rng.js';
import { balancedClassWeights, classificationMetrics, majorityBaseline } from '../src/tasks/class-metrics.js';
import { predictLogistic, trainLogistic, bagOfCharacters } from '../src/tasks/logistic.js';
import { trainClassifier, classWeightedGradient, SequenceClassifier, type LabelledSequence } from '../src/tasks/classify.js';
import { SymbolTable } from '../src/tasks/symbols.js';
import { sensorWindows } from '../src/tasks/sensor-windows.js';
import { Network } from '../src/model/network.js';
import { numericGradient, relativeError } from '../src/model/gradcheck.js';
import { loadFirstNames, loadSensorNetwork } from '../src/node/stdlib-data.js';
import { parseTable, readFeatureSequences } from '../src/node/csv.js';

test('classification metrics by hand: accuracy, precision, recall, F1, confusion', () => {
  // true 0 0 0 1 1 2, predicted 0 1 0 1 2 2
  const m = classificationMetrics([0, 0, 0, 1, 1, 2], [0, 1, 0, 1, 2, 2], 3);
  assertClose(m.accuracy, 4 / 6, 1e-12);
  assert.deepEqual(m.confusion, [[2, 1, 0], [0, 1, 1], [0, 0, 1]]);
  assertClose([m.perClass[0]!.precision, m.perClass[0]!.recall], [1, 2 / 3], 1e-12, 'class 0');
  assertClose([m.perClass[1]!.precision, m.perClass[1]!.recall, m.perClass[1]!.f1], [1 / 2, 1 / 2, 1 / 2], 1e-12, 'class 1');
  assertClose([m.perClass[2]!.precision, m.perClass[2]!.recall, m.perClass[2]!.f1], [1 / 2, 1, 2 / 3], 1e-12, 'class 2');
  assert.deepEqual(balancedClassWeights([0, 0, 0, 1], 2), [4 / 6, 4 / 2]);
  assert.deepEqual(majorityBaseline([0, 0, 1], [1, 0, 0, 0], 2), { cls: 0, accuracy: 0.75 });
});

test('bag-of-characters logistic regression separates an order-free toy problem', () => {
  const vocab = new SymbolTable(['a', 'b']);
  const texts = ['aaab', 'aab', 'aaaa', 'bba', 'bbbb', 'abbb'].map((t) => vocab.encode(t));
  const labels = [0, 0, 0, 1, 1, 1];
  assertClose(Array.from(bagOfCharacters(vocab.encode('aab'), 2)), [2 / 3, 1 / 3], 1e-12, 'φ');
  const lr = trainLogistic(texts, labels, 2, 2, { iterations: 300 });
  assert.deepEqual(predictLogistic(lr, texts), labels);
});

test('class weights: the weighted gradient is Σ w_label · (each sequence’s gradient)', async () => {
  const items: LabelledSequence[] = [
    { input: [0, 1, 2], label: 0 }, { input: [2, 2], label: 1 }, { input: [1], label: 1 }, { input: [0, 0, 1, 2], label: 0 },
  ];
  const weights = [0.3, 2.5];
  const { classifier } = await trainClassifier(items, [], { classes: 2, inputKind: 'symbols', vocabSize: 3, hiddenSize: 3, batchSize: 4, classWeights: weights, dtype: 'float64', seed: 4, fit: { epochs: 1, learningRate: 1e-12 } });
  const net = classifier.net;
  const expected = new Float64Array(net.params.size);
  for (const it of items) {
    net.params.zeroGrad();
    net.gradient(classifier.batch([it], true));
    for (let i = 0; i < expected.length; i++) expected[i]! += weights[it.label]! * net.params.grad[i]!;
  }
  classWeightedGradient(classifier, items, weights);
  const sum = net.params.grad;
  assertClose(sum, expected, 1e-12, 'weighted gradient');
});

test('a masked batch gives each sequence the loss it has alone (many-to-one, last valid step)', () => {
  const net = new Network({ inputSize: 3, hiddenSize: 4, outputSize: 2, loss: 'cross-entropy', dtype: 'float64', seed: 2 });
  const clf = new SequenceClassifier(net, 'symbols', 2, []);
  const items: LabelledSequence[] = [{ input: [0, 1, 2, 1], label: 1 }, { input: [2], label: 0 }];
  const alone = items.map((it) => net.loss(clf.batch([it], true)).loss).reduce((a, b) => a + b, 0);
  assertClose(net.loss(clf.batch(items, true)).loss, alone, 1e-12, 'batched loss');
  const probs = clf.probabilities(items.map((it) => it.input));
  for (const p of probs) assertClose(p[0]! + p[1]!, 1, 1e-12, 'probabilities sum');
});

test('numeric sequences: JSONL steps and CSV with a sequence-id column', () => {
  const j = readFeatureSequences(parseTable('{"steps": [[1, 2], [3, 4]], "label": "a"}\n{"steps": [[5, 6]], "label": "b"}\n', 'f.jsonl', 'jsonl'), { labelColumn: 'label' });
  assert.deepEqual(j, [{ steps: [[1, 2], [3, 4]], label: 'a' }, { steps: [[5, 6]], label: 'b' }]);
  const c = readFeatureSequences(parseTable('id,x,y,label\ns1,1,2,up\ns2,9,9,down\ns1,3,4,up\n', 'f.csv', 'csv'), { idColumn: 'id', labelColumn: 'label' });
  assert.deepEqual(c, [{ steps: [[1, 2], [3, 4]], label: 'up' }, { steps: [[9, 9]], label: 'down' }]);
  assert.throws(() => readFeatureSequences(parseTable('{"steps": [[1, 2], [3]], "label": "a"}\n', 'g.jsonl', 'jsonl'), { labelColumn: 'label' }), /step 1 has 1 features, expected 2/);
  assert.throws(() => readFeatureSequences(parseTable('id,x,label\ns1,oops,a\n', 'g.csv', 'csv'), { idColumn: 'id', labelColumn: 'label' }), /column "x": "oops" is not a number/);
});

test('sensor windows: per mote, labelled by the last reading', () => {
  const rows = loadSensorNetwork();
  assert.equal(rows.length, 18914);
  const w = sensorWindows(rows, 16, 1);
  assert.equal(w.length, 18914 - 4 * 15);
  const anomalous = w.filter((x) => x.label === 1);
  assert.equal(anomalous.length, rows.filter((r) => r.label === 1 && r.reading >= 16).length);
  assert.deepEqual(w[0]!.steps[0], [rows[0]!.humidity, rows[0]!.temperature]);
});

test('sensor windows with a baseline: each reading minus the median of the mote\'s readings before the window', () => {
  const rows = [1, 2, 3, 4, 5, 6, 7].map((i) => ({ reading: i, mote_id: 1, humidity: [40, 44, 42, 41, 60, 61, 43][i - 1]!, temperature: 20 + i, label: i === 5 || i === 6 ? 1 : 0 }));
  const w = sensorWindows(rows, 2, 1, { baseline: 3 });
  // the first window ends at reading 5: its baseline is readings 1–3 (median humidity 42, temperature 22)
  assert.equal(w.length, 3);
  assert.deepEqual(w[0], { mote: 1, end: 5, steps: [[41 - 42, 24 - 22], [60 - 42, 25 - 22]], label: 1 });
  // the window ending at reading 7 takes readings 3–5 as its baseline (median humidity 42, temperature 24)
  assert.deepEqual(w[2]!.steps, [[61 - 42, 26 - 24], [43 - 42, 27 - 24]]);
  assert.throws(() => sensorWindows(rows, 2, 1, { baseline: -1 }), /baseline must be a whole number/);
});

test('first names: a recurrent classifier beats the majority class on held-out names (small slice)', async () => {
  const names = loadFirstNames();
  const both = new Set(names.filter((n) => n.label === 'female').map((n) => n.name));
  assert.ok(names.every((n) => n.label === 'female' || !both.has(n.name)), 'a name is on both lists');
  const sample = new Rng(3).shuffle([...names]).slice(0, 1600);
  const vocab = SymbolTable.fromSequences(sample.map((n) => n.name));
  const items = sample.map((n) => ({ input: vocab.encode(n.name), label: n.label === 'female' ? 0 : 1 }));
  const train = items.slice(0, 1200);
  const heldOut = items.slice(1200);
  const { classifier } = await trainClassifier(train, [], { classes: 2, inputKind: 'symbols', vocabSize: vocab.size, cell: 'gru', hiddenSize: 24, seed: 1, fit: { epochs: 4, learningRate: 0.01 } });
  const acc = classificationMetrics(heldOut.map((i) => i.label), classifier.predict(heldOut.map((i) => i.input)), 2).accuracy;
  const majority = majorityBaseline(train.map((i) => i.label), heldOut.map((i) => i.label), 2).accuracy;
  assert.ok(acc > majority + 0.05, `accuracy ${acc} vs majority ${majority}`);
});

test('classify CLI: trains on a small JSONL of feature sequences; bad input is one line and exit 1', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { main } = await import('../src/cli/main.js');
  const dir = mkdtempSync(join(tmpdir(), 'rnnkit-classify-'));
  const rng = new Rng(9);
  // label "up" when the sequence rises, "down" when it falls
  const lines = Array.from({ length: 120 }, (_, i) => {
    const up = i % 2 === 0;
    const steps = Array.from({ length: 3 + rng.int(4) }, (_, t) => [(up ? t : -t) + rng.uniform(-0.3, 0.3)]);
    return JSON.stringify({ steps, label: up ? 'up' : 'down' });
  });
  const file = join(dir, 'seq.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s), isTTY: false, signal: new AbortController().signal };
  assert.equal(await main(['classify', file, '--epochs', '8', '--hidden', '8', '--cell', 'rnn', '--lr', '0.02', '--json', '-o', join(dir, 'seq.rnn')], io), 0);
  const r = JSON.parse(out.join('')) as { model: { accuracy: number }; classes: string[] };
  assert.deepEqual(r.classes, ['down', 'up']);
  assert.ok(r.model.accuracy >= 0.9, `accuracy ${r.model.accuracy}`);
  writeFileSync(join(dir, 'bad.csv'), 'name,kind\nann,f\n');
  err.length = 0;
  assert.equal(await main(['classify', join(dir, 'bad.csv')], io), 1);
  assert.match(err.join(''), /no "text" column/);
  assert.equal(err.join('').trim().split('\n').length, 1);
  assert.equal(await main(['classify', '--dataset', 'nope'], io), 2);
});

test('mean pooling: finite-difference check of the pooled, class-weighted loss (float64, masked batch)', async () => {
  const items: LabelledSequence[] = [
    { input: [[0.5, -1], [1, 0.2], [0, 0]], label: 2 }, { input: [[-0.3, 0.8]], label: 0 }, { input: [[1, 1], [-1, 0.5]], label: 1 },
  ];
  const weights = [0.5, 1.5, 2];
  for (const cell of ['rnn', 'gru'] as const) {
    const { classifier } = await trainClassifier(items, [], { classes: 3, inputKind: 'features', featureSize: 2, cell, hiddenSize: 3, pooling: 'mean', dtype: 'float64', seed: 6, fit: { epochs: 1, learningRate: 1e-12 } });
    const p = classifier.net.params;
    p.zeroGrad();
    classifier.pooledLoss(items, weights, true);
    const analytic = Float64Array.from(p.grad);
    const numeric = numericGradient(p.data, () => classifier.pooledLoss(items, weights, false).loss);
    const err = relativeError(analytic, numeric);
    assert.ok(err < 5e-8, `${cell}: relative error ${err}`);
    // probabilities of the pooled model are a distribution
    for (const q of classifier.probabilities(items.map((it) => it.input))) assertClose(q.reduce((s, v) => s + v, 0), 1, 1e-12, 'Σp');
  }
});
