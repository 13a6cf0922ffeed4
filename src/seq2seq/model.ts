/**
 * Encoder–decoder (sequence to sequence, docs/maths.md §2): the encoder reads the
 * source symbols; its final state — h(T), and C(T) for the LSTM, layer by
 * layer — is the decoder's initial state; the decoder is a {@link Network}
 * over target symbols with a softmax over the target vocabulary.
 *
 * Target vocabulary: symbols 0..targetVocabSize−1, plus one boundary symbol
 * `boundary = targetVocabSize` that is the start symbol as a decoder input
 * and the end symbol as a decoder output. So the decoder has
 * D = K = targetVocabSize + 1.
 *
 * Training uses teacher forcing: for target y(1..n),
 *
 *   decoder input  x(1) = ⟨s⟩, x(t) = y(t−1)       (t = 2..n+1)
 *   decoder target y(1..n), then ⟨/s⟩ at step n+1,
 *
 * J = −Σ_t log ŷ(t)[target(t)] summed over the real steps of every pair.
 * Gradients flow from the decoder into the encoder through the initial
 * state: ∂J/∂h_dec(0) = ∂J/∂h_enc(T).
 */

import { expectChoice, expectPositiveInt, OptionError, rejectUnknownKeys, ShapeError } from '../core/errors.js';
import { HIDDEN_ACTIVATIONS, type HiddenActivation } from '../core/activations.js';
import { getKernels, type Kernels } from '../core/kernels.js';
import type { ParamSet } from '../core/params.js';
import type { DType } from '../core/tensor.js';
import { CELL_KINDS, type CellKind, type CellState, type StepMask } from '../cells/cell.js';
import { Network, type SequenceBatch } from '../model/network.js';
import { Encoder } from './encoder.js';

/** Options of {@link Seq2Seq}; sizes are required, the rest have defaults. */
export interface Seq2SeqOptions {
  /** Cell type of encoder and decoder. Default `"rnn"`. */
  readonly cell?: CellKind;
  /** Number of source symbols (encoder input width). */
  readonly sourceVocabSize: number;
  /** Number of target symbols, without the boundary symbol. */
  readonly targetVocabSize: number;
  /** Hidden width H of every layer, encoder and decoder. */
  readonly hiddenSize: number;
  /** Stacked layers in the encoder and in the decoder. Default 1. */
  readonly layers?: number;
  /** g_h of the vanilla RNN. Default `"tanh"`. */
  readonly hiddenActivation?: HiddenActivation;
  /** Biases on. Default true. */
  readonly bias?: boolean;
  /** Default `"float32"`; `"float64"` for gradient checks. */
  readonly dtype?: DType;
  /** Initialisation seed. Default 1. */
  readonly seed?: number;
  readonly kernels?: Kernels;
}

const OPTION_KEYS = ['cell', 'sourceVocabSize', 'targetVocabSize', 'hiddenSize', 'layers', 'hiddenActivation',
  'bias', 'dtype', 'seed', 'kernels'] as const;

/** One training pair: source and target symbol indices (no boundary symbols). */
export interface Seq2SeqPair {
  readonly source: readonly number[];
  readonly target: readonly number[];
}

/** A padded batch of pairs, ready for {@link Seq2Seq.gradient}. */
export interface Seq2SeqBatch {
  readonly B: number;
  /** Source steps (the longest source), indices T×B (−1 padding) and mask T×B. */
  readonly sourceT: number;
  readonly source: Int32Array;
  readonly sourceMask: StepMask;
  /** The decoder's teacher-forced batch (without `init`, which the encoder supplies). */
  readonly decoder: SequenceBatch;
}

/** Sequence-to-sequence model: an {@link Encoder} and a decoder {@link Network}. */
export class Seq2Seq {
  readonly encoder: Encoder;
  readonly decoder: Network;
  readonly sourceVocabSize: number;
  readonly targetVocabSize: number;
  /** Index of ⟨s⟩ (as decoder input) and ⟨/s⟩ (as decoder output). */
  readonly boundary: number;
  readonly dtype: DType;

  constructor(options: Seq2SeqOptions) {
    rejectUnknownKeys('seq2seq', options, OPTION_KEYS);
    const cell = options.cell === undefined ? 'rnn' : expectChoice('cell', options.cell, CELL_KINDS);
    this.sourceVocabSize = expectPositiveInt('sourceVocabSize', options.sourceVocabSize);
    this.targetVocabSize = expectPositiveInt('targetVocabSize', options.targetVocabSize);
    const H = expectPositiveInt('hiddenSize', options.hiddenSize);
    const layers = options.layers === undefined ? 1 : expectPositiveInt('layers', options.layers);
    const hiddenActivation = options.hiddenActivation === undefined ? 'tanh' : expectChoice('hiddenActivation', options.hiddenActivation, HIDDEN_ACTIVATIONS);
    const bias = options.bias ?? true;
    this.dtype = options.dtype ?? 'float32';
    const seed = options.seed ?? 1;
    const kernels = options.kernels ?? getKernels();
    this.boundary = this.targetVocabSize;
    this.encoder = new Encoder({ cell, inputSize: this.sourceVocabSize, hiddenSize: H, layers, bias, hiddenActivation, dtype: this.dtype }, seed, kernels);
    this.decoder = new Network({
      cell, inputSize: this.targetVocabSize + 1, hiddenSize: H, outputSize: this.targetVocabSize + 1, layers,
      hiddenActivation, loss: 'cross-entropy', bias, dtype: this.dtype, seed: seed + 7919, kernels,
    });
  }

  /** The parameter sets (encoder, decoder): what an optimizer updates and a checkpoint stores. */
  get paramSets(): readonly ParamSet[] {
    return [this.encoder.params, this.decoder.params];
  }

  /** Zeroes the gradients of both parameter sets. */
  zeroGrad(): void {
    for (const p of this.paramSets) p.zeroGrad();
  }

  /**
   * Pads B pairs into a batch: sources T_s×B with a mask; decoder inputs
   * ⟨s⟩, y(1..n) and targets y(1..n), ⟨/s⟩, with −1 and mask 0 after each
   * pair's end.
   */
  makeBatch(pairs: readonly Seq2SeqPair[]): Seq2SeqBatch {
    const B = pairs.length;
    if (B === 0) throw new ShapeError('makeBatch needs at least one pair');
    let Ts = 1;
    let Td = 1;
    pairs.forEach((p, b) => {
      if (p.source.length === 0) throw new ShapeError(`pair ${b} has an empty source sequence; every source needs at least one symbol`);
      Ts = Math.max(Ts, p.source.length);
      Td = Math.max(Td, p.target.length + 1);
    });
    const source = new Int32Array(Ts * B).fill(-1);
    const sourceMask = new Uint8Array(Ts * B);
    const x = new Int32Array(Td * B).fill(-1);
    const y = new Int32Array(Td * B).fill(-1);
    const mask = new Uint8Array(Td * B);
    const V = this.sourceVocabSize;
    const K = this.targetVocabSize;
    pairs.forEach((p, b) => {
      p.source.forEach((s, t) => {
        if (!(Number.isInteger(s) && s >= 0 && s < V)) throw new ShapeError(`pair ${b}: source symbol ${s} at position ${t} is outside [0, ${V}) (sourceVocabSize)`);
        source[t * B + b] = s;
        sourceMask[t * B + b] = 1;
      });
      const n = p.target.length;
      for (let t = 0; t <= n; t++) {
        const prev = t === 0 ? this.boundary : p.target[t - 1]!;
        const next = t === n ? this.boundary : p.target[t]!;
        if (t < n && !(Number.isInteger(next) && next >= 0 && next < K)) throw new ShapeError(`pair ${b}: target symbol ${next} at position ${t} is outside [0, ${K}) (targetVocabSize)`);
        x[t * B + b] = prev;
        y[t * B + b] = next;
        mask[t * B + b] = 1;
      }
    });
    return {
      B, sourceT: Ts, source, sourceMask,
      decoder: { T: Td, B, x: { kind: 'index', data: x }, y: { kind: 'index', data: y }, mask },
    };
  }

  /** Runs the encoder and returns each layer's final state (the decoder's h(0), C(0)). */
  encode(batch: Pick<Seq2SeqBatch, 'B' | 'sourceT' | 'source' | 'sourceMask'>): CellState[] {
    return this.encoder.forward({ kind: 'index', data: batch.source }, batch.sourceT, batch.B, batch.sourceMask);
  }

  /** J (summed cross-entropy) of a batch and how many target steps carried loss. */
  loss(batch: Seq2SeqBatch): { loss: number; count: number } {
    const init = this.encode(batch);
    return this.decoder.loss({ ...batch.decoder, init });
  }

  /**
   * Forward and backward pass through decoder and encoder. Gradients are
   * ADDED to both parameter sets (call {@link zeroGrad} first).
   */
  gradient(batch: Seq2SeqBatch): { loss: number; count: number } {
    const init = this.encode(batch);
    const r = this.decoder.gradient({ ...batch.decoder, init }, { initGradient: true });
    if (!r.initGradient) throw new OptionError('decoder did not return ∂J/∂state(0)');
    // ∂J/∂h_enc(T) = ∂J/∂h_dec(0) (and the same for C)
    this.encoder.backwardFromFinal(r.initGradient);
    return { loss: r.loss, count: r.count };
  }
}
