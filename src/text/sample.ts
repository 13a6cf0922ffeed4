/**
 * Generation (SPEC §7): feed a prime, then repeatedly turn the output
 * distribution ŷ(t) into one symbol, feed that symbol back as x(t+1), and
 * repeat — one-to-many from a seed.
 *
 * Turning ŷ into a symbol:
 * - temperature τ: p'_k ∝ ŷ_k^(1/τ) (the softmax of neto/τ); τ < 1 sharpens,
 *   τ > 1 flattens, τ → 0 is greedy;
 * - top-k: keep only the k most likely symbols;
 * - top-p (nucleus): keep the fewest most likely symbols whose probability
 *   sums to at least p;
 * - greedy: the argmax (the lowest index among equal maxima).
 * Randomness comes from a seeded {@link Rng}, so a seed reproduces a sample.
 */

import { expectNumber, expectPositiveInt, OptionError, rejectUnknownKeys } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { allocate, type Float } from '../core/tensor.js';
import type { CellState } from '../cells/cell.js';
import { Network } from '../model/network.js';
import type { Tokenizer } from './tokenizer.js';

/** How a symbol is drawn from a distribution. */
export interface SamplingOptions {
  /** τ > 0; default 1. 0 means greedy. */
  readonly temperature?: number;
  /** Keep only the k most likely symbols (k ≥ 1). Default: all. */
  readonly topK?: number;
  /** Keep the smallest set of most likely symbols with total probability ≥ p, p in (0, 1]. Default 1. */
  readonly topP?: number;
  /** Always take the most likely symbol. Default false. */
  readonly greedy?: boolean;
}

const SAMPLING_KEYS = ['temperature', 'topK', 'topP', 'greedy'] as const;

/** Validates sampling options (names the bad one and its range). */
export function checkSamplingOptions(o: SamplingOptions): void {
  if (o.temperature !== undefined) expectNumber('temperature', o.temperature, 0);
  if (o.topK !== undefined) expectPositiveInt('topK', o.topK);
  if (o.topP !== undefined && !(typeof o.topP === 'number' && o.topP > 0 && o.topP <= 1)) {
    throw new OptionError(`topP must be a number in (0, 1], got ${String(o.topP)}`);
  }
  if (o.greedy !== undefined && typeof o.greedy !== 'boolean') throw new OptionError('greedy must be true or false');
}

/** Index of the largest value (the first one among equals). */
export function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < p.length; k++) if (p[k]! > p[best]!) best = k;
  return best;
}

/**
 * Draws one symbol index from the distribution `p` (vocabSize values
 * summing to 1) after temperature, top-k and top-p, in that order.
 */
export function sampleIndex(p: ArrayLike<number>, options: SamplingOptions, rng: Rng): number {
  const n = p.length;
  const tau = options.temperature ?? 1;
  if (options.greedy || tau === 0 || options.topK === 1) return argmax(p);
  // w_k = (ŷ_k / ŷ_max)^(1/τ), in logs so that a tiny τ underflows to 0 instead of overflowing
  const best = argmax(p);
  const logMax = Math.log(p[best]!);
  const w = new Float64Array(n);
  for (let k = 0; k < n; k++) w[k] = p[k]! > 0 ? Math.exp((Math.log(p[k]!) - logMax) / tau) : 0;
  let keep = n;
  let order: number[] | null = null;
  if ((options.topK !== undefined && options.topK < n) || (options.topP !== undefined && options.topP < 1)) {
    order = Array.from({ length: n }, (_, k) => k).sort((a, b) => w[b]! - w[a]! || a - b);
    if (options.topK !== undefined) keep = Math.min(keep, options.topK);
    if (options.topP !== undefined && options.topP < 1) {
      let total = 0;
      for (let r = 0; r < keep; r++) total += w[order[r]!]!;
      let cum = 0;
      for (let r = 0; r < keep; r++) {
        cum += w[order[r]!]!;
        if (cum >= options.topP * total * (1 - 1e-12)) { // (tolerant of rounding in Σw)
          keep = r + 1;
          break;
        }
      }
    }
  }
  let total = 0;
  for (let r = 0; r < keep; r++) total += w[order ? order[r]! : r]!;
  let u = rng.next() * total;
  for (let r = 0; r < keep; r++) {
    const k = order ? order[r]! : r;
    u -= w[k]!;
    if (u < 0) return k;
  }
  // rounding left u ≥ 0 after the last term: take the last symbol with weight
  for (let r = keep - 1; r >= 0; r--) {
    const k = order ? order[r]! : r;
    if (w[k]! > 0) return k;
  }
  return best;
}

/**
 * A model run one symbol at a time, keeping its recurrent state between
 * calls: the streaming interface of generation.
 *
 * ```ts
 * const s = new SymbolStream(net);
 * let p = s.feed(tokenizer.encode('Call me'));   // ŷ after the prime
 * const next = sampleIndex(p, { temperature: 0.8 }, rng);
 * p = s.step(next);                               // ŷ after one more symbol
 * ```
 *
 * It runs on a private copy of the network's configuration with the
 * network's current weights (taken at construction and by
 * {@link SymbolStream.syncWeights}), so sampling never disturbs the buffers of
 * a network being trained.
 */
export class SymbolStream {
  readonly vocabSize: number;
  private readonly source: Network;
  private readonly net: Network;
  private readonly state: { h: Float; c: Float }[];
  private readonly probs: Float64Array;
  private x = new Int32Array(1);
  private y = new Int32Array(1).fill(-1);
  private started = false;

  constructor(net: Network) {
    const c = net.config;
    if (c.outputActivation !== 'softmax' || c.inputSize !== c.outputSize) {
      throw new OptionError(`a symbol stream needs a softmax model whose input and output are the same vocabulary (inputSize = outputSize), got D = ${c.inputSize}, K = ${c.outputSize}, output ${c.outputActivation}`);
    }
    this.source = net;
    this.net = new Network({ ...c, kernels: net.kernels });
    this.net.params.data.set(net.params.data);
    this.vocabSize = c.outputSize;
    this.state = net.layers.map(() => ({ h: allocate(c.dtype, c.hiddenSize), c: allocate(c.dtype, c.hiddenSize) }));
    this.probs = new Float64Array(c.outputSize);
  }

  /** Copies the source network's current weights (e.g. after more training). */
  syncWeights(): void {
    this.net.params.data.set(this.source.params.data);
  }

  /** Forgets the state: the next symbol is the first of a sequence (h(0) = 0). */
  reset(): void {
    for (const s of this.state) {
      s.h.fill(0);
      s.c.fill(0);
    }
    this.started = false;
  }

  /** Feeds one symbol; returns ŷ, the distribution of the next one (a buffer reused by the next call). */
  step(symbol: number): Float64Array {
    return this.feed([symbol]);
  }

  /** Feeds several symbols as one sequence (one forward pass); returns ŷ after the last. */
  feed(symbols: ArrayLike<number>): Float64Array {
    const T = symbols.length;
    if (T === 0) throw new OptionError('feed needs at least one symbol');
    if (this.x.length < T) {
      this.x = new Int32Array(T);
      this.y = new Int32Array(T).fill(-1);
    }
    for (let t = 0; t < T; t++) {
      const s = symbols[t]!;
      if (!Number.isInteger(s) || s < 0 || s >= this.vocabSize) {
        throw new OptionError(`symbol ${s} is outside the vocabulary [0, ${this.vocabSize})`);
      }
      this.x[t] = s;
    }
    const init: CellState[] = this.state;
    const yhat = this.net.forward({ T, B: 1, x: { kind: 'index', data: this.x }, y: { kind: 'index', data: this.y }, init });
    const after = this.net.stateAt(T, 1);
    after.forEach((s, l) => {
      this.state[l]!.h.set(s.h);
      if (s.c) this.state[l]!.c.set(s.c);
    });
    const K = this.vocabSize;
    for (let k = 0; k < K; k++) this.probs[k] = yhat[(T - 1) * K + k]!;
    this.started = true;
    return this.probs;
  }

  /** ŷ from the current state without feeding anything (uniform before the first symbol). */
  get distribution(): Float64Array {
    if (!this.started) this.probs.fill(1 / this.vocabSize);
    return this.probs;
  }
}

/** Options of {@link generate}. */
export interface GenerateOptions extends SamplingOptions {
  /** Text the model reads first; it is not repeated in the output. Default: none (start from h(0) = 0). */
  readonly prime?: string;
  /** Number of symbols to produce. */
  readonly length: number;
  /** Seed of the sampling generator (ignored when `rng` is given). Default 1. */
  readonly seed?: number;
  /** Generator to draw from (advanced by the sampling). */
  readonly rng?: Rng;
  /** Called with each piece of text as soon as its symbol is drawn. */
  readonly onText?: (text: string) => void;
}

const GENERATE_KEYS = [...SAMPLING_KEYS, 'prime', 'length', 'seed', 'rng', 'onText'] as const;

/**
 * Generates `length` symbols after `prime` and returns their text (the
 * prime excluded). Each symbol is drawn from ŷ with {@link sampleIndex} and
 * fed back as the next input. A {@link SymbolStream} given as `model` is
 * reset first and reused (no new buffers); a network gets a new stream.
 */
export function generate(model: Network | SymbolStream, tokenizer: Tokenizer, options: GenerateOptions): string {
  rejectUnknownKeys('generate', options, GENERATE_KEYS);
  checkSamplingOptions(options);
  const length = options.length === 0 ? 0 : expectPositiveInt('length', options.length);
  const stream = model instanceof SymbolStream ? model : new SymbolStream(model);
  if (tokenizer.vocabSize !== stream.vocabSize) {
    throw new OptionError(`the vocabulary has ${tokenizer.vocabSize} symbols but the model outputs ${stream.vocabSize}`);
  }
  stream.reset();
  const rng = options.rng ?? new Rng(options.seed ?? 1);
  const primed = options.prime ? tokenizer.encode(options.prime) : new Int32Array(0);
  const decode = tokenizer.decoder(primed);
  let p = primed.length > 0 ? stream.feed(primed) : stream.distribution;
  let text = '';
  // a prime that ends in white space already holds the space a word decoder would put first
  let trimFirst = /\s$/.test(options.prime ?? '');
  for (let i = 0; i < length; i++) {
    const next = sampleIndex(p, options, rng);
    let piece = decode(next);
    if (trimFirst) {
      piece = piece.replace(/^ /, '');
      trimFirst = false;
    }
    text += piece;
    options.onText?.(piece);
    if (i + 1 < length) p = stream.step(next);
  }
  return text;
}
