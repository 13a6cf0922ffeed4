/**
 * Generation (docs/maths.md §7): feed a prime, then repeatedly turn the output
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
import type { CellCache, CellState, SequenceInput } from '../cells/cell.js';
import { applyOutputActivation } from '../model/loss.js';
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
 *
 * The draw is inverse-CDF sampling: with weights w_k and u = r·Σw for
 * r = rng.next(), it returns the first k with u < w_0 + … + w_k. At τ = 1
 * with no top-k or top-p, w = ŷ itself (one pass, no allocation); otherwise
 * w_k = (ŷ_k / ŷ_max)^(1/τ) in work buffers reused between calls. Since the
 * draw does not change when every w_k is scaled by the same factor, the two
 * give the same symbol for the same generator state, up to rounding where
 * u falls within a few ulps of a boundary of the cumulative sum.
 */
export function sampleIndex(p: ArrayLike<number>, options: SamplingOptions, rng: Rng): number {
  const n = p.length;
  const tau = options.temperature ?? 1;
  if (options.greedy || tau === 0 || options.topK === 1) return argmax(p);
  const truncated = (options.topK !== undefined && options.topK < n) || (options.topP !== undefined && options.topP < 1);
  if (tau === 1 && !truncated) return drawProportional(p, rng);
  // w_k = (ŷ_k / ŷ_max)^(1/τ), in logs so that a tiny τ underflows to 0 instead of overflowing
  const best = argmax(p);
  const logMax = Math.log(p[best]!);
  const w = workWeights(n);
  for (let k = 0; k < n; k++) w[k] = p[k]! > 0 ? Math.exp((Math.log(p[k]!) - logMax) / tau) : 0;
  let keep = n;
  let order: Int32Array | null = null;
  if (truncated) {
    order = workOrder(n);
    for (let k = 0; k < n; k++) order[k] = k;
    order.sort((a, b) => w[b]! - w[a]! || a - b);
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
 * The τ = 1 draw without truncation: w_k = ŷ_k (0 where ŷ_k ≤ 0), u = r·Σw,
 * the first k with u < w_0 + … + w_k. No work buffer, no log or exp.
 */
function drawProportional(p: ArrayLike<number>, rng: Rng): number {
  const n = p.length;
  let total = 0;
  for (let k = 0; k < n; k++) {
    const pk = p[k]!;
    if (pk > 0) total += pk;
  }
  let u = rng.next() * total;
  for (let k = 0; k < n; k++) {
    const pk = p[k]!;
    if (pk > 0) {
      u -= pk;
      if (u < 0) return k;
    }
  }
  // rounding left u ≥ 0 after the last term: take the last symbol with weight
  for (let k = n - 1; k >= 0; k--) if (p[k]! > 0) return k;
  return argmax(p);
}

// Work buffers of sampleIndex's general path, sized for the last vocabulary seen.
let scratchWeights = new Float64Array(0);
let scratchOrder = new Int32Array(0);

function workWeights(n: number): Float64Array {
  if (scratchWeights.length !== n) scratchWeights = new Float64Array(n);
  return scratchWeights;
}

function workOrder(n: number): Int32Array {
  if (scratchOrder.length !== n) scratchOrder = new Int32Array(n);
  return scratchOrder;
}

/** Steps a {@link SymbolStream} runs in one ring of its state buffers before it moves the state back to slot 0. */
const RING_STEPS = 32;

/**
 * The stream's copy of V has its rows padded with zero columns to a multiple
 * of this: the wasm kernels keep 32 output columns in registers for a
 * one-row product and stream the columns past the last full 32 element by
 * element, which for K = 85 cost a sixth of an RNN step.
 */
const OUTPUT_COLUMN_BLOCK = 32;

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
 *
 * Each symbol is one `Cell.forwardStep` per layer (B = 1) on buffers
 * made once, then neto = h_L(t)·V (+ b_o) and ŷ = softmax(neto) for that
 * step alone — the operations of {@link Network.forward} without its
 * per-call checks and copies. The state stays where the step wrote it: the
 * layers' caches hold {@link RING_STEPS} steps, and only when they are full
 * is the last state copied back to slot 0 (h(0) of the next ring), with
 * `Cell.beginSequence`.
 */
export class SymbolStream {
  readonly vocabSize: number;
  private readonly source: Network;
  private readonly net: Network;
  /** Each layer's work buffers for RING_STEPS steps of one sequence. */
  private readonly caches: CellCache[];
  /** Each layer's input: the symbols for layer 0, the layer below's h(1..RING_STEPS) above it. */
  private readonly inputs: SequenceInput[];
  /** Views of every layer's state in slot RING_STEPS, the last of a ring (made once). */
  private readonly last: CellState[];
  /** The symbols fed in this ring, x(1..RING_STEPS) of layer 0 (an int32 view of `symbolFloats`). */
  private readonly symbols: Int32Array;
  /**
   * Memory behind `symbols`: taken with allocate() so that, with the wasm
   * kernels, the gather reads the index in place; kept here because the
   * block lives only as long as this array.
   */
  private readonly symbolFloats: Float;
  /** V (H×K) with each row padded by zeros to Kp columns, a multiple of {@link OUTPUT_COLUMN_BLOCK}. */
  private readonly paddedV: Float;
  private readonly Kp: number;
  /** neto then ŷ of the latest step, 1×Kp (the first K are ŷ). */
  private readonly yhat: Float;
  private readonly probs: Float64Array;
  /** The slot holding the current state (0 = the ring's initial state). */
  private t = 0;
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
    const H = c.hiddenSize;
    const layers = this.net.layers;
    this.caches = layers.map((cell) => cell.createCache(RING_STEPS, 1));
    this.symbolFloats = allocate('float32', RING_STEPS);
    this.symbols = new Int32Array(this.symbolFloats.buffer, this.symbolFloats.byteOffset, RING_STEPS);
    this.inputs = [{ kind: 'index', data: this.symbols }];
    for (let l = 1; l < layers.length; l++) this.inputs.push({ kind: 'dense', data: this.caches[l - 1]!.hs.subarray(H) });
    this.last = layers.map((cell, l) => cell.stateAt(RING_STEPS, 1, this.caches[l]!));
    this.Kp = Math.ceil(c.outputSize / OUTPUT_COLUMN_BLOCK) * OUTPUT_COLUMN_BLOCK;
    // (when K is already a multiple, V itself serves)
    this.paddedV = this.Kp === c.outputSize ? this.net.V : allocate(c.dtype, H * this.Kp);
    this.copyV();
    this.yhat = allocate(c.dtype, this.Kp);
    this.probs = new Float64Array(c.outputSize);
    this.reset();
  }

  /** Copies the source network's current weights (e.g. after more training). */
  syncWeights(): void {
    this.net.params.data.set(this.source.params.data);
    this.copyV();
  }

  /** paddedV[i, j] = V[i, j] for j < K (the padding stays 0). */
  private copyV(): void {
    const { hiddenSize: H, outputSize: K } = this.net.config;
    if (this.paddedV === this.net.V) return;
    for (let i = 0; i < H; i++) this.paddedV.set(this.net.V.subarray(i * K, (i + 1) * K), i * this.Kp);
  }

  /** Forgets the state: the next symbol is the first of a sequence (h(0) = 0). */
  reset(): void {
    this.net.layers.forEach((cell, l) => cell.beginSequence(1, this.caches[l]!));
    this.t = 0;
    this.started = false;
  }

  /** Feeds one symbol; returns ŷ, the distribution of the next one (a buffer reused by the next call). */
  step(symbol: number): Float64Array {
    this.checkSymbol(symbol);
    this.advance(symbol);
    return this.output();
  }

  /** Feeds several symbols as one sequence; returns ŷ after the last. */
  feed(symbols: ArrayLike<number>): Float64Array {
    const T = symbols.length;
    if (T === 0) throw new OptionError('feed needs at least one symbol');
    for (let t = 0; t < T; t++) this.checkSymbol(symbols[t]!);
    for (let t = 0; t < T; t++) this.advance(symbols[t]!);
    return this.output();
  }

  /** ŷ from the current state without feeding anything (uniform before the first symbol). */
  get distribution(): Float64Array {
    if (!this.started) this.probs.fill(1 / this.vocabSize);
    return this.probs;
  }

  private checkSymbol(s: number): void {
    if (!Number.isInteger(s) || s < 0 || s >= this.vocabSize) {
      throw new OptionError(`symbol ${s} is outside the vocabulary [0, ${this.vocabSize})`);
    }
  }

  /** h_l(t) (and C_l(t)) of every layer for x(t) = symbol, in slot t of the ring. */
  private advance(symbol: number): void {
    if (this.t === RING_STEPS) this.rewind();
    const t = ++this.t;
    this.symbols[t - 1] = symbol;
    const layers = this.net.layers;
    for (let l = 0; l < layers.length; l++) layers[l]!.forwardStep(this.inputs[l]!, t, 1, this.caches[l]!);
    this.started = true;
  }

  /**
   * The ring is full: its last state becomes the initial state (slot 0) of
   * the next one, through the cell's own beginSequence (a cell may note
   * in its cache whether h(0) is zero).
   */
  private rewind(): void {
    const layers = this.net.layers;
    for (let l = 0; l < layers.length; l++) layers[l]!.beginSequence(1, this.caches[l]!, this.last[l]);
    this.t = 0;
  }

  /** neto = h_L(t)·V (+ b_o), ŷ = softmax(neto) for the current step, into `probs`. */
  private output(): Float64Array {
    const net = this.net;
    const k = net.kernels;
    const { hiddenSize: H, outputSize: K } = net.config;
    const top = this.caches[this.caches.length - 1]!;
    const yhat = this.yhat;
    // (over the padded columns: the extra Kp − K values of neto are 0 and unused)
    k.gemm(false, false, 1, this.Kp, H, top.hs, this.t * H, H, this.paddedV, 0, this.Kp, yhat, 0, this.Kp, false);
    if (net.b_o) k.addRowVector(1, K, yhat, 0, K, net.b_o, 0);
    if (!k.softmaxRows?.(yhat, 0, 1, K)) applyOutputActivation('softmax', yhat, 0, 1, K);
    const probs = this.probs;
    for (let j = 0; j < K; j++) probs[j] = yhat[j]!;
    return probs;
  }
}

/** Options of {@link generate}. */
export interface GenerateOptions extends SamplingOptions {
  /**
   * Text the model reads first; it is not repeated in the output. Default:
   * none, and the first symbol is drawn as {@link startSymbol} says (never
   * the unknown symbol).
   */
  readonly prime?: string;
  /** Number of symbols to produce. */
  readonly length: number;
  /** Seed of the sampling generator (ignored when `rng` is given). Default 1. */
  readonly seed?: number;
  /** Generator to draw from (advanced by the sampling). */
  readonly rng?: Rng;
}

const GENERATE_KEYS = [...SAMPLING_KEYS, 'prime', 'length', 'seed', 'rng'] as const;

/**
 * Where generation without a prime starts. The models here learn no
 * start-of-text symbol, so the documented default is: read a line break
 * first (text begins after one: the next symbol is drawn from what the model
 * learned to follow a line break), else a space when the vocabulary has no
 * line break; the symbol read is not output. Returns its index, or 0 when
 * the vocabulary has neither: then the first symbol is drawn uniformly from
 * the known symbols (never index 0, the unknown symbol).
 */
export function startSymbol(tokenizer: Tokenizer): number {
  const newline = tokenizer.indexOf('\n');
  return newline > 0 ? newline : tokenizer.indexOf(' ');
}

/**
 * Generates `length` symbols after `prime` and returns their text (the
 * prime excluded): {@link sampleText} collected.
 */
export function generate(model: Network | SymbolStream, tokenizer: Tokenizer, options: GenerateOptions): string {
  let text = '';
  for (const piece of sampleText(model, tokenizer, options)) text += piece;
  return text;
}

/**
 * Draws `length` symbols after `prime`, yielding each one's text as soon as
 * it is drawn (a caller that streams can stop, or let other work run,
 * between two symbols). Each symbol is drawn from ŷ with
 * {@link sampleIndex} and fed back as the next input. A
 * {@link SymbolStream} given as `model` is reset first and reused (no new
 * buffers); a network gets a new stream. The options are checked at the
 * call, before the first symbol is asked for.
 */
export function sampleText(model: Network | SymbolStream, tokenizer: Tokenizer, options: GenerateOptions): Generator<string, void, undefined> {
  rejectUnknownKeys('generate', options, GENERATE_KEYS);
  checkSamplingOptions(options);
  const length = options.length === 0 ? 0 : expectPositiveInt('length', options.length);
  const stream = model instanceof SymbolStream ? model : new SymbolStream(model);
  if (tokenizer.vocabSize !== stream.vocabSize) {
    throw new OptionError(`the vocabulary has ${tokenizer.vocabSize} symbols but the model outputs ${stream.vocabSize}`);
  }
  return draw(stream, tokenizer, options, length);
}

function* draw(stream: SymbolStream, tokenizer: Tokenizer, options: GenerateOptions, length: number): Generator<string, void, undefined> {
  stream.reset();
  const rng = options.rng ?? new Rng(options.seed ?? 1);
  const start = options.prime ? 0 : startSymbol(tokenizer);
  const primed = options.prime ? tokenizer.encode(options.prime) : start > 0 ? Int32Array.of(start) : new Int32Array(0);
  const decode = tokenizer.decoder(primed);
  let p = primed.length > 0 ? stream.feed(primed) : knownUniform(stream.vocabSize);
  // a prime that ends in white space already holds the space a word decoder would put before the first word
  // (a character model generates its spaces as symbols: every one of them is kept)
  let trimFirst = tokenizer.kind === 'word' && /\s$/.test(options.prime ?? '');
  for (let i = 0; i < length; i++) {
    const next = sampleIndex(p, options, rng);
    let piece = decode(next);
    if (trimFirst) {
      piece = piece.replace(/^ /, '');
      trimFirst = false;
    }
    yield piece;
    if (i + 1 < length) p = stream.step(next);
  }
}

/** The uniform distribution over the known symbols 1..K−1 (the unknown symbol 0 gets nothing). */
function knownUniform(K: number): Float64Array {
  const p = new Float64Array(K);
  p.fill(1 / (K - 1), 1);
  return p;
}
