/**
 * `fit`: mini-batch training of a {@link Network} on a {@link BatchSource},
 * one update per batch:
 *
 *   g = ∂J_batch/∂θ            (BPTT over the batch, summed over its sequences)
 *   g ← g / B_real             (reduction "mean", the default)
 *   g ← clip(g)                (global norm, then value, when asked)
 *   θ ← optimizer(θ, g, η(step))
 *
 * with validation, early stopping and restore of the best validation's
 * parameters, the lecture's tolerance rule, step, epoch and time limits,
 * cancellation, a watch that stops a run that learned nothing, a bounded
 * loss history, and an exact resume. It trains a {@link Network} or any
 * {@link Trainable} (an encoder–decoder, a loss of its own) the same way.
 */

import { expectChoice, expectNumber, expectPositiveInt, OptionError, rejectUnknownKeys, ShapeError, TrainingError } from '../core/errors.js';
import type { ParamSet } from '../core/params.js';
import { Rng } from '../core/rng.js';
import type { DType, Float } from '../core/tensor.js';
import type { BackwardOptions } from '../cells/cell.js';
import type { BatchSource, ReusableBatch } from '../data/source.js';
import { Network, type SequenceBatch } from '../model/network.js';
import { clipByGlobalNorm, clipByValue, findNonFinite, gradientNorm } from './clip.js';
import { StateCarry, evaluate, evaluateTrainable } from './evaluate.js';
import type { BestPoint, EpochRecord, FitHistory, FitOptions, FitResult, FitState, StepRecord, StopReason, ValidationRecord } from './fit-types.js';
import { createOptimizer, type Optimizer, type OptimizerOptions } from './optimizers.js';
import { checkSchedule, learningRate, type Schedule } from './schedules.js';
import type { Trainable } from './trainable.js';

const KEYS = ['optimizer', 'learningRate', 'schedule', 'clipNorm', 'clipValue', 'reduction', 'truncate', 'gradientMode',
  'epochs', 'maxSteps', 'timeLimitMs', 'signal', 'validation', 'validateEvery', 'patience', 'minDelta', 'tolerance',
  'toleranceOn', 'onStep', 'onEpoch', 'onValidation', 'rng', 'seed', 'resume', 'yieldEveryMs', 'parallel',
  'restoreBest', 'divergence', 'historyLimit'] as const;

/**
 * Trains `net` (or a {@link Trainable}: every parameter set with one
 * optimizer) in place on `data` and returns the history.
 *
 * Each step takes the next batch, computes the gradient of J summed over
 * the batch's sequences, divides it by the number of real sequences
 * (`reduction: "mean"`, the default; `"sum"` keeps the sum; a short last
 * batch divides by its own real count), clips it, and lets the optimizer
 * update θ with η from the schedule. A stateful source (stream windows)
 * gets the previous window's final state as its initial state, reset to
 * zeros at every epoch start; the gradient stops at the window's edge
 * (truncated BPTT).
 *
 * The data order is a pure function of the shuffling generator's state at
 * the start of an epoch, which {@link FitResult.state} records together with
 * the step, the optimizer's state, the carried state, the best validation's
 * parameters and the watch's counters. So training N steps straight equals
 * training k steps, saving `net` and `state`, loading them and training to
 * N — parameters bit for bit, the same loss history.
 *
 * fit is async: it gives the event loop a turn every `yieldEveryMs`, so an
 * AbortSignal or a browser UI can act; a step allocates nothing but its
 * small {@link StepRecord}.
 *
 * Without the `divergence` option it throws a TrainingError when the loss,
 * the gradient or an update becomes NaN or infinite, naming the step and
 * the parameter; with it, it stops ('diverged') at the last good point and
 * says why in `diagnosis`. Bad options or data that does not fit the model
 * throw an OptionError or ShapeError. A Trainable takes no stateful source,
 * and `parallel` only when made for it (a ShardableTrainable).
 *
 * @example
 * const net = new Network({ cell: 'lstm', inputSize: vocab.length, hiddenSize: 64, outputSize: vocab.length, loss: 'cross-entropy' });
 * const { train, validation } = splitStream(symbolStream(ids, vocab.length), 0.1);
 * const result = await fit(net, new StreamBatches(train, { batchSize: 16, seqLen: 32 }), {
 *   optimizer: { kind: 'adam' }, learningRate: 3e-3, clipNorm: 5, epochs: 10,
 *   validation: new StreamBatches(validation, { batchSize: 16, seqLen: 32 }), patience: 3,
 *   divergence: { baseline: uniformLoss(vocab.length) },
 *   onStep: (s) => console.log(s.step, s.loss, s.tokensPerSec),
 * });
 * // later: the same call with `resume: result.state` (and the saved parameters) continues exactly.
 */
export async function fit(net: Network, data: BatchSource, options?: FitOptions): Promise<FitResult>;
export async function fit<TBatch>(model: Trainable<TBatch>, data: BatchSource<TBatch>, options?: FitOptions<TBatch>): Promise<FitResult>;
export async function fit(model: Network | Trainable<unknown>, data: BatchSource<unknown>, options: FitOptions<unknown> = {}): Promise<FitResult> {
  rejectUnknownKeys('fit', options, KEYS);
  const net = model instanceof Network ? model : null;
  const sets: readonly ParamSet[] = net ? [net.params] : (model as Trainable<unknown>).paramSets;
  const dtype: DType = net ? net.config.dtype : (model as Trainable<unknown>).dtype;
  const o = resolve(net, sets, data, options);
  const size = sets.reduce((n, p) => n + p.size, 0);
  const opt = makeOptimizer(options.optimizer, size, dtype);
  const parts = sets.map((p) => ({ theta: p.data, grad: p.grad }));
  const rng = options.rng ?? new Rng(options.seed ?? 1);
  const carry = net && data.stateful ? new StateCarry(net, data.B) : null;
  const validation = options.validation;
  const valCarry = net && validation?.stateful ? new StateCarry(net, validation.B) : null;
  const nb = data.batchesPerEpoch;
  const history: FitHistory = { steps: [], epochs: [], validations: [] };
  const gradient = net
    ? (b: unknown) => (options.parallel ?? net).gradient(b as ReusableBatch, o.backward)
    : (b: unknown) => (options.parallel ?? (model as Trainable<unknown>)).gradient(b, o.backward);
  const lossOf = (): { loss: number; rmse: number } =>
    net ? evaluate(net, validation as BatchSource, valCarry ?? undefined) : evaluateTrainable(model as Trainable<unknown>, validation!);

  let step = 0;
  let epochJ = 0; // ΣJ, Σcount of the epoch in progress
  let epochCount = 0;
  let best = Infinity;
  let bad = 0;
  let previousRmse = NaN;
  let badEvaluations = 0; // the divergence watch
  let blockJ = 0;
  let blockCount = 0;
  let bestPoint: { step: number; loss: number; params: Float[] } | null = null;
  let lossHistory: { train: [number, number][]; validation: [number, number][]; stride: number } = { train: [], validation: [], stride: 1 };
  const r = options.resume;
  if (r) {
    step = r.step;
    if (!Number.isSafeInteger(step) || step < 0) throw new OptionError(`resume.step must be a non-negative integer, got ${step}`);
    rng.setState(r.rngState);
    opt.setState(r.optimizer);
    epochJ = r.epochLoss ?? 0;
    epochCount = r.epochCount ?? 0;
    best = r.bestValidationLoss ?? Infinity;
    bad = r.badValidations ?? 0;
    previousRmse = r.previousRmse ?? NaN;
    badEvaluations = r.badEvaluations ?? 0;
    blockJ = r.blockLoss ?? 0;
    blockCount = r.blockCount ?? 0;
    if (r.best) bestPoint = { step: r.best.step, loss: r.best.loss, params: copyParams(sets, r.best.params, 'resume.best.params') };
    // training goes on from where it stopped, not from the best parameters the model was left with
    if (r.params) copyParams(sets, r.params, 'resume.params').forEach((a, i) => sets[i]!.data.set(a));
    if (r.lossHistory) {
      lossHistory = { train: r.lossHistory.train.map(([s, l]) => [s, l]), validation: r.lossHistory.validation.map(([s, l]) => [s, l]), stride: r.lossHistory.stride };
    }
    if (carry && step % nb !== 0) {
      if (!r.carry) throw new OptionError('resume.carry is missing: a stateful source resumed mid-epoch needs the carried state from FitResult.state');
      carry.restore(r.carry);
    }
  }
  let epoch = Math.floor(step / nb);
  let pos = step % nb;
  let epochRng = rng.getState();
  let stop: StopReason | null = null;
  let diagnosis: string | undefined;
  const start = now();
  let lastYield = start;
  let runSeconds = 0; // this run's share of the epoch, for throughput
  let runSequences = 0;
  let runTokens = 0;

  /**
   * The state to save at the current step. Mid-epoch: the generator as it
   * was before this epoch's draw, the epoch's loss so far, the carry. At an
   * epoch boundary: the generator before the next epoch's draw — after the
   * epoch just finished, when it has not been reset yet — and no epoch loss.
   */
  const snapshotState = (): FitState => {
    const midEpoch = step % nb !== 0;
    const finished = !midEpoch && step === (epoch + 1) * nb; // the epoch-end bookkeeping has not run yet
    return {
      step,
      rngState: finished ? rng.getState() : epochRng,
      optimizer: opt.getState(),
      ...(carry && midEpoch ? { carry: carry.snapshot() } : {}),
      epochLoss: finished ? 0 : epochJ,
      epochCount: finished ? 0 : epochCount,
      ...(best < Infinity ? { bestValidationLoss: best } : {}),
      badValidations: bad,
      ...(Number.isNaN(previousRmse) ? {} : { previousRmse }),
      ...(bestPoint ? { best: { step: bestPoint.step, loss: bestPoint.loss, params: bestPoint.params.map((a) => a.slice()) } satisfies BestPoint } : {}),
      ...(o.watch ? { badEvaluations, blockLoss: blockJ, blockCount } : {}),
      lossHistory: { train: lossHistory.train.map(([s, l]) => [s, l]), validation: lossHistory.validation.map(([s, l]) => [s, l]), stride: lossHistory.stride },
    };
  };
  // the last good point of the divergence watch: θ and the state to resume from
  let good: { params: Float[]; state: FitState } | null = o.watch ? { params: sets.map((p) => p.data.slice()), state: snapshotState() } : null;
  const markGood = (): void => {
    if (!good) return;
    good.params.forEach((a, i) => a.set(sets[i]!.data));
    good.state = snapshotState();
  };

  /** An evaluation of the divergence watch; true when the run must stop. */
  const watch = (loss: number, what: string): boolean => {
    if (!o.watch) return false;
    if (Number.isFinite(loss) && !(o.watch.baseline !== undefined && loss > o.watch.baseline)) {
      badEvaluations = 0;
      markGood();
      return false;
    }
    if (Number.isFinite(loss) && ++badEvaluations < o.watch.patience) return false;
    const lr = learningRate(o.schedule, o.learningRate, Math.max(step - 1, 0), nb);
    diagnosis = !Number.isFinite(loss)
      ? `training diverged at step ${step}: the ${what} is ${loss}. Lower the learning rate (last ${lr})${o.clipNorm > 0 ? ` or the clipNorm (now ${o.clipNorm})` : ' or clip the gradient (clipNorm: 1)'}.`
      : `training learned nothing: the ${what} stayed above ${fmt(o.watch.baseline!)}, the loss of a model that learned nothing, for ${o.watch.patience} evaluations in a row (last ${fmt(loss)} at step ${step}). Lower the learning rate (last ${lr})${o.clipNorm > 0 ? '' : ', clip the gradient (clipNorm: 1)'} or check that the inputs carry information about the targets.`;
    return true;
  };

  /** Validation pass; early stopping, the best parameters, the "validation" tolerance rule, the watch. */
  const validate = async (): Promise<ValidationRecord> => {
    const v = lossOf();
    const rec: ValidationRecord = { step, epoch, loss: v.loss, rmse: v.rmse };
    history.validations.push(rec);
    pushBounded(lossHistory.validation, [step, v.loss], o.historyLimit);
    if (options.onValidation) await options.onValidation(rec);
    if (v.loss < best - o.minDelta) {
      best = v.loss;
      bad = 0;
      if (o.restoreBest) {
        bestPoint ??= { step, loss: v.loss, params: sets.map((p) => p.data.slice()) };
        bestPoint.step = step;
        bestPoint.loss = v.loss;
        bestPoint.params.forEach((a, i) => a.set(sets[i]!.data));
      }
    } else if (++bad >= o.patience) stop = 'earlyStopping';
    if (o.toleranceOn === 'validation' && o.tolerance !== undefined) {
      if (Math.abs(v.rmse - previousRmse) < o.tolerance) stop = 'tolerance';
      previousRmse = v.rmse;
    }
    if (watch(v.loss, 'validation loss')) stop = 'diverged';
    return rec;
  };

  /** A non-finite loss, gradient or update: a TrainingError, or (watching) the 'diverged' stop. */
  const nonFinite = (error: TrainingError): void => {
    if (!o.watch) throw error;
    diagnosis = error.message;
    stop = 'diverged';
  };

  outer: for (;;) {
    if (epoch >= o.epochs) {
      stop = 'epochs';
      break;
    }
    epochRng = rng.getState();
    data.beginEpoch(rng);
    if (pos === 0) carry?.reset();
    for (; pos < nb; pos++) {
      if (options.signal?.aborted) stop = 'aborted';
      else if (step >= o.maxSteps) stop = 'maxSteps';
      else if (now() - start >= o.timeLimitMs) stop = 'time';
      if (stop) break outer;
      const t0 = now();
      const loaded = data.batch(pos, dtype);
      const batch = loaded.batch;
      if (carry) (batch as ReusableBatch).init = carry.init;
      for (const p of sets) p.zeroGrad();
      const g = gradient(batch);
      const loss = g.loss / Math.max(g.count, 1);
      const rmse = Math.sqrt(loss);
      if (!Number.isFinite(g.loss)) {
        nonFinite(divergence(sets, batch, 'loss', g.loss, step, epoch, pos, o, 'data', nb));
        break outer;
      }
      if (o.toleranceOn === 'step' && o.tolerance !== undefined) {
        // the lecture's rule: compare with the previous measurement and stop without updating
        if (Math.abs(rmse - previousRmse) < o.tolerance) {
          stop = 'tolerance';
          break outer;
        }
        previousRmse = rmse;
      }
      if (carry) carry.capture(options.parallel ? options.parallel.finalState((batch as ReusableBatch).T, (batch as ReusableBatch).B) : net!.stateAt((batch as ReusableBatch).T, (batch as ReusableBatch).B));
      if (o.reduction === 'mean' && loaded.sequences !== 1) {
        const s = 1 / loaded.sequences; // g ← g / B_real
        for (const p of sets) for (let i = 0; i < p.grad.length; i++) p.grad[i]! *= s;
      }
      const gradNorm = clipAll(sets, o.clipNorm);
      if (!Number.isFinite(gradNorm)) {
        nonFinite(divergence(sets, batch, 'gradient norm', gradNorm, step, epoch, pos, o, 'grad', nb));
        break outer;
      }
      if (o.clipValue > 0) for (const p of sets) clipByValue(p.grad, o.clipValue);
      const lr = learningRate(o.schedule, o.learningRate, step, nb);
      if (sets.length === 1) opt.update(sets[0]!.data, sets[0]!.grad, lr);
      else opt.updateParts(parts, lr);
      // θ may overflow although g was finite (a huge η): stop before onStep can save it.
      const overflow = firstNonFinite(sets, 'data');
      if (overflow) {
        nonFinite(divergence(sets, batch, 'parameter update', overflow.value, step, epoch, pos, o, 'data', nb));
        break outer;
      }
      step++;
      epochJ += g.loss;
      epochCount += g.count;
      const seconds = Math.max((now() - t0) / 1000, 1e-9);
      runSeconds += seconds;
      runSequences += loaded.sequences;
      runTokens += loaded.steps;
      const rec: StepRecord = {
        step, epoch, batch: pos, loss, rmse, gradNorm, learningRate: lr,
        samplesPerSec: loaded.sequences / seconds, tokensPerSec: loaded.steps / seconds,
      };
      if (step % lossHistory.stride === 0) {
        history.steps.push(rec);
        lossHistory.train.push([step, loss]);
        if (lossHistory.train.length > o.historyLimit) {
          // halve the resolution: keep the steps that are multiples of the doubled stride
          const stride = (lossHistory.stride *= 2);
          lossHistory.train = lossHistory.train.filter(([s]) => s % stride === 0);
          const kept = history.steps.filter((s) => s.step % stride === 0);
          history.steps.length = 0;
          history.steps.push(...kept);
        }
      }
      if (options.onStep) await options.onStep(rec);
      if (o.watch?.training) {
        // the mean training loss of every block of `every` updates (always without validation data)
        blockJ += g.loss;
        blockCount += g.count;
        if (step % o.watch.every === 0) {
          const mean = blockJ / Math.max(blockCount, 1);
          blockJ = blockCount = 0;
          if (watch(mean, 'training loss')) {
            stop = 'diverged';
            break outer;
          }
        }
      }
      if (validation && o.validateEvery > 0 && step % o.validateEvery === 0) {
        await validate();
        if (stop === 'diverged') break outer;
        if (stop) {
          // mid-epoch: stop now; after the epoch's last batch: finish the epoch first
          if (++pos < nb) break outer;
          break;
        }
      }
      if (now() - lastYield >= o.yieldEveryMs) {
        await yieldTurn();
        lastYield = now();
      }
    }
    // the epoch is complete
    const loss = epochJ / Math.max(epochCount, 1);
    const vrec = validation && o.validateEvery === 0 ? await validate() : undefined;
    if (stop === 'diverged') break;
    const rec: EpochRecord = {
      epoch, step, loss, rmse: Math.sqrt(loss), seconds: runSeconds,
      samplesPerSec: runSequences / Math.max(runSeconds, 1e-9), tokensPerSec: runTokens / Math.max(runSeconds, 1e-9),
      ...(vrec ? { validationLoss: vrec.loss } : {}),
    };
    history.epochs.push(rec);
    epoch++;
    pos = 0;
    epochJ = 0;
    epochCount = 0;
    runSeconds = runSequences = runTokens = 0;
    epochRng = rng.getState();
    if (options.onEpoch) await options.onEpoch(rec);
    if (o.toleranceOn === 'epoch' && o.tolerance !== undefined) {
      if (Math.abs(rec.rmse - previousRmse) < o.tolerance) stop = 'tolerance';
      previousRmse = rec.rmse;
    }
    if (stop) break;
  }

  let state: FitState;
  let restoredBest = false;
  if (stop === 'diverged' && good) {
    // back to the last good point: its parameters and the state to resume from
    good.params.forEach((a, i) => sets[i]!.data.set(a));
    state = good.state;
    step = state.step;
    epoch = Math.floor(step / nb);
  } else {
    state = snapshotState();
    if (o.restoreBest && bestPoint && stop !== 'aborted' && stop !== 'time') {
      state = { ...state, params: sets.map((p) => p.data.slice()) };
      bestPoint.params.forEach((a, i) => sets[i]!.data.set(a));
      restoredBest = true;
    }
  }
  return {
    history, stopReason: stop!, step, epoch, optimizer: opt, state,
    ...(best < Infinity ? { bestValidationLoss: best } : {}),
    ...(restoredBest ? { restoredBest } : {}),
    ...(diagnosis !== undefined ? { diagnosis } : {}),
    lossHistory: state.lossHistory!,
  };
}

/**
 * The loss of a model that learned nothing about its targets: ln K, the
 * cross-entropy of a uniform guess over K classes (or symbols). Pass it as
 * `divergence.baseline` for softmax outputs.
 */
export function uniformLoss(K: number): number {
  return Math.log(expectPositiveInt('K', K));
}

/** Appends to a bounded list, dropping every other entry when it grows past `limit`. */
function pushBounded(list: [number, number][], item: [number, number], limit: number): void {
  list.push(item);
  if (list.length <= limit) return;
  let k = 0;
  for (let i = 0; i < list.length; i += 2) list[k++] = list[i]!;
  list.length = k;
}

/** Copies of saved parameter arrays, checked against the sets' sizes. */
function copyParams(sets: readonly ParamSet[], saved: readonly Float[], name: string): Float[] {
  if (saved.length !== sets.length) throw new OptionError(`${name} holds ${saved.length} arrays, expected one per parameter set (${sets.length})`);
  return sets.map((p, i) => {
    if (saved[i]!.length !== p.size) throw new ShapeError(`${name}[${i}] holds ${saved[i]!.length} values, expected ${p.size}`);
    const a = p.data.slice();
    a.set(saved[i]!);
    return a;
  });
}

/** ‖g‖₂ over every set, clipped to maxNorm (0: no clipping) by one common factor; returns the norm before. */
function clipAll(sets: readonly ParamSet[], maxNorm: number): number {
  if (sets.length === 1) return maxNorm > 0 ? clipByGlobalNorm(sets[0]!.grad, maxNorm) : gradientNorm(sets[0]!.grad);
  let sum = 0;
  for (const p of sets) sum += gradientNorm(p.grad) ** 2;
  const norm = Math.sqrt(sum);
  if (maxNorm > 0 && Number.isFinite(norm) && norm > maxNorm) {
    const scale = maxNorm / norm;
    for (const p of sets) for (let i = 0; i < p.grad.length; i++) p.grad[i]! *= scale; // g ← g·maxNorm/‖g‖
  }
  return norm;
}

function firstNonFinite(sets: readonly ParamSet[], which: 'data' | 'grad'): ReturnType<typeof findNonFinite> {
  for (const p of sets) {
    const f = findNonFinite(p, which);
    if (f) return f;
  }
  return null;
}

function fmt(x: number): string {
  return Number(x.toPrecision(4)).toString();
}

interface Resolved {
  readonly learningRate: number;
  readonly schedule: Schedule;
  readonly clipNorm: number;
  readonly clipValue: number;
  readonly reduction: 'mean' | 'sum';
  readonly backward: BackwardOptions;
  readonly epochs: number;
  readonly maxSteps: number;
  readonly timeLimitMs: number;
  readonly validateEvery: number;
  readonly patience: number;
  readonly minDelta: number;
  readonly tolerance: number | undefined;
  readonly toleranceOn: 'epoch' | 'step' | 'validation';
  readonly yieldEveryMs: number;
  readonly restoreBest: boolean;
  /** The divergence watch, when asked for. */
  readonly watch: { readonly training: boolean; readonly baseline: number | undefined; readonly patience: number; readonly every: number } | null;
  readonly historyLimit: number;
}

/** Validates the options once, at the door, and fills in the defaults. */
function resolve(net: Network | null, sets: readonly ParamSet[], data: BatchSource<unknown>, options: FitOptions<unknown>): Resolved {
  const v = options.validation;
  if (net) {
    const c = net.config;
    if (options.parallel !== undefined && options.parallel.net !== net) {
      throw new OptionError('parallel was made for another network: create it with the network being trained');
    }
    if (data.inputSize !== c.inputSize || data.outputSize !== c.outputSize) {
      throw new ShapeError(`the data has inputSize ${data.inputSize} and outputSize ${data.outputSize}, but the network has D = ${c.inputSize} and K = ${c.outputSize}`);
    }
    if (v && (v.inputSize !== c.inputSize || v.outputSize !== c.outputSize)) {
      throw new ShapeError(`the validation data has inputSize ${v.inputSize} and outputSize ${v.outputSize}, but the network has D = ${c.inputSize} and K = ${c.outputSize}`);
    }
  } else {
    if (sets.length === 0) throw new OptionError('the model to train has no parameter sets');
    if (options.parallel !== undefined && (options.parallel.sets.length !== sets.length || options.parallel.sets.some((p, i) => p !== sets[i]))) {
      throw new OptionError('parallel was made for another model: create it with the model being trained');
    }
    if (data.stateful || v?.stateful) throw new OptionError('a stateful source (stream windows) needs a Network, which carries the state');
  }
  const positive = (name: string, x: number | undefined): number => {
    if (x === undefined) return 0;
    if (!(expectNumber(name, x, 0) > 0)) throw new OptionError(`${name} must be greater than 0, got 0`);
    return x;
  };
  const learningRate = positive('learningRate', options.learningRate ?? 1e-3);
  const schedule = options.schedule ?? { kind: 'constant' };
  checkSchedule(schedule);
  const limited = options.maxSteps !== undefined || options.timeLimitMs !== undefined;
  const toleranceOn = options.toleranceOn === undefined ? 'epoch' : expectChoice('toleranceOn', options.toleranceOn, ['epoch', 'step', 'validation'] as const);
  if (!v && (options.patience !== undefined || options.validateEvery !== undefined || (options.tolerance !== undefined && toleranceOn === 'validation'))) {
    throw new OptionError('patience, validateEvery and toleranceOn "validation" need validation data (options.validation)');
  }
  if (options.truncate !== undefined) expectPositiveInt('truncate', options.truncate);
  if (options.restoreBest !== undefined && typeof options.restoreBest !== 'boolean') throw new OptionError('restoreBest must be true or false');
  if (options.restoreBest && !v) throw new OptionError('restoreBest needs validation data (options.validation)');
  const d = options.divergence;
  if (d !== undefined) rejectUnknownKeys('divergence', d, ['baseline', 'patience', 'every']);
  const watch = d === undefined ? null : {
    training: !v || d.every !== undefined,
    baseline: d.baseline === undefined ? undefined : expectNumber('divergence.baseline', d.baseline),
    patience: d.patience === undefined ? 3 : expectPositiveInt('divergence.patience', d.patience),
    every: d.every === undefined ? Math.min(data.batchesPerEpoch, 100) : expectPositiveInt('divergence.every', d.every),
  };
  const historyLimit = options.historyLimit === undefined ? 4096 : expectPositiveInt('historyLimit', options.historyLimit);
  if (historyLimit < 16) throw new OptionError(`historyLimit must be at least 16, got ${historyLimit}`);
  return {
    restoreBest: options.restoreBest ?? false,
    watch,
    historyLimit,
    learningRate,
    schedule,
    clipNorm: positive('clipNorm', options.clipNorm),
    clipValue: positive('clipValue', options.clipValue),
    reduction: options.reduction === undefined ? 'mean' : expectChoice('reduction', options.reduction, ['mean', 'sum'] as const),
    backward: {
      ...(options.truncate !== undefined ? { truncate: options.truncate } : {}),
      ...(options.gradientMode !== undefined ? { gradientMode: expectChoice('gradientMode', options.gradientMode, ['exact', 'lecture'] as const) } : {}),
    },
    epochs: options.epochs !== undefined ? expectPositiveInt('epochs', options.epochs) : limited ? Infinity : 1,
    maxSteps: options.maxSteps !== undefined ? expectPositiveInt('maxSteps', options.maxSteps) : Infinity,
    timeLimitMs: options.timeLimitMs !== undefined ? positive('timeLimitMs', options.timeLimitMs) : Infinity,
    validateEvery: options.validateEvery !== undefined ? expectPositiveInt('validateEvery', options.validateEvery) : 0,
    patience: options.patience !== undefined ? expectPositiveInt('patience', options.patience) : Infinity,
    minDelta: expectNumber('minDelta', options.minDelta ?? 0, 0),
    tolerance: options.tolerance !== undefined ? expectNumber('tolerance', options.tolerance, 0) : undefined,
    toleranceOn,
    yieldEveryMs: expectNumber('yieldEveryMs', options.yieldEveryMs ?? 25, 0),
  };
}

function makeOptimizer(given: Optimizer | OptimizerOptions | undefined, size: number, dtype: Network['config']['dtype']): Optimizer {
  if (given && isOptimizer(given)) {
    if (given.size !== size) throw new ShapeError(`the optimizer covers ${given.size} parameters, but the network has ${size}; create it with createOptimizer(options, net.params.size, dtype)`);
    return given;
  }
  return createOptimizer(given ?? { kind: 'adam' }, size, dtype);
}

function isOptimizer(x: Optimizer | OptimizerOptions): x is Optimizer {
  return 'update' in x && typeof x.update === 'function';
}

/** A TrainingError naming the step, the quantity and the parameter that went non-finite, with a hint. */
function divergence(
  sets: readonly ParamSet[], batch: unknown, quantity: string, value: number, step: number, epoch: number, index: number, o: Resolved, look: 'data' | 'grad', nb: number,
): TrainingError {
  const where = `at step ${step + 1} (epoch ${epoch}, batch ${index})`;
  const found = firstNonFinite(sets, look);
  let which: string;
  if (found) {
    const what = look === 'grad' ? `∂J/∂${found.name}` : `parameter ${found.name}`;
    const also = found.parameters.length > 1 ? `; also ${found.parameters.filter((n) => n !== found.name).join(', ')}` : '';
    which = `${what}[${found.row}][${found.col}] is ${found.value} (${found.count} non-finite value${found.count === 1 ? '' : 's'}${also})`;
  } else if (isSequenceBatch(batch) && batchHasNonFinite(batch)) {
    which = 'the batch\'s inputs or targets hold NaN or Infinity: clean the data';
  } else {
    const big = largestParameter(sets);
    which = `every parameter is finite, but the largest |θ| is ${big.name}[${big.row}][${big.col}] = ${big.value.toExponential(3)}: the weights grew until the ${quantity} overflowed`;
  }
  const lastLr = step > 0 ? learningRate(o.schedule, o.learningRate, step - 1, nb) : o.learningRate;
  const clip = o.clipNorm > 0 ? `a smaller clipNorm (now ${o.clipNorm})` : 'clip the gradient (clipNorm: 1)';
  return new TrainingError(
    `training diverged ${where}: the ${quantity} is ${value}; ${which}. Lower the learning rate (last ${lastLr}) or ${clip}.`);
}

/** Whether a dense input or target of the batch holds NaN or ±Infinity. */
function batchHasNonFinite(batch: SequenceBatch): boolean {
  for (const a of [batch.x, batch.y]) {
    if (a.kind !== 'dense') continue;
    for (let i = 0; i < a.data.length; i++) if (!Number.isFinite(a.data[i]!)) return true;
  }
  return false;
}

/** The parameter element of largest magnitude over every set, named. */
function largestParameter(sets: readonly ParamSet[]): { name: string; row: number; col: number; value: number } {
  let set = sets[0]!;
  let at = 0;
  for (const p of sets) {
    const d = p.data;
    for (let i = 0; i < d.length; i++) if (Math.abs(d[i]!) > Math.abs(set.data[at]!)) { set = p; at = i; }
  }
  const e = set.entries.find((p) => at >= p.offset && at < p.offset + p.size)!;
  const k = at - e.offset;
  return { name: e.name, row: Math.floor(k / e.cols), col: k % e.cols, value: set.data[at]! };
}

function isSequenceBatch(b: unknown): b is SequenceBatch {
  return typeof b === 'object' && b !== null && 'x' in b && 'y' in b && 'T' in b;
}

function now(): number {
  return performance.now();
}

/** One macrotask: lets timers, an AbortSignal and UI events run. */
function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
