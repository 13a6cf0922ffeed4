/**
 * `rnnkit classify`: sequence → label (many-to-one). Character-level
 * text from a CSV/JSONL of (text, label), or sequences of numeric feature
 * vectors (JSONL `{"steps": [[...], ...], "label": ...}`, or a CSV with one
 * row per step and a sequence-id column); or a bundled example (first
 * names → female/male, sensor windows → normal/anomalous). Prints accuracy,
 * per-class precision/recall/F1 and the confusion matrix beside the
 * majority class and a softmax-regression baseline.
 */

import { resolve } from 'node:path';
import type { CellKind } from '../../cells/cell.js';
import { OptionError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import type { DType } from '../../core/tensor.js';
import { encodeModel } from '../../io/model-file.js';
import { DataFileError, readFeatureSequences, readTable, textColumn, type FeatureSequence } from '../../node/csv.js';
import { writeFileAtomic } from '../../node/outputs.js';
import { loadFirstNames, loadSensorNetwork, SENSOR_CREDIT } from '../../node/stdlib-data.js';
import { balancedClassWeights, classificationMetrics, majorityBaseline, type ClassificationMetrics } from '../../tasks/class-metrics.js';
import { classifierSetup, MeanPooledObjective, SequenceClassifier, type ClassifierInput, type ClassifierOptions, type ClassifierSetup, type LabelledSequence, type Pooling } from '../../tasks/classify.js';
import { Network } from '../../model/network.js';
import { predictLogistic, predictSoftmaxRegression, trainLogistic, trainSoftmaxRegression } from '../../tasks/logistic.js';
import { sensorWindows } from '../../tasks/sensor-windows.js';
import { splitIndices } from '../../tasks/splits.js';
import { SymbolTable } from '../../tasks/symbols.js';
import type { EpochRecord, FitState } from '../../train/fit-types.js';
import { UsageError, type Command } from '../args.js';
import { fmt } from '../format.js';
import { rnnkitCommand } from '../hints.js';
import { loadModelFile } from '../model-input.js';
import { modelOptions, stemOf, table } from '../task-format.js';
import { checkBatch, finishRun, guardRunOutputs, runLimits, runOptions, runTraining, threadCount, withOutputLock } from '../training-run.js';

/** A prepared classification problem: items split three ways, class names, and how to describe it. */
interface Problem {
  readonly kind: 'symbols' | 'features';
  readonly classes: readonly string[];
  readonly train: LabelledSequence[];
  readonly validation: LabelledSequence[];
  readonly test: LabelledSequence[];
  readonly vocab?: SymbolTable;
  readonly featureSize?: number;
  /** Names of the features (numeric input), saved with the model. */
  readonly featureNames?: readonly string[];
  readonly description: string;
  readonly credit?: string;
  readonly baselineName: string;
}

/** The options that define the data, its split and the model: saved with the model, fixed by --resume. */
const FIXED = ['dataset', 'text-column', 'label-column', 'id-column', 'features', 'delimiter', 'pooling', 'class-weights', 'window', 'baseline',
  'limit', 'val-fraction', 'test-fraction', 'cell', 'hidden', 'layers', 'bidirectional', 'batch', 'seed', 'dtype'] as const;

/** What a classifier's model file keeps about the run (its `extra`). */
interface ClassifyExtra {
  readonly command: 'classify';
  /** The FIXED options as given (file paths resolved). */
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  /** The data file, when not a bundled dataset. */
  readonly file?: string;
}

export const classifyCommand: Command = {
  name: 'classify',
  summary: 'train a classifier of whole sequences (text or numeric feature vectors), save it, and score it',
  usage: '[options] <file.csv|file.jsonl>   (or --dataset first-names|sensors)',
  description: [
    'Text: a CSV/JSONL with a text column and a label column; each character is one step.',
    'Numbers: JSONL records {"steps": [[f1, f2, ...], ...], "label": ...}, or a CSV with one row',
    'per step, a sequence-id column (--id-column), a label column and feature columns.',
    'The network reads the whole sequence; a softmax over the classes at the last step gives',
    'the label (--bidirectional: each layer also reads it backwards, and the softmax reads both',
    'directions\' summaries, [h→(last) | h←(first)]). Saves the model to -o (default names.rnn, sensors.rnn or <file>.rnn; the',
    'parameters of the best validation) and reports accuracy, per-class precision/recall/F1',
    'and the confusion matrix on the held-out test part, beside the majority class and a',
    'softmax-regression baseline (bag of characters for text, the last step\'s features for',
    'numbers). With --resume the data and model settings come from the model file.',
    'Label new inputs with: rnnkit predict MODEL [FILE] (one text per line, or stdin).',
  ].join('\n'),
  options: [
    { name: 'dataset', type: 'choice', choices: ['first-names', 'sensors'], help: 'a bundled example instead of a file' },
    { name: 'text-column', type: 'string', default: 'text', arg: 'NAME', help: 'column of the text (text mode)' },
    { name: 'label-column', type: 'string', default: 'label', arg: 'NAME', help: 'column of the label' },
    { name: 'id-column', type: 'string', arg: 'NAME', help: 'sequence-id column of a one-row-per-step CSV (numeric mode)' },
    { name: 'features', type: 'string', arg: 'A,B,...', help: 'feature columns of a one-row-per-step CSV (default: all others)' },
    { name: 'delimiter', type: 'string', arg: 'CHAR', help: 'CSV delimiter (default: detected from the header among , ; and tab)' },
    { name: 'pooling', type: 'choice', choices: ['last', 'mean'], default: 'last', help: 'class scores from the last step, or from the mean of the states' },
    { name: 'class-weights', type: 'choice', choices: ['balanced', 'none'], default: 'balanced', help: 'weight each class\'s loss by n / (C·n_c), or not' },
    { name: 'window', type: 'int', min: 2, default: 16, arg: 'W', help: 'readings per window (--dataset sensors)' },
    { name: 'baseline', type: 'int', min: 0, default: 64, arg: 'N', help: 'sensors: steps are readings minus the median of the mote\'s N readings before the window (0: absolute readings)' },
    { name: 'limit', type: 'int', min: 10, arg: 'N', help: 'use at most N sequences (a seeded sample)' },
    { name: 'val-fraction', type: 'number', min: 0, max: 0.5, default: 0.1, arg: 'F', help: 'validation part' },
    { name: 'test-fraction', type: 'number', min: 0, max: 0.5, exclusiveMin: true, default: 0.2, arg: 'F', help: 'held-out test part' },
    { name: 'patience', type: 'int', min: 1, arg: 'N', help: 'stop after N validations (epochs) without a better validation loss' },
    { name: 'bidirectional', type: 'boolean', help: 'every layer reads the sequence both ways (states 2H wide)' },
    ...modelOptions({ cell: 'gru', hidden: 32, lr: 0.005, batch: 32 }),
    ...runOptions({ out: 'names.rnn, sensors.rnn or <file>.rnn', checkpointEvery: 500, limit: 'epochs', limitDefault: 10 }),
  ],
  positionals: [0, 1],
  async run(args, io) {
    let o: Options = args.options;
    let file: string | undefined = args.positionals[0];
    let resumed: { classifier: SequenceClassifier; state: FitState } | null = null;
    if (typeof o.resume === 'string') {
      const decoded = await loadModelFile(o.resume);
      const extra = decoded.extra as Partial<ClassifyExtra>;
      if (decoded.model.kind !== 'classifier' || extra.command !== 'classify' || !extra.settings) {
        throw new OptionError(`${o.resume} is not a classifier saved by rnnkit classify; resume it with the command that made it, or start a new run`);
      }
      if (!decoded.state) throw new OptionError(`${o.resume} holds a classifier but not the training state to resume it; start a new run instead`);
      resumed = { classifier: decoded.model.classifier, state: decoded.state };
      // the data, split and model of the resumed run; the run options (epochs, lr, threads, …) are this run's
      o = { ...Object.fromEntries(Object.entries(o).filter(([k]) => !(FIXED as readonly string[]).includes(k))), ...extra.settings };
      file ??= extra.file;
    }
    if (file && o.dataset) throw new UsageError('give a file or --dataset, not both');
    if (!file && !o.dataset) throw new UsageError('give a file or --dataset first-names|sensors');
    const out = String(o.out ?? o.resume ?? (file ? `${stemOf(file)}.rnn` : o.dataset === 'sensors' ? 'sensors.rnn' : 'names.rnn'));
    const limits = runLimits(o, { epochs: 10 });
    const settings = Object.fromEntries(FIXED.filter((k) => o[k] !== undefined).map((k) => [k, o[k]!]));
    const extra: ClassifyExtra = { command: 'classify', settings, ...(file ? { file: resolve(file) } : {}) };
    return withOutputLock(out, 'classify', 'lower --lr', async () => {
      const replacing = guardRunOutputs(o, out, [], file ? [file] : []);
      if (replacing) io.err(`${replacing}\n`);
      const rng = new Rng((o.seed as number) + 17);
      const problem = file ? fileProblem(file, o, rng) : o.dataset === 'sensors' ? sensorProblem(o, rng) : namesProblem(o, rng);
      const C = problem.classes.length;
      if (C < 2) throw new DataFileError(`only one class (${problem.classes[0]}) in the data; classification needs at least two`);
      const n = problem.train.length + problem.validation.length + problem.test.length;
      if (problem.test.length === 0 || problem.train.length < 2) {
        throw new DataFileError(`${problem.description}: ${n} labelled sequences leave ${problem.train.length} to train on and ${problem.test.length} to test (--test-fraction ${String(o['test-fraction'])}); give at least ${Math.ceil(3 / (o['test-fraction'] as number))} sequences`);
      }
      const trainLabels = problem.train.map((it) => it.label);
      const testLabels = problem.test.map((it) => it.label);
      const weights = o['class-weights'] === 'balanced' ? balancedClassWeights(trainLabels, C) : undefined;
      const options: ClassifierOptions = {
        classes: C, inputKind: problem.kind,
        ...(problem.kind === 'symbols' ? { vocabSize: problem.vocab!.size } : { featureSize: problem.featureSize! }),
        cell: o.cell as CellKind, hiddenSize: o.hidden as number, layers: o.layers as number, pooling: o.pooling as Pooling,
        batchSize: o.batch as number, seed: o.seed as number, dtype: o.dtype as DType,
        info: { classNames: problem.classes, input: problem.kind === 'symbols' ? { kind: 'symbols', symbols: problem.vocab!.symbols } : { kind: 'features', names: problem.featureNames! } },
        ...(weights ? { classWeights: weights } : {}),
        ...(resumed ? { model: resumed.classifier } : {}),
      };
      const setup = o.bidirectional === true && !resumed ? bidirectionalSetup(problem, options) : classifierSetup(problem.train, problem.validation, options);
      const { classifier } = setup;
      checkBatch(o.batch as number, setup.train.B, 'training sequences');
      const { epochs: _taskEpochs, ...defaults } = setup.defaults;
      const save = async (state: FitState | undefined): Promise<void> => {
        await writeFileAtomic(out, encodeModel({ kind: 'classifier', classifier }, { ...(state ? { state } : {}), extra: { ...extra } }));
      };
      const threads = threadCount(o, setup.train.B);
      if (!args.json) {
        io.err(`${resumed ? `resuming at step ${resumed.state.step}` : 'training'} on ${problem.description}: train ${problem.train.length}, validation ${problem.validation.length}, test ${problem.test.length}; classes ${problem.classes.join(', ')}\n`);
        io.err(`${String(o.cell)}, H = ${String(o.hidden)}${o.bidirectional === true ? ', bidirectional' : ''}, ${o.pooling === 'mean' ? 'mean-pooled states' : 'last step'}, ${String(o.dtype)}, ${threads} thread${threads > 1 ? 's' : ''}, saving to ${out}\n`);
      }
      const run = await runTraining({
        model: setup.net ?? new MeanPooledObjective(classifier.net), data: setup.train, limits,
        checkpointEvery: o['checkpoint-every'] as number, threads, signal: io.signal,
        fit: {
          ...defaults, ...(setup.validation ? { validation: setup.validation } : {}), learningRate: o.lr as number,
          ...(typeof o.patience === 'number' && setup.validation ? { patience: o.patience } : {}),
        },
        resume: resumed?.state,
        ...(args.json ? {} : { onEpoch: (e: EpochRecord) => io.err(`epoch ${e.epoch + 1}: train loss ${fmt(e.loss, 4)}, validation loss ${fmt(e.validationLoss ?? NaN, 4)}\n`) }),
        save,
        saved: (at) => { if (!args.json) io.err(`saved ${out} at step ${at}\n`); },
      });
      const stopped = await finishRun(run, save, { io, out, command: 'classify' });
      if (stopped !== null) return stopped;
      const model = classificationMetrics(testLabels, classifier.predict(problem.test.map((it) => it.input)), C);
      const majority = majorityBaseline(trainLabels, testLabels, C);
      const baseline = classificationMetrics(testLabels, baselinePredictions(problem), C);
      const result = {
        modelFile: out, data: problem.description, classes: problem.classes,
        sizes: { train: problem.train.length, validation: problem.validation.length, test: problem.test.length },
        cell: o.cell, hidden: o.hidden, bidirectional: o.bidirectional === true, pooling: o.pooling, step: run.step, epochs: run.epoch, stopReason: run.stop,
        trainSeconds: run.seconds, threads, classWeights: weights ?? null,
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
        `${String(o.cell)}, H = ${String(o.hidden)}${o.bidirectional === true ? ', bidirectional' : ''}, ${o.pooling === 'mean' ? 'mean-pooled states' : 'last step'}: ${run.step} steps, ${run.epoch} epochs in ${run.seconds.toFixed(1)} s (${run.stop})${weights ? `, class weights ${weights.map((w) => fmt(w, 2)).join(' / ')}` : ''}`,
        '',
        ...table([
          ['test part', 'accuracy', 'macro F1'],
          [`model (${String(o.cell)})`, fmt(model.accuracy, 4), fmt(model.macroF1, 4)],
          [`majority class (${problem.classes[majority.cls]})`, fmt(majority.accuracy, 4), ''],
          [problem.baselineName, fmt(baseline.accuracy, 4), fmt(baseline.macroF1, 4)],
        ]),
        '',
        ...perClassLines(model, problem.classes),
        '',
        `model: ${out}`,
        `label new inputs with: ${problem.kind === 'symbols' ? `printf 'margaret\\nrobert\\n' | ${rnnkitCommand()} predict ${out}` : `${rnnkitCommand()} predict ${out} sequences.jsonl`}`,
      ];
      if (problem.credit) lines.push('', problem.credit);
      io.out(lines.join('\n') + '\n');
      return 0;
    });
  },
};

/**
 * classifierSetup with a bidirectional network: the one-way setup supplies
 * the feature statistics of the training items; the classifier to train is
 * the same but for a network whose every layer reads both ways.
 */
function bidirectionalSetup(problem: Problem, options: ClassifierOptions): ClassifierSetup {
  const oneWay = classifierSetup(problem.train, problem.validation, options).classifier;
  const net = new Network({ ...oneWay.net.config, bidirectional: true, seed: options.seed ?? 1 });
  const classifier = new SequenceClassifier(net, oneWay.inputKind, oneWay.classes, oneWay.featureStats, oneWay.pooling, oneWay.info);
  return classifierSetup(problem.train, problem.validation, { ...options, model: classifier });
}

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
  // the last step's features, or the absolute last reading an item carries (sensors)
  const last = (it: LabelledSequence): number[] => (it as { last?: number[] }).last ?? (it.input as number[][])[(it.input as number[][]).length - 1]!;
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
  const t = readTable(file, typeof o.delimiter === 'string' ? { delimiter: o.delimiter } : {});
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
  const idColumn = typeof o['id-column'] === 'string' ? o['id-column'] : undefined;
  const featureNames = t.columns.includes('steps') && !idColumn
    ? Array.from({ length: D }, (_, j) => `steps[${j}]`)
    : features ?? t.columns.filter((c) => c !== idColumn && c !== labelCol);
  return { kind: 'features', classes, featureSize: D, featureNames, description: `${file} (${D} features per step)`, baselineName: 'softmax regression on the last step', ...splitItems(items, o, rng) };
}

/**
 * Sensor windows: test = every window of mote 4 (its own event), train and
 * validation = windows of motes 1–3 (validation a seeded 10 % of them), so
 * the test measures detection on a sensor the model never saw.
 */
function sensorProblem(o: Options, rng: Rng): Problem {
  const rows = loadSensorNetwork();
  const base = o.baseline as number;
  const windows = sensorWindows(rows, o.window as number, 1, { baseline: base });
  // the baseline classifier reads the absolute last reading (its strongest form: the events are level jumps)
  const raw = new Map(rows.map((r) => [`${r.mote_id}:${r.reading}`, [r.humidity, r.temperature]]));
  const classes = ['normal', 'anomalous'];
  const toItem = (w: (typeof windows)[number]): LabelledSequence & { last: number[] } => ({ input: w.steps, label: w.label, last: raw.get(`${w.mote}:${w.end}`)! });
  const test = windows.filter((w) => w.mote === 4).map(toItem);
  const rest = rng.shuffle(windows.filter((w) => w.mote !== 4).map(toItem));
  const nv = Math.round(rest.length * (o['val-fraction'] as number));
  return {
    kind: 'features', classes, featureSize: 2,
    featureNames: base > 0 ? ['humidity minus recent median', 'temperature minus recent median'] : ['humidity', 'temperature'],
    description: `sensor windows of ${String(o.window)} readings (humidity, temperature${base > 0 ? `, minus the mote's median of the ${base} before` : ''}); train motes 1–3, test mote 4`,
    baselineName: 'softmax regression on the last reading',
    validation: rest.slice(0, nv), train: rest.slice(nv), test, credit: SENSOR_CREDIT,
  };
}
