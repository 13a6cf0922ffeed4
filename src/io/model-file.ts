/**
 * One model file for every kind of model: a {@link Checkpoint}
 * (./checkpoint.ts: versioned, checksummed, browser-safe) whose `meta`
 * holds `kind` and everything needed to use the model on new data, and
 * whose training fields hold the {@link FitState} to resume exactly.
 *
 * | kind         | networks                     | meta                                                               |
 * |--------------|------------------------------|--------------------------------------------------------------------|
 * | `text`       | `model`                      | tokenizer (char/word vocabulary)                                   |
 * | `forecaster` | `model`                      | scaler, window, horizon, strategy, period, column, time axis, held-out errors |
 * | `classifier` | `model`                      | class names, input (symbols or feature names + mean/sd), pooling   |
 * | `seq2seq`    | `encoder`, `decoder`         | source and target symbols, longest source and target              |
 *
 * The encoder of an encoder–decoder has no output layer; it is stored as a
 * network with the same layers (both directions when bidirectional) and a
 * 1-column zero output layer (V, no bias) that is never used. Parameters
 * that belong to no network (an attention layer's W_a, W_c, b_c) are stored
 * in order as the input weights U (n×1) of a one-unit network named after
 * them. With `restoreBest`, the best validation's parameters are stored the
 * same way, one network `best.<i>` per parameter set, and — once they were
 * restored — the parameters where training stopped as `train.<i>`.
 */

import { FormatError, OptionError } from '../core/errors.js';
import type { ParamSet } from '../core/params.js';
import type { Float } from '../core/tensor.js';
import { Network } from '../model/network.js';
import { Seq2Seq } from '../seq2seq/model.js';
import { SequenceClassifier, POOLINGS, type ClassifierInfo, type Pooling } from '../tasks/classify.js';
import { FORECAST_STRATEGIES, Forecaster, type ForecasterDetails, type ForecastStrategy } from '../tasks/forecast.js';
import { SCALINGS, type Scaler } from '../tasks/scaling.js';
import { SymbolTable } from '../tasks/symbols.js';
import type { TimeAxis } from '../tasks/time-axis.js';
import { Tokenizer, type TokenizerJSON } from '../text/tokenizer.js';
import { findNonFinite } from '../train/clip.js';
import { fitStateFromCheckpoint, fitStateToCheckpoint } from '../train/fit-state.js';
import type { BestPoint, FitState } from '../train/fit-types.js';
import { decodeCheckpoint, encodeCheckpoint, readCheckpointHeader, type Checkpoint, type DecodeOptions } from './checkpoint.js';

/** The kinds of model a file can hold. */
export const MODEL_KINDS = ['text', 'forecaster', 'classifier', 'seq2seq'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/** A model and everything needed to use it, by kind. */
export type SavedModel =
  | { readonly kind: 'text'; readonly net: Network; readonly tokenizer: Tokenizer }
  | { readonly kind: 'forecaster'; readonly forecaster: Forecaster }
  | { readonly kind: 'classifier'; readonly classifier: SequenceClassifier }
  | {
    readonly kind: 'seq2seq';
    readonly model: Seq2Seq;
    /** Source symbols (letters), index = encoder input id. */
    readonly source: SymbolTable;
    /** Target symbols (phonemes), index = decoder symbol id (the boundary symbol excluded). */
    readonly target: SymbolTable;
    /** Longest source and target seen in training (decoding limits). */
    readonly maxSourceLength: number;
    readonly maxTargetLength: number;
  };

/** What {@link encodeModel} stores besides the model. */
export interface EncodeModelOptions {
  /** The training state to resume from (FitResult.state). */
  readonly state?: FitState;
  /** Anything JSON about the run (report, options, split); returned by {@link decodeModel} as `extra`. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** A decoded model file. */
export interface ModelFile {
  readonly model: SavedModel;
  /** The training state, when the file was saved with one (pass it to fit as `resume`). */
  readonly state?: FitState;
  /** The caller's JSON from {@link EncodeModelOptions.extra} (empty when none). */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** The `meta` of each kind, as stored. */
export type ModelMeta =
  | { readonly kind: 'text'; readonly tokenizer: TokenizerJSON }
  | {
    readonly kind: 'forecaster'; readonly scaler: Scaler; readonly window: number; readonly horizon: number;
    readonly strategy: ForecastStrategy; readonly period?: number; readonly column?: string; readonly time?: TimeAxis;
    readonly calibration?: readonly (readonly number[])[];
  }
  | {
    readonly kind: 'classifier'; readonly classNames: readonly string[]; readonly input: ClassifierInfo['input'];
    readonly featureStats: readonly { mean: number; sd: number }[]; readonly pooling: Pooling;
  }
  | {
    readonly kind: 'seq2seq'; readonly source: readonly string[]; readonly target: readonly string[]; readonly maxSourceLength: number; readonly maxTargetLength: number;
    /** Present when the encoder reads both ways / the decoder attends. */
    readonly bidirectional?: true; readonly attention?: string;
  };

/** The old pronounce format's one-line refusal. */
const OLD_SEQ2SEQ = 'an old pronounce model (JSON, format "recurrent-seq2seq"), which this version no longer reads; retrain it with `rnnkit pronounce -o cmu.rnn`';

/**
 * The model file's bytes: the model's networks, its `meta` (with `kind`),
 * and, when given, the training state and the caller's extra JSON.
 * Deterministic. Throws an OptionError for a model that does not hold
 * together (e.g. a vocabulary of the wrong size).
 *
 * @example
 * const bytes = encodeModel({ kind: 'forecaster', forecaster }, { state: result.state });
 * const { model } = decodeModel(bytes); // model.kind === 'forecaster'
 */
export function encodeModel(model: SavedModel, options: EncodeModelOptions = {}): Uint8Array {
  const networks = networksOf(model);
  const state = options.state;
  const all: Record<string, Network> = { ...networks };
  if (state?.best) {
    const sets = paramSetsOf(model);
    if (state.best.params.length !== sets.length) throw new OptionError(`state.best holds ${state.best.params.length} parameter arrays, expected one per parameter set (${sets.length})`);
    sets.forEach((p, i) => {
      if (state.best!.params[i]!.length !== p.size) throw new OptionError(`state.best.params[${i}] holds ${state.best!.params[i]!.length} values, expected ${p.size}`);
      all[`best.${i}`] = flatCarrier(state.best!.params[i]!, p.dtype);
    });
  }
  if (state?.params) {
    const sets = paramSetsOf(model);
    if (state.params.length !== sets.length) throw new OptionError(`state.params holds ${state.params.length} arrays, expected one per parameter set (${sets.length})`);
    sets.forEach((p, i) => {
      if (state.params![i]!.length !== p.size) throw new OptionError(`state.params[${i}] holds ${state.params![i]!.length} values, expected ${p.size}`);
      all[`train.${i}`] = flatCarrier(state.params![i]!, p.dtype);
    });
  }
  const { best, params: _params, ...rest } = state ?? {};
  const fields = state ? fitStateToCheckpoint(rest as FitState) : undefined;
  const extra = {
    ...(fields ? fields.extra : {}),
    ...(best ? { best: { step: best.step, loss: best.loss } } : {}),
    ...(options.extra ? { user: options.extra } : {}),
  };
  const checkpoint: Checkpoint = {
    networks: all, meta: metaOf(model),
    ...(fields ? { step: fields.step, rngState: fields.rngState, optimizer: fields.optimizer } : {}),
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
  return encodeCheckpoint(checkpoint);
}

/**
 * Reads a model file of any kind. `what` names the file in errors. Throws
 * a FormatError naming what is wrong: not a model file, a file of an
 * unknown kind, meta that does not fit the networks — and, for an old
 * pronounce JSON file, one line saying how to retrain.
 */
export function decodeModel(bytes: Uint8Array | ArrayBuffer, options: DecodeOptions & { readonly what?: string } = {}): ModelFile {
  const what = options.what ?? 'the model file';
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (looksLikeOldSeq2Seq(u8)) throw new FormatError(`${what}: ${OLD_SEQ2SEQ}`);
  const { what: _, ...decodeOptions } = options;
  const c = named(what, () => decodeCheckpoint(u8, decodeOptions));
  for (const [name, net] of Object.entries(c.networks)) {
    const bad = findNonFinite(net.params, 'data');
    if (bad) throw new FormatError(`${what}: parameter ${bad.name}[${bad.row}][${bad.col}] of network "${name}" is ${bad.value}, not a finite number; the file was saved from a run that diverged or is damaged — retrain the model`);
  }
  const model = modelOf(c, what);
  const extra = isRecord(c.extra) ? c.extra : {};
  const user = isRecord(extra['user']) ? extra['user'] : {};
  if (c.step === undefined) return { model, extra: user };
  const state = fitStateFromCheckpoint(c, dtypeOf(model));
  const flat = (prefix: string, what2: string): Float[] => paramSetsOf(model).map((p, i) => {
    const net = c.networks[`${prefix}.${i}`];
    if (!net || net.config.inputSize !== p.size) throw new FormatError(`${what}: ${what2} (network "${prefix}.${i}", ${p.size} values) are missing`);
    return net.params.view('layer0.U').slice();
  });
  const best = isRecord(extra['best']) ? extra['best'] : null;
  let bestPoint: BestPoint | undefined;
  if (best) {
    const step = best['step'];
    const loss = best['loss'];
    if (typeof step !== 'number' || typeof loss !== 'number') throw new FormatError(`${what}: extra.best must hold a step and a loss`);
    bestPoint = { step, loss, params: flat('best', 'the best validation\'s parameters') };
  }
  const params = c.networks['train.0'] ? flat('train', 'the parameters where training stopped') : undefined;
  return { model, state: { ...state, ...(bestPoint ? { best: bestPoint } : {}), ...(params ? { params } : {}) }, extra: user };
}

/** The kind of a model file from its header alone (cheap: no parameters are read). */
export function readModelKind(bytes: Uint8Array | ArrayBuffer, what = 'the model file'): ModelKind {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (looksLikeOldSeq2Seq(u8)) throw new FormatError(`${what}: ${OLD_SEQ2SEQ}`);
  return kindOf(named(what, () => readCheckpointHeader(u8)).meta, what);
}

/** The networks of a model by name, in the order of their parameter sets (fit's `paramSets`). */
export function networksOf(model: SavedModel): Record<string, Network> {
  switch (model.kind) {
    case 'text':
      return { model: model.net };
    case 'forecaster':
      return { model: model.forecaster.net };
    case 'classifier':
      return { model: model.classifier.net };
    case 'seq2seq': {
      const extra = extrasOf(model.model);
      return { encoder: encoderCarrier(model.model), decoder: model.model.decoder, ...(extra.attention ? { attention: flatCarrier(extra.attention.params.data, model.model.dtype) } : {}) };
    }
  }
}

/** What an encoder–decoder may have beyond encoder and decoder (a bidirectional encoder, an attention layer). */
function extrasOf(model: Seq2Seq): { bidirectional: boolean; attention: { readonly params: ParamSet } | null; attentionKind: string | undefined } {
  const m = model as unknown as { bidirectional?: boolean; attention?: { readonly params: ParamSet } | null };
  const kind = (model.encoder.config as unknown as { bidirectional?: boolean }).bidirectional;
  return { bidirectional: m.bidirectional === true || kind === true, attention: m.attention ?? null, attentionKind: m.attention ? 'luong' : undefined };
}

/** Parameters of no network's shape, as the U (n×1) of a one-unit linear network (W and V zero). */
function flatCarrier(values: Float, dtype: Network['config']['dtype']): Network {
  const carrier = new Network({ cell: 'rnn', inputSize: values.length, hiddenSize: 1, outputSize: 1, bias: false, hiddenActivation: 'linear', outputActivation: 'linear', loss: 'mse', dtype });
  carrier.params.data.fill(0);
  carrier.params.view('layer0.U').set(values);
  return carrier;
}

/** The parameter sets of a model in fit's order (what `state.best.params` holds one array for each of). */
export function paramSetsOf(model: SavedModel): readonly ParamSet[] {
  switch (model.kind) {
    case 'text':
      return [model.net.params];
    case 'forecaster':
      return [model.forecaster.net.params];
    case 'classifier':
      return [model.classifier.net.params];
    case 'seq2seq':
      return model.model.paramSets;
  }
}

function metaOf(model: SavedModel): ModelMeta {
  switch (model.kind) {
    case 'text':
      return { kind: 'text', tokenizer: model.tokenizer.toJSON() };
    case 'forecaster': {
      const f = model.forecaster;
      const d = f.details;
      return {
        kind: 'forecaster', scaler: { ...f.scaler }, window: f.window, horizon: f.horizon, strategy: f.strategy,
        ...(d.period !== undefined ? { period: d.period } : {}),
        ...(d.column !== undefined ? { column: d.column } : {}),
        ...(d.time !== undefined ? { time: d.time } : {}),
        ...(d.calibration !== undefined ? { calibration: d.calibration } : {}),
      };
    }
    case 'classifier': {
      const c = model.classifier;
      if (c.info.classNames.length !== c.classes) throw new OptionError(`the classifier has ${c.classes} classes but ${c.info.classNames.length} class names`);
      if (c.info.input.kind === 'symbols' && c.info.input.symbols.length !== c.net.config.inputSize) {
        throw new OptionError(`the classifier reads ${c.net.config.inputSize} symbols but its symbol table has ${c.info.input.symbols.length}`);
      }
      return { kind: 'classifier', classNames: c.info.classNames, input: c.info.input, featureStats: c.featureStats, pooling: c.pooling };
    }
    case 'seq2seq': {
      const m = model.model;
      if (model.source.size !== m.sourceVocabSize || model.target.size !== m.targetVocabSize) {
        throw new OptionError(`the symbol tables (${model.source.size} source, ${model.target.size} target) do not fit the model (${m.sourceVocabSize}, ${m.targetVocabSize})`);
      }
      const extra = extrasOf(m);
      return {
        kind: 'seq2seq', source: model.source.symbols, target: model.target.symbols, maxSourceLength: model.maxSourceLength, maxTargetLength: model.maxTargetLength,
        ...(extra.bidirectional ? { bidirectional: true as const } : {}),
        ...(extra.attentionKind ? { attention: extra.attentionKind } : {}),
      };
    }
  }
}

function kindOf(meta: unknown, what: string): ModelKind {
  const kind = isRecord(meta) ? meta['kind'] : undefined;
  if (kind === 'text-model') return 'text'; // files written before the kinds
  if (typeof kind === 'string' && (MODEL_KINDS as readonly string[]).includes(kind)) return kind as ModelKind;
  throw new FormatError(`${what}: holds no model kind this version knows (meta.kind is ${JSON.stringify(kind)}; expected one of ${MODEL_KINDS.join(', ')})`);
}

function modelOf(c: Checkpoint, what: string): SavedModel {
  const kind = kindOf(c.meta, what);
  const m = c.meta as Record<string, unknown>;
  const net = (name: string): Network => {
    const n = c.networks[name];
    if (!n) throw new FormatError(`${what}: a ${kind} model file needs a network "${name}"`);
    return n;
  };
  const bad = (field: string, expected: string): FormatError => new FormatError(`${what}: meta.${field} must be ${expected}`);
  switch (kind) {
    case 'text': {
      const model = net('model');
      const tokenizer = Tokenizer.fromJSON(m['tokenizer']);
      const k = model.config;
      if (k.inputSize !== tokenizer.vocabSize || k.outputSize !== tokenizer.vocabSize || k.outputActivation !== 'softmax') {
        throw new FormatError(`${what}: the vocabulary has ${tokenizer.vocabSize} symbols but the network maps ${k.inputSize} inputs to ${k.outputSize} ${k.outputActivation} outputs`);
      }
      return { kind, net: model, tokenizer };
    }
    case 'forecaster': {
      const model = net('model');
      const s = m['scaler'];
      if (!isRecord(s) || !SCALINGS.includes(s['kind'] as never) || !finite(s['shift']) || !finite(s['scale']) || s['scale'] === 0) throw bad('scaler', '{ kind, shift, scale } with a non-zero finite scale');
      const window = m['window'];
      const horizon = m['horizon'];
      const strategy = m['strategy'];
      if (!posInt(window)) throw bad('window', 'a positive integer');
      if (!posInt(horizon)) throw bad('horizon', 'a positive integer');
      if (!FORECAST_STRATEGIES.includes(strategy as never)) throw bad('strategy', `one of ${FORECAST_STRATEGIES.join(', ')}`);
      const K = strategy === 'direct' ? horizon : 1;
      if (model.config.inputSize !== 1 || model.config.outputSize !== K) throw new FormatError(`${what}: a ${strategy} forecaster of horizon ${horizon} needs a network from 1 input to ${K} outputs, found ${model.config.inputSize} → ${model.config.outputSize}`);
      const cal = m['calibration'];
      if (cal !== undefined && !(Array.isArray(cal) && cal.every((e) => Array.isArray(e) && e.every((v) => finite(v) && v >= 0)))) throw bad('calibration', 'arrays of absolute errors, one per step ahead');
      const time = m['time'];
      if (time !== undefined && !isTimeAxis(time)) throw bad('time', '{ kind: "date", last, stepDays } or { kind: "number", last, step }');
      const details: ForecasterDetails = {
        ...(posInt(m['period']) ? { period: m['period'] } : {}),
        ...(typeof m['column'] === 'string' ? { column: m['column'] } : {}),
        ...(time !== undefined ? { time: time as TimeAxis } : {}),
        ...(cal !== undefined ? { calibration: cal as number[][] } : {}),
      };
      const scaler: Scaler = { kind: s['kind'] as Scaler['kind'], shift: s['shift'] as number, scale: s['scale'] as number };
      return { kind, forecaster: new Forecaster(model, scaler, window, horizon, strategy as ForecastStrategy, details) };
    }
    case 'classifier': {
      const model = net('model');
      const names = m['classNames'];
      const input = m['input'];
      const pooling = m['pooling'];
      const stats = m['featureStats'];
      if (!strings(names) || names.length < 2 || names.length !== model.config.outputSize) throw bad('classNames', `${model.config.outputSize} class names (one per output)`);
      if (!POOLINGS.includes(pooling as never)) throw bad('pooling', `one of ${POOLINGS.join(', ')}`);
      if (!isRecord(input) || (input['kind'] !== 'symbols' && input['kind'] !== 'features')) throw bad('input', '{ kind: "symbols", symbols } or { kind: "features", names }');
      const D = model.config.inputSize;
      if (input['kind'] === 'symbols' && !(strings(input['symbols']) && input['symbols'].length === D)) throw bad('input.symbols', `${D} strings (one per input)`);
      if (input['kind'] === 'features' && !(strings(input['names']) && input['names'].length === D)) throw bad('input.names', `${D} feature names`);
      const nStats = input['kind'] === 'features' ? D : 0;
      if (!(Array.isArray(stats) && stats.length === nStats && stats.every((x) => isRecord(x) && finite(x['mean']) && finite(x['sd']) && (x['sd'] as number) > 0))) {
        throw bad('featureStats', `${nStats} { mean, sd } pairs with sd > 0`);
      }
      const kindOfInput = input['kind'];
      const info: ClassifierInfo = {
        classNames: names,
        input: kindOfInput === 'symbols' ? { kind: 'symbols', symbols: input['symbols'] as string[] } : { kind: 'features', names: input['names'] as string[] },
      };
      const featureStats = (stats as { mean: number; sd: number }[]).map((x) => ({ mean: x.mean, sd: x.sd }));
      return { kind, classifier: new SequenceClassifier(model, kindOfInput, names.length, featureStats, pooling as Pooling, info) };
    }
    case 'seq2seq': {
      const carrier = net('encoder');
      const decoder = net('decoder');
      const source = m['source'];
      const target = m['target'];
      if (!strings(source)) throw bad('source', 'the source symbols (strings)');
      if (!strings(target)) throw bad('target', 'the target symbols (strings)');
      if (!posInt(m['maxSourceLength']) || !posInt(m['maxTargetLength'])) throw bad('maxSourceLength and maxTargetLength', 'positive integers');
      const e = carrier.config;
      const d = decoder.config;
      if (e.inputSize !== source.length || d.inputSize !== target.length + 1 || d.outputSize !== target.length + 1 || e.cell !== d.cell
        || e.hiddenSize !== d.hiddenSize || e.layers !== d.layers || e.dtype !== d.dtype || e.bias !== d.bias || e.hiddenActivation !== d.hiddenActivation) {
        throw new FormatError(`${what}: the encoder (${e.cell}, ${e.inputSize} inputs) and decoder (${d.cell}, ${d.inputSize} symbols) do not fit ${source.length} source and ${target.length} target symbols`);
      }
      const bidirectional = m['bidirectional'] === true;
      const attention = m['attention'];
      if (attention !== undefined && typeof attention !== 'string') throw bad('attention', 'the attention kind (a string)');
      const options = {
        cell: d.cell, sourceVocabSize: source.length, targetVocabSize: target.length, hiddenSize: d.hiddenSize, layers: d.layers,
        hiddenActivation: d.hiddenActivation, bias: d.bias, dtype: d.dtype,
        ...(bidirectional ? { bidirectional } : {}),
        ...(attention !== undefined ? { attention } : {}),
      };
      let model: Seq2Seq;
      try {
        model = new Seq2Seq(options as ConstructorParameters<typeof Seq2Seq>[0]);
      } catch (e) {
        throw e instanceof OptionError ? new FormatError(`${what}: this version cannot build the encoder–decoder it describes (${e.message})`) : e;
      }
      for (const entry of model.encoder.params.entries) {
        const from = entry.name.replace(/^encoder\./, '');
        if (!carrier.params.has(from)) throw new FormatError(`${what}: the encoder lacks parameter ${from}`);
        copyInto(model.encoder.params.view(entry.name), carrier.params.view(from), `encoder ${from}`, what);
      }
      copyInto(model.decoder.params.data, decoder.params.data, 'the decoder\'s parameters', what);
      const att = extrasOf(model).attention;
      if (att) copyInto(att.params.data, net('attention').params.view('layer0.U'), 'the attention parameters', what);
      return {
        kind, model, source: new SymbolTable(source), target: new SymbolTable(target),
        maxSourceLength: m['maxSourceLength'] as number, maxTargetLength: m['maxTargetLength'] as number,
      };
    }
  }
}

/** The encoder as a network with the same layers and an unused zero output layer (V: H×1, no bias). */
function encoderCarrier(model: Seq2Seq): Network {
  const c = model.encoder.config;
  const carrier = new Network({
    cell: c.cell, inputSize: c.inputSize, hiddenSize: c.hiddenSize, outputSize: 1, layers: c.layers,
    hiddenActivation: c.hiddenActivation, bias: c.bias, dtype: c.dtype, outputActivation: 'linear', loss: 'mse',
    ...(c.variant !== undefined ? { variant: c.variant } : {}),
    ...(extrasOf(model).bidirectional ? { bidirectional: true } : {}),
  } as ConstructorParameters<typeof Network>[0]);
  carrier.params.data.fill(0);
  for (const entry of model.encoder.params.entries) {
    carrier.params.view(entry.name.replace(/^encoder\./, '')).set(model.encoder.params.view(entry.name));
  }
  return carrier;
}

function dtypeOf(model: SavedModel): Network['config']['dtype'] {
  return model.kind === 'text' ? model.net.config.dtype
    : model.kind === 'forecaster' ? model.forecaster.net.config.dtype
      : model.kind === 'classifier' ? model.classifier.net.config.dtype : model.model.dtype;
}

/** A file's parameters into a model built from its meta; sizes that differ are a FormatError naming the file. */
function copyInto(to: Float, from: ArrayLike<number>, name: string, what: string): void {
  if (to.length !== from.length) throw new FormatError(`${what}: ${name} holds ${from.length} values, expected ${to.length}`);
  to.set(from);
}

/** Runs `f`, prefixing a FormatError's message with the file's name. */
function named<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw e instanceof FormatError ? new FormatError(`${what}: ${e.message}`) : e;
  }
}

/** An old pronounce model: JSON text whose format field is "recurrent-seq2seq". */
function looksLikeOldSeq2Seq(u8: Uint8Array): boolean {
  let i = 0;
  while (i < u8.length && (u8[i] === 0x20 || u8[i] === 0x0a || u8[i] === 0x0d || u8[i] === 0x09)) i++;
  if (u8[i] !== 0x7b) return false; // "{"
  const head = new TextDecoder().decode(u8.subarray(i, Math.min(u8.length, i + 4096)));
  return /"format"\s*:\s*"recurrent-seq2seq"/.test(head) || /recurrent-seq2seq/.test(new TextDecoder().decode(u8.subarray(Math.max(0, u8.length - 4096))));
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function finite(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function posInt(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
}

function strings(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((s) => typeof s === 'string');
}

function isTimeAxis(x: unknown): boolean {
  if (!isRecord(x)) return false;
  if (x['kind'] === 'date') return typeof x['last'] === 'string' && posInt(x['stepDays']);
  return x['kind'] === 'number' && finite(x['last']) && finite(x['step']) && (x['step'] as number) > 0;
}
