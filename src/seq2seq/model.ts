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
 *
 * Options beyond that:
 * - `bidirectional`: the encoder reads the source both ways; its states are
 *   [h→ | h←] (2H), and decoder layer l starts from the sum of the two
 *   directions' last states, h_dec,l(0) = h→_l(T) + h←_l(1) (C likewise), so
 *   ∂J/∂h→_l(T) = ∂J/∂h←_l(1) = ∂J/∂h_dec,l(0).
 * - `attention: "luong"`: the decoder's top state s(t) attends over the
 *   encoder's top states (src/seq2seq/attention.ts) and the output layer
 *   reads h̃(t) instead: ŷ(t) = softmax(h̃(t)·V + b_o). ∂J/∂e(j) then reaches
 *   the encoder at every source step, besides its final state.
 */

import { expectChoice, expectPositiveInt, OptionError, rejectUnknownKeys, ShapeError } from '../core/errors.js';
import { HIDDEN_ACTIVATIONS, type HiddenActivation } from '../core/activations.js';
import { getKernels, type Kernels } from '../core/kernels.js';
import type { ParamSet } from '../core/params.js';
import type { DType } from '../core/tensor.js';
import { allocate, type Float } from '../core/tensor.js';
import { CELL_KINDS, type CellCache, type CellKind, type CellState, type SequenceInput, type StepMask } from '../cells/cell.js';
import { applyOutputActivation } from '../model/loss.js';
import { Network, type SequenceBatch } from '../model/network.js';
import { Attention, ATTENTION_KINDS, type AttentionKind } from './attention.js';
import { Encoder } from './encoder.js';
import type { BatchColumns, ModelDescription, ShardableTrainable } from '../train/trainable.js';

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
  /** The encoder reads the source both ways. Default false. */
  readonly bidirectional?: boolean;
  /** Attention of the decoder over the encoder's states. Default `"none"`. */
  readonly attention?: AttentionKind;
}

const OPTION_KEYS = ['cell', 'sourceVocabSize', 'targetVocabSize', 'hiddenSize', 'layers', 'hiddenActivation',
  'bias', 'dtype', 'seed', 'kernels', 'bidirectional', 'attention'] as const;

/** Buffers of the attention pass for one (decoder T, B), allocated once per shape. */
interface AttentionWorkspace {
  capacityT: number;
  B: number;
  caches: CellCache[];
  /** Each decoder row's source (row r reads source r mod B). */
  source: Int32Array;
  /** ŷ and δo, T×B×K. */
  yhat: Float;
  dO: Float;
  /** ∂J/∂h̃, and ∂J/∂h of the layer being back-propagated and of the one below, T×B×H. */
  dTilde: Float;
  dHa: Float;
  dHb: Float;
  dInit: { h: Float; c: Float }[];
}

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
export class Seq2Seq implements ShardableTrainable<Seq2SeqBatch> {
  readonly encoder: Encoder;
  readonly decoder: Network;
  readonly sourceVocabSize: number;
  readonly targetVocabSize: number;
  /** Index of ⟨s⟩ (as decoder input) and ⟨/s⟩ (as decoder output). */
  readonly boundary: number;
  readonly dtype: DType;
  /** The encoder reads both ways (its states are 2H wide). */
  readonly bidirectional: boolean;
  /** The attention layer, or null without attention. */
  readonly attention: Attention | null;
  /** Decoder initial states bridged from a bidirectional encoder, and their gradients for it, per B. */
  private readonly bridges = new Map<number, { init: { h: Float; c: Float }[]; dFinal: { h: Float; c: Float }[] }>();
  private attentionWs: AttentionWorkspace | null = null;
  /** ∂J/∂e for every encoder state, T_s×B×S (grown as needed). */
  private dMemory: Float | null = null;
  /** The resolved options (without kernels): what {@link describe} hands a replica. */
  private readonly resolved: Omit<Seq2SeqOptions, 'kernels'>;

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
    if (options.bidirectional !== undefined && typeof options.bidirectional !== 'boolean') throw new OptionError(`bidirectional must be true or false, got ${typeof options.bidirectional}`);
    this.bidirectional = options.bidirectional ?? false;
    const attention = options.attention === undefined ? 'none' : expectChoice('attention', options.attention, ATTENTION_KINDS);
    this.boundary = this.targetVocabSize;
    this.resolved = {
      cell, sourceVocabSize: this.sourceVocabSize, targetVocabSize: this.targetVocabSize, hiddenSize: H, layers,
      hiddenActivation, bias, dtype: this.dtype, seed, bidirectional: this.bidirectional, attention,
    };
    this.encoder = new Encoder({
      cell, inputSize: this.sourceVocabSize, hiddenSize: H, layers, bias, hiddenActivation, dtype: this.dtype,
      ...(this.bidirectional ? { bidirectional: true } : {}),
    }, seed, kernels);
    this.attention = attention === 'none' ? null
      : new Attention({ queryWidth: H, memoryWidth: this.encoder.width, bias, dtype: this.dtype }, seed + 104729, kernels);
    this.decoder = new Network({
      cell, inputSize: this.targetVocabSize + 1, hiddenSize: H, outputSize: this.targetVocabSize + 1, layers,
      hiddenActivation, loss: 'cross-entropy', bias, dtype: this.dtype, seed: seed + 7919, kernels,
    });
  }

  /** The parameter sets (encoder, decoder): what an optimizer updates and a checkpoint stores. */
  get paramSets(): readonly ParamSet[] {
    return this.attention ? [this.encoder.params, this.decoder.params, this.attention.params] : [this.encoder.params, this.decoder.params];
  }

  /** The model's options, for building a copy in another thread (data-parallel training). */
  describe(): ModelDescription {
    return { kind: 'seq2seq', options: { ...this.resolved } };
  }

  /** A batch as columns: source, source mask (T_s steps), decoder x, y, mask (T_d steps). */
  toColumns(batch: Seq2SeqBatch): BatchColumns {
    const d = batch.decoder;
    if (d.x.kind !== 'index' || d.y.kind !== 'index' || !d.mask) throw new ShapeError('a seq2seq batch has index inputs and targets and a mask (makeBatch)');
    const Ts = batch.sourceT;
    return {
      B: batch.B, flags: 0,
      arrays: [
        { data: batch.source, steps: Ts, width: 1 }, { data: batch.sourceMask, steps: Ts, width: 1 },
        { data: d.x.data, steps: d.T, width: 1 }, { data: d.y.data, steps: d.T, width: 1 }, { data: d.mask, steps: d.T, width: 1 },
      ],
    };
  }

  /** The batch over column arrays listed as {@link toColumns} lists them. */
  fromColumns(c: BatchColumns): Seq2SeqBatch {
    const [source, sourceMask, x, y, mask] = c.arrays;
    if (!source || !sourceMask || !x || !y || !mask) throw new ShapeError(`a seq2seq batch has 5 column arrays, got ${c.arrays.length}`);
    return {
      B: c.B, sourceT: source.steps, source: source.data as Int32Array, sourceMask: sourceMask.data as Uint8Array,
      decoder: { T: x.steps, B: c.B, x: { kind: 'index', data: x.data as Int32Array }, y: { kind: 'index', data: y.data as Int32Array }, mask: mask.data as Uint8Array },
    };
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
    const finals = this.encoder.forward({ kind: 'index', data: batch.source }, batch.sourceT, batch.B, batch.sourceMask);
    if (!this.bidirectional) return finals;
    // h_dec,l(0) = h→_l(T) + h←_l(1), and C likewise
    const H = this.decoder.config.hiddenSize;
    const B = batch.B;
    const bridge = this.bridge(B);
    return finals.map((f, l) => {
      const out = bridge.init[l]!;
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < H; j++) {
          out.h[b * H + j] = f.h[b * 2 * H + j]! + f.h[b * 2 * H + H + j]!;
          if (f.c) out.c[b * H + j] = f.c[b * 2 * H + j]! + f.c[b * 2 * H + H + j]!;
        }
      }
      return f.c ? { h: out.h.subarray(0, B * H), c: out.c.subarray(0, B * H) } : { h: out.h.subarray(0, B * H) };
    });
  }

  /** The encoder's gradient on its final states from the decoder's on its initial ones (both halves get it when bidirectional). */
  private encoderFinalGradient(dInit: readonly CellState[], B: number): readonly CellState[] {
    if (!this.bidirectional) return dInit;
    const H = this.decoder.config.hiddenSize;
    const bridge = this.bridge(B);
    return dInit.map((g, l) => {
      const out = bridge.dFinal[l]!;
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < H; j++) {
          out.h[b * 2 * H + j] = out.h[b * 2 * H + H + j] = g.h[b * H + j]!;
          if (g.c) out.c[b * 2 * H + j] = out.c[b * 2 * H + H + j] = g.c[b * H + j]!;
        }
      }
      return g.c ? { h: out.h.subarray(0, B * 2 * H), c: out.c.subarray(0, B * 2 * H) } : { h: out.h.subarray(0, B * 2 * H) };
    });
  }

  private bridge(B: number): { init: { h: Float; c: Float }[]; dFinal: { h: Float; c: Float }[] } {
    let b = this.bridges.get(B);
    if (!b) {
      const H = this.decoder.config.hiddenSize;
      const mk = (n: number): { h: Float; c: Float }[] => this.decoder.layers.map(() => ({ h: allocate(this.dtype, n), c: allocate(this.dtype, n) }));
      b = { init: mk(B * H), dFinal: mk(B * 2 * H) };
      this.bridges.set(B, b);
    }
    return b;
  }

  /** J (summed cross-entropy) of a batch and how many target steps carried loss. */
  loss(batch: Seq2SeqBatch): { loss: number; count: number } {
    if (this.attention) return this.attendedPass(batch, this.attention, false);
    const init = this.encode(batch);
    return this.decoder.loss({ ...batch.decoder, init });
  }

  /**
   * Forward and backward pass through decoder and encoder. Gradients are
   * ADDED to both parameter sets (call {@link zeroGrad} first).
   */
  gradient(batch: Seq2SeqBatch): { loss: number; count: number } {
    if (this.attention) return this.attendedPass(batch, this.attention, true);
    const init = this.encode(batch);
    const r = this.decoder.gradient({ ...batch.decoder, init }, { initGradient: true });
    if (!r.initGradient) throw new OptionError('decoder did not return ∂J/∂state(0)');
    // ∂J/∂h_enc(T) = ∂J/∂h_dec(0) (and the same for C)
    this.encoder.backwardFromFinal(this.encoderFinalGradient(r.initGradient, batch.B));
    return { loss: r.loss, count: r.count };
  }

  /**
   * The pass with attention: the decoder's layers from the encoder's final
   * states, h̃ = attention(s, e) on its top states, ŷ = softmax(h̃·V + b_o);
   * with `withGradient`, BPTT back through all of it (gradients ADDED).
   */
  private attendedPass(batch: Seq2SeqBatch, attention: Attention, withGradient: boolean): { loss: number; count: number } {
    const dec = this.decoder;
    const d = batch.decoder;
    const { T, B } = d;
    const { hiddenSize: H, outputSize: K } = dec.config;
    const L = dec.layers.length;
    dec.checkBatch(d);
    const init = this.encode(batch);
    const memory = this.encoder.topStates();
    const ws = this.attentionWorkspace(T, B);
    const k = dec.kernels;
    // the decoder's layers, teacher-forced, from the encoder's final states
    const inputs: SequenceInput[] = [d.x];
    for (let l = 1; l < L; l++) inputs.push({ kind: 'dense', data: ws.caches[l - 1]!.hs.subarray(B * H) });
    for (let l = 0; l < L; l++) dec.layers[l]!.forward(inputs[l]!, T, B, ws.caches[l]!, init[l], d.mask);
    const s = ws.caches[L - 1]!.hs.subarray(B * H, (T + 1) * B * H);
    const rows = T * B;
    const tilde = attention.forward(memory, batch.sourceT, B, batch.sourceMask, s, { rows, source: ws.source });
    // ŷ = softmax(h̃·V + b_o)
    k.gemm(false, false, rows, K, H, tilde, 0, H, dec.V, 0, K, ws.yhat, 0, K, false);
    if (dec.b_o) k.addRowVector(rows, K, ws.yhat, 0, K, dec.b_o, 0);
    applyOutputActivation('softmax', ws.yhat, 0, rows, K);
    // J = −Σ log ŷ[target] over real steps; δo = ŷ − onehot(target) there, 0 elsewhere
    let J = 0;
    let count = 0;
    if (withGradient) ws.dO.set(ws.yhat.subarray(0, rows * K));
    const y = d.y.data as Int32Array;
    for (let r = 0; r < rows; r++) {
      if ((d.mask && !d.mask[r]) || y[r]! < 0) {
        if (withGradient) ws.dO.fill(0, r * K, (r + 1) * K);
        continue;
      }
      J -= Math.log(Math.max(ws.yhat[r * K + y[r]!]!, 1e-300));
      if (withGradient) ws.dO[r * K + y[r]!]! -= 1;
      count++;
    }
    if (!withGradient) return { loss: J, count };
    // ∂J/∂V += h̃ᵀ·δo, ∂J/∂b_o += Σ δo, ∂J/∂h̃ = δo·Vᵀ
    k.gemm(true, false, H, K, rows, tilde, 0, H, ws.dO, 0, K, dec.dV, 0, K, true);
    if (dec.db_o) k.sumRowsInto(rows, K, ws.dO, 0, K, dec.db_o, 0);
    k.gemm(false, true, rows, H, K, ws.dO, 0, K, dec.V, 0, K, ws.dTilde, 0, H, false);
    // through the attention: ∂J/∂s into the top layer's dH, ∂J/∂e for the encoder
    const S = this.encoder.width;
    const nMemory = batch.sourceT * B * S;
    if (!this.dMemory || this.dMemory.length < nMemory) this.dMemory = allocate(this.dtype, nMemory);
    const dMemory = this.dMemory.subarray(0, nMemory);
    dMemory.fill(0);
    let dH = ws.dHa;
    let dBelow = ws.dHb;
    attention.backward(ws.dTilde, dH, dMemory);
    // the decoder's layers, top down, to ∂J/∂h_dec(0)
    const dInit: CellState[] = [];
    for (let l = L - 1; l >= 0; l--) {
      const g = ws.dInit[l]!;
      g.h.fill(0, 0, B * H);
      g.c.fill(0, 0, B * H);
      const state = { h: g.h.subarray(0, B * H), c: g.c.subarray(0, B * H) };
      dInit[l] = dec.layers[l]!.stateNames.includes('c') ? state : { h: state.h };
      dec.layers[l]!.backward(inputs[l]!, T, B, ws.caches[l]!, dH, l > 0 ? dBelow : null, state, d.mask);
      [dH, dBelow] = [dBelow, dH];
    }
    this.encoder.backward(dMemory, this.encoderFinalGradient(dInit, B));
    return { loss: J, count };
  }

  private attentionWorkspace(T: number, B: number): AttentionWorkspace {
    const old = this.attentionWs;
    if (old && old.B === B && old.capacityT >= T) return old;
    const capT = Math.max(T, old && old.B === B ? old.capacityT : 0);
    const dec = this.decoder;
    const { hiddenSize: H, outputSize: K } = dec.config;
    const dt = this.dtype;
    const ws: AttentionWorkspace = {
      capacityT: capT,
      B,
      caches: dec.layers.map((cell) => cell.createCache(capT, B)),
      source: Int32Array.from({ length: capT * B }, (_, r) => r % B),
      yhat: allocate(dt, capT * B * K),
      dO: allocate(dt, capT * B * K),
      dTilde: allocate(dt, capT * B * H),
      dHa: allocate(dt, capT * B * H),
      dHb: allocate(dt, capT * B * H),
      dInit: dec.layers.map(() => ({ h: allocate(dt, B * H), c: allocate(dt, B * H) })),
    };
    this.attentionWs = ws;
    return ws;
  }
}
