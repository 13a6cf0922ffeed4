/**
 * `fit`: mini-batch training of a {@link Network} on a {@link BatchSource},
 * one update per batch:
 *
 *   g = ∂J_batch/∂θ            (BPTT over the batch, summed over its sequences)
 *   g ← g / B_real             (reduction "mean", the default)
 *   g ← clip(g)                (global norm, then value, when asked)
 *   θ ← optimizer(θ, g, η(step))
 *
 * with validation, early stopping, the lecture's tolerance rule, step,
 * epoch and time limits, cancellation, and an exact resume.
 */

import { expectChoice, expectNumber, expectPositiveInt, OptionError, rejectUnknownKeys, ShapeError, TrainingError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { BackwardOptions } from '../cells/cell.js';
import type { BatchSource } from '../data/source.js';
import type { Network, SequenceBatch } from '../model/network.js';
import { clipByGlobalNorm, clipByValue, findNonFinite, gradientNorm } from './clip.js';
import { StateCarry, evaluate } from './evaluate.js';
import type { EpochRecord, FitHistory, FitOptions, FitResult, FitState, StepRecord, StopReason, ValidationRecord } from './fit-types.js';
import { createOptimizer, type Optimizer, type OptimizerOptions } from './optimizers.js';
import { checkSchedule, learningRate, type Schedule } from './schedules.js';

const KEYS = ['optimizer', 'learningRate', 'schedule', 'clipNorm', 'clipValue', 'reduction', 'truncate', 'gradientMode',
  'epochs', 'maxSteps', 'timeLimitMs', 'signal', 'validation', 'validateEvery', 'patience', 'minDelta', 'tolerance',
  'toleranceOn', 'onStep', 'onEpoch', 'onValidation', 'rng', 'seed', 'resume', 'yieldEveryMs', 'parallel'] as const;

/**
 * Trains `net` in place on `data` and returns the history.
 *
 * Each step takes the next batch, computes the gradient of J summed over
 * the batch's sequences, divides it by the number of real sequences
 * (`reduction: "mean"`, the default; `"sum"` keeps the sum), clips it, and
 * lets the optimizer update θ with η from the schedule. A stateful source
 * (stream windows) gets the previous window's final state as its initial
 * state, reset to zeros at every epoch start; the gradient stops at the
 * window's edge (truncated BPTT).
 *
 * The data order is a pure function of the shuffling generator's state at
 * the start of an epoch, which {@link FitResult.state} records together with
 * the step, the optimizer's state and the carried state. So training N steps
 * straight equals training k steps, saving `net` and `state`, loading them
 * and training to N — parameters bit for bit, the same loss history.
 *
 * fit is async: it gives the event loop a turn every `yieldEveryMs`, so an
 * AbortSignal or a browser UI can act; a step allocates nothing but its
 * small {@link StepRecord}.
 *
 * Throws a TrainingError when the loss or the gradient becomes NaN or
 * infinite, naming the step and the parameter, and an OptionError or
 * ShapeError for bad options or data that does not fit the network.
 *
 * @example
 * const net = new Network({ cell: 'lstm', inputSize: vocab.length, hiddenSize: 64, outputSize: vocab.length, loss: 'cross-entropy' });
 * const { train, validation } = splitStream(symbolStream(ids, vocab.length), 0.1);
 * const result = await fit(net, new StreamBatches(train, { batchSize: 16, seqLen: 32 }), {
 *   optimizer: { kind: 'adam' }, learningRate: 3e-3, clipNorm: 5, epochs: 10,
 *   validation: new StreamBatches(validation, { batchSize: 16, seqLen: 32 }), patience: 3,
 *   onStep: (s) => console.log(s.step, s.loss, s.tokensPerSec),
 * });
 * // later: the same call with `resume: result.state` (and the saved parameters) continues exactly.
 */
export async function fit(net: Network, data: BatchSource, options: FitOptions = {}): Promise<FitResult> {
  rejectUnknownKeys('fit', options, KEYS);
  const o = resolve(net, data, options);
  const p = net.params;
  const dtype = net.config.dtype;
  const opt = makeOptimizer(options.optimizer, p.size, dtype);
  const rng = options.rng ?? new Rng(options.seed ?? 1);
  const carry = data.stateful ? new StateCarry(net, data.B) : null;
  const validation = options.validation;
  const valCarry = validation?.stateful ? new StateCarry(net, validation.B) : null;
  const nb = data.batchesPerEpoch;
  const history: FitHistory = { steps: [], epochs: [], validations: [] };

  let step = 0;
  let epochJ = 0; // ΣJ, Σcount of the epoch in progress
  let epochCount = 0;
  let best = Infinity;
  let bad = 0;
  let previousRmse = NaN;
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
    if (carry && step % nb !== 0) {
      if (!r.carry) throw new OptionError('resume.carry is missing: a stateful source resumed mid-epoch needs the carried state from FitResult.state');
      carry.restore(r.carry);
    }
  }
  let epoch = Math.floor(step / nb);
  let pos = step % nb;
  let epochRng = rng.getState();
  let stop: StopReason | null = null;
  const start = now();
  let lastYield = start;
  let runSeconds = 0; // this run's share of the epoch, for throughput
  let runSequences = 0;
  let runTokens = 0;

  /** Validation pass; early stopping and the "validation" tolerance rule. */
  const validate = async (): Promise<ValidationRecord> => {
    const v = evaluate(net, validation!, valCarry ?? undefined);
    const rec: ValidationRecord = { step, epoch, loss: v.loss, rmse: v.rmse };
    history.validations.push(rec);
    if (options.onValidation) await options.onValidation(rec);
    if (v.loss < best - o.minDelta) {
      best = v.loss;
      bad = 0;
    } else if (++bad >= o.patience) stop = 'earlyStopping';
    if (o.toleranceOn === 'validation' && o.tolerance !== undefined) {
      if (Math.abs(v.rmse - previousRmse) < o.tolerance) stop = 'tolerance';
      previousRmse = v.rmse;
    }
    return rec;
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
      if (carry) batch.init = carry.init;
      p.zeroGrad();
      const g = (options.parallel ?? net).gradient(batch, o.backward);
      const loss = g.loss / Math.max(g.count, 1);
      const rmse = Math.sqrt(loss);
      if (!Number.isFinite(g.loss)) throw divergence(net, batch, 'loss', g.loss, step, epoch, pos, o, 'data');
      if (o.toleranceOn === 'step' && o.tolerance !== undefined) {
        // the lecture's rule: compare with the previous measurement and stop without updating
        if (Math.abs(rmse - previousRmse) < o.tolerance) {
          stop = 'tolerance';
          break outer;
        }
        previousRmse = rmse;
      }
      if (carry) carry.capture(options.parallel ? options.parallel.finalState(batch.T, batch.B) : net.stateAt(batch.T, batch.B));
      if (o.reduction === 'mean' && loaded.sequences !== 1) {
        const s = 1 / loaded.sequences; // g ← g / B_real
        for (let i = 0; i < p.grad.length; i++) p.grad[i]! *= s;
      }
      const gradNorm = o.clipNorm > 0 ? clipByGlobalNorm(p.grad, o.clipNorm) : gradientNorm(p.grad);
      if (!Number.isFinite(gradNorm)) throw divergence(net, batch, 'gradient norm', gradNorm, step, epoch, pos, o, 'grad');
      if (o.clipValue > 0) clipByValue(p.grad, o.clipValue);
      const lr = learningRate(o.schedule, o.learningRate, step);
      opt.update(p.data, p.grad, lr);
      // θ may overflow although g was finite (a huge η): stop before onStep can save it.
      const overflow = findNonFinite(p, 'data');
      if (overflow) throw divergence(net, batch, 'parameter update', overflow.value, step, epoch, pos, o, 'data');
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
      history.steps.push(rec);
      if (options.onStep) await options.onStep(rec);
      if (validation && o.validateEvery > 0 && step % o.validateEvery === 0) {
        await validate();
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

  const midEpoch = pos > 0 && pos < nb;
  const state: FitState = {
    step,
    rngState: epochRng,
    optimizer: opt.getState(),
    ...(carry && midEpoch ? { carry: carry.snapshot() } : {}),
    epochLoss: epochJ,
    epochCount,
    ...(best < Infinity ? { bestValidationLoss: best } : {}),
    badValidations: bad,
    ...(Number.isNaN(previousRmse) ? {} : { previousRmse }),
  };
  return {
    history, stopReason: stop!, step, epoch, optimizer: opt, state,
    ...(best < Infinity ? { bestValidationLoss: best } : {}),
  };
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
}

/** Validates the options once, at the door, and fills in the defaults. */
function resolve(net: Network, data: BatchSource, options: FitOptions): Resolved {
  const c = net.config;
  if (options.parallel !== undefined && options.parallel.net !== net) {
    throw new OptionError('parallel was made for another network: create it with the network being trained');
  }
  if (data.inputSize !== c.inputSize || data.outputSize !== c.outputSize) {
    throw new ShapeError(`the data has inputSize ${data.inputSize} and outputSize ${data.outputSize}, but the network has D = ${c.inputSize} and K = ${c.outputSize}`);
  }
  const v = options.validation;
  if (v && (v.inputSize !== c.inputSize || v.outputSize !== c.outputSize)) {
    throw new ShapeError(`the validation data has inputSize ${v.inputSize} and outputSize ${v.outputSize}, but the network has D = ${c.inputSize} and K = ${c.outputSize}`);
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
  return {
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
  net: Network, batch: SequenceBatch, quantity: string, value: number, step: number, epoch: number, index: number, o: Resolved, look: 'data' | 'grad',
): TrainingError {
  const where = `at step ${step + 1} (epoch ${epoch}, batch ${index})`;
  const found = findNonFinite(net.params, look);
  let which: string;
  if (found) {
    const what = look === 'grad' ? `∂J/∂${found.name}` : `parameter ${found.name}`;
    const also = found.parameters.length > 1 ? `; also ${found.parameters.filter((n) => n !== found.name).join(', ')}` : '';
    which = `${what}[${found.row}][${found.col}] is ${found.value} (${found.count} non-finite value${found.count === 1 ? '' : 's'}${also})`;
  } else if (batchHasNonFinite(batch)) {
    which = 'the batch\'s inputs or targets hold NaN or Infinity: clean the data';
  } else {
    const big = largestParameter(net);
    which = `every parameter is finite, but the largest |θ| is ${big.name}[${big.row}][${big.col}] = ${big.value.toExponential(3)}: the weights grew until the ${quantity} overflowed`;
  }
  const lastLr = step > 0 ? learningRate(o.schedule, o.learningRate, step - 1) : o.learningRate;
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

/** The parameter element of largest magnitude, named. */
function largestParameter(net: Network): { name: string; row: number; col: number; value: number } {
  const d = net.params.data;
  let at = 0;
  for (let i = 1; i < d.length; i++) if (Math.abs(d[i]!) > Math.abs(d[at]!)) at = i;
  const e = net.params.entries.find((p) => at >= p.offset && at < p.offset + p.size)!;
  const k = at - e.offset;
  return { name: e.name, row: Math.floor(k / e.cols), col: k % e.cols, value: d[at]! };
}

function now(): number {
  return performance.now();
}

/** One macrotask: lets timers, an AbortSignal and UI events run. */
function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
