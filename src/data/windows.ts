/**
 * One long sequence cut into B parallel streams and windows of T steps, for
 * truncated BPTT with the state carried from window to window (data
 * source (a) of issue 4).
 *
 * With N aligned (input, target) steps, each stream is L = ⌊N / B⌋ steps
 * long (the last N − B·L steps are dropped) and stream b covers steps
 * b·L … b·L + L − 1. Window w (0-based) holds steps w·T … w·T + T_w − 1
 * of every stream, T_w = min(T, L − w·T):
 *
 *   x[t·B + b] = input[b·L + w·T + t]        (t = 0..T_w − 1)
 *
 * so sequence b of window w+1 continues sequence b of window w, and the
 * final state of one window is the right initial state of the next.
 */

import { expectPositiveInt, OptionError, rejectUnknownKeys, ShapeError } from '../core/errors.js';
import type { DType, Float } from '../core/tensor.js';
import { allocateBatch, matchDtype, type BatchBuffers, type BatchSource, type LoadedBatch } from './source.js';

/**
 * N aligned steps: input(t) and target(t) for t = 0..N−1. Inputs are N
 * symbol ids or N×D dense values; targets N class ids or N×K values.
 */
export interface Stream {
  readonly input: Int32Array | Float;
  readonly target: Int32Array | Float;
  /** D: values per input step, or the vocabulary size of ids. */
  readonly inputSize: number;
  /** K: values per target step, or the number of classes. */
  readonly outputSize: number;
  /** N. */
  readonly length: number;
}

/**
 * Next-symbol prediction on a token sequence s(0..n−1): input(t) = s(t),
 * target(t) = s(t+1), so N = n − 1. No copy (two views of `tokens`).
 *
 * @example
 * const s = symbolStream(Int32Array.from(text, (ch) => vocab.indexOf(ch)), vocab.length);
 */
export function symbolStream(tokens: Int32Array, vocabSize: number): Stream {
  expectPositiveInt('vocabSize', vocabSize);
  if (tokens.length < 2) throw new ShapeError(`tokens has ${tokens.length} ids; next-symbol prediction needs at least 2`);
  return alignedStream(tokens.subarray(0, tokens.length - 1), tokens.subarray(1), { inputSize: vocabSize, outputSize: vocabSize });
}

/** A stream from aligned inputs and targets, validated (ids in range, lengths matching). */
export function alignedStream(input: Int32Array | Float, target: Int32Array | Float, sizes: { inputSize: number; outputSize: number }): Stream {
  const D = expectPositiveInt('inputSize', sizes.inputSize);
  const K = expectPositiveInt('outputSize', sizes.outputSize);
  const N = input instanceof Int32Array ? input.length : input.length / D;
  if (!Number.isInteger(N) || N < 1) throw new ShapeError(`stream input has ${input.length} values, expected N×D with D = ${D}`);
  const want = target instanceof Int32Array ? N : N * K;
  if (target.length !== want) {
    throw new ShapeError(`stream target has ${target.length} values, expected ${target instanceof Int32Array ? `N = ${N} ids` : `N×K = ${N}×${K}`} to match the input`);
  }
  checkIds('stream input', input, D);
  checkIds('stream target', target, K);
  return { input, target, inputSize: D, outputSize: K, length: N };
}

/** Options of {@link StreamBatches}. */
export interface StreamBatchesOptions {
  /** Parallel streams B. */
  readonly batchSize: number;
  /** Window length T (the truncation length of truncated BPTT). */
  readonly seqLen: number;
}

const KEYS = ['batchSize', 'seqLen'] as const;

/**
 * Windows of B parallel streams; see the module comment. Stateful: `fit`
 * carries the state between windows and resets it at each epoch start.
 *
 * @example
 * const windows = new StreamBatches(symbolStream(ids, vocabSize), { batchSize: 16, seqLen: 32 });
 * windows.batch(0, 'float32').batch // T = 32, B = 16: x and y are 32×16 ids
 */
export class StreamBatches implements BatchSource {
  readonly B: number;
  readonly batchesPerEpoch: number;
  readonly stateful = true;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly stream: Stream;
  /** Window length T. */
  readonly seqLen: number;
  /** Steps per stream L. */
  readonly streamLength: number;
  private buf: BatchBuffers | null = null;
  private loaded: { batch: BatchBuffers['batch']; sequences: number; steps: number } | null = null;

  constructor(stream: Stream, options: StreamBatchesOptions) {
    rejectUnknownKeys('StreamBatches', options, KEYS);
    const B = expectPositiveInt('batchSize', options.batchSize);
    const T = expectPositiveInt('seqLen', options.seqLen);
    const L = Math.floor(stream.length / B);
    if (L < 1) throw new OptionError(`a stream of ${stream.length} steps cannot feed batchSize ${B} streams; use a batchSize ≤ ${stream.length}`);
    this.stream = stream;
    this.B = B;
    this.seqLen = T;
    this.streamLength = L;
    this.batchesPerEpoch = Math.ceil(L / T);
    this.inputSize = stream.inputSize;
    this.outputSize = stream.outputSize;
  }

  /** Windows always come in order (the state runs through them); nothing to shuffle. */
  beginEpoch(): void {}

  batch(w: number, dtype: DType): LoadedBatch {
    if (!Number.isInteger(w) || w < 0 || w >= this.batchesPerEpoch) {
      throw new OptionError(`window index must be an integer in [0, ${this.batchesPerEpoch}), got ${w}`);
    }
    const { B, seqLen: T, streamLength: L, inputSize: D, outputSize: K } = this;
    const { input, target } = this.stream;
    const buf = this.buffers(dtype);
    const Tw = Math.min(T, L - w * T);
    for (let t = 0; t < Tw; t++) {
      for (let b = 0; b < B; b++) {
        const row = t * B + b;
        const pos = b * L + w * T + t; // step of the long sequence
        if (buf.xIndex) buf.xIndex[row] = input[pos]!;
        else for (let j = 0; j < D; j++) buf.xDense![row * D + j] = input[pos * D + j]!;
        if (buf.yIndex) buf.yIndex[row] = target[pos]!;
        else for (let j = 0; j < K; j++) buf.yDense![row * K + j] = target[pos * K + j]!;
      }
    }
    buf.batch.T = Tw;
    const loaded = this.loaded ?? (this.loaded = { batch: buf.batch, sequences: 0, steps: 0 });
    loaded.sequences = B;
    loaded.steps = Tw * B;
    return loaded;
  }

  private buffers(dtype: DType): BatchBuffers {
    if (!this.buf) {
      const s = this.stream;
      this.buf = allocateBatch({
        capacityT: Math.min(this.seqLen, this.streamLength), B: this.B, D: s.inputSize, K: s.outputSize,
        symbolInput: s.input instanceof Int32Array, symbolTarget: s.target instanceof Int32Array,
        lossAt: 'all', dtype,
      });
      this.buf.batch.mask = undefined;
    }
    matchDtype(this.buf, dtype);
    return this.buf;
  }
}

function checkIds(name: string, a: Int32Array | Float, n: number): void {
  if (!(a instanceof Int32Array)) return;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v < -1 || v >= n) throw new ShapeError(`${name}[${i}] = ${v} is outside [−1, ${n})`);
  }
}
