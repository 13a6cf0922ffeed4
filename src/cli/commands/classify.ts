/**
 * `rnnkit classify`: sequence → label (many-to-one). Character-level
 * text from a CSV/JSONL of (text, label), or sequences of numeric feature
 * vectors (JSONL `{"steps": [[...], ...], "label": ...}`, or a CSV with one
 * row per step and a sequence-id column); or a bundled example (first
 * names → female/male, sensor windows → normal/anomalous). Prints accuracy,
 * per-class precision/recall/F1 and the confusion matrix beside the
 * majority class and a softmax-regression baseline.
 */

import type { CellKind } from '../../cells/cell.js';
import { Rng } from '../../core/rng.js';
import { DataFileError, readFeatureSequences, readTable, textColumn, type FeatureSequence } from '../../node/csv.js';
import { loadFirstNames, loadSensorNetwork, SENSOR_CREDIT } from '../../node/stdlib-data.js';
import { balancedClassWeights, classificationMetrics, majorityBaseline, type ClassificationMetrics } from '../../tasks/class-metrics.js';
import { trainClassifier, type ClassifierInput, type LabelledSequence, type Pooling } from '../../tasks/classify.js';
import { predictLogistic, predictSoftmaxRegression, trainLogistic, trainSoftmaxRegression } from '../../tasks/logistic.js';
import { sensorWindows } from '../../tasks/sensor-windows.js';
import { splitIndices } from '../../tasks/splits.js';
import { SymbolTable } from '../../tasks/symbols.js';
import { UsageError, type Command } from '../args.js';
import { fmt } from '../format.js';
import { table, trainingOptions } from '../task-format.js';

/** A prepared classification problem: items split three ways, class names, and how to describe it. */
interface Problem {
  readonly kind: 'symbols' | 'features';
  readonly classes: readonly string[];
  readonly train: LabelledSequence[];
  readonly validation: LabelledSequence[];
  readonly test: LabelledSequence[];
  readonly vocab?: SymbolTable;
  readonly featureSize?: number;
  readonly description: string;
  readonly credit?: string;
  readonly baselineName: string;
}

export const classifyCommand: Command = {
  name: 'classify',
  summary: 'classify whole sequences (text or numeric feature vectors) with a recurrent network',
  usage: '[options] <file.csv|file.jsonl>   (or --dataset first-names|sensors)',
  description: [
    'Text: a CSV/JSONL with a text column and a label column; each character is one step.',
    'Numbers: JSONL records {"steps": [[f1, f2, ...], ...], "label": ...}, or a CSV with one row',
    'per step, a sequence-id column (--id-column), a label column and feature columns.',
    'The network reads the whole sequence; a softmax over the classes at the last step gives',
    'the label. Reports accuracy, per-class precision/recall/F1 and the confusion matrix on the',
    'held-out test part, beside the majority class and a softmax-regression baseline',
    '(bag of characters for text, the last step\'s features for numbers).',
  ].join('\n'),
  options: [
    { name: 'dataset', type: 'choice', choices: ['first-names', 'sensors'], help: 'a bundled example instead of a file' },
    { name: 'text-column', type: 'string', default: 'text', arg: 'NAME', help: 'column of the text (text mode)' },
    { name: 'label-column', type: 'string', default: 'label', arg: 'NAME', help: 'column of the label' },
    { name: 'id-column', type: 'string', arg: 'NAME', help: 'sequence-id column of a one-row-per-step CSV (numeric mode)' },
    { name: 'features', type: 'string', arg: 'A,B,...', help: 'feature columns of a one-row-per-step CSV (default: all others)' },
    { name: 'pooling', type: 'choice', choices: ['last', 'mean'], default: 'last', help: 'class scores from the last step, or from the mean of the states' },
    { name: 'class-weights', type: 'choice', choices: ['balanced', 'none'], default: 'balanced', help: 'weight each class\'s loss by n / (C·n_c), or not' },
    { name: 'window', type: 'int', min: 2, default: 16, arg: 'W', help: 'readings per window (--dataset sensors)' },
    { name: 'limit', type: 'int', min: 10, arg: 'N', help: 'use at most N sequences (a seeded sample)' },
    { name: 'val-fraction', type: 'number', min: 0, max: 0.5, default: 0.1, arg: 'F', help: 'validation part' },
    { name: 'test-fraction', type: 'number', min: 0, max: 0.5, exclusiveMin: true, default: 0.2, arg: 'F', help: 'held-out test part' },
    { name: 'patience', type: 'int', min: 1, arg: 'N', help: 'stop after N epochs without a better validation loss' },
    ...trainingOptions({ cell: 'gru', hidden: 32, epochs: 10, lr: 0.005, batch: 32 }),
  ],
  positionals: [0, 1],
  async run(args, io) {
    const o = args.options;
    const file = args.positionals[0];
    if (file && o.dataset) throw new UsageError('give a file or --dataset, not both');
    if (!file && !o.dataset) throw new UsageError('give a file or --dataset first-names|sensors');
    const rng = new Rng((o.seed as number) + 17);
    const problem = file ? fileProblem(file, o, rng) : o.dataset === 'sensors' ? sensorProblem(o, rng) : namesProblem(o, rng);
    const C = problem.classes.length;
    if (C < 2) throw new DataFileError(`only one class (${problem.classes[0]}) in the data; classification needs at least two`);
    const trainLabels = problem.train.map((it) => it.label);
    const testLabels = problem.test.map((it) => it.label);
    const weights = o['class-weights'] === 'balanced' ? balancedClassWeights(trainLabels, C) : undefined;
    const started = Date.now();
    const { classifier, result: fitted } = await trainClassifier(problem.train, problem.validation, {
      classes: C, inputKind: problem.kind,
      ...(problem.kind === 'symbols' ? { vocabSize: problem.vocab!.size } : { featureSize: problem.featureSize! }),
      cell: o.cell as CellKind, hiddenSize: o.hidden as number, layers: o.layers as number, pooling: o.pooling as Pooling,
      batchSize: o.batch as number, seed: o.seed as number,
      ...(weights ? { classWeights: weights } : {}),
      fit: {
        epochs: o.epochs as number, learningRate: o.lr as number,
        ...(typeof o.patience === 'number' && problem.validation.length > 0 ? { patience: o.patience } : {}),
        ...(args.json ? {} : { onEpoch: (e) => io.err(`epoch ${e.epoch + 1}: train loss ${fmt(e.loss, 4)}, validation loss ${fmt(e.validationLoss ?? NaN, 4)}\n`) }),
      },
    });
    const history = fitted.history.epochs;
    const seconds = (Date.now() - started) / 1000;
    const model = classificationMetrics(testLabels, classifier.predict(problem.test.map((it) => it.input)), C);
    const majority = majorityBaseline(trainLabels, testLabels, C);
    const baseline = classificationMetrics(testLabels, baselinePredictions(problem), C);
    const result = {
      data: problem.description, classes: problem.classes,
      sizes: { train: problem.train.length, validation: problem.validation.length, test: problem.test.length },
      cell: o.cell, hidden: o.hidden, pooling: o.pooling, epochs: history.length, trainSeconds: seconds, classWeights: weights ?? null,
      model, majority: { class: problem.classes[majority.cls], accuracy: majority.accuracy },
      baseline: { name: problem.baselineName, ...baseline },
      ...(problem.credit ? { credit: problem.credit } : {}),
    };
    if (args.json) {
      io.out(JSON.stringify(result, null, 2) + '\n');
      return 0;
    }
    const lines = [
      `${problem.description}: train ${problem.train.length}, validation ${problem.validation.length}, test ${problem.test.length}; classes ${problem.classes.join(', ')}`,
      `${o.cell}, H = ${o.hidden}, ${o.pooling === 'mean' ? 'mean-pooled states' : 'last step'}, ${history.length} epochs in ${seconds.toFixed(1)} s${weights ? `, class weights ${weights.map((w) => fmt(w, 2)).join(' / ')}` : ''}`,
      '',
      ...table([
        ['test part', 'accuracy', 'macro F1'],
        [`model (${o.cell})`, fmt(model.accuracy, 4), fmt(model.macroF1, 4)],
        [`majority class (${problem.classes[majority.cls]})`, fmt(majority.accuracy, 4), ''],
        [problem.baselineName, fmt(baseline.accuracy, 4), fmt(baseline.macroF1, 4)],
      ]),
      '',
      ...perClassLines(model, problem.classes),
    ];
    if (problem.credit) lines.push('', problem.credit);
    io.out(lines.join('\n') + '\n');
    return 0;
  },
};

function perClassLines(m: ClassificationMetrics, classes: readonly string[]): string[] {
  return [
    ...table([
      ['class', 'precision', 'recall', 'F1', 'support'],
      ...m.perClass.map((r, c) => [classes[c]!, fmt(r.precision, 4), fmt(r.recall, 4), fmt(r.f1, 4), String(r.support)]),
    ]),
    '',
    'confusion (rows: true class, columns: predicted)',
    ...table([['', ...classes], ...m.confusion.map((row, c) => [classes[c]!, ...row.map(String)])]),
  ];
}

function baselinePredictions(p: Problem): number[] {
  const labels = p.train.map((it) => it.label);
  const C = p.classes.length;
  if (p.kind === 'symbols') {
    const lr = trainLogistic(p.train.map((it) => it.input as number[]), labels, p.vocab!.size, C);
    return predictLogistic(lr, p.test.map((it) => it.input as number[]));
  }
  // softmax regression on the last step's features (z-scored with training statistics)
  const D = p.featureSize!;
  const last = (it: LabelledSequence): number[] => { const s = it.input as number[][]; return s[s.length - 1]!; };
  const mean = new Float64Array(D);
  const sd = new Float64Array(D);
  for (const it of p.train) last(it).forEach((v, j) => { mean[j]! += v / p.train.length; });
  for (const it of p.train) last(it).forEach((v, j) => { sd[j]! += (v - mean[j]!) ** 2 / p.train.length; });
  const phi = (it: LabelledSequence): Float64Array => Float64Array.from(last(it), (v, j) => (v - mean[j]!) / (Math.sqrt(sd[j]!) || 1));
  const lr = trainSoftmaxRegression(p.train.map(phi), labels, D, C);
  return predictSoftmaxRegression(lr, p.test.map(phi));
}

type Options = Record<string, string | number | boolean | undefined>;

function splitItems(items: LabelledSequence[], o: Options, rng: Rng): Pick<Problem, 'train' | 'validation' | 'test'> {
  let order = rng.shuffle(items.map((_, i) => i));
  if (typeof o.limit === 'number') order = order.slice(0, o.limit);
  const s = splitIndices(order.length, o['val-fraction'] as number, o['test-fraction'] as number, order);
  return { train: s.train.map((i) => items[i]!), validation: s.validation.map((i) => items[i]!), test: s.test.map((i) => items[i]!) };
}

function labelIndex(labels: readonly string[]): { classes: string[]; index: Map<string, number> } {
  const classes = [...new Set(labels)].sort();
  return { classes, index: new Map(classes.map((c, i) => [c, i])) };
}

function textProblem(texts: readonly string[], labels: readonly string[], description: string, o: Options, rng: Rng): Problem {
  const vocab = SymbolTable.fromSequences(texts);
  const { classes, index } = labelIndex(labels);
  const items = texts.map((t, i) => ({ input: vocab.encode(t), label: index.get(labels[i]!)! }));
  return { kind: 'symbols', classes, vocab, description, baselineName: 'bag-of-characters logistic regression', ...splitItems(items, o, rng) };
}

function namesProblem(o: Options, rng: Rng): Problem {
  const names = loadFirstNames();
  return textProblem(names.map((n) => n.name), names.map((n) => n.label), 'first names (female/male lists; names on both removed)', o, rng);
}

function fileProblem(file: string, o: Options, rng: Rng): Problem {
  const t = readTable(file);
  const textCol = o['text-column'] as string;
  const labelCol = o['label-column'] as string;
  if (!o['id-column'] && !t.columns.includes('steps')) {
    if (!t.columns.includes(textCol)) {
      throw new DataFileError(`${file}: no "${textCol}" column for text, no "steps" field and no --id-column for numeric sequences; columns are ${t.columns.map((c) => `"${c}"`).join(', ')}`);
    }
    return textProblem(textColumn(t, textCol), textColumn(t, labelCol), `${file} (text)`, o, rng);
  }
  const features = typeof o.features === 'string' ? o.features.split(',').map((s) => s.trim()).filter((s) => s !== '') : undefined;
  const seqs: FeatureSequence[] = readFeatureSequences(t, {
    labelColumn: labelCol,
    ...(typeof o['id-column'] === 'string' ? { idColumn: o['id-column'] } : {}),
    ...(features ? { featureColumns: features } : {}),
  });
  const D = seqs[0]!.steps[0]!.length;
  seqs.forEach((s, i) => {
    if (s.steps.some((v) => v.length !== D)) throw new DataFileError(`${file}: sequence ${i + 1} has steps of a different width than ${D} features`);
  });
  const { classes, index } = labelIndex(seqs.map((s) => s.label));
  const items = seqs.map((s) => ({ input: s.steps as ClassifierInput, label: index.get(s.label)! }));
  return { kind: 'features', classes, featureSize: D, description: `${file} (${D} features per step)`, baselineName: 'softmax regression on the last step', ...splitItems(items, o, rng) };
}

/**
 * Sensor windows: test = every window of mote 4 (its own event), train and
 * validation = windows of motes 1–3 (validation a seeded 10 % of them), so
 * the test measures detection on a sensor the model never saw.
 */
function sensorProblem(o: Options, rng: Rng): Problem {
  const windows = sensorWindows(loadSensorNetwork(), o.window as number, 1);
  const classes = ['normal', 'anomalous'];
  const toItem = (w: (typeof windows)[number]): LabelledSequence => ({ input: w.steps, label: w.label });
  const test = windows.filter((w) => w.mote === 4).map(toItem);
  const rest = rng.shuffle(windows.filter((w) => w.mote !== 4).map(toItem));
  const nv = Math.round(rest.length * (o['val-fraction'] as number));
  return {
    kind: 'features', classes, featureSize: 2,
    description: `sensor windows of ${o.window} readings (humidity, temperature); train motes 1–3, test mote 4`,
    baselineName: 'softmax regression on the last reading',
    validation: rest.slice(0, nv), train: rest.slice(nv), test, credit: SENSOR_CREDIT,
  };
}
