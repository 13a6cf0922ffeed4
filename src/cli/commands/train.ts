/**
 * `rnnkit train <text-file>` / `rnnkit train --dataset moby-dick`:
 * trains a character- (or word-) level model on a text, showing progress
 * and samples as it learns, saving checkpoints, and writing next to the
 * model file a loss curve (SVG) and a report of the run (JSON).
 */

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { OptionError, TrainingError } from '../../core/errors.js';
import { getKernels } from '../../core/kernels.js';
import { CELL_KINDS, type CellKind } from '../../cells/cell.js';
import { Network } from '../../model/network.js';
import { encodeCheckpoint } from '../../io/checkpoint.js';
import { loadCheckpointFile } from '../../node/checkpoint-file.js';
import { GENERATOR_MARK, markedText, writeFileAtomic } from '../../node/outputs.js';
import { datasetText, readTextFile, TEXT_DATASETS } from '../../node/datasets.js';
import { prepareCorpus, type Corpus } from '../../text/corpus.js';
import { readTextModel, textModelMeta } from '../../text/model-file.js';
import { generate, SymbolStream } from '../../text/sample.js';
import { TOKEN_KINDS, type TokenKind, type Tokenizer } from '../../text/tokenizer.js';
import { evaluateText, textBatches, validationBatches } from '../../text/batches.js';
import type { FitState, StepRecord, ValidationRecord } from '../../train/fit-types.js';
import { fitStateFromCheckpoint, fitStateToCheckpoint } from '../../train/fit-state.js';
import { OPTIMIZER_KINDS, type OptimizerKind } from '../../train/optimizers.js';
import { uniformLoss } from '../../train/fit.js';
import { UsageError, type Command, type CommandIO, type ParsedArgs } from '../args.js';
import { createProgress, formatDuration, type ProgressStats } from '../progress.js';
import { lossCurveSvg } from '../svg.js';
import { rnnkitCommand } from '../hints.js';
import { learningRate, type Schedule } from '../../train/schedules.js';
import { exitCodeOf, guardRunOutputs, planSchedule, pushBounded, progressMode, runLimits, runOptions, runTraining, threadCount, withOutputLock, type BudgetSchedule, type RunLimits } from '../training-run.js';

export { parseDuration } from '../training-run.js';

/** Model and data settings; stored in the model file and fixed when resuming. */
export interface TextRunSettings {
  readonly tokens: TokenKind;
  readonly vocabSize: number;
  readonly cell: CellKind;
  readonly layers: number;
  readonly hidden: number;
  readonly seqLen: number;
  readonly batch: number;
  readonly optimizer: OptimizerKind;
  readonly lr: number;
  readonly clip: number;
  readonly seed: number;
  readonly valFraction: number;
  /** Learning-rate schedule (absent in files written before schedules: constant). */
  readonly schedule?: BudgetSchedule['kind'];
  /** Updates of linear warm-up (absent in older files: 0). */
  readonly warmup?: number;
}

/** The schedules `train` offers; `linear` and `cosine` reach 0 at the end of the run (--steps or --time). */
export const TRAIN_SCHEDULES = ['constant', 'linear', 'cosine'] as const;
/** Updates between re-plans of a schedule that ends with --time (docs/performance.md). */
const REPLAN_EVERY = 50;

/** Defaults of the settings a resumed model fixes (absent from the option specs so a conflict can be seen). */
export const TRAIN_DEFAULTS = {
  tokens: 'char' as TokenKind,
  cell: 'lstm' as CellKind,
  layers: 1,
  hidden: 128,
  seqLen: 32,
  batch: 16,
  optimizer: 'adam' as OptimizerKind,
  /** Peak of the default decaying schedule (`linear`, `cosine`); measured in docs/performance.md. */
  lr: 0.024,
  /** The learning rate of `--schedule constant` (a constant rate must stay lower than a peak). */
  constantLr: 0.008,
  /** Warm-up of a decaying schedule (a constant one has none by default). */
  warmup: 100,
  clip: 5,
  seed: 1,
  valFraction: 0.05,
};

/** What `train --time` picks for a budget, each where its option is not given. */
export interface BudgetModel {
  /** Budgets from this many seconds up (to the next row). */
  readonly fromSec: number;
  readonly hidden: number;
  readonly optimizer: OptimizerKind;
}

/**
 * The model and update rule for a --time budget: what reached the lowest
 * held-out bits/char in that time on the whole novel, on this project's
 * 2-core machine (docs/performance.md, "A model for the budget"). A minute
 * buys a small layer many updates; from two minutes a wider one, with
 * AdamW's weight decay against its larger gap between training and held-out
 * loss, does better.
 */
export const BUDGET_MODELS: readonly BudgetModel[] = [
  { fromSec: 0, hidden: TRAIN_DEFAULTS.hidden, optimizer: TRAIN_DEFAULTS.optimizer },
  { fromSec: 120, hidden: 384, optimizer: 'adamw' },
];

/** The row of {@link BUDGET_MODELS} for a budget of `seconds`. */
export function modelForBudget(seconds: number): BudgetModel {
  let pick = BUDGET_MODELS[0]!;
  for (const b of BUDGET_MODELS) if (seconds >= b.fromSec) pick = b;
  return pick;
}

/** Peak of the default decaying schedule for a hidden size: a wider layer learns best with a lower one (measured). */
export function defaultPeak(hidden: number): number {
  return hidden > TRAIN_DEFAULTS.hidden ? 0.016 : TRAIN_DEFAULTS.lr;
}

/** Steps when neither --steps nor --time is given. */
const DEFAULT_STEPS = 1000;
/** Periodic validation reads at most this many symbols of the held-out tail (the final one reads it all). */
const EVAL_SYMBOLS = 8192;
/** Training-loss points of the curve average this many steps. */
const CURVE_EVERY = 10;

/** Where the text came from, kept in the model file for --resume. */
type TextSource = { readonly dataset: string } | { readonly file: string };

/** What the model file's `extra` holds for a text run. */
interface TextRunExtra {
  readonly settings: TextRunSettings;
  readonly source: TextSource;
  readonly elapsedSec: number;
  readonly history: { readonly train: [number, number][]; readonly val: [number, number][] };
  /** The schedule of the last updates, as planned for the run's end (see planSchedule). */
  readonly plan?: Schedule;
}

/** `model.rnn` → `model`: the stem of the files written next to the model. */
function stemOf(file: string): string {
  return file.replace(/\.rnn$/i, '');
}

const bits = (nats: number): number => nats / Math.LN2;

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a character- or word-level model on a text file or the bundled novel',
  usage: '[options] [<text-file>]',
  description: [
    'Trains on <text-file> (UTF-8) or on --dataset moby-dick (bundled, no network).',
    'The last --val-fraction of the text is held out for validation. Shows progress,',
    'and samples from --prime at step 10, step 100 and every --sample-every steps.',
    'Saves the model atomically every --checkpoint-every steps and at the end, with',
    '<out>.loss.svg (loss curve) and <out>.report.json (<out> without ".rnn") next to',
    'it. Ctrl-C stops cleanly and saves (exit code 130); --resume <model> continues,',
    'and --steps counts from the start of the first run. RNNKIT_KERNELS=auto|js|wasm',
    'picks the matrix kernels (auto: WebAssembly SIMD where available).',
  ].join('\n'),
  options: [
    { name: 'dataset', type: 'choice', choices: TEXT_DATASETS, help: 'train on a bundled text instead of a file' },
    { name: 'tokens', type: 'choice', choices: TOKEN_KINDS, help: 'characters, or words and punctuation (default char)' },
    { name: 'vocab-size', type: 'int', min: 2, arg: 'N', help: 'keep the N most frequent symbols (default all chars; 5000 words)' },
    { name: 'cell', type: 'choice', choices: CELL_KINDS, help: `recurrent cell (default ${TRAIN_DEFAULTS.cell})` },
    { name: 'layers', type: 'int', min: 1, max: 16, arg: 'L', help: `stacked layers (default ${TRAIN_DEFAULTS.layers})` },
    { name: 'hidden', type: 'int', min: 1, max: 8192, arg: 'H', help: `hidden units per layer (default ${TRAIN_DEFAULTS.hidden}; with --time of ${BUDGET_MODELS[1]!.fromSec / 60} minutes or more, ${BUDGET_MODELS[1]!.hidden})` },
    { name: 'seq-len', type: 'int', min: 1, arg: 'T', help: `BPTT window length (default ${TRAIN_DEFAULTS.seqLen})` },
    { name: 'batch', type: 'int', min: 1, arg: 'B', help: `parallel streams per update (default ${TRAIN_DEFAULTS.batch})` },
    { name: 'optimizer', type: 'choice', choices: OPTIMIZER_KINDS, help: `update rule (default ${TRAIN_DEFAULTS.optimizer}; with --time of ${BUDGET_MODELS[1]!.fromSec / 60} minutes or more, ${BUDGET_MODELS[1]!.optimizer})` },
    { name: 'lr', type: 'number', min: 0, exclusiveMin: true, arg: 'η', help: `learning rate, the peak of a decaying schedule (default ${TRAIN_DEFAULTS.lr}, ${defaultPeak(TRAIN_DEFAULTS.hidden + 1)} above hidden ${TRAIN_DEFAULTS.hidden}; ${TRAIN_DEFAULTS.constantLr} with --schedule constant)` },
    { name: 'schedule', type: 'choice', choices: TRAIN_SCHEDULES, help: 'learning rate over the run: linear or cosine decay to 0 at its end (--steps, or --time re-planned from the speed), or constant (default linear with --time, else constant)' },
    { name: 'warmup', type: 'int', min: 0, arg: 'N', help: `updates of linear warm-up to --lr (default ${TRAIN_DEFAULTS.warmup}; 0 with --schedule constant)` },
    { name: 'clip', type: 'number', min: 0, arg: 'NORM', help: `gradient norm clip, 0 = off (default ${TRAIN_DEFAULTS.clip})` },
    { name: 'seed', type: 'int', min: 0, max: 4294967295, arg: 'S', help: `random seed (default ${TRAIN_DEFAULTS.seed})` },
    { name: 'val-fraction', type: 'number', min: 0, max: 0.5, arg: 'F', help: `held-out share of the text (default ${TRAIN_DEFAULTS.valFraction})` },
    ...runOptions({ out: 'model.rnn', checkpointEvery: 1000, limit: 'steps', limitDefault: DEFAULT_STEPS }),
    { name: 'eval-every', type: 'int', min: 1, default: 500, arg: 'N', help: `validate every N steps (≤ ${EVAL_SYMBOLS} symbols)` },
    { name: 'sample-every', type: 'int', min: 0, default: 500, arg: 'N', help: 'sample every N steps (and at 10, 100); 0 = never' },
    { name: 'sample-length', type: 'int', min: 1, default: 200, arg: 'N', help: 'symbols per sample' },
    { name: 'prime', type: 'string', default: 'The ', arg: 'TEXT', help: 'text the samples start from' },
    { name: 'json-log', type: 'boolean', help: 'log JSON objects, one per line, on stdout' },
  ],
  positionals: [0, 1],
  run: (args, io) => runTrain(args, io),
};

interface Setup {
  readonly net: Network;
  readonly corpus: Corpus;
  readonly settings: TextRunSettings;
  readonly source: TextSource;
  readonly resumed: TextRunExtra | null;
  readonly resumedState: FitState | null;
}

async function runTrain(args: ParsedArgs, io: CommandIO): Promise<number> {
  const o = args.options;
  const file = args.positionals[0];
  if (file !== undefined && o.dataset !== undefined) throw new UsageError('give either a text file or --dataset, not both');
  if (file === undefined && o.dataset === undefined && o.resume === undefined) {
    throw new UsageError('give a text file to train on, or --dataset moby-dick');
  }
  const limits = runLimits(o, { steps: DEFAULT_STEPS });
  const out = String(o.out ?? o.resume ?? 'model.rnn');
  const stem = stemOf(out);
  return withOutputLock(out, 'train', 'lower --lr or set --clip', () => {
    const replacing = guardRunOutputs(o, out, [{ path: `${stem}.loss.svg`, label: 'the loss curve' }, { path: `${stem}.report.json`, label: 'the report' }], file !== undefined ? [file] : []);
    if (replacing) io.err(`${replacing}\n`);
    return trainTo(out, args, io, limits);
  });
}

async function trainTo(out: string, args: ParsedArgs, io: CommandIO, limits: RunLimits): Promise<number> {
  const o = args.options;
  const { budgetMs, maxSteps } = limits;
  const file = args.positionals[0];
  const setup = await prepare(args, file, budgetMs);
  const { net, corpus, settings } = setup;
  const tokenizer = corpus.tokenizer;
  const unit = tokenizer.kind === 'char' ? 'char' : 'word';
  if (setup.resumed) warnUnknown(corpus, unit, io);
  if (corpus.train.length < settings.seqLen + 1) {
    // one window predicts seqLen symbols from the seqLen before them: it needs seqLen + 1 symbols
    throw new OptionError(`the training text has ${corpus.train.length} ${unit}s (after holding out ${corpus.val.length} for validation), shorter than one sequence of --seq-len ${settings.seqLen} + 1; give a longer text or a --seq-len of at most ${Math.max(1, corpus.train.length - 1)}`);
  }
  const maxBatch = Math.floor((corpus.train.length - 1) / settings.seqLen);
  if (settings.batch > maxBatch) {
    // B parallel streams of the text, each at least one window of seqLen long
    throw new UsageError(`--batch ${settings.batch} needs ${settings.batch} streams of at least --seq-len ${settings.seqLen} ${unit}s, but the training text has ${corpus.train.length}; use --batch ${maxBatch} or less (or a longer text)`);
  }
  const windows = { seqLen: settings.seqLen, batchSize: settings.batch };
  const trainData = textBatches(corpus.train, tokenizer.vocabSize, windows);
  const evalSet = corpus.val.length >= 2 ? corpus.val.subarray(0, Math.min(corpus.val.length, EVAL_SYMBOLS + 1)) : null;
  // one stream from a cold start, as the final figure reads the whole tail (docs/maths.md §7)
  const evalData = evalSet ? validationBatches(evalSet, tokenizer.vocabSize) : undefined;
  const budget: BudgetSchedule = { kind: settings.schedule ?? 'constant', warmup: settings.warmup ?? 0 };
  // a resumed decay goes on from its last plan until the run's speed is measured (planSchedule)
  let plan: Schedule | undefined = budget.kind !== 'constant' ? setup.resumed?.plan : undefined;
  let state: FitState | undefined = setup.resumedState ?? undefined;
  const history = {
    train: [] as [number, number][],
    val: [] as [number, number][],
  };
  // a resumed curve (possibly from a file written before curves were bounded) is bounded as it is read
  for (const p of setup.resumed?.history.train ?? []) pushBounded(history.train, p);
  for (const p of setup.resumed?.history.val ?? []) pushBounded(history.val, p);
  const priorSec = setup.resumed?.elapsedSec ?? 0;
  const mode = progressMode(o['json-log'] === true, io);
  const progress = createProgress(io, { mode, unit });
  const prime = String(o.prime);
  const sampleEvery = Number(o['sample-every']);
  const checkpointEvery = Number(o['checkpoint-every']);
  const evalEvery = Number(o['eval-every']);
  const sampleLength = Number(o['sample-length']);
  const stream = new SymbolStream(net);

  const threads = threadCount(o, settings.batch);
  if (mode !== 'json') io.err(describeRun(net, corpus, settings, setup, out, maxSteps, budgetMs, threads) + '\n');

  const runStart = performance.now();
  const startStep = state?.step ?? 0;
  let step = startStep;
  let epoch = step / trainData.batchesPerEpoch;
  let trainSec = 0;
  let symbolsThisRun = 0;
  let windowLoss = 0;
  let windowSteps = 0;
  let curveLoss = 0;
  let curveSteps = 0;
  let lastLoss = NaN;
  let lastVal: number | undefined = history.val.length ? history.val[history.val.length - 1]![1] : undefined;

  const stats = (valBpc?: number): ProgressStats => {
    const elapsedSec = (performance.now() - runStart) / 1000;
    const done = step - startStep;
    const perStep = done > 0 ? elapsedSec / done : NaN;
    const etaSteps = maxSteps === Infinity ? Infinity : (maxSteps - step) * perStep;
    const etaTime = budgetMs === Infinity ? Infinity : budgetMs / 1000 - elapsedSec;
    const eta = Math.max(0, Math.min(etaSteps, etaTime));
    const fraction = Math.max(
      maxSteps === Infinity ? 0 : step / maxSteps,
      budgetMs === Infinity ? 0 : elapsedSec * 1000 / budgetMs,
    );
    return {
      step, epoch, trainLoss: lastLoss,
      ...(valBpc !== undefined ? { valBpc } : {}),
      charsPerSec: trainSec > 0 ? symbolsThisRun / trainSec : 0,
      elapsedSec,
      ...(Number.isFinite(eta) ? { etaSec: eta } : {}),
      fraction,
    };
  };
  const showSample = (length: number): void => {
    stream.syncWeights();
    const text = generate(stream, tokenizer, { prime, length, temperature: 0.8, seed: settings.seed });
    progress.sample(stats(), prime, text);
  };
  const save = async (): Promise<void> => {
    const extra: TextRunExtra = {
      settings, source: setup.source, elapsedSec: priorSec + (performance.now() - runStart) / 1000, history, ...(plan ? { plan } : {}),
    };
    const fields = state ? fitStateToCheckpoint(state) : null;
    mkdirSync(dirname(resolve(out)), { recursive: true });
    await writeFileAtomic(out, encodeCheckpoint({
      networks: { model: net }, meta: textModelMeta(tokenizer),
      ...(fields ? { step: fields.step, rngState: fields.rngState, optimizer: fields.optimizer } : {}),
      extra: { ...(fields ? fields.extra : {}), text: extra },
    }));
  };
  const onStep = (rec: StepRecord): void => {
    step = rec.step;
    epoch = rec.epoch + (rec.batch + 1) / trainData.batchesPerEpoch;
    const seconds = trainData.B / rec.samplesPerSec; // this step's time: B sequences at samplesPerSec
    trainSec += seconds;
    symbolsThisRun += rec.tokensPerSec * seconds;
    windowLoss += rec.loss;
    windowSteps++;
    lastLoss = windowLoss / windowSteps;
    curveLoss += rec.loss;
    curveSteps++;
    if (step % CURVE_EVERY === 0) {
      pushBounded(history.train, [step, round(bits(curveLoss / curveSteps))]);
      curveLoss = 0;
      curveSteps = 0;
    }
    progress.update(stats());
    if (step === 10 || step === 100 || (sampleEvery > 0 && step % sampleEvery === 0)) showSample(sampleLength);
  };
  const onValidation = (rec: ValidationRecord): void => {
    lastVal = bits(rec.loss);
    pushBounded(history.val, [rec.step, round(lastVal)]);
    progress.update(stats(lastVal), true);
    windowLoss = 0;
    windowSteps = 0;
  };

  const run = await runTraining({
    model: net, data: trainData, limits, checkpointEvery, threads, signal: io.signal,
    fit: {
      optimizer: { kind: settings.optimizer }, learningRate: settings.lr, seed: settings.seed,
      ...(budget.warmup > 0 ? { schedule: { kind: 'constant', warmup: budget.warmup } } : {}),
      // a run that stays above a uniform guess (or turns NaN) stops at its last good point;
      // blocks of 25 updates' training loss count as evaluations too, so a short run is
      // judged before its first validation
      divergence: { baseline: uniformLoss(tokenizer.vocabSize), every: 25 },
      // fit averages over the B streams and sums over the T steps: clip at T·clip is clipping the per-symbol mean at clip
      ...(settings.clip > 0 ? { clipNorm: settings.clip * settings.seqLen } : {}),
      ...(evalData ? { validation: evalData, validateEvery: evalEvery } : {}),
    },
    ...(state ? { resume: state } : {}),
    onStep, onValidation,
    save: async (st) => { state = st; await save(); },
    saved: (at) => progress.message(`saved ${out} at step ${at}`),
    // a decay that ends with the run is re-planned from the measured speed (with --time) every REPLAN_EVERY updates
    ...(budget.kind !== 'constant' ? { replan: { every: REPLAN_EVERY, plan: (at) => (plan = planSchedule(budget, at, plan)) } } : {}),
  });
  state = run.state;
  step = run.step;
  const stopReason = run.stop;
  if (stopReason === 'diverged') {
    progress.stop();
    throw new TrainingError(run.diagnosis ?? 'training learned nothing: the loss stayed above a uniform guess.');
  }
  const loopSec = (performance.now() - runStart) / 1000;
  const finalPlan: Schedule = plan ?? (budget.warmup > 0 ? { kind: 'constant', warmup: budget.warmup } : { kind: 'constant' });
  if (curveSteps > 0) pushBounded(history.train, [step, round(bits(curveLoss / curveSteps))]);

  // the final figure: validation on the whole held-out tail
  let finalVal: number | undefined;
  if (corpus.val.length >= 2 && stopReason !== 'interrupted') {
    if (mode !== 'json') progress.message(`evaluating on the whole validation tail (${corpus.val.length} ${unit}s)…`);
    finalVal = bits(evaluateText(net, corpus.val, windows));
    if (history.val[history.val.length - 1]?.[0] !== step) pushBounded(history.val, [step, round(finalVal)]);
    progress.update(stats(finalVal), true);
  }
  if (step > startStep) showSample(Math.max(sampleLength, 300));
  progress.stop();

  await save();
  const stem = stemOf(out);
  const svgFile = `${stem}.loss.svg`;
  const reportFile = `${stem}.report.json`;
  await writeFileAtomic(svgFile, markedText('svg', lossCurveSvg([
    { label: 'training', points: history.train, color: '#1f77b4' },
    { label: 'validation', points: history.val, color: '#d62728', dots: true },
  ], { title: `${settings.cell.toUpperCase()} ${settings.layers}×${settings.hidden} on ${sourceName(setup.source)}`, yLabel: `bits per ${unit} (cross-entropy / ln 2)` })));
  const charsPerSec = trainSec > 0 ? symbolsThisRun / trainSec : 0;
  const report = {
    generator: GENERATOR_MARK,
    model: out,
    lossCurve: svgFile,
    source: setup.source,
    settings,
    vocabSize: tokenizer.vocabSize,
    parameters: net.params.size,
    kernels: net.kernels.name,
    threads,
    symbols: { train: corpus.train.length, validation: corpus.val.length, unit },
    step,
    stepsThisRun: step - startStep,
    epoch: round(epoch),
    stopReason,
    finalTrainLoss: round(lastLoss),
    finalTrainBpc: round(bits(lastLoss)),
    ...(finalVal !== undefined ? { finalValLoss: round(finalVal * Math.LN2), finalValBpc: round(finalVal) } : {}),
    lastMeasuredValBpc: lastVal !== undefined ? round(lastVal) : null,
    schedule: finalPlan,
    finalLearningRate: step > 0 ? learningRate(finalPlan, settings.lr, step - 1) : settings.lr,
    durationSec: round(loopSec),
    totalDurationSec: round(priorSec + loopSec),
    trainSec: round(trainSec),
    charsPerSec: Math.round(charsPerSec),
    finishedAt: new Date().toISOString(),
  };
  await writeFileAtomic(reportFile, new TextEncoder().encode(JSON.stringify(report, null, 2) + '\n'));

  if (args.json) io.out(JSON.stringify(report, null, 2) + '\n');
  else if (mode !== 'json') {
    io.out([
      `${stopReason === 'interrupted' ? 'interrupted after' : 'trained'} ${step - startStep} steps (to step ${step}, epoch ${epoch.toFixed(2)}) in ${formatDuration(loopSec)}: ${Math.round(charsPerSec)} ${unit}s/s`,
      finalVal !== undefined ? `validation: ${finalVal.toFixed(3)} bits per ${unit} on the held-out ${corpus.val.length} ${unit}s` : 'validation: not measured',
      `model:       ${out}`,
      `loss curve:  ${svgFile}`,
      `report:      ${reportFile}`,
      stopReason === 'interrupted'
        ? `continue with: ${rnnkitCommand()} train --resume ${out}${Number.isFinite(maxSteps) ? ` --steps ${maxSteps}` : ''}`
        : `sample with:   ${rnnkitCommand()} sample ${out} --prime ${JSON.stringify(prime.trim() || 'The')} --length 500`,
    ].join('\n') + '\n');
  } else {
    const last = stats(finalVal);
    io.out(JSON.stringify({
      done: true, step, trainLoss: report.finalTrainLoss, ...(finalVal !== undefined ? { valBpc: report.finalValBpc } : {}),
      charsPerSec: report.charsPerSec, elapsedSec: round(last.elapsedSec, 2), report,
    }) + '\n');
  }
  return exitCodeOf(stopReason);
}

/** Loads the text and builds (or resumes) the model. */
async function prepare(args: ParsedArgs, file: string | undefined, budgetMs: number): Promise<Setup> {
  const o = args.options;
  if (o.resume !== undefined) {
    const path = String(o.resume);
    const checkpoint = await loadCheckpointFile(path);
    const { net, tokenizer } = readTextModel(checkpoint, path);
    const extra = (checkpoint.extra as { text?: TextRunExtra } | undefined)?.text;
    if (!extra || typeof extra !== 'object' || !extra.settings || !extra.source || !checkpoint.optimizer) {
      throw new OptionError(`${path} holds a model but not the training state to resume it; start a new run instead`);
    }
    const resumedState = fitStateFromCheckpoint(checkpoint, net.config.dtype);
    checkFixed(o, extra.settings);
    const settings: TextRunSettings = {
      ...extra.settings,
      ...(o.lr !== undefined ? { lr: Number(o.lr) } : {}),
      ...(o.clip !== undefined ? { clip: Number(o.clip) } : {}),
      ...(o.schedule !== undefined ? { schedule: o.schedule as BudgetSchedule['kind'] } : {}),
      ...(o.warmup !== undefined ? { warmup: Number(o.warmup) } : {}),
    };
    const source: TextSource = file !== undefined ? { file: resolve(file) } : o.dataset !== undefined ? { dataset: String(o.dataset) } : extra.source;
    const corpus = prepareCorpus(loadText(source), { tokenizer, valFraction: settings.valFraction });
    return { net, corpus, settings, source, resumed: extra, resumedState };
  }
  const source: TextSource = file !== undefined ? { file: resolve(file) } : { dataset: String(o.dataset) };
  const tokens = (o.tokens as TokenKind | undefined) ?? TRAIN_DEFAULTS.tokens;
  const valFraction = o['val-fraction'] !== undefined ? Number(o['val-fraction']) : TRAIN_DEFAULTS.valFraction;
  const corpus = prepareCorpus(loadText(source), {
    tokens, valFraction, ...(o['vocab-size'] !== undefined ? { vocabSize: Number(o['vocab-size']) } : {}),
  });
  // a run with --time decays to its end by default; one counted in steps keeps η (resumed to more steps, it goes on as one run)
  const schedule = (o.schedule as BudgetSchedule['kind'] | undefined) ?? (o.time !== undefined ? 'linear' : 'constant');
  const sized = Number.isFinite(budgetMs) ? modelForBudget(budgetMs / 1000) : BUDGET_MODELS[0]!;
  const hidden = num(o.hidden, sized.hidden);
  const settings: TextRunSettings = {
    tokens,
    vocabSize: corpus.tokenizer.vocabSize,
    cell: (o.cell as CellKind | undefined) ?? TRAIN_DEFAULTS.cell,
    layers: num(o.layers, TRAIN_DEFAULTS.layers),
    hidden,
    seqLen: num(o['seq-len'], TRAIN_DEFAULTS.seqLen),
    batch: num(o.batch, TRAIN_DEFAULTS.batch),
    optimizer: (o.optimizer as OptimizerKind | undefined) ?? sized.optimizer,
    lr: num(o.lr, schedule === 'constant' ? TRAIN_DEFAULTS.constantLr : defaultPeak(hidden)),
    clip: num(o.clip, TRAIN_DEFAULTS.clip),
    seed: num(o.seed, TRAIN_DEFAULTS.seed),
    valFraction,
    schedule,
    warmup: num(o.warmup, schedule === 'constant' ? 0 : TRAIN_DEFAULTS.warmup),
  };
  const net = createTextNetwork(corpus.tokenizer, settings);
  return { net, corpus, settings, source, resumed: null, resumedState: null };
}

/** Share of unknown symbols (index 0) above which a resumed run warns: the text is mostly outside the model's vocabulary. */
const UNKNOWN_WARN_SHARE = 0.05;

/** With --resume, warns when much of the new text maps to the unknown symbol (it would train on little but "unknown"). */
function warnUnknown(corpus: Corpus, unit: string, io: CommandIO): void {
  let unknown = 0;
  for (const s of [corpus.train, corpus.val]) for (let i = 0; i < s.length; i++) if (s[i] === 0) unknown++;
  const n = corpus.train.length + corpus.val.length;
  if (n > 0 && unknown / n > UNKNOWN_WARN_SHARE) {
    io.err(`warning: ${(100 * unknown / n).toFixed(1)} % of the text's ${unit}s are outside the resumed model's vocabulary and are read as the unknown symbol; resume on text like the one it was trained on, or start a new model\n`);
  }
}

/** The network of a text model: one-hot symbols in, softmax over the same symbols out. */
export function createTextNetwork(tokenizer: Tokenizer, s: Pick<TextRunSettings, 'cell' | 'layers' | 'hidden' | 'seed'>): Network {
  return new Network({
    cell: s.cell, inputSize: tokenizer.vocabSize, hiddenSize: s.hidden, outputSize: tokenizer.vocabSize,
    layers: s.layers, loss: 'cross-entropy', seed: s.seed,
  });
}

/** ", linear decay to the end, warm-up 100" for the run's description. */
function scheduleText(s: TextRunSettings): string {
  const warmup = s.warmup ? `, warm-up ${s.warmup}` : '';
  return s.schedule === 'linear' || s.schedule === 'cosine' ? ` (${s.schedule} decay to 0 at the end${warmup})` : warmup ? ` (${warmup.slice(2)})` : '';
}

function num(v: unknown, fallback: number): number {
  return v === undefined ? fallback : Number(v);
}

/** With --resume, options that define the model or its data must match the model file. */
function checkFixed(o: ParsedArgs['options'], s: TextRunSettings): void {
  const fixed: [string, keyof TextRunSettings][] = [
    ['tokens', 'tokens'], ['vocab-size', 'vocabSize'], ['cell', 'cell'], ['layers', 'layers'], ['hidden', 'hidden'],
    ['seq-len', 'seqLen'], ['batch', 'batch'], ['optimizer', 'optimizer'], ['seed', 'seed'], ['val-fraction', 'valFraction'],
  ];
  for (const [flag, key] of fixed) {
    if (o[flag] !== undefined && o[flag] !== s[key]) {
      throw new UsageError(`--${flag} ${String(o[flag])} conflicts with the resumed model's ${String(s[key])}; leave it out when resuming`);
    }
  }
}

function loadText(source: TextSource): string {
  return 'dataset' in source ? datasetText(source.dataset) : readTextFile(source.file);
}

function sourceName(source: TextSource): string {
  return 'dataset' in source ? source.dataset : source.file.split(/[\\/]/).pop()!;
}

function describeRun(net: Network, corpus: Corpus, s: TextRunSettings, setup: Setup, out: string, maxSteps: number, budgetMs: number, threads: number): string {
  const unit = corpus.tokenizer.kind === 'char' ? 'characters' : 'words';
  const limit = [
    Number.isFinite(maxSteps) ? `${maxSteps} steps` : '',
    Number.isFinite(budgetMs) ? formatDuration(budgetMs / 1000) : '',
  ].filter(Boolean).join(' or ');
  return [
    `${setup.resumedState ? `resuming at step ${setup.resumedState.step}` : 'training'} on ${sourceName(setup.source)}: ${corpus.train.length} ${unit} (+ ${corpus.val.length} held out), vocabulary ${corpus.tokenizer.vocabSize}`,
    `model: ${s.cell.toUpperCase()}, ${s.layers} layer${s.layers > 1 ? 's' : ''} × ${s.hidden} hidden, ${net.params.size} parameters (${net.config.dtype}, ${getKernels().name} kernels, ${threads} thread${threads > 1 ? 's' : ''})`,
    `training: ${s.optimizer} lr ${s.lr}${scheduleText(s)}, clip ${s.clip || 'off'}, windows of ${s.seqLen} × batch ${s.batch}, seed ${s.seed}, for ${limit}, saving to ${out}`,
  ].join('\n');
}

function round(v: number, digits = 4): number {
  return Number.isFinite(v) ? Number(v.toFixed(digits)) : v;
}
