/**
 * A {@link FitState} in and out of a checkpoint file (src/io/checkpoint.ts):
 * the step, the generator's state and the optimizer go into the
 * checkpoint's own fields, the rest (carried stream state, the epoch's loss
 * so far, early-stopping and tolerance bookkeeping) into its JSON `extra`,
 * exactly (float64 values survive JSON; −0 is written as the string "-0").
 */

import { FormatError } from '../core/errors.js';
import { allocate, type DType, type Float } from '../core/tensor.js';
import type { Checkpoint } from '../io/checkpoint.js';
import type { FitState, LossHistory } from './fit-types.js';

/** The checkpoint fields that hold a {@link FitState}. */
export type FitCheckpointFields = Required<Pick<Checkpoint, 'step' | 'rngState' | 'optimizer'>> & { readonly extra: FitExtra };

/** The JSON part of a saved {@link FitState}. */
export interface FitExtra {
  readonly fit: {
    readonly carry?: { h: (number | string)[]; c?: (number | string)[] }[];
    readonly epochLoss?: number;
    readonly epochCount?: number;
    readonly bestValidationLoss?: number;
    readonly badValidations?: number;
    readonly previousRmse?: number;
    readonly badEvaluations?: number;
    readonly blockLoss?: number;
    readonly blockCount?: number;
    readonly lossHistory?: { train: [number, number][]; validation: [number, number][]; stride: number };
  };
}

/**
 * The checkpoint fields for `state`; spread them into the checkpoint.
 * `state.best` (the best validation's parameters) and `state.params` are not among them: they are
 * binary data, which `encodeModel` (src/io/model-file.ts) stores as
 * networks `best.<name>`; use that for runs with `restoreBest`.
 *
 *
 * @example
 * const bytes = encodeCheckpoint({ networks: { model: net }, meta: { vocab }, ...fitStateToCheckpoint(result.state) });
 */
export function fitStateToCheckpoint(state: FitState): FitCheckpointFields {
  const finite = (v: number | undefined): number | undefined => (v !== undefined && Number.isFinite(v) ? v : undefined);
  const fit: FitExtra['fit'] = {
    carry: state.carry?.map((s) => (s.c ? { h: toJson(s.h), c: toJson(s.c) } : { h: toJson(s.h) })),
    epochLoss: finite(state.epochLoss),
    epochCount: finite(state.epochCount),
    bestValidationLoss: finite(state.bestValidationLoss),
    badValidations: finite(state.badValidations),
    previousRmse: finite(state.previousRmse),
    badEvaluations: finite(state.badEvaluations),
    blockLoss: finite(state.blockLoss),
    blockCount: finite(state.blockCount),
    lossHistory: state.lossHistory
      ? { train: state.lossHistory.train.map(([s, l]) => [s, l]), validation: state.lossHistory.validation.map(([s, l]) => [s, l]), stride: state.lossHistory.stride }
      : undefined,
  };
  return { step: state.step, rngState: state.rngState, optimizer: state.optimizer, extra: { fit } };
}

/**
 * The {@link FitState} saved in a decoded checkpoint, to pass to `fit` as
 * `resume`. `dtype` is the network's (the carried state's element type).
 * Throws a FormatError when the checkpoint lacks the step, the generator's
 * or the optimizer's state.
 */
export function fitStateFromCheckpoint(c: Checkpoint, dtype: DType): FitState {
  if (c.step === undefined || c.rngState === undefined || c.optimizer === undefined) {
    throw new FormatError('the checkpoint has no training state (step, rngState and optimizer); it was not saved with fitStateToCheckpoint');
  }
  const extra = c.extra;
  const fit: Record<string, unknown> = isRecord(extra) && isRecord(extra['fit']) ? extra['fit'] : {};
  const num = (key: string): number | undefined => {
    const v = fit[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new FormatError(`checkpoint extra.fit.${key} must be a finite number`);
    return v;
  };
  const saved = fit['carry'];
  if (saved !== undefined && !Array.isArray(saved)) throw new FormatError('checkpoint extra.fit.carry must be an array of layer states');
  const carry = saved?.map((s: unknown, l: number) => {
    if (!isRecord(s)) throw new FormatError(`checkpoint extra.fit.carry[${l}] must be an object { h, c? }`);
    const h = fromJson(s['h'], dtype, `extra.fit.carry[${l}].h`);
    return s['c'] === undefined ? { h } : { h, c: fromJson(s['c'], dtype, `extra.fit.carry[${l}].c`) };
  });
  const lossHistory = readLossHistory(fit['lossHistory']);
  return {
    step: c.step, rngState: c.rngState, optimizer: c.optimizer, carry,
    epochLoss: num('epochLoss'), epochCount: num('epochCount'), bestValidationLoss: num('bestValidationLoss'),
    badValidations: num('badValidations'), previousRmse: num('previousRmse'),
    badEvaluations: num('badEvaluations'), blockLoss: num('blockLoss'), blockCount: num('blockCount'),
    ...(lossHistory ? { lossHistory } : {}),
  };
}

/** A saved loss history: lists of [step, loss] pairs (loss may be null for a NaN that JSON cannot hold) and a stride. */
function readLossHistory(h: unknown): LossHistory | undefined {
  if (h === undefined) return undefined;
  const pairs = (x: unknown, name: string): [number, number][] => {
    if (!Array.isArray(x)) throw new FormatError(`checkpoint extra.fit.lossHistory.${name} must be an array of [step, loss] pairs`);
    return x.map((p: unknown, i) => {
      if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'number' || !(typeof p[1] === 'number' || p[1] === null)) {
        throw new FormatError(`checkpoint extra.fit.lossHistory.${name}[${i}] must be a [step, loss] pair`);
      }
      return [p[0], p[1] === null ? NaN : p[1]];
    });
  };
  if (!isRecord(h)) throw new FormatError('checkpoint extra.fit.lossHistory must be an object { train, validation, stride }');
  const stride = h['stride'];
  if (typeof stride !== 'number' || !Number.isSafeInteger(stride) || stride < 1) throw new FormatError('checkpoint extra.fit.lossHistory.stride must be a positive integer');
  return { train: pairs(h['train'], 'train'), validation: pairs(h['validation'], 'validation'), stride };
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function toJson(a: Float): (number | string)[] {
  return Array.from(a, (v) => (Object.is(v, -0) ? '-0' : v));
}

function fromJson(a: unknown, dtype: DType, name: string): Float {
  if (!Array.isArray(a)) throw new FormatError(`checkpoint ${name} must be an array of numbers`);
  const out = allocate(dtype, a.length);
  a.forEach((v, i) => {
    if (v === '-0') out[i] = -0;
    else if (typeof v === 'number' && Number.isFinite(v)) out[i] = v;
    else throw new FormatError(`checkpoint ${name}[${i}] is not a finite number`);
  });
  return out;
}
