/**
 * The one training run every training command (train, forecast, classify,
 * pronounce) goes through: the output lock, the step / epoch / time limits,
 * threads, periodic checkpoints, stopping on Ctrl-C, SIGTERM or SIGHUP
 * (io.signal) with a save, and the exact resume (the fit state goes into
 * every save). A command supplies the network, its batches and how to write
 * its model file; this module decides when to save and why it stopped.
 */

import { existsSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { OptionError, TrainingError } from '../core/errors.js';
import type { BatchSource } from '../data/source.js';
import { Network } from '../model/network.js';
import { isShardable, type Trainable } from '../train/trainable.js';
import { lockOutput } from '../node/lock.js';
import { guardOutput } from '../node/outputs.js';
import { createDataParallel } from '../node/parallel.js';
import { MIN_SEQUENCES_PER_THREAD, threadsFor, type ParallelModel } from '../parallel/data-parallel.js';
import { fit } from '../train/fit.js';
import type { EpochRecord, FitOptions, FitState, StepRecord, ValidationRecord } from '../train/fit-types.js';
import type { Optimizer } from '../train/optimizers.js';
import type { Schedule } from '../train/schedules.js';
import { UsageError, type CommandIO, type OptionSpec, type ParsedArgs } from './args.js';
import type { ProgressMode } from './progress.js';
import { rnnkitCommand } from './hints.js';

/**
 * Parses a time budget: `90s`, `5m`, `1h`, `1m30s`, `250ms`, or a plain
 * number of seconds. Returns milliseconds; zero is refused in every spelling
 * (`0`, `0s`), since a run of no time trains nothing.
 */
export function parseDuration(text: string): number {
  const s = text.trim();
  let total = 0;
  let matched = 0;
  if (/^\d+(\.\d+)?$/.test(s)) {
    total = Number(s) * 1000;
    matched = s.length;
  } else {
    const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
    let m: RegExpExecArray | null;
    while ((m = re.exec(s)) !== null) {
      total += Number(m[1]) * { ms: 1, s: 1000, m: 60000, h: 3600000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
      matched = re.lastIndex;
    }
  }
  if (matched !== s.length || s.length === 0 || !Number.isFinite(total)) {
    throw new UsageError(`--time must be a duration such as 90s, 5m, 1m30s or 1h, got "${text}"`);
  }
  if (!(total > 0)) throw new UsageError(`--time must be above zero (a run of no time trains nothing), got "${text}"`);
  return total;
}

/** The run-control flags of every training command (the model flags are in task-format.ts). */
export function runOptions(defaults: { out: string; checkpointEvery: number; limit: 'steps' | 'epochs'; limitDefault: number }): OptionSpec[] {
  const limit: OptionSpec = defaults.limit === 'steps'
    ? { name: 'steps', type: 'int', min: 1, arg: 'N', help: `total updates, resumed runs included (default ${defaults.limitDefault})` }
    : { name: 'epochs', type: 'int', min: 1, arg: 'N', help: `passes over the training data, resumed runs included (default ${defaults.limitDefault})` };
  const other: OptionSpec = defaults.limit === 'steps'
    ? { name: 'epochs', type: 'int', min: 1, arg: 'N', help: 'also stop after N passes over the training data' }
    : { name: 'steps', type: 'int', min: 1, arg: 'N', help: 'also stop after N updates in all' };
  return [
    limit,
    other,
    { name: 'time', type: 'string', arg: 'DURATION', help: 'time budget of this run above zero, e.g. 90s, 5m' },
    { name: 'threads', type: 'int', min: 1, max: 256, arg: 'N', help: `threads per gradient; default: the cores, with at least ${MIN_SEQUENCES_PER_THREAD} sequences each` },
    { name: 'checkpoint-every', type: 'int', min: 0, default: defaults.checkpointEvery, arg: 'N', help: 'save every N updates; 0 = only at the end' },
    { name: 'out', type: 'string', short: 'o', arg: 'FILE', help: `model file (default ${defaults.out}, or the --resume file)` },
    { name: 'resume', type: 'string', arg: 'MODEL', help: 'continue training the model in MODEL exactly where it stopped' },
    { name: 'force', type: 'boolean', help: 'replace an existing model file' },
  ];
}

/**
 * Refuses, before any work, outputs that would destroy something: the model
 * file (-o) when it is an input, not a model of ours, or an existing model
 * without --force (or --resume of that same file); every other output
 * (--predictions, --plot, reports) when it is an input or a file rnnkit did
 * not write. `inputs` are the files the run reads. Returns the line to
 * print when --force replaces an existing model, else undefined.
 */
export function guardRunOutputs(o: ParsedArgs['options'], model: string | undefined, files: readonly { path: string; label: string }[], inputs: readonly string[]): string | undefined {
  const force = o.force === true;
  const resumeFile = typeof o.resume === 'string' ? o.resume : undefined;
  const continuing = model !== undefined && resumeFile !== undefined && resolve(resumeFile) === resolve(model);
  // continuing a model in place: loading it checks that it is one of ours
  let replacing: string | undefined;
  if (model !== undefined && !continuing) {
    const found = guardOutput(model, {
      role: 'model', label: '-o/--out', force,
      inputs: [...inputs, ...(resumeFile !== undefined ? [resumeFile] : [])],
    });
    if (found.existing === 'ours') replacing = `replacing the model in ${model}${found.step !== undefined ? ` (${found.step.toLocaleString('en-US')} steps)` : ''} (--force)`;
  }
  for (const f of files) {
    guardOutput(f.path, { role: 'file', label: f.label, force, inputs: [...inputs, ...(resumeFile !== undefined ? [resumeFile] : []), ...(model !== undefined ? [model] : [])] });
  }
  return replacing;
}

/** The limits of a run, from --steps, --epochs and --time. */
export interface RunLimits {
  readonly maxSteps: number;
  readonly epochs: number;
  readonly budgetMs: number;
}

/** Reads --steps, --epochs and --time; `fallback` applies when none of them is given. */
export function runLimits(o: ParsedArgs['options'], fallback: { steps?: number; epochs?: number }): RunLimits {
  const budgetMs = o.time !== undefined ? parseDuration(String(o.time)) : Infinity;
  const given = o.steps !== undefined || o.epochs !== undefined || budgetMs !== Infinity;
  return {
    maxSteps: o.steps !== undefined ? Number(o.steps) : (!given && fallback.steps !== undefined ? fallback.steps : Infinity),
    epochs: o.epochs !== undefined ? Number(o.epochs) : (!given && fallback.epochs !== undefined ? fallback.epochs : Infinity),
    budgetMs,
  };
}

/** --threads, or as many threads as the cores and the batch's sequences can keep busy. */
export function threadCount(o: ParsedArgs['options'], batch: number): number {
  return o.threads !== undefined ? Number(o.threads) : threadsFor(batch, availableParallelism());
}

/**
 * How progress is shown: JSON lines on stdout with --json-log, a live bar
 * only when stderr (where the bar draws) is a terminal, else plain lines
 * every few seconds (so `… 2> log.txt` gets no `\r` frames).
 */
export function progressMode(jsonLog: boolean, io: CommandIO): ProgressMode {
  return jsonLog ? 'json' : io.isTTY ? 'bar' : 'lines';
}

/**
 * Runs `body` holding the lock on `out` (call {@link guardRunOutputs} first thing in it) (a second run writing the same model
 * is refused rather than interleaving its checkpoints); a TrainingError
 * (diverged, NaN) gets the command's advice and what `out` still holds.
 */
export async function withOutputLock<T>(out: string, command: string, advice: string, body: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(resolve(out)), { recursive: true });
  const lock = lockOutput(out, { command: `rnnkit ${command}` });
  try {
    return await body();
  } catch (e) {
    if (e instanceof TrainingError) {
      const kept = existsSync(out) ? `${out} still holds the last checkpoint saved before this step` : `nothing was saved to ${out}`;
      throw new TrainingError(`${e.message} With rnnkit ${command}: ${advice}; ${kept}.`);
    }
    throw e;
  } finally {
    lock.release();
  }
}

/** Why a run stopped, in the CLI's words. */
export type RunStop = 'steps' | 'epochs' | 'time' | 'interrupted' | 'early-stopping' | 'diverged';

/** One training run's inputs. */
export interface TrainingJob {
  /** A network, or a Trainable (an encoder–decoder, a mean-pooled classifier). */
  readonly model: Network | Trainable<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly data: BatchSource<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly limits: RunLimits;
  /** Save every this many updates (0: only when the command saves at the end). */
  readonly checkpointEvery: number;
  readonly threads: number;
  readonly signal: AbortSignal;
  /** Passed on to fit: optimizer, learning rate, clipping, validation, patience, seed, schedule… */
  readonly fit: Omit<FitOptions<any>, 'epochs' | 'maxSteps' | 'timeLimitMs' | 'signal' | 'resume' | 'parallel' | 'onStep' | 'onEpoch' | 'onValidation'>;
  readonly resume?: FitState;
  readonly onStep?: (record: StepRecord) => void;
  readonly onEpoch?: (record: EpochRecord) => void;
  readonly onValidation?: (record: ValidationRecord) => void;
  /** Writes the model file with this state (called at each checkpoint; the command saves at the end itself). */
  readonly save: (state: FitState) => Promise<void>;
  /** Told after each periodic save. */
  readonly saved?: (step: number) => void;
  /**
   * A schedule re-planned as the run goes (one that ends with the time
   * budget): before every chunk of `every` updates, `plan` gets the updates
   * made, the time left and the time per update measured in this run, and
   * returns the schedule of the next chunk (replacing `fit.schedule`). The
   * command keeps the last plan in its checkpoints, so a resumed run goes on
   * from it.
   */
  readonly replan?: { readonly every: number; readonly plan: (at: PlanPoint) => Schedule };
}

/** What a re-plan of the schedule is told (see {@link TrainingJob.replan}). */
export interface PlanPoint {
  /** Updates made in all (resumed runs included). */
  readonly step: number;
  /** The run's --steps limit (Infinity when none). */
  readonly maxSteps: number;
  /** Milliseconds left of the time budget (Infinity when none). */
  readonly leftMs: number;
  /** Milliseconds per update in this run so far, evaluations included (NaN before the first). */
  readonly msPerStep: number;
}

/** How a schedule that decays to the end of the run is laid out: its kind, warm-up and floor. */
export interface BudgetSchedule {
  readonly kind: 'constant' | 'linear' | 'cosine';
  readonly warmup: number;
  /** η_min (absolute); default 0. */
  readonly floor?: number;
}

/**
 * The schedule for the rest of a run: `linear` and `cosine` reach their
 * floor at the run's end, the earlier of --steps and the update the time
 * budget is expected to end at (leftMs / msPerStep more updates at the speed
 * measured so far). Before any speed is known and without --steps, the end
 * is unknown: the plan is `previous` (a resumed run's last plan, so η goes
 * on from where it was), else the warm-up, then η₀ (`constant`), until the
 * next re-plan. A pure function: the same point gives the same schedule.
 *
 * @example planSchedule({ kind: 'linear', warmup: 100 }, { step: 500, maxSteps: Infinity, leftMs: 30000, msPerStep: 20 })
 *   // { kind: 'linear', warmup: 100, horizon: 1900 } (500 + 1500 updates left, less the warm-up)
 */
export function planSchedule(b: BudgetSchedule, at: PlanPoint, previous?: Schedule): Schedule {
  const warmup = b.warmup > 0 ? { warmup: b.warmup } : {};
  const byTime = Number.isFinite(at.leftMs) && at.msPerStep > 0 ? at.step + Math.max(0, at.leftMs) / at.msPerStep : Infinity;
  const end = Math.min(at.maxSteps, byTime);
  if (b.kind !== 'constant' && !Number.isFinite(end) && previous) return previous;
  if (b.kind === 'constant' || !Number.isFinite(end)) return { kind: 'constant', ...warmup };
  const horizon = Math.max(1, Math.round(end) - b.warmup);
  return { kind: b.kind, horizon, ...(b.floor ? { floor: b.floor } : {}), ...warmup };
}

/** What a run did. */
export interface RunOutcome {
  /** The state to save with the model (undefined when not one step was made). */
  readonly state: FitState | undefined;
  readonly step: number;
  readonly epoch: number;
  readonly stop: RunStop;
  readonly seconds: number;
  readonly optimizer: Optimizer | undefined;
  /** Why the run stopped when it diverged (fit's diagnosis). */
  readonly diagnosis?: string;
}

/**
 * Trains from one checkpoint to the next until a limit, the time budget or
 * the signal stops it. fit counts steps and epochs from step 0, so a resumed
 * run stops where an uninterrupted one would, with the same parameters.
 */
export async function runTraining(job: TrainingJob): Promise<RunOutcome> {
  const { limits } = job;
  const start = performance.now();
  let state = job.resume;
  let step = state?.step ?? 0;
  let epoch = Math.floor(step / job.data.batchesPerEpoch);
  let stop: RunStop = 'steps';
  let optimizer: Optimizer | undefined;
  let diagnosis: string | undefined;
  const net = job.model instanceof Network ? job.model : null;
  let target = 0;
  const startStep = step;
  const parallel = job.threads > 1 ? await createDataParallel(parallelModel(job.model), { threads: job.threads }) : undefined;
  const loopStart = performance.now(); // the speed of updates, without the threads' start
  try {
    for (;;) {
      const nextSave = job.checkpointEvery > 0 ? (Math.floor(step / job.checkpointEvery) + 1) * job.checkpointEvery : Infinity;
      const nextPlan = job.replan ? (Math.floor(step / job.replan.every) + 1) * job.replan.every : Infinity;
      target = Math.min(limits.maxSteps, nextSave);
      const chunkEnd = Math.min(target, nextPlan);
      const elapsedMs = performance.now() - start;
      const leftMs = limits.budgetMs - elapsedMs;
      if (step >= limits.maxSteps) { stop = 'steps'; break; }
      if (epoch >= limits.epochs) { stop = 'epochs'; break; }
      if (leftMs <= 0) { stop = 'time'; break; }
      if (job.signal.aborted) { stop = 'interrupted'; break; }
      const schedule = job.replan?.plan({ step, maxSteps: limits.maxSteps, leftMs, msPerStep: step > startStep ? (performance.now() - loopStart) / (step - startStep) : NaN });
      const options = {
        ...job.fit,
        ...(schedule ? { schedule } : {}),
        ...(optimizer ? { optimizer } : {}),
        ...(Number.isFinite(limits.epochs) ? { epochs: limits.epochs } : {}),
        ...(Number.isFinite(chunkEnd) ? { maxSteps: chunkEnd } : {}),
        ...(Number.isFinite(leftMs) ? { timeLimitMs: leftMs } : {}),
        signal: job.signal,
        ...(job.onStep ? { onStep: job.onStep } : {}),
        ...(job.onEpoch ? { onEpoch: job.onEpoch } : {}),
        ...(job.onValidation ? { onValidation: job.onValidation } : {}),
        ...(state ? { resume: state } : {}),
        ...(parallel ? { parallel } : {}),
      };
      const r = net ? await fit(net, job.data, options) : await fit(job.model as Trainable<unknown>, job.data, options);
      optimizer = r.optimizer;
      state = r.state;
      step = r.step;
      epoch = r.epoch;
      if (r.stopReason === 'aborted') stop = 'interrupted';
      else if (r.stopReason === 'time') stop = 'time';
      else if (r.stopReason === 'epochs') stop = 'epochs';
      else if (r.stopReason === 'earlyStopping' || r.stopReason === 'tolerance') stop = 'early-stopping';
      else if (r.stopReason === 'diverged') {
        stop = 'diverged';
        diagnosis = r.diagnosis;
      } else if (r.stopReason === 'maxSteps' && step < target) {
        continue; // a re-plan of the schedule, not a checkpoint
      } else if (r.stopReason === 'maxSteps' && step < limits.maxSteps) {
        // with restoreBest the network now holds the best validation's parameters (what the file
        // offers for use) and the state where training stopped (what the next chunk continues from)
        // while the divergence watch counts bad evaluations, the file keeps the last good checkpoint
        if ((state.badEvaluations ?? 0) === 0) {
          await job.save(state);
          job.saved?.(step);
        }
        continue;
      } else stop = 'steps';
      break;
    }
  } finally {
    parallel?.dispose();
  }
  return { state, step, epoch, stop, seconds: (performance.now() - start) / 1000, optimizer, ...(diagnosis !== undefined ? { diagnosis } : {}) };
}

/**
 * The end of a task command's run: a run that learned nothing is an error
 * (the file keeps its last good checkpoint); otherwise the model is saved,
 * and an interrupted run says how to continue and returns its exit code.
 * Resolves to null when the command goes on to evaluate and report.
 */
export async function finishRun(run: RunOutcome, save: (state: FitState | undefined) => Promise<void>, how: { readonly io: CommandIO; readonly out: string; readonly command: string }): Promise<number | null> {
  if (run.stop === 'diverged') throw new TrainingError(run.diagnosis ?? 'training learned nothing.');
  await save(run.state);
  if (run.stop !== 'interrupted') return null;
  how.io.err(`interrupted at step ${run.step}; saved ${how.out}\ncontinue with: ${rnnkitCommand()} ${how.command} --resume ${how.out}\n`);
  return exitCodeOf(run.stop);
}

/** Exit code of a finished run: 130 after an interruption (the model was saved), else 0. */
export function exitCodeOf(stop: RunStop): number {
  return stop === 'interrupted' ? 130 : 0;
}

/** Most points a loss curve kept in a model file holds (per list); see {@link pushBounded}. */
export const CURVE_LIMIT = 2048;

/**
 * Appends a (step, loss) point to a curve kept in a model file, keeping it
 * bounded: when it grows past `limit`, every other point is dropped (the
 * first and the newest stay), so a run of millions of steps — and every
 * later --resume — carries at most `limit` points.
 */
export function pushBounded(curve: [number, number][], point: [number, number], limit = CURVE_LIMIT): void {
  curve.push(point);
  if (curve.length <= limit) return;
  let w = 1;
  for (let r = 2; r < curve.length - 1; r += 2) curve[w++] = curve[r]!;
  curve[w++] = curve[curve.length - 1]!;
  curve.length = w;
}

/**
 * Refuses a --batch larger than the training items can fill: the batch
 * sources would quietly use fewer (B = min(batch, items)), and the run
 * would report a batch it never used.
 */
export function checkBatch(requested: number, used: number, items: string): void {
  if (used < requested) throw new UsageError(`--batch ${requested} is more than the ${used} ${items} the training part holds; use --batch ${used} or less`);
}

/** The model as DataParallel takes it (a network, or a trainable whose batches split by sequence). */
function parallelModel(model: Network | Trainable<unknown>): ParallelModel {
  if (model instanceof Network || isShardable(model)) return model;
  throw new OptionError('this model trains on one thread only (its gradient cannot be split by sequence); leave out --threads');
}
