/**
 * `rnnkit predict` and the model files of the task commands, end to end
 * through the compiled CLI: per kind, a model trained in memory, saved and
 * given to `predict` answers what the in-memory model answers; the README's
 * train → predict paths; `--resume` after a SIGTERM equals an uninterrupted
 * run bit for bit; `--threads 2` equals one thread in float64; and the
 * outputs of forecast that must be refused.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { interruptWhen } from './helpers/cli.js';
import { fileURLToPath } from 'node:url';
import { assertClose } from './helpers/approx.js';
import { Network } from '../src/model/network.js';
import { decodeModel, encodeModel } from '../src/io/model-file.js';
import { loadUsBirths } from '../src/node/stdlib-data.js';
import { trainForecaster } from '../src/tasks/forecast.js';
import { trainClassifier } from '../src/tasks/classify.js';
import { splitByTime } from '../src/tasks/splits.js';
import { SymbolTable } from '../src/tasks/symbols.js';
import { timeAxisOf } from '../src/tasks/time-axis.js';
import { SymbolStream } from '../src/text/sample.js';
import { buildTokenizer } from '../src/text/tokenizer.js';
import { pushBounded } from '../src/cli/training-run.js';

const BIN = fileURLToPath(new URL('../src/cli/bin.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rnnkit-predict-'));

/** Runs the CLI; `sameKernels` makes it use the JavaScript kernels this test process computes with, so results match to the bit. */
function run(args: readonly string[], input = '', sameKernels = false): { status: number | null; stdout: string; stderr: string } {
  const env = sameKernels ? { ...process.env, RNNKIT_KERNELS: 'js' } : process.env;
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir, timeout: 300_000, input, env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every parameter array of a model file, by network name. */
function paramsOf(file: string): Record<string, Float64Array> {
  const { model } = decodeModel(readFileSync(file));
  const nets: Record<string, Network> = model.kind === 'forecaster' ? { model: model.forecaster.net }
    : model.kind === 'classifier' ? { model: model.classifier.net }
      : model.kind === 'text' ? { model: model.net } : { encoder: model.model.encoder as unknown as Network, decoder: model.model.decoder };
  return Object.fromEntries(Object.entries(nets).map(([k, n]) => [k, Float64Array.from(n.params.data)]));
}

const births = loadUsBirths();
const dates = births.map((r) => `${r.year}-${String(r.month).padStart(2, '0')}-${String(r.date_of_month).padStart(2, '0')}`);

test('forecaster: trained in memory, saved, predict gives the in-memory forecast; a CSV with dates continues them', async () => {
  const tail = births.slice(-400);
  const series = Float64Array.from(tail, (r) => r.births);
  const split = splitByTime(series.length, 0.15, 0.1, 7);
  const { forecaster } = await trainForecaster(series, split, { cell: 'gru', hiddenSize: 6, window: 21, horizon: 7, seed: 3, column: 'births', fit: { epochs: 2 } });
  const model = join(dir, 'f.rnn');
  writeFileSync(model, encodeModel({ kind: 'forecaster', forecaster }));
  const csv = join(dir, 'births.csv');
  writeFileSync(csv, ['date,births', ...tail.map((r, i) => `${dates[dates.length - 400 + i]},${r.births}`)].join('\n') + '\n');
  const expected = forecaster.forecast(series, { time: timeAxisOf(dates.slice(-400)) });
  const r = run(['predict', model, csv, '--json'], '', true);
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { kind: string; predictions: typeof expected };
  assert.equal(got.kind, 'forecaster');
  assert.deepEqual(got.predictions, expected);
  assert.equal(got.predictions[0]!.time, '2015-01-01');
  // plain output: a CSV with the documented columns, the same numbers
  const plain = run(['predict', model, csv, '--horizon', '3'], '', true);
  assert.equal(plain.status, 0, plain.stderr);
  const lines = plain.stdout.trim().split('\n');
  assert.equal(lines[0], 'step,time,value,lower80,upper80,lower95,upper95');
  assert.equal(lines.length, 4);
  assert.deepEqual(lines[1]!.split(',').map((c, j) => (j === 1 ? c : Number(c))), [1, '2015-01-01', expected[0]!.value, expected[0]!.lower80, expected[0]!.upper80, expected[0]!.lower95, expected[0]!.upper95]);
  // beyond the trained horizon: one line, exit 1
  const far = run(['predict', model, csv, '--horizon', '30']);
  assert.equal(far.status, 1);
  assert.match(far.stderr, /^rnnkit: horizon 30 is beyond the 7 steps/);
});

test('rnnkit forecast --dataset us-births -o births.rnn, then predict --dataset us-births --json: 14 rows from 2015-01-01, nested intervals', () => {
  const t = run(['forecast', '--dataset', 'us-births', '--last', '500', '--epochs', '1', '--hidden', '6', '--window', '28', '-o', 'births.rnn']);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /intervals on the test part: the truth fell inside the 80 % band \d+\.\d % and the 95 % band \d+\.\d % of the time/);
  assert.match(t.stdout, /forecast past the end with: (npx )?rnnkit predict births\.rnn --dataset us-births/);
  const r = run(['predict', 'births.rnn', '--dataset', 'us-births', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const rows = (JSON.parse(r.stdout) as { predictions: { step: number; time: string; value: number; lower80: number; upper80: number; lower95: number; upper95: number }[] }).predictions;
  assert.equal(rows.length, 14);
  assert.deepEqual(rows.map((x) => x.time), Array.from({ length: 14 }, (_, i) => `2015-01-${String(i + 1).padStart(2, '0')}`));
  for (const x of rows) {
    assert.ok(x.lower95 <= x.lower80 && x.lower80 < x.value && x.value < x.upper80 && x.upper80 <= x.upper95, JSON.stringify(x));
  }
});

test('classifier: trained in memory, saved, predict labels stdin lines with the in-memory probabilities', async () => {
  const texts = ['anna', 'maria', 'lucy', 'emma', 'sophia', 'john', 'peter', 'mark', 'tom', 'jack', 'olivia', 'james'];
  const labels = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1];
  const vocab = SymbolTable.fromSequences(texts);
  const items = texts.map((t, i) => ({ input: vocab.encode(t), label: labels[i]! }));
  const { classifier } = await trainClassifier(items, [], {
    classes: 2, inputKind: 'symbols', vocabSize: vocab.size, hiddenSize: 5, cell: 'gru', seed: 2,
    info: { classNames: ['female', 'male'], input: { kind: 'symbols', symbols: vocab.symbols } }, fit: { epochs: 3 },
  });
  const model = join(dir, 'c.rnn');
  writeFileSync(model, encodeModel({ kind: 'classifier', classifier }));
  const inputs = ['margaret', 'robert', 'zoë'];
  const expected = classifier.predictProbabilities(inputs);
  const r = run(['predict', model, '--json'], inputs.join('\n') + '\n', true);
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { kind: string; predictions: { input: string; label: string; probabilities: Record<string, number> }[] };
  assert.equal(got.kind, 'classifier');
  assert.deepEqual(got.predictions.map((p) => p.probabilities), expected);
  assert.deepEqual(got.predictions.map((p) => p.input), inputs);
  got.predictions.forEach((p, i) => assert.equal(p.label, expected[i]!.female! > expected[i]!.male! ? 'female' : 'male'));
  // the same from a file of lines, and plain output is input, label, probability
  const file = join(dir, 'names.txt');
  writeFileSync(file, inputs.join('\n') + '\n');
  const plain = run(['predict', model, file]);
  assert.equal(plain.status, 0, plain.stderr);
  assert.deepEqual(plain.stdout.trim().split('\n').map((l) => l.split('\t')[0]), inputs);
});

test('rnnkit classify --dataset first-names -o names.rnn, then printf "margaret\\nrobert\\n" | predict names.rnn labels them', () => {
  const t = run(['classify', '--dataset', 'first-names', '--limit', '400', '--epochs', '1', '--hidden', '8', '-o', 'names.rnn']);
  assert.equal(t.status, 0, t.stderr);
  const r = run(['predict', 'names.rnn'], 'margaret\nrobert\n');
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
  assert.deepEqual(rows.map((x) => x[0]), ['margaret', 'robert']);
  for (const x of rows) {
    assert.ok(x[1] === 'female' || x[1] === 'male', x.join(' '));
    assert.ok(Number(x[2]) >= 0.5 && Number(x[2]) <= 1, x.join(' '));
  }
});

test('rnnkit pronounce -o cmu.rnn, then echo stone | predict cmu.rnn prints ARPAbet', () => {
  const t = run(['pronounce', '--words', '300', '--test-words', '20', '--epochs', '1', '--hidden', '8', '-o', 'cmu.rnn']);
  assert.equal(t.status, 0, t.stderr);
  const r = run(['predict', 'cmu.rnn'], 'stone\n');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^stone\t([A-Z]{1,2}( [A-Z]{1,2})*)?\n$/);
});

test('text model: predict --prime gives the in-memory next-symbol distribution; without --prime it names sample', () => {
  const tokenizer = buildTokenizer('the cat sat on the mat');
  const net = new Network({ cell: 'lstm', inputSize: tokenizer.vocabSize, hiddenSize: 6, outputSize: tokenizer.vocabSize, loss: 'cross-entropy', seed: 4 });
  const model = join(dir, 't.rnn');
  writeFileSync(model, encodeModel({ kind: 'text', net, tokenizer }));
  const p = new SymbolStream(net).feed(tokenizer.encode('the c'));
  const r = run(['predict', model, '--prime', 'the c', '--top', '3', '--json'], '', true);
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout) as { kind: string; predictions: { symbol: string; probability: number }[] };
  assert.equal(got.kind, 'text');
  const order = Array.from(p.keys()).sort((a, b) => p[b]! - p[a]!).slice(0, 3);
  assert.deepEqual(got.predictions, order.map((i) => ({ symbol: tokenizer.symbols[i]!, probability: p[i]! })));
  const bare = run(['predict', model]);
  assert.equal(bare.status, 2);
  assert.match(bare.stderr, /is a text model: give --prime TEXT .* or generate text with: (npx )?rnnkit sample /);
});


for (const [task, data, extra] of [
  ['forecast', ['--dataset', 'us-births', '--last', '900', '--window', '28'], ['--hidden', '6']],
  ['classify', ['--dataset', 'first-names', '--limit', '600'], ['--hidden', '6']],
] as const) {
  test(`${task}: SIGTERM saves, --resume continues (after a cut or after the end), and the result equals an uninterrupted run bit for bit`, async () => {
    const common = [task, ...data, ...extra, '--epochs', '4', '--batch', '8', '--checkpoint-every', '7', '--threads', '1'];
    const straight = run([...common, '-o', `${task}-straight.rnn`]);
    assert.equal(straight.status, 0, straight.stderr);
    const cut = await interruptWhen([...common, '-o', `${task}-cut.rnn`], /saved .* at step 14\n/, dir);
    // a few hundred updates are left when the signal comes at step 14: the run is cut, not finished
    assert.equal(cut.code, 143, cut.stderr);
    assert.match(cut.stderr, new RegExp(`continue with: (npx )?rnnkit ${task} --resume ${task}-cut\\.rnn`));
    assert.ok(decodeModel(readFileSync(join(dir, `${task}-cut.rnn`))).state!.step < 100, 'the cut model holds the step it was cut at');
    const again = run([task, '--resume', `${task}-cut.rnn`, '--epochs', '4', '--threads', '1']);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /^resuming at step \d+/);
    const a = paramsOf(join(dir, `${task}-straight.rnn`));
    const b = paramsOf(join(dir, `${task}-cut.rnn`));
    assert.deepEqual(b, a, 'the resumed run differs from the uninterrupted one');
    // a finished run (2 epochs, best validation restored) continued to 4 equals 4 straight too
    const two = run([...common, '--epochs', '2', '-o', `${task}-two.rnn`]); // the later --epochs wins
    assert.equal(two.status, 0, two.stderr);
    const more = run([task, '--resume', `${task}-two.rnn`, '--epochs', '4', '--threads', '1']);
    assert.equal(more.status, 0, more.stderr);
    assert.deepEqual(paramsOf(join(dir, `${task}-two.rnn`)), a, 'a finished run continued differs from one trained there straight');
  });
}

test('--threads 2 equals --threads 1 to 1e-6 in float64 (forecast and classify)', () => {
  for (const [task, data] of [
    ['forecast', ['--dataset', 'us-births', '--last', '400', '--window', '14']],
    ['classify', ['--dataset', 'first-names', '--limit', '300']],
  ] as const) {
    const files = ['1', '2'].map((t) => {
      const out = `${task}-threads${t}.rnn`;
      const r = run([task, ...data, '--hidden', '5', '--epochs', '1', '--batch', '32', '--dtype', 'float64', '--threads', t, '-o', out]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`float64, ${t} thread`));
      return paramsOf(join(dir, out)).model!;
    });
    assertClose(files[1]!, files[0]!, 1e-6, `${task} parameters, 2 threads vs 1`);
  }
});

test('forecast never writes over its input; a horizon longer than the validation part and classify on 2 rows are one line, exit 1', () => {
  const csv = join(dir, 'sales.csv');
  const rows = Array.from({ length: 200 }, (_, i) => `${i},${(100 + 10 * Math.sin(i / 3)).toFixed(3)}`);
  const original = ['day,value', ...rows].join('\n') + '\n';
  writeFileSync(csv, original);
  for (const [flag, label] of [['--predictions', '--predictions'], ['--plot', '--plot'], ['-o', '-o/--out']] as const) {
    const r = run(['forecast', csv, '--column', 'value', '--window', '10', '--horizon', '5', '--epochs', '1', flag, csv]);
    assert.equal(r.status, 2, `${flag}: ${r.stderr}`);
    assert.equal(r.stderr.split('\n')[0], `rnnkit: ${label} ${csv} is also an input of this run (${csv}); writing it would destroy the input, so choose another path`);
    assert.equal(readFileSync(csv, 'utf8'), original);
  }
  assert.ok(!existsSync(join(dir, 'sales.rnn')));
  const long = run(['forecast', csv, '--column', 'value', '--window', '10', '--horizon', '30', '--epochs', '1']);
  assert.equal(long.status, 1, long.stderr);
  assert.match(long.stderr, /^rnnkit: the validation part has 20 steps, fewer than the horizon 30[^\n]*\n$/);
  const two = join(dir, 'two.csv');
  writeFileSync(two, 'text,label\nann,f\nbob,m\n');
  const c = run(['classify', two, '--epochs', '1']);
  assert.equal(c.status, 1, c.stderr);
  assert.match(c.stderr, /^rnnkit: .*two\.csv \(text\): 2 labelled sequences leave \d+ to train on and \d+ to test .*; give at least \d+ sequences\n$/);
  // a batch the data cannot fill is refused, not quietly made smaller
  const big = run(['forecast', csv, '--column', 'value', '--window', '10', '--horizon', '5', '--epochs', '1', '--batch', '100000', '-o', 'big.rnn']);
  assert.equal(big.status, 2, big.stderr);
  assert.match(big.stderr, /^rnnkit: --batch 100000 is more than the \d+ training windows the training part holds; use --batch \d+ or less\n/);
  assert.ok(!existsSync(join(dir, 'big.rnn')));
});

test('a loss curve kept in a model file stays bounded however long the run', () => {
  const curve: [number, number][] = [];
  for (let step = 1; step <= 1_000_000; step++) pushBounded(curve, [step, 1 / step], 64);
  assert.ok(curve.length <= 64 && curve.length >= 32, `${curve.length} points`);
  assert.deepEqual(curve[0], [1, 1]);
  assert.deepEqual(curve[curve.length - 1], [1_000_000, 1e-6]);
  for (let i = 1; i < curve.length; i++) assert.ok(curve[i]![0] > curve[i - 1]![0], 'steps stay in order');
});
